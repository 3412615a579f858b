import { ConflictError, NotFoundError } from '@/common/errors/app-error';
import { Prisma } from '@/generated/prisma/client';

/** Known Prisma failures as the API's errors: a unique violation is a conflict, a missing row is a 404. */
export function fromPrismaError(err: unknown): ConflictError | NotFoundError | undefined {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  if (err.code === 'P2002') {
    const target = (err.meta?.target as string[] | string | undefined) ?? 'value';
    return new ConflictError(`${Array.isArray(target) ? target.join(', ') : target}: already exists`, 'ALREADY_EXISTS');
  }
  if (err.code === 'P2025') return new NotFoundError('The resource does not exist');
  return undefined;
}

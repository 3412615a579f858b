import { ConflictError, NotFoundError, ServiceUnavailableError } from '@/common/errors/app-error';
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

/** Socket and server-state codes that mean Postgres cannot be reached, or stopped serving mid-query. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now (starting up, shutting down)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'P1001', // Prisma: can't reach database server
  'P1017', // Prisma: server closed the connection
  'P2024', // Prisma: timed out fetching a connection from the pool
]);

const UNREACHABLE_TEXT =
  /timeout exceeded when trying to connect|Connection terminated|Can't reach database server|DatabaseNotReachable/i;

/**
 * Postgres is down or unreachable: the answer is a 503 with Retry-After and a plain message; the error itself (with
 * its hosts and driver internals) only goes to the log. Looks through the error's causes, as the driver adapter wraps
 * the socket error it got.
 */
export function fromDatabaseOutage(err: unknown): ServiceUnavailableError | undefined {
  for (let cause: unknown = err, depth = 0; cause && depth < 5; depth++) {
    const e = cause as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; errno?: unknown };
    if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return outage();
    if (typeof e.kind === 'string' && /DatabaseNotReachable|ConnectionClosed|SocketTimeout/.test(e.kind))
      return outage();
    if (typeof e.message === 'string' && UNREACHABLE_TEXT.test(e.message)) return outage();
    cause = e.cause;
  }
  return undefined;
}

function outage(): ServiceUnavailableError {
  return new ServiceUnavailableError(
    'The database is unavailable; try again in a few seconds',
    'DATABASE_UNAVAILABLE',
    5,
  );
}

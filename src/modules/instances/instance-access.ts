import { NotFoundError } from '@/common/errors/app-error';
import { Instance } from '@/generated/prisma/client';
import { ClientAuth } from '@/modules/auth/auth-context';

/** Routes accept an instance's id or its name; an id has this form, and a name may not. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An instance key reaches its own instance only; for every other one it answers as if it did not exist. */
export function visibleTo(auth: ClientAuth, instance: Instance | null, ref: string): Instance {
  if (!instance || (auth.instanceId && auth.instanceId !== instance.id)) throw instanceNotFound(ref);
  return instance;
}

export function instanceNotFound(name: string): NotFoundError {
  return new NotFoundError(`Instance "${name}" does not exist`, 'INSTANCE_NOT_FOUND');
}

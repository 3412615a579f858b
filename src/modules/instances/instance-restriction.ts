import { ConflictError } from '@/common/errors/app-error';
import { Instance } from '@/generated/prisma/client';

/** The error code of a send refused because its instance is restricted. */
export const INSTANCE_RESTRICTED = 'INSTANCE_RESTRICTED';

export const RESTRICTION_REASONS = ['logged_out', 'temporarily_banned', 'banned', 'connection_refused'] as const;
export type RestrictionReason = (typeof RESTRICTION_REASONS)[number];

export interface Restriction {
  reason: RestrictionReason;
  /** The upstream's `statusReason`, WhatsApp's own code. */
  statusReason: number;
}

export interface ActiveRestriction extends Restriction {
  since: Date;
}

/**
 * The status reasons that mean the number cannot send until a person acts. The upstream posts `close` only for the
 * codes it will not reconnect from (401 loggedOut, 402, 403 forbidden, 406: contract §4.4) and `refused` with 428
 * when the QR limit ran out and it logged the session out; WhatsApp itself uses 402 for a temporary ban and 406 for
 * a logout without a given reason. 428 is a restriction whether it comes as `refused` or as `close`. Any other close
 * (408, 440, 500, 515) is a dropped connection the upstream reconnects from by itself.
 */
const RESTRICTING_STATUS: Readonly<Record<number, RestrictionReason>> = {
  401: 'logged_out',
  402: 'temporarily_banned',
  403: 'banned',
  406: 'logged_out',
  428: 'connection_refused',
};

const WHAT_HAPPENED: Record<RestrictionReason, string> = {
  logged_out: 'WhatsApp logged the number out',
  temporarily_banned: 'WhatsApp banned the number for a while',
  banned: 'WhatsApp forbade the number, which is how it reports a ban or a restriction',
  connection_refused: 'WhatsApp refused the connection',
};

/** What a `connection.update` says about a restriction: the restriction it reports, or null for none. */
export function restrictionFrom(state: unknown, statusReason: unknown): Restriction | null {
  if (state !== 'close' && state !== 'refused') return null;
  const code = typeof statusReason === 'string' && /^\d{3}$/.test(statusReason) ? Number(statusReason) : statusReason;
  if (typeof code !== 'number') return null;
  const reason = RESTRICTING_STATUS[code];
  return reason ? { reason, statusReason: code } : null;
}

/** A sentence for people: what WhatsApp did and what to do about it. */
export function describeRestriction(restriction: Restriction): string {
  const wait = restriction.reason === 'temporarily_banned' ? 'wait for the ban to end, then ' : '';
  return `${WHAT_HAPPENED[restriction.reason]} (status ${restriction.statusReason}): ${wait}reconnect it by scanning a new QR code`;
}

type RestrictionColumns = Pick<Instance, 'restriction' | 'restrictionStatus' | 'restrictedAt'>;

/** The instance's stored restriction, or null when it may send. */
export function restrictionOf(instance: RestrictionColumns): ActiveRestriction | null {
  const { restriction, restrictionStatus, restrictedAt } = instance;
  // The three are written together, and only with a RestrictionReason.
  if (restriction === null || restrictionStatus === null || restrictedAt === null) return null;
  return { reason: restriction as RestrictionReason, statusReason: restrictionStatus, since: restrictedAt };
}

/** Every send checks this first: a restricted number is not sent from, by any surface, until it is open again. */
export function assertNotRestricted(instance: RestrictionColumns & Pick<Instance, 'name'>): void {
  const restriction = restrictionOf(instance);
  if (!restriction) return;
  throw new ConflictError(
    `Instance "${instance.name}" is restricted: ${describeRestriction(restriction)}. Sends are refused until it is connected again`,
    INSTANCE_RESTRICTED,
  );
}

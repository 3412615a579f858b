/** Typed payload of each job. Payloads carry ids, never whole rows. */
export type PurgeExpiredPayload = Record<string, never>;

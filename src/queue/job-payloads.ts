/** Typed payload of each job. Payloads carry ids, never whole rows. */
export type PurgeExpiredPayload = Record<string, never>;

export interface RefreshTokenPayload {
  clientId: number;
  instanceId: string;
}

export type CheckDriftPayload = Record<string, never>;

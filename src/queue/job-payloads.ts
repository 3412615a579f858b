/** Typed payload of each job. Payloads carry ids, never whole rows. */
export type PurgeExpiredPayload = Record<string, never>;

export interface RefreshTokenPayload {
  clientId: number;
  instanceId: string;
}

export type CheckDriftPayload = Record<string, never>;

/** A messages.update that arrived before the gateway had logged the message's WhatsApp id. */
export interface ApplyStatusPayload {
  clientId: number;
  instanceId: string;
  upstreamMessageId: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
}

/**
 * Sends keep failing with "Connection Closed": ask the upstream why the instance is down (its close event, which says
 * so, may never have arrived).
 */
export interface CheckRestrictionPayload {
  clientId: number;
  instanceId: string;
  instanceName: string;
}

/** Drives one bulk: sends its recipients in order through the instance's pacing until none is left. */
export interface RunBulkPayload {
  clientId: number;
  bulkId: string;
}

/** One attempt at delivering one stored event to a tenant endpoint. */
export interface DeliverPayload {
  clientId: number;
  deliveryId: string;
}

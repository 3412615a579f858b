/**
 * One live event, as a `/ws` socket receives it: the tenant webhook's envelope (same event names and data), or the
 * gateway's own `bulk.progress`.
 */
export interface LiveEvent {
  event: string;
  instance: string;
  data: unknown;
  date_time: string;
}

/** Whose event it is: sockets are matched on these, never on the instance name, which a later instance may reuse. */
export interface LiveEventOwner {
  clientId: number;
  instanceId: string;
}

/**
 * The Redis channels under the install's key prefix, one per client (`live-events:<clientId>`): an API process
 * subscribes only to the clients whose sockets it holds (and to all of them, by pattern, while an operator's socket is
 * open), so an event nobody watches costs one PUBLISH and no process reads it.
 */
export const LIVE_EVENTS_CHANNEL = 'live-events';

/**
 * On the channel an event travels as `<clientId> <instanceId> <event JSON>`: a receiving process reads the owner
 * from the head and sends the JSON to its sockets as it came, without parsing and serialising it again.
 */
export function encodeLiveEvent(owner: LiveEventOwner, event: LiveEvent): string {
  return `${owner.clientId} ${owner.instanceId} ${JSON.stringify(event)}`;
}

export function decodeLiveEvent(raw: string): { owner: LiveEventOwner; json: string } | null {
  const first = raw.indexOf(' ');
  const second = first < 0 ? -1 : raw.indexOf(' ', first + 1);
  if (second < 0) return null;
  const clientId = Number(raw.slice(0, first));
  if (!Number.isSafeInteger(clientId)) return null;
  return { owner: { clientId, instanceId: raw.slice(first + 1, second) }, json: raw.slice(second + 1) };
}

/** Close codes a `/ws` client may see (docs/websocket.md lists them). */
export const WS_CLOSE = {
  /** The process is stopping: reconnect (another process, or this one once it is back). */
  goingAway: 1001,
  /** The credential stopped working: a token expired or became invalid. Do not reconnect with it. */
  unauthorized: 4401,
  /** The key was revoked, rotated without grace or expired, or the client was deactivated or deleted. */
  forbidden: 4403,
  /** The client did not read its events fast enough; reconnect and catch up through the HTTP API. */
  slowConsumer: 4408,
} as const;

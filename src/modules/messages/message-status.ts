import { MessageStatus } from '@/generated/prisma/client';

/** Delivery progress; `failed` is reachable only before delivery. */
const RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 1.5 };

/** Status only moves forward: queued → sent → delivered → read, or to failed before delivery. Nothing leaves failed. */
export function canAdvance(from: MessageStatus, to: MessageStatus): boolean {
  if (from === 'failed') return false;
  if (to === 'failed') return from === 'queued' || from === 'sent';
  return RANK[to] > RANK[from];
}

const STATUSES = Object.keys(RANK) as MessageStatus[];

/** The statuses from which a message may move to `to` (canAdvance, as a set for a conditional update). */
export function statusesAdvancingTo(to: MessageStatus): MessageStatus[] {
  return STATUSES.filter((from) => canAdvance(from, to));
}

/**
 * Two statuses reported for one message, as one: delivered or read wins (the message got there, whatever else was
 * reported), otherwise failed, otherwise the further one.
 */
export function furthest(a: MessageStatus, b: MessageStatus): MessageStatus {
  const arrived = (s: MessageStatus) => s === 'delivered' || s === 'read';
  // failed ranks below delivered, so the arrived one wins here.
  if (arrived(a) || arrived(b)) return RANK[a] >= RANK[b] ? a : b;
  if (a === 'failed' || b === 'failed') return 'failed';
  return RANK[a] >= RANK[b] ? a : b;
}

/** The rollup counters a transition adds to: a message counts once as sent, delivered, read or failed. */
export function rollupIncrements(
  from: MessageStatus,
  to: MessageStatus,
): { sent: number; delivered: number; read: number; failed: number } {
  const reached = (status: MessageStatus, target: MessageStatus) => status !== 'failed' && RANK[status] >= RANK[target];
  return {
    sent: Number(!reached(from, 'sent') && reached(to, 'sent')),
    delivered: Number(!reached(from, 'delivered') && reached(to, 'delivered')),
    read: Number(!reached(from, 'read') && reached(to, 'read')),
    failed: Number(to === 'failed'),
  };
}

/** messages.update statuses (contract §5) as log statuses; PENDING and DELETED change nothing. */
export const UPSTREAM_STATUS: Record<string, MessageStatus | undefined> = {
  SERVER_ACK: 'sent',
  DELIVERY_ACK: 'delivered',
  READ: 'read',
  PLAYED: 'read',
  ERROR: 'failed',
};

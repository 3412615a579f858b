import { MessageStatus } from '@/generated/prisma/client';

/** Delivery progress; `failed` is reachable only before delivery. */
const RANK: Record<DeliveryStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 1.5 };

/** The statuses of a message that was attempted: the upstream reports these (the others are the gateway's own). */
export type DeliveryStatus = Exclude<MessageStatus, 'scheduled' | 'cancelled' | 'expired'>;

function isDelivery(status: MessageStatus): status is DeliveryStatus {
  return status in RANK;
}

/**
 * Status only moves forward: queued → sent → delivered → read, or to failed before delivery. A scheduled message
 * becomes queued when it is due, or cancelled, expired or failed instead; a queued one may still expire (an
 * interrupted bulk attempt that was never sent). Nothing leaves failed, cancelled or expired.
 */
export function canAdvance(from: MessageStatus, to: MessageStatus): boolean {
  if (from === 'scheduled') return to === 'queued' || to === 'cancelled' || to === 'expired' || to === 'failed';
  if (to === 'expired') return from === 'queued';
  if (!isDelivery(from) || !isDelivery(to) || from === 'failed') return false;
  if (to === 'failed') return from === 'queued' || from === 'sent';
  return RANK[to] > RANK[from];
}

const STATUSES = Object.values(MessageStatus);

/** The statuses from which a message may move to `to` (canAdvance, as a set for a conditional update). */
export function statusesAdvancingTo(to: MessageStatus): MessageStatus[] {
  return STATUSES.filter((from) => canAdvance(from, to));
}

/**
 * Two statuses reported for one message, as one: delivered or read wins (the message got there, whatever else was
 * reported), otherwise failed, otherwise the further one.
 */
export function furthest(a: DeliveryStatus, b: DeliveryStatus): DeliveryStatus {
  const arrived = (s: DeliveryStatus) => s === 'delivered' || s === 'read';
  // failed ranks below delivered, so the arrived one wins here.
  if (arrived(a) || arrived(b)) return RANK[a] >= RANK[b] ? a : b;
  if (a === 'failed' || b === 'failed') return 'failed';
  return RANK[a] >= RANK[b] ? a : b;
}

export interface RollupIncrements {
  attempts: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
}

/**
 * The rollup counters a transition adds to: a message counts once as sent, delivered, read or failed, and as an
 * attempt (what the daily cap counts) while it has a delivery status: leaving `scheduled` adds one, a queued attempt
 * that expires unsent takes it back. Created rows count from `scheduled`: one logged `queued` is an attempt, one
 * logged `scheduled` or `expired` is not.
 */
export function rollupIncrements(from: MessageStatus, to: MessageStatus): RollupIncrements {
  const reached = (status: MessageStatus, target: DeliveryStatus) =>
    isDelivery(status) && status !== 'failed' && RANK[status] >= RANK[target];
  return {
    attempts: Number(!isDelivery(from) && isDelivery(to)) - Number(isDelivery(from) && !isDelivery(to)),
    sent: Number(!reached(from, 'sent') && reached(to, 'sent')),
    delivered: Number(!reached(from, 'delivered') && reached(to, 'delivered')),
    read: Number(!reached(from, 'read') && reached(to, 'read')),
    failed: Number(to === 'failed'),
  };
}

/** messages.update statuses (contract §5) as log statuses; PENDING and DELETED change nothing. */
export const UPSTREAM_STATUS: Record<string, DeliveryStatus | undefined> = {
  SERVER_ACK: 'sent',
  DELIVERY_ACK: 'delivered',
  READ: 'read',
  PLAYED: 'read',
  ERROR: 'failed',
};

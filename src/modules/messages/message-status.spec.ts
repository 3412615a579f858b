import { MessageStatus } from '@/generated/prisma/client';
import { canAdvance, DeliveryStatus, furthest, rollupIncrements, statusesAdvancingTo } from './message-status';

describe('message status', () => {
  it('moves forward only', () => {
    expect(canAdvance('queued', 'sent')).toBe(true);
    expect(canAdvance('sent', 'read')).toBe(true);
    expect(canAdvance('read', 'delivered')).toBe(false);
    expect(canAdvance('delivered', 'sent')).toBe(false);
    expect(canAdvance('sent', 'sent')).toBe(false);
  });

  it('fails only before delivery, and never leaves failed', () => {
    expect(canAdvance('queued', 'failed')).toBe(true);
    expect(canAdvance('sent', 'failed')).toBe(true);
    expect(canAdvance('delivered', 'failed')).toBe(false);
    expect(canAdvance('failed', 'read')).toBe(false);
  });

  it('counts each milestone once, even when a step is skipped', () => {
    expect(rollupIncrements('queued', 'read')).toEqual({ attempts: 0, sent: 1, delivered: 1, read: 1, failed: 0 });
    expect(rollupIncrements('sent', 'delivered')).toEqual({ attempts: 0, sent: 0, delivered: 1, read: 0, failed: 0 });
    expect(rollupIncrements('sent', 'failed')).toEqual({ attempts: 0, sent: 0, delivered: 0, read: 0, failed: 1 });
  });

  it('counts an attempt when a scheduled message leaves, and takes it back when a queued attempt expires', () => {
    expect(rollupIncrements('scheduled', 'queued')).toEqual({ attempts: 1, sent: 0, delivered: 0, read: 0, failed: 0 });
    expect(rollupIncrements('scheduled', 'failed')).toEqual({ attempts: 1, sent: 0, delivered: 0, read: 0, failed: 1 });
    expect(rollupIncrements('scheduled', 'cancelled')).toEqual({
      attempts: 0,
      sent: 0,
      delivered: 0,
      read: 0,
      failed: 0,
    });
    expect(rollupIncrements('scheduled', 'expired')).toEqual({
      attempts: 0,
      sent: 0,
      delivered: 0,
      read: 0,
      failed: 0,
    });
    expect(rollupIncrements('queued', 'expired')).toEqual({ attempts: -1, sent: 0, delivered: 0, read: 0, failed: 0 });
  });

  it('merges two statuses of one message: delivered or read wins, then failed, then the further one', () => {
    expect(furthest('sent', 'read')).toBe('read');
    expect(furthest('failed', 'delivered')).toBe('delivered');
    expect(furthest('read', 'failed')).toBe('read');
    expect(furthest('sent', 'failed')).toBe('failed');
    expect(furthest('queued', 'sent')).toBe('sent');
  });
});

const STATUSES: MessageStatus[] = [
  'scheduled',
  'queued',
  'sent',
  'delivered',
  'read',
  'failed',
  'cancelled',
  'expired',
];

describe('message status, every pair', () => {
  /** The allowed moves, written out: forward along queued → sent → delivered → read, or to failed before delivery. */
  const ALLOWED: Record<MessageStatus, MessageStatus[]> = {
    scheduled: ['queued', 'failed', 'cancelled', 'expired'],
    queued: ['sent', 'delivered', 'read', 'failed', 'expired'],
    sent: ['delivered', 'read', 'failed'],
    delivered: ['read'],
    read: [],
    failed: [],
    cancelled: [],
    expired: [],
  };

  it.each(STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const)))(
    'canAdvance(%s, %s) follows the table',
    (from, to) => {
      expect(canAdvance(from, to)).toBe(ALLOWED[from].includes(to));
    },
  );

  /** furthest of each unordered pair. */
  const MERGED: [DeliveryStatus, DeliveryStatus, DeliveryStatus][] = [
    ['queued', 'queued', 'queued'],
    ['queued', 'sent', 'sent'],
    ['queued', 'delivered', 'delivered'],
    ['queued', 'read', 'read'],
    ['queued', 'failed', 'failed'],
    ['sent', 'sent', 'sent'],
    ['sent', 'delivered', 'delivered'],
    ['sent', 'read', 'read'],
    ['sent', 'failed', 'failed'],
    ['delivered', 'delivered', 'delivered'],
    ['delivered', 'read', 'read'],
    ['delivered', 'failed', 'delivered'],
    ['read', 'read', 'read'],
    ['read', 'failed', 'read'],
    ['failed', 'failed', 'failed'],
  ];

  it.each(MERGED)('furthest(%s, %s) is %s, in either order', (a, b, merged) => {
    expect(furthest(a, b)).toBe(merged);
    expect(furthest(b, a)).toBe(merged);
  });

  it('covers every unordered pair in the merge table', () => {
    const covered = new Set(MERGED.map(([a, b]) => [a, b].sort().join('+')));
    const delivery = ['queued', 'sent', 'delivered', 'read', 'failed'];
    const all = new Set(delivery.flatMap((a) => delivery.map((b) => [a, b].sort().join('+'))));
    expect(covered).toEqual(all);
  });

  const none = { attempts: 0, sent: 0, delivered: 0, read: 0, failed: 0 };
  /** What each allowed move (and the create's queued → status) adds to the rollups. */
  const INCREMENTS: [MessageStatus, MessageStatus, typeof none][] = [
    ['queued', 'queued', none],
    ['queued', 'sent', { ...none, sent: 1 }],
    ['queued', 'delivered', { ...none, sent: 1, delivered: 1 }],
    ['queued', 'read', { ...none, sent: 1, delivered: 1, read: 1 }],
    ['queued', 'failed', { ...none, failed: 1 }],
    ['sent', 'delivered', { ...none, delivered: 1 }],
    ['sent', 'read', { ...none, delivered: 1, read: 1 }],
    ['sent', 'failed', { ...none, failed: 1 }],
    ['delivered', 'read', { ...none, read: 1 }],
    ['scheduled', 'queued', { ...none, attempts: 1 }],
    ['scheduled', 'failed', { ...none, attempts: 1, failed: 1 }],
    ['scheduled', 'cancelled', none],
    ['scheduled', 'expired', none],
    ['queued', 'expired', { ...none, attempts: -1 }],
  ];

  it.each(INCREMENTS)('rollupIncrements(%s, %s) adds each passed milestone once', (from, to, add) => {
    expect(rollupIncrements(from, to)).toEqual(add);
  });

  it('lists every allowed move in the increments table', () => {
    const listed = INCREMENTS.filter(([from, to]) => from !== to).map(([from, to]) => `${from}>${to}`);
    const allowed = STATUSES.flatMap((from) =>
      STATUSES.filter((to) => canAdvance(from, to)).map((to) => `${from}>${to}`),
    );
    expect(listed.sort()).toEqual(allowed.sort());
  });

  it('counts a message the same whether it moved in steps or in one jump', () => {
    const add = (a: typeof none, b: typeof none) => ({
      attempts: a.attempts + b.attempts,
      sent: a.sent + b.sent,
      delivered: a.delivered + b.delivered,
      read: a.read + b.read,
      failed: a.failed + b.failed,
    });
    const steps = (path: MessageStatus[]) =>
      path.slice(1).reduce((sum, to, i) => add(sum, rollupIncrements(path[i]!, to)), none);
    expect(steps(['queued', 'sent', 'delivered', 'read'])).toEqual(rollupIncrements('queued', 'read'));
    expect(steps(['queued', 'sent', 'read'])).toEqual(rollupIncrements('queued', 'read'));
    expect(steps(['queued', 'delivered', 'read'])).toEqual(rollupIncrements('queued', 'read'));
    expect(steps(['queued', 'sent', 'failed'])).toEqual({ ...none, sent: 1, failed: 1 });
  });
});

describe('statusesAdvancingTo', () => {
  it('lists the statuses canAdvance lets move to each status', () => {
    expect(statusesAdvancingTo('failed').sort()).toEqual(['queued', 'scheduled', 'sent']);
    expect(statusesAdvancingTo('read').sort()).toEqual(['delivered', 'queued', 'sent']);
    expect(statusesAdvancingTo('queued')).toEqual(['scheduled']);
    expect(statusesAdvancingTo('cancelled')).toEqual(['scheduled']);
    expect(statusesAdvancingTo('expired').sort()).toEqual(['queued', 'scheduled']);
  });
});

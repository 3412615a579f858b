import { canAdvance, furthest, rollupIncrements } from './message-status';

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
    expect(rollupIncrements('queued', 'read')).toEqual({ sent: 1, delivered: 1, read: 1, failed: 0 });
    expect(rollupIncrements('sent', 'delivered')).toEqual({ sent: 0, delivered: 1, read: 0, failed: 0 });
    expect(rollupIncrements('sent', 'failed')).toEqual({ sent: 0, delivered: 0, read: 0, failed: 1 });
  });

  it('merges two statuses of one message: delivered or read wins, then failed, then the further one', () => {
    expect(furthest('sent', 'read')).toBe('read');
    expect(furthest('failed', 'delivered')).toBe('delivered');
    expect(furthest('read', 'failed')).toBe('read');
    expect(furthest('sent', 'failed')).toBe('failed');
    expect(furthest('queued', 'sent')).toBe('sent');
  });
});

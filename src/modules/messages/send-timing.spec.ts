import { ValidationError } from '@/common/errors/app-error';
import { readSendTiming } from './send-timing';

const NOW = new Date('2026-12-01T10:00:00Z');
const DAY = 24 * 3600 * 1000;
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

describe('readSendTiming', () => {
  it('sends now without an expiry when no field is given', () => {
    expect(readSendTiming({}, NOW)).toEqual({ sendAt: null, expiresAt: null });
  });

  it('reads send_at with its offset', () => {
    expect(readSendTiming({ send_at: '2026-12-01T13:30:00+03:00' }, NOW).sendAt).toEqual(
      new Date('2026-12-01T10:30:00Z'),
    );
  });

  it('counts ttl_seconds from send_at when given, else from now', () => {
    expect(readSendTiming({ ttl_seconds: 60 }, NOW).expiresAt).toEqual(new Date(NOW.getTime() + 60000));
    expect(readSendTiming({ send_at: at(3600000), ttl_seconds: 60 }, NOW).expiresAt).toEqual(
      new Date(NOW.getTime() + 3660000),
    );
  });

  it.each([
    [{ send_at: at(0) }, 'send_at: must be in the future'],
    [{ send_at: at(30 * DAY + 1000) }, 'send_at: must be at most 30 days ahead'],
    [{ expires_at: at(60000), ttl_seconds: 60 }, 'expires_at: give expires_at or ttl_seconds, not both'],
    [{ expires_at: at(-1) }, 'expires_at: must be after now'],
    [{ send_at: at(60000), expires_at: at(60000) }, 'expires_at: must be after send_at'],
    [
      { send_at: at(60000), expires_at: at(60000 + 30 * DAY + 1000) },
      'expires_at: must be at most 30 days after send_at',
    ],
  ])('refuses %j: %s', (input, message) => {
    expect(() => readSendTiming(input, NOW)).toThrow(new ValidationError(message));
  });

  it('accepts the limits themselves: send_at 30 days ahead, expires_at 30 days after it', () => {
    const sendAt = at(30 * DAY);
    expect(readSendTiming({ send_at: sendAt, expires_at: at(60 * DAY) }, NOW)).toEqual({
      sendAt: new Date(sendAt),
      expiresAt: new Date(at(60 * DAY)),
    });
  });
});

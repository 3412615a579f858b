import { ConflictError } from '@/common/errors/app-error';
import { assertNotRestricted, describeRestriction, restrictionFrom, restrictionOf } from './instance-restriction';

describe('instance restriction rule', () => {
  describe(restrictionFrom.name, () => {
    it.each([
      ['close', 401, 'logged_out'],
      ['close', 402, 'temporarily_banned'],
      ['close', 403, 'banned'],
      ['close', 406, 'logged_out'],
      ['close', 428, 'connection_refused'],
      ['refused', 428, 'connection_refused'],
      ['refused', 401, 'logged_out'],
      ['close', '403', 'banned'],
    ])('%s with statusReason %p restricts the number: %s', (state, statusReason, reason) => {
      expect(restrictionFrom(state, statusReason)).toEqual({ reason, statusReason: Number(statusReason) });
    });

    it.each([
      ['close', 408],
      ['close', 440],
      ['close', 500],
      ['close', 515],
      ['close', 200],
      ['refused', 500],
      ['open', 401],
      ['connecting', 403],
      ['connecting', 200],
      ['close', undefined],
      ['close', null],
      ['close', '4031'],
      ['close', 'forbidden'],
      [undefined, 401],
    ])('%s with statusReason %p does not (a dropped connection, or no close)', (state, statusReason) => {
      expect(restrictionFrom(state, statusReason)).toBeNull();
    });
  });

  it('says what WhatsApp did and what to do, naming the status', () => {
    expect(describeRestriction({ reason: 'banned', statusReason: 403 })).toBe(
      'WhatsApp forbade the number, which is how it reports a ban or a restriction (status 403): reconnect it by scanning a new QR code',
    );
    expect(describeRestriction({ reason: 'temporarily_banned', statusReason: 402 })).toMatch(
      /^WhatsApp banned the number for a while \(status 402\): wait for the ban to end, then reconnect/,
    );
  });

  it('reads the stored restriction, and refuses sends of a restricted instance with 409 INSTANCE_RESTRICTED', () => {
    const since = new Date('2026-11-30T10:00:00Z');
    const free = { name: 'shop-1', restriction: null, restrictionStatus: null, restrictedAt: null };
    const restricted = { name: 'shop-1', restriction: 'logged_out', restrictionStatus: 401, restrictedAt: since };
    expect(restrictionOf(free)).toBeNull();
    expect(restrictionOf(restricted)).toEqual({ reason: 'logged_out', statusReason: 401, since });
    expect(() => assertNotRestricted(free)).not.toThrow();

    let thrown: unknown;
    try {
      assertNotRestricted(restricted);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConflictError);
    expect(thrown).toMatchObject({
      status: 409,
      code: 'INSTANCE_RESTRICTED',
      message:
        'Instance "shop-1" is restricted: WhatsApp logged the number out (status 401): reconnect it by scanning a new ' +
        'QR code. Sends are refused until it is connected again',
    });
  });
});

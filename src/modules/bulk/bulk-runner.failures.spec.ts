import { Logger } from '@nestjs/common';
import { ConflictError, RateLimitedError, ValidationError } from '@/common/errors/app-error';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { INSTANCE_RESTRICTED } from '@/modules/instances/instance-restriction';
import { nextUtcMidnight } from '@/modules/limits/daily-cap.service';
import { DAILY_CAP_REASON, DISCONNECTED_REASON } from './bulk-reasons';
import { BulkRunnerService } from './bulk-runner.service';

const sleeps: number[] = [];
jest.mock('node:timers/promises', () => ({
  setTimeout: (ms: number) => {
    sleeps.push(ms);
    return Promise.resolve();
  },
}));
import {
  BULK,
  bulk,
  CLIENT,
  FakeBulks,
  FakeSender,
  recipient,
  runnerWithFakes,
} from '../../../test/factories/bulk-runner.fakes';

describe(`${BulkRunnerService.name}: on a failed send`, () => {
  let bulks: FakeBulks;
  let sender: FakeSender;
  let queue: { driven: unknown[][]; resumes: unknown[][] };
  let sut: BulkRunnerService;

  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });
  beforeEach(() => {
    sleeps.length = 0;
    ({ sut, bulks, sender, queue } = runnerWithFakes());
  });

  describe('on a failed send', () => {
    it('pauses the bulk until the next UTC midnight when the daily cap is reached', async () => {
      bulks.claims = [recipient(1), recipient(2)];
      sender.outcomes = [new RateLimitedError('cap', 3600, 'DAILY_CAP_REACHED')];
      const before = nextUtcMidnight(new Date());
      await sut.run(CLIENT, BULK);
      const frees = queue.resumes[0]![2] as Date;
      expect([before.getTime(), nextUtcMidnight(new Date()).getTime()]).toContain(frees.getTime());
      expect(queue.resumes).toEqual([[CLIENT, BULK, frees]]);
      expect(bulks.writes()).toEqual([
        ['release', CLIENT, 1n],
        ['transition', CLIENT, BULK, ['running'], 'paused', `${DAILY_CAP_REASON}; resumes at ${frees.toISOString()}`],
      ]);
      // Stopped: the second recipient is not claimed.
      expect(sender.deliveries).toHaveLength(1);
      expect(bulks.calls.filter(([name]) => name === 'claim')).toHaveLength(1);
    });

    it.each([
      [1, 100],
      [4.5, 500],
      [7, 3000],
      [12, 8000],
      [600, 8000],
    ])(
      'gives back a recipient whose pacing slot is %f s away, uncounted, waits %i ms and claims again',
      async (retryAfter, waited) => {
        bulks.claims = [recipient(1), recipient(1), undefined];
        sender.outcomes = [new RateLimitedError('pacing', retryAfter, 'INSTANCE_PACING'), 200];
        await sut.run(CLIENT, BULK);
        expect(sleeps).toEqual([waited]);
        expect(bulks.writes()).toEqual([
          ['release', CLIENT, 1n, null, { uncountAttempt: true }],
          ['finish', CLIENT, 1n, 'sent', 200n, null],
          ['complete', CLIENT, BULK],
        ]);
      },
    );

    it('pauses the bulk, keeping the recipient, when the instance is disconnected', async () => {
      bulks.claims = [recipient(1), recipient(2)];
      sender.outcomes = [new EvolutionError('connection_closed', 'closed', 500, true)];
      await sut.run(CLIENT, BULK);
      expect(bulks.writes()).toEqual([
        ['release', CLIENT, 1n],
        [
          'transition',
          CLIENT,
          BULK,
          ['running'],
          'paused',
          `${DISCONNECTED_REASON}: reconnect it by scanning a new QR code and the bulk resumes`,
        ],
      ]);
      expect(sender.deliveries).toHaveLength(1);
    });

    it('pauses the bulk, keeping the recipient, when its instance is restricted, saying why', async () => {
      const restricted = bulk();
      Object.assign(restricted.instance, { restriction: 'banned', restrictionStatus: 403, restrictedAt: new Date() });
      bulks.found = restricted;
      bulks.claims = [recipient(1), recipient(2)];
      sender.outcomes = [new ConflictError('Instance "shop" is restricted', INSTANCE_RESTRICTED)];
      await sut.run(CLIENT, BULK);
      expect(bulks.writes()).toEqual([
        ['release', CLIENT, 1n],
        [
          'transition',
          CLIENT,
          BULK,
          ['running'],
          'paused',
          'instance restricted: WhatsApp forbade the number, which is how it reports a ban or a restriction (status ' +
            '403): reconnect it by scanning a new QR code; the bulk resumes when the instance is connected again',
        ],
      ]);
      expect(sender.deliveries).toHaveLength(1);
    });

    it.each([
      [1, 1000],
      [2, 2000],
      [3, 4000],
    ])('retries a retryable upstream error on attempt %i after %i ms', async (attempts, waited) => {
      const err = new EvolutionError('upstream_error', 'The WhatsApp server failed to send', 500, true);
      bulks.claims = [recipient(1, { attempts }), undefined];
      sender.outcomes = [err];
      await sut.run(CLIENT, BULK);
      expect(sleeps).toEqual([waited]);
      expect(bulks.writes()).toEqual([
        ['release', CLIENT, 1n, 'The WhatsApp server failed to send'],
        ['complete', CLIENT, BULK],
      ]);
    });

    it('fails the recipient when a retryable upstream error comes on the fourth attempt', async () => {
      bulks.claims = [recipient(1, { attempts: 4 }), recipient(2), undefined];
      sender.outcomes = [new EvolutionError('timeout', 'no answer in time', 0, true), 300];
      await sut.run(CLIENT, BULK);
      expect(sleeps).toEqual([]);
      expect(bulks.writes().slice(0, 2)).toEqual([
        ['finish', CLIENT, 1n, 'failed', null, 'no answer in time'],
        ['finish', CLIENT, 2n, 'sent', 300n, null],
      ]);
    });

    it.each([
      [
        'a non-retryable upstream error',
        new EvolutionError('not_on_whatsapp', 'number: 1 is not on WhatsApp', 400, false),
      ],
      ['a request error of the gateway', new ValidationError('number: too short', 'INVALID_NUMBER')],
    ])('fails the recipient and goes on after %s', async (_, err) => {
      bulks.claims = [recipient(1), recipient(2), undefined];
      sender.outcomes = [err, 300];
      await sut.run(CLIENT, BULK);
      expect(sleeps).toEqual([]);
      expect(bulks.writes()).toEqual([
        ['finish', CLIENT, 1n, 'failed', null, err.message],
        ['finish', CLIENT, 2n, 'sent', 300n, null],
        ['complete', CLIENT, BULK],
      ]);
    });

    it('gives the recipient back and fails the job on an internal error, still handing the lease back', async () => {
      const err = new Error('Redis connection lost');
      bulks.claims = [recipient(1), recipient(2)];
      sender.outcomes = [err];
      await expect(sut.run(CLIENT, BULK)).rejects.toBe(err);
      expect(bulks.writes()).toEqual([['release', CLIENT, 1n, 'Redis connection lost']]);
      expect(bulks.calls.at(-1)).toEqual(['releaseLease', CLIENT, BULK]);
    });

    it('fails the job with the internal error even when giving the recipient back fails too', async () => {
      const err = new Error('Redis connection lost');
      bulks.claims = [recipient(1)];
      bulks.releaseFails = true;
      sender.outcomes = [err];
      await expect(sut.run(CLIENT, BULK)).rejects.toBe(err);
    });
  });
});

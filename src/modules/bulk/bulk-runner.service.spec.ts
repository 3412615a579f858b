import { Logger } from '@nestjs/common';
import { RateLimitedError, ValidationError } from '@/common/errors/app-error';
import { AppConfig } from '@/config/app-config';
import { EvolutionClient } from '@/integrations/evolution/evolution.client';
import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { nextUtcMidnight } from '@/modules/limits/daily-cap.service';
import { Delivery, SendService } from '@/modules/messages/send.service';
import { BulkForRun, BulkRepository, ClaimedRecipient } from './bulk.repository';
import { BulkService } from './bulk.service';
import { BulkQueueService } from './bulk-queue.service';
import { DAILY_CAP_REASON, DISCONNECTED_REASON } from './bulk-reasons';
import { BulkRunnerService } from './bulk-runner.service';

const sleeps: number[] = [];
jest.mock('node:timers/promises', () => ({
  setTimeout: (ms: number) => {
    sleeps.push(ms);
    return Promise.resolve();
  },
}));

const CLIENT = 7;
const BULK = 'b-1';

function bulk(overrides: Partial<BulkForRun> = {}, client: Record<string, unknown> = {}): BulkForRun {
  return {
    id: BULK,
    clientId: CLIENT,
    instanceId: 'i-1',
    status: 'running',
    message: 'Hi {{name}}',
    delayMs: 0,
    instance: {
      id: 'i-1',
      clientId: CLIENT,
      name: 'shop',
      integration: 'WHATSAPP-BAILEYS',
      deletedAt: null,
      client: {
        rateLimit: 60,
        dailyCap: 1000,
        sendIntervalMs: 1500,
        jitterMinMs: 0,
        jitterMaxMs: 0,
        strictContentGuard: false,
        pacingOverride: false,
        ...client,
      },
    },
    ...overrides,
  } as unknown as BulkForRun;
}

function recipient(id: number, overrides: Partial<ClaimedRecipient> = {}): ClaimedRecipient {
  return {
    id: BigInt(id),
    bulkId: BULK,
    clientId: CLIENT,
    position: id,
    number: `2547000000${String(id).padStart(2, '0')}`,
    variables: { name: `n${id}` },
    status: 'sending',
    attempts: 1,
    messageId: null,
    logged: null,
    ...overrides,
  } as ClaimedRecipient;
}

/** The bulk repository as the driver sees it: claims come from a list, every write is recorded. */
class FakeBulks {
  found: BulkForRun | null = bulk();
  leased = true;
  claims: (ClaimedRecipient | 'stop' | undefined)[] = [];
  transitions = true;
  releaseFails = false;
  readonly calls: [string, ...unknown[]][] = [];

  findForRun(clientId: number, id: string) {
    this.calls.push(['findForRun', clientId, id]);
    return Promise.resolve(this.found);
  }
  findForClient(clientId: number, id: string) {
    this.calls.push(['findForClient', clientId, id]);
    return Promise.resolve(this.found);
  }
  leaseForClient(...args: unknown[]) {
    this.calls.push(['lease', ...args.slice(0, 2)]);
    return Promise.resolve(this.leased);
  }
  releaseLeaseForClient(...args: unknown[]) {
    this.calls.push(['releaseLease', ...args.slice(0, 2)]);
    return Promise.resolve();
  }
  markStartedForClient(...args: unknown[]) {
    this.calls.push(['markStarted', ...args]);
    return Promise.resolve();
  }
  claimNextForClient(clientId: number, bulkId: string) {
    this.calls.push(['claim', clientId, bulkId]);
    return Promise.resolve(this.claims.shift());
  }
  completeIfDoneForClient(...args: unknown[]) {
    this.calls.push(['complete', ...args]);
    return Promise.resolve(true);
  }
  finishRecipientForClient(...args: unknown[]) {
    this.calls.push(['finish', ...args]);
    return Promise.resolve();
  }
  releaseRecipientForClient(...args: unknown[]) {
    this.calls.push(['release', ...args]);
    return this.releaseFails ? Promise.reject(new Error('database down')) : Promise.resolve();
  }
  transitionForClient(...args: unknown[]) {
    this.calls.push(['transition', ...args]);
    return Promise.resolve(this.transitions);
  }
  listActiveForSystem() {
    return Promise.resolve([
      { id: 'b-1', clientId: 1 },
      { id: 'b-2', clientId: 2 },
    ]);
  }

  /** The recorded writes, without the reads and lease bookkeeping around them. */
  writes(): [string, ...unknown[]][] {
    return this.calls.filter(([name]) => ['finish', 'release', 'transition', 'complete'].includes(name));
  }
}

/** Answers each deliver with the next outcome: a message id, or an error to throw. */
class FakeSender {
  outcomes: (number | Error)[] = [];
  readonly deliveries: Delivery[] = [];
  deliver(d: Delivery) {
    this.deliveries.push(d);
    const next = this.outcomes.shift() ?? 100;
    return next instanceof Error ? Promise.reject(next) : Promise.resolve({ id: String(next) });
  }
}

describe(BulkRunnerService.name, () => {
  let bulks: FakeBulks;
  let sender: FakeSender;
  let sentTexts: unknown[][];
  let queue: { driven: unknown[][]; resumes: unknown[][] };
  let cancelled: unknown[][];
  let sut: BulkRunnerService;

  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });
  beforeEach(() => {
    sleeps.length = 0;
    bulks = new FakeBulks();
    sender = new FakeSender();
    sentTexts = [];
    queue = { driven: [], resumes: [] };
    cancelled = [];
    const evolution = {
      sendText: (...args: unknown[]) => {
        sentTexts.push(args);
        return Promise.resolve({ key: { id: 'WA-1' } });
      },
    };
    const queueService = {
      drive: (...args: unknown[]) => (queue.driven.push(args), Promise.resolve()),
      resumeAt: (...args: unknown[]) => (queue.resumes.push(args), Promise.resolve()),
    };
    const bulkService = {
      cancelForDeletedInstance: (...args: unknown[]) => (cancelled.push(args), Promise.resolve()),
    };
    const config = { get: (name: string) => (name === 'BULK_LEASE_MS' ? 60000 : undefined) };
    sut = new BulkRunnerService(
      bulks as unknown as BulkRepository,
      sender as unknown as SendService,
      evolution as unknown as EvolutionClient,
      queueService as unknown as BulkQueueService,
      bulkService as unknown as BulkService,
      config as unknown as AppConfig,
    );
  });

  describe('run', () => {
    it.each(['paused', 'cancelled', 'completed'] as const)('leaves a %s bulk alone', async (status) => {
      bulks.found = bulk({ status });
      await sut.run(CLIENT, BULK);
      expect(bulks.calls.map(([name]) => name)).toEqual(['findForRun']);
    });

    it('leaves a bulk it cannot find alone', async () => {
      bulks.found = null;
      await sut.run(CLIENT, BULK);
      expect(bulks.calls.map(([name]) => name)).toEqual(['findForRun']);
    });

    it('cancels, instead of sending, a bulk whose instance was deleted', async () => {
      bulks.found = bulk({ instance: { ...bulk().instance, deletedAt: new Date() } });
      await sut.run(CLIENT, BULK);
      expect(cancelled).toEqual([[CLIENT, 'i-1']]);
      expect(bulks.calls.map(([name]) => name)).toEqual(['findForRun']);
    });

    it('stops at once when another driver holds the lease', async () => {
      bulks.leased = false;
      bulks.claims = [recipient(1)];
      await sut.run(CLIENT, BULK);
      expect(bulks.calls.map(([name]) => name)).toEqual(['findForRun', 'lease', 'releaseLease']);
      expect(sender.deliveries).toEqual([]);
    });

    it('sends every recipient in turn, records each sent, completes the bulk and gives the lease back', async () => {
      bulks.claims = [recipient(1), recipient(2), undefined];
      sender.outcomes = [501, 502];
      await sut.run(CLIENT, BULK);
      expect(bulks.writes()).toEqual([
        ['finish', CLIENT, 1n, 'sent', 501n, null],
        ['finish', CLIENT, 2n, 'sent', 502n, null],
        ['complete', CLIENT, BULK],
      ]);
      expect(bulks.calls.map(([name]) => name)).toEqual([
        'findForRun',
        'lease',
        'markStarted',
        'claim',
        'finish',
        'claim',
        'finish',
        'claim',
        'complete',
        'releaseLease',
      ]);
    });

    it('renders each recipient’s text at send time and sends it to the recipient through the instance', async () => {
      bulks.claims = [recipient(1), undefined];
      await sut.run(CLIENT, BULK);
      const [d] = sender.deliveries;
      await d!.send('254700000001');
      expect(sentTexts).toEqual([
        ['shop', { kind: 'instance', instanceId: 'i-1' }, { number: '254700000001', text: 'Hi n1' }],
      ]);
      expect(d).toMatchObject({
        source: 'bulk',
        messageType: 'text',
        bulkId: BULK,
        bulkRecipientId: 1n,
        maxWaitMs: 8000,
        recipient: { value: '254700000001', kind: 'phone' },
        interruptedMessageId: undefined,
      });
    });

    it('paces by the bulk’s delay when it is longer than the client’s interval, never shorter', async () => {
      bulks.found = bulk({ delayMs: 5000 });
      bulks.claims = [recipient(1), undefined];
      await sut.run(CLIENT, BULK);
      bulks.found = bulk({ delayMs: 200 });
      bulks.claims = [recipient(2), undefined];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries.map((d) => d.limits.sendIntervalMs)).toEqual([5000, 1500]);
      expect(sender.deliveries[0]!.limits).toMatchObject({ dailyCap: 1000, pacingOverride: false });
    });

    it('sends to a group id as a group', async () => {
      bulks.claims = [recipient(1, { number: '120363000000000000@g.us' }), undefined];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries[0]!.recipient).toEqual({ value: '120363000000000000@g.us', kind: 'group' });
    });

    it('sends an interrupted attempt again under its queued log row, and only a queued one', async () => {
      bulks.claims = [
        recipient(1, { messageId: 41n, logged: { status: 'queued', upstreamMessageId: null } }),
        recipient(2, { messageId: 42n, logged: { status: 'failed', upstreamMessageId: null } }),
        undefined,
      ];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries.map((d) => d.interruptedMessageId)).toEqual([41n, undefined]);
    });

    it('records as sent, without sending again, a recipient the upstream had already accepted', async () => {
      bulks.claims = [
        recipient(1, { messageId: 41n, logged: { status: 'queued', upstreamMessageId: 'WA-41' } }),
        undefined,
      ];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries).toEqual([]);
      expect(bulks.writes()[0]).toEqual(['finish', CLIENT, 1n, 'sent', null, null]);
    });

    it('fails, without sending, a recipient whose variables no longer fill the template', async () => {
      bulks.claims = [recipient(1, { variables: { other: 'x' } }), recipient(2), undefined];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries).toHaveLength(1);
      expect(bulks.writes()[0]).toEqual([
        'finish',
        CLIENT,
        1n,
        'failed',
        null,
        'variables.name: is missing for this recipient',
      ]);
    });

    it('does not complete a bulk whose claim says stop (paused, cancelled or taken over)', async () => {
      bulks.claims = ['stop'];
      await sut.run(CLIENT, BULK);
      expect(bulks.writes()).toEqual([]);
      expect(bulks.calls.at(-1)).toEqual(['releaseLease', CLIENT, BULK]);
    });

    it('finishes the recipient in hand and hands the bulk back when the process stops', async () => {
      bulks.claims = [recipient(1), recipient(2), undefined];
      sender.deliver = (d: Delivery) => {
        sut.stop();
        sender.deliveries.push(d);
        return Promise.resolve({ id: '9' });
      };
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries).toHaveLength(1);
      expect(bulks.writes()).toEqual([['finish', CLIENT, 1n, 'sent', 9n, null]]);
      expect(bulks.calls.at(-1)).toEqual(['releaseLease', CLIENT, BULK]);
    });
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

  describe('resumeAfterCap', () => {
    it('resumes and re-drives a bulk the daily cap paused', async () => {
      bulks.found = bulk({ status: 'paused', pauseReason: `${DAILY_CAP_REASON}; resumes at 2026-12-01T00:00:00.000Z` });
      await sut.resumeAfterCap(CLIENT, BULK);
      expect(bulks.writes()).toEqual([['transition', CLIENT, BULK, ['paused'], 'running']]);
      expect(queue.driven).toEqual([[CLIENT, BULK]]);
    });

    it('does not re-drive when the bulk left paused meanwhile', async () => {
      bulks.found = bulk({ status: 'paused', pauseReason: DAILY_CAP_REASON });
      bulks.transitions = false;
      await sut.resumeAfterCap(CLIENT, BULK);
      expect(queue.driven).toEqual([]);
    });

    it.each([
      ['paused for a disconnection', { status: 'paused', pauseReason: DISCONNECTED_REASON }],
      ['paused by its client', { status: 'paused', pauseReason: null }],
      ['running', { status: 'running', pauseReason: DAILY_CAP_REASON }],
    ] as const)('leaves alone a bulk %s', async (_, state) => {
      bulks.found = bulk(state);
      await sut.resumeAfterCap(CLIENT, BULK);
      expect(bulks.writes()).toEqual([]);
      expect(queue.driven).toEqual([]);
    });
  });

  it('re-drives every active bulk and says how many', async () => {
    await expect(sut.redriveActive()).resolves.toBe(2);
    expect(queue.driven).toEqual([
      [1, 'b-1'],
      [2, 'b-2'],
    ]);
  });
});

import { RateLimitedError } from '@/common/errors/app-error';
import { RedisService } from '@/common/redis/redis.service';
import { DailyCapCheck } from './daily-cap.service';
import {
  BAILEYS_MIN_INTERVAL_MS,
  InstancePacerService,
  PACING_SAFETY_MS,
  pacingFor,
  PacingSettings,
} from './instance-pacer.service';

const sleeps: number[] = [];
jest.mock('node:timers/promises', () => ({
  setTimeout: (ms: number) => {
    sleeps.push(ms);
    return Promise.resolve();
  },
}));

type Eval = (script: string, numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

/** A Redis whose scripts answer from a list, recording what each call was given. */
function fakeRedis(answers: unknown[]): { redis: RedisService; calls: (string | number)[][] } {
  const calls: (string | number)[][] = [];
  const evaluate: Eval = (_script, numKeys, ...args) => {
    calls.push([numKeys, ...args]);
    if (answers.length === 0) throw new Error('no scripted answer left');
    return Promise.resolve(answers.shift());
  };
  const redis = { key: (...parts: (string | number)[]) => ['p', ...parts].join(':'), client: { eval: evaluate } };
  return { redis: redis as unknown as RedisService, calls };
}

const UNPACED: PacingSettings = { sendIntervalMs: 0, jitterMinMs: 0, jitterMaxMs: 0 };
const SECOND: PacingSettings = { sendIntervalMs: 1000, jitterMinMs: 0, jitterMaxMs: 0 };

/** The gap (ARGV[4]) of an admit call as recorded: numKeys, 2 keys, cap, ttl, seed, gap, maxWait, delay. */
const gapOf = (call: (string | number)[]) => call[6];

function cap(overrides: Partial<DailyCapCheck> = {}): DailyCapCheck & { loads: number } {
  const check = {
    key: 'p:cap:i-1:2026-11-30',
    limit: 250,
    ttlSeconds: 172800,
    loads: 0,
    loadSentToday: () => {
      check.loads += 1;
      return Promise.resolve(17);
    },
    reached: () => new RateLimitedError('cap reached', 60, 'DAILY_CAP_REACHED'),
    ...overrides,
  };
  return check;
}

beforeEach(() => {
  sleeps.length = 0;
});

describe('pacingFor', () => {
  const limits = (sendIntervalMs: number, pacingOverride = false) => ({
    sendIntervalMs,
    jitterMinMs: 200,
    jitterMaxMs: 700,
    pacingOverride,
  });

  it.each([0, 1, 500, 999])('raises a WhatsApp Web interval of %i ms to one message a second', (interval) => {
    expect(pacingFor(limits(interval), 'WHATSAPP-BAILEYS')).toEqual({
      sendIntervalMs: BAILEYS_MIN_INTERVAL_MS,
      jitterMinMs: 200,
      jitterMaxMs: 700,
    });
  });

  it('keeps a WhatsApp Web interval at or above the floor', () => {
    expect(pacingFor(limits(1000), 'WHATSAPP-BAILEYS').sendIntervalMs).toBe(1000);
    expect(pacingFor(limits(2500), 'WHATSAPP-BAILEYS').sendIntervalMs).toBe(2500);
  });

  it('lets the operator’s override go below the floor on WhatsApp Web', () => {
    expect(pacingFor(limits(200, true), 'WHATSAPP-BAILEYS').sendIntervalMs).toBe(200);
    expect(pacingFor(limits(0, true), 'WHATSAPP-BAILEYS').sendIntervalMs).toBe(0);
  });

  it('puts no floor on other integrations, and never passes the override flag on', () => {
    expect(pacingFor(limits(0), 'WHATSAPP-BUSINESS')).toEqual({
      sendIntervalMs: 0,
      jitterMinMs: 200,
      jitterMaxMs: 700,
    });
    expect(pacingFor(limits(300), 'EVOLUTION').sendIntervalMs).toBe(300);
    // The integration name is matched exactly.
    expect(pacingFor(limits(300), 'whatsapp-baileys').sendIntervalMs).toBe(300);
  });
});

describe(`${InstancePacerService.name}.admit`, () => {
  it('asks for no gap when the client is not paced, and takes no cap unit without a cap', async () => {
    const { redis, calls } = fakeRedis([[1000, 0]]);
    await new InstancePacerService(redis).admit('i-1', UNPACED, 8000, null);
    expect(calls).toEqual([[2, 'p:cap:none', 'p:pace:i-1', 0, 0, '-', 0, 8000, 0]]);
  });

  it('spaces slots by the interval plus the safety margin', async () => {
    const { redis, calls } = fakeRedis([[1, 0]]);
    await new InstancePacerService(redis).admit('i-1', SECOND, 8000, null, 2500);
    expect(calls[0]).toEqual([2, 'p:cap:none', 'p:pace:i-1', 0, 0, '-', 1000 + PACING_SAFETY_MS, 8000, 2500]);
  });

  it('adds a fixed jitter when its bounds are equal, or when the maximum is below the minimum', async () => {
    const { redis, calls } = fakeRedis([
      [1, 0],
      [1, 0],
    ]);
    const sut = new InstancePacerService(redis);
    await sut.admit('i-1', { sendIntervalMs: 1000, jitterMinMs: 300, jitterMaxMs: 300 }, 8000, null);
    await sut.admit('i-1', { sendIntervalMs: 1000, jitterMinMs: 300, jitterMaxMs: 100 }, 8000, null);
    expect(calls.map(gapOf)).toEqual([1000 + 300 + PACING_SAFETY_MS, 1000 + 300 + PACING_SAFETY_MS]);
  });

  it('draws the jitter between its bounds, both included, and paces on jitter alone', async () => {
    const runs = 400;
    const { redis, calls } = fakeRedis(Array.from({ length: runs }, () => [1, 0]));
    const sut = new InstancePacerService(redis);
    for (let i = 0; i < runs; i++)
      await sut.admit('i-1', { sendIntervalMs: 0, jitterMinMs: 10, jitterMaxMs: 13 }, 0, null);
    const jitters = new Set(calls.map((c) => Number(gapOf(c)) - PACING_SAFETY_MS));
    // 4 values, 400 draws: missing one by chance has a probability of about 4 * 0.75^400.
    expect([...jitters].sort()).toEqual([10, 11, 12, 13]);
  });

  it('passes the cap and asks for the day’s count only when Redis has none, then seeds with it', async () => {
    const check = cap();
    const { redis, calls } = fakeRedis([
      [-2, 0],
      [5000, 0],
    ]);
    await new InstancePacerService(redis).admit('i-1', SECOND, 8000, check);
    expect(check.loads).toBe(1);
    expect(calls.map((c) => c.slice(1, 6))).toEqual([
      [check.key, 'p:pace:i-1', 250, 172800, ''],
      [check.key, 'p:pace:i-1', 250, 172800, '17'],
    ]);
  });

  it('does not load the day’s count when Redis has it', async () => {
    const check = cap();
    const { redis, calls } = fakeRedis([[5000, 0]]);
    await new InstancePacerService(redis).admit('i-1', SECOND, 8000, check);
    expect(check.loads).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it('throws the cap’s own error when the cap is reached', async () => {
    const reached = new RateLimitedError('cap of 250 reached', 3600, 'DAILY_CAP_REACHED');
    const { redis } = fakeRedis([[-1, 0]]);
    await expect(
      new InstancePacerService(redis).admit('i-1', SECOND, 8000, cap({ reached: () => reached })),
    ).rejects.toBe(reached);
  });

  it('refuses a slot further away than the caller may wait, with a Retry-After rounded up', async () => {
    const { redis } = fakeRedis([[-3, 12300]]);
    const err = await new InstancePacerService(redis).admit('i-1', SECOND, 8000, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({
      status: 429,
      code: 'INSTANCE_PACING',
      retryAfterSeconds: 12.3,
      headers: { 'Retry-After': '13' },
    });
    expect((err as Error).message).toMatch(/next free slot is 13 seconds away/);
  });

  it('returns when the send should leave: now plus the wait the script computed', async () => {
    const { redis } = fakeRedis([[99999, 1500]]);
    const before = Date.now();
    const leaves = await new InstancePacerService(redis).admit('i-1', SECOND, 8000, null);
    expect(leaves).toBeGreaterThanOrEqual(before + 1500);
    expect(leaves).toBeLessThanOrEqual(Date.now() + 1500);
  });
});

describe(`${InstancePacerService.name}.depart`, () => {
  it('does nothing for an instance without an interval', async () => {
    const { redis, calls } = fakeRedis([]);
    await new InstancePacerService(redis).depart('i-1', { sendIntervalMs: 0, jitterMinMs: 0, jitterMaxMs: 500 });
    expect(calls).toEqual([]);
    expect(sleeps).toEqual([]);
  });

  it('checks the interval plus the safety margin against the previous departure, and goes when it has passed', async () => {
    const { redis, calls } = fakeRedis([0]);
    await new InstancePacerService(redis).depart('i-1', SECOND, 700);
    expect(calls).toEqual([[1, 'p:pace:i-1:departed', 1000 + PACING_SAFETY_MS, 700]]);
    expect(sleeps).toEqual([]);
  });

  it('sleeps as long as the script says and checks again until it may go', async () => {
    const { redis, calls } = fakeRedis([40, 5, -3]);
    await new InstancePacerService(redis).depart('i-1', SECOND);
    expect(sleeps).toEqual([40, 5]);
    expect(calls).toHaveLength(3);
  });
});

import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@/common/redis/redis.service';
import { UpstreamPool } from '@/modules/upstreams/upstream-pool.service';
import { HealthRepository } from './health.repository';

/** Each dependency gets this long; readiness answers within about a second even when one hangs. */
export const READY_CHECK_TIMEOUT_MS = 800;

export interface CheckResult {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

/** One upstream of the pool: its answer to this check, its load, and its circuit in this process. */
export interface UpstreamCheckResult extends CheckResult {
  name: string;
  instances: number;
  capacity: number;
  draining: boolean;
  circuit: 'up' | 'down';
}

export interface Readiness {
  ready: boolean;
  /** `upstream` is up while at least one upstream answers: the others' instances fail alone, not the gateway. */
  checks: { database: CheckResult; redis: CheckResult; upstream: CheckResult };
  upstreams: UpstreamCheckResult[];
}

@Injectable()
export class HealthService {
  constructor(
    private readonly database: HealthRepository,
    private readonly redis: RedisService,
    private readonly pool: UpstreamPool,
  ) {}

  async readiness(): Promise<Readiness> {
    const [database, redis, upstreams] = await Promise.all([
      check('database', () => this.database.ping()),
      check('redis', () => this.redis.ping()),
      this.upstreamChecks(),
    ]);
    const answering = upstreams.filter((u) => u.status === 'up');
    const upstream: CheckResult =
      answering.length > 0
        ? { status: 'up', latency_ms: Math.min(...answering.map((u) => u.latency_ms)) }
        : { status: 'down', latency_ms: Math.max(0, ...upstreams.map((u) => u.latency_ms)), error: DOWN.upstream! };
    return {
      ready: [database, redis, upstream].every((c) => c.status === 'up'),
      checks: { database, redis, upstream },
      upstreams,
    };
  }

  /**
   * Every upstream's answer is kept for UPSTREAM_CHECK_TTL_MS (and shared by the probes that ask meanwhile):
   * readiness is unauthenticated, and must not let anyone make the gateway call the upstreams at the rate they probe
   * it. The pool is the one this process knows, so readiness answers without the database.
   */
  private upstreamChecks(): Promise<UpstreamCheckResult[]> {
    const now = Date.now();
    if (!this.upstream || this.upstream.at + UPSTREAM_CHECK_TTL_MS <= now) {
      const result = Promise.all(
        this.pool.cachedStatuses().map(async (u) => ({
          name: u.name,
          ...(await check('upstream', () => this.pool.ping(u.id, READY_CHECK_TIMEOUT_MS))),
          instances: u.liveInstances,
          capacity: u.capacity,
          draining: u.draining,
          circuit: u.health.state,
        })),
      );
      this.upstream = { at: now, result };
    }
    return this.upstream.result;
  }

  private upstream?: { at: number; result: Promise<UpstreamCheckResult[]> };
}

export const UPSTREAM_CHECK_TTL_MS = 5000;

const logger = new Logger(HealthService.name);

/** What a failed check says: plain words; the driver's text (hosts, ports, internals) goes to the log only. */
const DOWN: Record<string, string> = {
  database: 'the database does not answer',
  redis: 'Redis does not answer',
  upstream: 'no WhatsApp server (upstream) answers',
};

async function check(name: keyof typeof DOWN, probe: () => Promise<unknown>): Promise<CheckResult> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)),
      READY_CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([probe(), deadline]);
    return { status: 'up', latency_ms: Date.now() - started };
  } catch (err) {
    logger.warn({ check: name, err: err instanceof Error ? err.message : String(err) }, 'Readiness check failed');
    return { status: 'down', latency_ms: Date.now() - started, error: DOWN[name]! };
  } finally {
    clearTimeout(timer);
  }
}

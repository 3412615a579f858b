import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@/common/redis/redis.service';
import { EvolutionClient } from '@/integrations/evolution/evolution.client';
import { HealthRepository } from './health.repository';

/** Each dependency gets this long; readiness answers within about a second even when one hangs. */
export const READY_CHECK_TIMEOUT_MS = 800;

export interface CheckResult {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; redis: CheckResult; upstream: CheckResult };
}

@Injectable()
export class HealthService {
  constructor(
    private readonly database: HealthRepository,
    private readonly redis: RedisService,
    private readonly evolution: EvolutionClient,
  ) {}

  async readiness(): Promise<Readiness> {
    const [database, redis, upstream] = await Promise.all([
      check('database', () => this.database.ping()),
      check('redis', () => this.redis.ping()),
      this.upstreamCheck(),
    ]);
    return {
      ready: [database, redis, upstream].every((c) => c.status === 'up'),
      checks: { database, redis, upstream },
    };
  }

  /**
   * The upstream's answer is kept for UPSTREAM_CHECK_TTL_MS (and shared by the probes that ask meanwhile): readiness
   * is unauthenticated, and must not let anyone make the gateway call the upstream at the rate they probe it.
   */
  private upstreamCheck(): Promise<CheckResult> {
    const now = Date.now();
    if (!this.upstream || this.upstream.at + UPSTREAM_CHECK_TTL_MS <= now) {
      this.upstream = { at: now, result: check('upstream', () => this.evolution.ping(READY_CHECK_TIMEOUT_MS)) };
    }
    return this.upstream.result;
  }

  private upstream?: { at: number; result: Promise<CheckResult> };
}

export const UPSTREAM_CHECK_TTL_MS = 5000;

const logger = new Logger(HealthService.name);

/** What a failed check says: plain words; the driver's text (hosts, ports, internals) goes to the log only. */
const DOWN: Record<string, string> = {
  database: 'the database does not answer',
  redis: 'Redis does not answer',
  upstream: 'the WhatsApp server does not answer',
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

import { Injectable } from '@nestjs/common';
import { RateLimitedError } from '@/common/errors/app-error';
import { RedisService } from '@/common/redis/redis.service';

const WINDOW_MS = 60_000;

/** INCR the window's counter, start its expiry on the first hit, and return the count and the time left. */
const CONSUME = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {count, ttl}
`;

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(state.resetSeconds),
  };
}

/**
 * The client's `rate_limit` requests per minute, counted in Redis so every API process shares one budget.
 * A fixed one-minute window: simple, and at worst lets 2× the limit through around a window's edge.
 */
@Injectable()
export class RequestRateLimitService {
  constructor(private readonly redis: RedisService) {}

  async consume(clientId: number, limit: number): Promise<RateLimitState> {
    const window = Math.floor(Date.now() / WINDOW_MS);
    const key = this.redis.key('rate', clientId, window);
    const [count, ttl] = (await this.redis.client.eval(CONSUME, 1, key, WINDOW_MS)) as [number, number];
    const state = { limit, remaining: Math.max(0, limit - count), resetSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
    if (count > limit) {
      throw new RateLimitedError(
        `Rate limit exceeded: ${limit} requests per minute; retry in ${state.resetSeconds} seconds`,
        state.resetSeconds,
        'RATE_LIMITED',
        rateLimitHeaders(state),
      );
    }
    return state;
  }
}

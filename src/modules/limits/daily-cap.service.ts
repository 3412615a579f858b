import { Injectable } from '@nestjs/common';
import { RateLimitedError } from '@/common/errors/app-error';
import { RedisService } from '@/common/redis/redis.service';

/**
 * Takes one unit of the day's cap. A missing key answers -2 so the caller can seed it from Postgres (after a Redis
 * loss the day's count is not forgotten); a full cap answers -1.
 */
const TAKE = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[3] == '' then return -2 end
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[2], 'NX')
end
local used = tonumber(redis.call('GET', KEYS[1]))
if used >= tonumber(ARGV[1]) then return -1 end
return redis.call('INCR', KEYS[1])
`;

/** Source of the day's count when Redis has none. */
export type SentTodayLoader = () => Promise<number>;

/** The per-instance daily cap of the reference's best practices (client's `daily_cap`), days in UTC. */
@Injectable()
export class DailyCapService {
  constructor(private readonly redis: RedisService) {}

  async take(instanceId: string, cap: number, loadSentToday: SentTodayLoader, now = new Date()): Promise<void> {
    const key = this.key(instanceId, now);
    const ttl = 2 * 24 * 3600;
    let result = (await this.redis.client.eval(TAKE, 1, key, cap, ttl, '')) as number;
    if (result === -2) result = (await this.redis.client.eval(TAKE, 1, key, cap, ttl, await loadSentToday())) as number;
    if (result === -1) {
      const frees = nextUtcMidnight(now);
      throw new RateLimitedError(
        `Daily cap of ${cap} messages reached for this instance; it frees at ${frees.toISOString()}`,
        (frees.getTime() - now.getTime()) / 1000,
        'DAILY_CAP_REACHED',
      );
    }
  }

  /** Gives a unit back when the message never reached WhatsApp. */
  async giveBack(instanceId: string, now = new Date()): Promise<void> {
    const key = this.key(instanceId, now);
    await this.redis.client.eval(`if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0`, 1, key);
  }

  private key(instanceId: string, now: Date): string {
    return this.redis.key('cap', instanceId, now.toISOString().slice(0, 10));
  }
}

export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

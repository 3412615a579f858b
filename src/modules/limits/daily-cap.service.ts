import { Injectable } from '@nestjs/common';
import { RateLimitedError } from '@/common/errors/app-error';
import { RedisService } from '@/common/redis/redis.service';

/** Source of the day's count when Redis has none. */
export type SentTodayLoader = () => Promise<number>;

/** What a send's admission needs to take a unit of the instance's cap in the same Redis script as its pacing slot. */
export interface DailyCapCheck {
  key: string;
  limit: number;
  ttlSeconds: number;
  /** Seeds the day's count from Postgres when Redis has none (after a Redis loss the day is not forgotten). */
  loadSentToday: SentTodayLoader;
  reached: () => RateLimitedError;
}

/** The per-instance daily cap of the reference's best practices (client's `daily_cap`), days in UTC. */
@Injectable()
export class DailyCapService {
  constructor(private readonly redis: RedisService) {}

  /** The cap as the pacer's admission script takes it (InstancePacerService.admit). */
  check(instanceId: string, cap: number, loadSentToday: SentTodayLoader, now = new Date()): DailyCapCheck {
    return {
      key: this.key(instanceId, now),
      limit: cap,
      ttlSeconds: 2 * 24 * 3600,
      loadSentToday,
      reached: () => {
        const frees = nextUtcMidnight(now);
        return new RateLimitedError(
          `Daily cap of ${cap} messages reached for this instance; it frees at ${frees.toISOString()}`,
          (frees.getTime() - now.getTime()) / 1000,
          'DAILY_CAP_REACHED',
        );
      },
    };
  }

  /** Gives a unit back when the message never reached WhatsApp. */
  async giveBack(instanceId: string, now = new Date()): Promise<void> {
    const key = this.key(instanceId, now);
    await this.redis.client.eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0`,
      1,
      key,
    );
  }

  private key(instanceId: string, now: Date): string {
    return this.redis.key('cap', instanceId, now.toISOString().slice(0, 10));
  }
}

export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

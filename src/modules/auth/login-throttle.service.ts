import { Injectable } from '@nestjs/common';
import { RateLimitedError } from '@/common/errors/app-error';
import { RedisService } from '@/common/redis/redis.service';

/** Failed logins allowed per username and per address inside the window before further attempts get 429. */
export const LOGIN_MAX_FAILURES_PER_USERNAME = 5;
export const LOGIN_MAX_FAILURES_PER_ADDRESS = 20;
export const LOGIN_WINDOW_SECONDS = 15 * 60;

/** Counts failed admin logins in Redis so every API replica sees the same counts. */
@Injectable()
export class LoginThrottleService {
  constructor(private readonly redis: RedisService) {}

  async assertAllowed(username: string, address: string): Promise<void> {
    const keys = this.keys(username, address);
    const counts = await this.redis.client.mget(...keys);
    const limits = [LOGIN_MAX_FAILURES_PER_USERNAME, LOGIN_MAX_FAILURES_PER_ADDRESS];
    const blocked = keys.filter((_, i) => Number(counts[i] ?? 0) >= limits[i]!);
    if (blocked.length === 0) return;
    const wait = Math.max(1, ...(await Promise.all(blocked.map((key) => this.redis.client.ttl(key)))));
    throw new RateLimitedError(`Too many failed login attempts; try again in ${wait} seconds`, wait, 'LOGIN_THROTTLED');
  }

  async recordFailure(username: string, address: string): Promise<void> {
    const pipeline = this.redis.client.multi();
    for (const key of this.keys(username, address)) pipeline.incr(key).expire(key, LOGIN_WINDOW_SECONDS, 'NX');
    await pipeline.exec();
  }

  async recordSuccess(username: string, address: string): Promise<void> {
    await this.redis.client.del(this.keys(username, address)[0]);
  }

  private keys(username: string, address: string): [string, string] {
    return [this.redis.key('login-failures', 'user', username.toLowerCase()), this.redis.key('login-failures', 'addr', address)];
  }
}

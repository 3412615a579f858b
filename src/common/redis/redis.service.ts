import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '@/config/app-config';

/**
 * The shared Redis connection for limits, pacing and short-lived caches. Keys go through `key()` so that every
 * install (and every test file) stays inside its own prefix.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis;
  /** Fails fast instead of queueing while Redis is down, so readiness answers within its deadline. */
  private readonly probe: Redis;
  private lastErrorLog = 0;

  constructor(private readonly config: AppConfig) {
    const url = config.get('REDIS_URL');
    this.client = new Redis(url, { maxRetriesPerRequest: 2, connectionName: 'nm-app' });
    this.probe = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectionName: 'nm-probe' });
    for (const conn of [this.client, this.probe]) conn.on('error', (err: Error) => this.logConnectionError(err));
  }

  key(...parts: (string | number)[]): string {
    return [this.config.get('REDIS_KEY_PREFIX'), ...parts].join(':');
  }

  async ping(): Promise<void> {
    await this.probe.ping();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([this.client.quit(), this.probe.quit()]);
  }

  /** ioredis reports every failed reconnect; one line per 10 s is enough while Redis is down. */
  private logConnectionError(err: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 10000) return;
    this.lastErrorLog = now;
    this.logger.warn({ err: err.message }, 'Redis connection error');
  }
}

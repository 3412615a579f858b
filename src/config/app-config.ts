import { Injectable } from '@nestjs/common';
import { EnvSchema } from './env.schema';

/** Typed, validated configuration. Built once at boot from `validateEnv()`; injected everywhere else. */
@Injectable()
export class AppConfig {
  constructor(private readonly env: EnvSchema) {}

  get<K extends keyof EnvSchema>(key: K): EnvSchema[K] {
    return this.env[key];
  }

  get encryptionKey(): Buffer {
    return Buffer.from(this.env.ENCRYPTION_KEY, 'hex');
  }

  get publicUrl(): string {
    return this.env.PUBLIC_URL.replace(/\/+$/, '');
  }

  get evolutionUrl(): string {
    return this.env.EVOLUTION_API_URL.replace(/\/+$/, '');
  }

  /** Fastify's trustProxy option from TRUST_PROXY. */
  get trustProxy(): boolean | number | string[] {
    const value = this.env.TRUST_PROXY;
    if (value === 'true' || value === 'false') return value === 'true';
    if (/^\d+$/.test(value)) return Number(value);
    return value.split(',');
  }

  /** WEBHOOK_RETRY_SCHEDULE in milliseconds. */
  get webhookRetryDelaysMs(): number[] {
    const unit: Record<string, number> = { ms: 1, s: 1000, m: 60000, h: 3600000 };
    return this.env.WEBHOOK_RETRY_SCHEDULE.split(',').map((part) => {
      const [, value, suffix] = /(\d+)(ms|s|m|h)/.exec(part.trim())!;
      return Number(value) * unit[suffix!]!;
    });
  }

  /**
   * The longest a v1 send request can run: its pacing wait, fetching its media (a timeout per redirect hop), and the
   * upstream call with one auto-heal retry, plus room for the database. A request older than this has ended (or its
   * process has).
   */
  get sendRequestDeadlineMs(): number {
    return this.env.SEND_MAX_WAIT_MS + 4 * this.env.WEBHOOK_TIMEOUT_MS + 2 * this.env.EVOLUTION_TIMEOUT_MS + 30000;
  }

  /** BullMQ keys live under the install's prefix too. */
  get queuePrefix(): string {
    return `${this.env.REDIS_KEY_PREFIX}:bull`;
  }

  /** Connection options for BullMQ (workers need maxRetriesPerRequest: null). */
  get queueConnection(): { url: string; maxRetriesPerRequest: null } {
    return { url: this.env.REDIS_URL, maxRetriesPerRequest: null };
  }
}

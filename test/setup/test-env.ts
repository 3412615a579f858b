import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { EnvSchema, validateEnv } from '@/config/env.schema';
import { createTestDatabase } from './test-database';

export const TEST_GLOBAL_KEY = 'test-global-key-0123456789';
export const TEST_ADMIN = { username: 'admin', password: 'admin-password-123' };
export const TEST_MASTER_KEY = 'nm_master_test_0123456789abcdef0123456789abcdef';

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** Raw variables as an operator would set them, for tests that validate or spawn. */
export function rawTestEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    APP_ROLE: 'all',
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/unused',
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}`,
    EVOLUTION_API_URL: 'http://127.0.0.1:9',
    EVOLUTION_API_KEY: TEST_GLOBAL_KEY,
    EVOLUTION_TIMEOUT_MS: '5000',
    PUBLIC_URL: 'http://127.0.0.1:9',
    JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
    ENCRYPTION_KEY: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
    ADMIN_USERNAME: TEST_ADMIN.username,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    MASTER_API_KEY: TEST_MASTER_KEY,
    DEFAULT_COUNTRY: 'KE',
    LOG_LEVEL: 'silent',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...overrides,
  };
}

export interface IsolatedEnv {
  env: EnvSchema;
  /** Drops the database and deletes the Redis keys of this environment. */
  cleanup: () => Promise<void>;
}

/**
 * An environment with its own database (cloned from the migrated template) and its own Redis key prefix,
 * so test files run in parallel without seeing each other's rows, queues or counters.
 */
export async function isolatedEnv(overrides: Record<string, string | undefined> = {}): Promise<IsolatedEnv> {
  const db = await createTestDatabase();
  const env = validateEnv(rawTestEnv({ DATABASE_URL: db.url, ...overrides }));
  return {
    env,
    cleanup: async () => {
      await db.drop();
      await deleteRedisPrefix(env.REDIS_KEY_PREFIX);
    },
  };
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rawTestEnv } from '../../test/setup/test-env';
import { ConfigError, MAX_NUMBERS_PER_CHECK, validateEnv } from './env.schema';
import { loadOrCreateSecretsFile } from './secrets';

describe(validateEnv.name, () => {
  it('applies the documented defaults', () => {
    const env = validateEnv(
      rawTestEnv({
        PORT: undefined,
        APP_ROLE: undefined,
        DEFAULT_COUNTRY: undefined,
        LOG_LEVEL: '',
        REDIS_URL: undefined,
      }),
    );
    expect(env.PORT).toBe(3000);
    expect(env.APP_ROLE).toBe('all');
    expect(env.DEFAULT_COUNTRY).toBe('KE');
    expect(env.LOG_LEVEL).toBe('info');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('converts numbers and upper-cases the country', () => {
    const env = validateEnv(rawTestEnv({ PORT: '8080', EVOLUTION_TIMEOUT_MS: '1500', DEFAULT_COUNTRY: 'ug' }));
    expect(env.PORT).toBe(8080);
    expect(env.EVOLUTION_TIMEOUT_MS).toBe(1500);
    expect(env.DEFAULT_COUNTRY).toBe('UG');
  });

  it('names every bad or missing variable with its reason in one error', () => {
    let error: unknown;
    try {
      validateEnv(
        rawTestEnv({
          DATABASE_URL: undefined,
          ENCRYPTION_KEY: 'abc',
          APP_ROLE: 'both',
          PORT: 'eighty',
          DEFAULT_COUNTRY: 'XX',
          JWT_SECRET: 'short',
        }),
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^DATABASE_URL: is required; must be a postgresql:\/\/ connection URL$/m);
    expect(problems).toMatch(/^ENCRYPTION_KEY: must be 32 bytes written as 64 hex characters$/m);
    expect(problems).toMatch(/^APP_ROLE: must be one of api, worker, all$/m);
    expect(problems).toMatch(/^PORT: /m);
    expect(problems).toMatch(/^DEFAULT_COUNTRY: XX is not a country/m);
    expect(problems).toMatch(/^JWT_SECRET: must be at least 32 characters$/m);
    expect((error as ConfigError).problems).toHaveLength(6);
  });

  it('keeps NUMBER_CHECK_PER_MINUTE at or above the most numbers one check takes, so every check can be answered', () => {
    expect(validateEnv(rawTestEnv({ NUMBER_CHECK_PER_MINUTE: undefined })).NUMBER_CHECK_PER_MINUTE).toBe(
      MAX_NUMBERS_PER_CHECK,
    );
    expect(validateEnv(rawTestEnv({ NUMBER_CHECK_PER_MINUTE: '2000' })).NUMBER_CHECK_PER_MINUTE).toBe(2000);
    expect(() => validateEnv(rawTestEnv({ NUMBER_CHECK_PER_MINUTE: '300' }))).toThrow(
      /NUMBER_CHECK_PER_MINUTE: must be at least 500, the most numbers one check-numbers request takes/,
    );
  });

  it('treats MASTER_API_KEY as optional but checks it when set', () => {
    expect(validateEnv(rawTestEnv({ MASTER_API_KEY: undefined })).MASTER_API_KEY).toBeUndefined();
    expect(() => validateEnv(rawTestEnv({ MASTER_API_KEY: 'too-short' }))).toThrow(
      /MASTER_API_KEY: must be at least 32 characters/,
    );
  });

  it('refuses published, placeholder and patterned secrets, naming each variable', () => {
    let error: unknown;
    try {
      validateEnv(
        rawTestEnv({
          JWT_SECRET: 'change-me-to-a-long-random-secret-of-32-chars-or-more',
          ENCRYPTION_KEY: '0'.repeat(64),
          ADMIN_PASSWORD: 'change-me-admin-password',
          EVOLUTION_API_KEY: 'change-me-evolution-global-key',
          MASTER_API_KEY: 'x'.repeat(40),
        }),
      );
    } catch (err) {
      error = err;
    }
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'JWT_SECRET',
      'ENCRYPTION_KEY',
      'ADMIN_PASSWORD',
      'EVOLUTION_API_KEY',
      'MASTER_API_KEY',
    ]);
    expect(problems[0]).toMatch(/^JWT_SECRET: is a published example value; set a random value/);
    expect(problems[1]).toMatch(/^ENCRYPTION_KEY: repeats one short pattern/);
  });

  it('takes unset secrets from SECRETS_FILE, and names the file when it cannot be read', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nm-env-'));
    try {
      const file = path.join(dir, 'gateway.env');
      const { values } = loadOrCreateSecretsFile(file);
      const unset = {
        JWT_SECRET: undefined,
        ENCRYPTION_KEY: undefined,
        ADMIN_PASSWORD: undefined,
        EVOLUTION_API_KEY: undefined,
      };
      const env = validateEnv(rawTestEnv({ ...unset, SECRETS_FILE: file }));
      expect([env.JWT_SECRET, env.ENCRYPTION_KEY, env.ADMIN_PASSWORD, env.EVOLUTION_API_KEY]).toEqual([
        values.JWT_SECRET,
        values.ENCRYPTION_KEY,
        values.ADMIN_PASSWORD,
        values.EVOLUTION_API_KEY,
      ]);
      expect(() => validateEnv(rawTestEnv({ ...unset, SECRETS_FILE: path.join(dir, 'missing.env') }))).toThrow(
        /SECRETS_FILE: cannot read .*missing\.env \(ENOENT\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

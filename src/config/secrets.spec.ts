import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadOrCreateSecretsFile, parseSecretsFile, weakSecretReason, withSecretsFile } from './secrets';

describe(weakSecretReason.name, () => {
  it.each([
    ['change-me-to-a-long-random-secret-of-32-chars-or-more', 'is a published example value'],
    ['0'.repeat(64), 'repeats one short pattern and is easy to guess'],
    ['0123456789abcdef'.repeat(4), 'repeats one short pattern and is easy to guess'],
    ['ab'.repeat(20), 'repeats one short pattern and is easy to guess'],
    ['my-ChangeMe-password-2026', 'is a placeholder'],
    ['sim-global-key', 'is a published example value'],
  ])('refuses %s', (value, reason) => {
    expect(weakSecretReason(value)).toBe(reason);
  });

  it('accepts random values', () => {
    expect(weakSecretReason('3f9c1e0b7a6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b')).toBeNull();
    expect(weakSecretReason('q8ZP0vS2kT5wX9yB3nM6jH1g')).toBeNull();
  });
});

describe(loadOrCreateSecretsFile.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'nm-secrets-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes strong values once, readable by the owner only, and returns the same ones later', () => {
    const file = path.join(dir, 'nested', 'gateway.env');
    const first = loadOrCreateSecretsFile(file);
    expect(first.created).toBe(true);
    expect(Object.keys(first.values).sort()).toEqual([
      'ADMIN_PASSWORD',
      'ENCRYPTION_KEY',
      'EVOLUTION_API_KEY',
      'JWT_SECRET',
    ]);
    expect(first.values.ENCRYPTION_KEY).toMatch(/^[0-9a-f]{64}$/);
    for (const value of Object.values(first.values)) expect(weakSecretReason(value)).toBeNull();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseSecretsFile(readFileSync(file, 'utf8'))).toEqual(first.values);

    const again = loadOrCreateSecretsFile(file);
    expect(again).toEqual({ values: first.values, created: false });
  });

  it('fills only the unset variables from SECRETS_FILE: the environment wins', () => {
    const file = path.join(dir, 'gateway.env');
    const { values } = loadOrCreateSecretsFile(file);
    const env = withSecretsFile({
      SECRETS_FILE: file,
      JWT_SECRET: 'set-by-the-operator-0123456789-abcdef',
      ADMIN_PASSWORD: '',
    });
    expect(env).toMatchObject({
      JWT_SECRET: 'set-by-the-operator-0123456789-abcdef',
      ADMIN_PASSWORD: values.ADMIN_PASSWORD,
      ENCRYPTION_KEY: values.ENCRYPTION_KEY,
      EVOLUTION_API_KEY: values.EVOLUTION_API_KEY,
    });
    expect(withSecretsFile({ JWT_SECRET: 'x' })).toEqual({ JWT_SECRET: 'x' });
  });
});

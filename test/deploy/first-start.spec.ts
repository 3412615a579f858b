import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseSecretsFile } from '@/config/secrets';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs src/first-start.ts as its own process, as the image's `first-start` command runs the build. */
async function firstStart(env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'src/first-start.ts'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
      timeout: 60_000,
    },
  );
  return stdout;
}

describe('first start (compose secrets)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'nm-first-start-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates the secrets once even when started three times at once, and hands Evolution API the same key', async () => {
    const env = {
      SECRETS_FILE: path.join(dir, 'secrets', 'gateway.env'),
      EVOLUTION_KEY_FILE: path.join(dir, 'api-key'),
    };
    const outputs = await Promise.all([firstStart(env), firstStart(env), firstStart(env)]);

    expect(
      outputs.filter((o) => o.includes('generated JWT_SECRET, ENCRYPTION_KEY, ADMIN_PASSWORD and EVOLUTION_API_KEY')),
    ).toHaveLength(1);
    for (const output of outputs)
      expect(output).toContain(`the password of "admin" is ADMIN_PASSWORD in ${env.SECRETS_FILE}`);
    const secrets = parseSecretsFile(readFileSync(env.SECRETS_FILE, 'utf8'));
    expect(secrets.ADMIN_PASSWORD).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(statSync(env.SECRETS_FILE).mode & 0o777).toBe(0o600);
    expect(readFileSync(env.EVOLUTION_KEY_FILE, 'utf8')).toBe(secrets.EVOLUTION_API_KEY);

    // A later start keeps them; an operator's own key goes to Evolution API instead.
    const later = await firstStart({ ...env, EVOLUTION_API_KEY: 'operator-chosen-key-5f1d0c9e8b7a' });
    expect(later).toContain(`using the secrets generated earlier in ${env.SECRETS_FILE}`);
    expect(parseSecretsFile(readFileSync(env.SECRETS_FILE, 'utf8'))).toEqual(secrets);
    expect(readFileSync(env.EVOLUTION_KEY_FILE, 'utf8')).toBe('operator-chosen-key-5f1d0c9e8b7a');
  });
});

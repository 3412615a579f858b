import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The variables that must be secret; the process refuses published or guessable values for each. */
export const SECRET_VARIABLES = [
  'JWT_SECRET',
  'ENCRYPTION_KEY',
  'ADMIN_PASSWORD',
  'EVOLUTION_API_KEY',
  'MASTER_API_KEY',
] as const;

/** The secrets a first start generates (MASTER_API_KEY stays opt-in). */
export const GENERATED_VARIABLES = ['JWT_SECRET', 'ENCRYPTION_KEY', 'ADMIN_PASSWORD', 'EVOLUTION_API_KEY'] as const;

/**
 * Values anyone can read: defaults this project's compose file and `.env.example` once carried, and its demo's.
 * They stay refused even after they left the files, since old checkouts and copies still hold them.
 */
const PUBLISHED = new Set([
  'change-me-evolution-global-key',
  'change-me-to-a-long-random-secret-of-32-chars-or-more',
  'change-me-admin-password',
  'demo-evolution-global-key',
  'demo-jwt-secret-not-for-production-0123456789',
  '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
  'demo-admin-password',
  'nm_master_demo_0123456789abcdef0123456789abcdef',
  'sim-global-key',
]);

/** Placeholder words that mean "put a real value here". */
const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me|your[-_ ]?(secret|key|password)/i;

/**
 * Why a secret's value must not be used, or null when it may. Refused: published values, placeholders, and values
 * that are one short block repeated (all zeros, "abab…", "0123456789abcdef" four times).
 */
export function weakSecretReason(value: string): string | null {
  if (PUBLISHED.has(value) || PUBLISHED.has(value.toLowerCase())) return 'is a published example value';
  if (PLACEHOLDER.test(value)) return 'is a placeholder';
  for (let block = 1; block <= 16 && block < value.length; block++) {
    if (value.length % block === 0 && value === value.slice(0, block).repeat(value.length / block)) {
      return 'repeats one short pattern and is easy to guess';
    }
  }
  return null;
}

/** Fresh values for the generated secrets; URL-safe characters only, so the file needs no quoting. */
function generate(): Record<(typeof GENERATED_VARIABLES)[number], string> {
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
    EVOLUTION_API_KEY: randomBytes(32).toString('hex'),
  };
}

export function parseSecretsFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) values[match[1]!] = match[2]!;
  }
  return values;
}

/**
 * Reads the secrets file, writing it first when it does not exist. The file appears whole or not at all (written
 * aside, then hard-linked into place), and when two processes race the first one's file wins for both.
 * Returns the values and whether this call created them.
 */
export function loadOrCreateSecretsFile(file: string): { values: Record<string, string>; created: boolean } {
  try {
    return { values: parseSecretsFile(readFileSync(file, 'utf8')), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const values = generate();
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const fd = openSync(aside, 'wx', 0o600);
  try {
    const body = Object.entries(values).map(([name, value]) => `${name}=${value}`);
    writeSync(
      fd,
      `# Generated on first start. Keep ENCRYPTION_KEY: without it stored upstream tokens cannot be read.\n${body.join('\n')}\n`,
    );
  } finally {
    closeSync(fd);
  }
  let created = true;
  try {
    linkSync(aside, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false;
  } finally {
    unlinkSync(aside);
  }
  return created ? { values, created } : { values: parseSecretsFile(readFileSync(file, 'utf8')), created };
}

/**
 * The environment with every generated secret the operator left unset taken from `SECRETS_FILE` (which must
 * exist: the compose file's first-start step writes it). Values set in the environment always win.
 */
export function withSecretsFile(raw: Record<string, string | undefined>): Record<string, string | undefined> {
  const file = raw.SECRETS_FILE;
  const unset = GENERATED_VARIABLES.filter((name) => !raw[name]);
  if (!file || unset.length === 0) return raw;
  const stored = parseSecretsFile(readFileSync(file, 'utf8'));
  return { ...raw, ...Object.fromEntries(unset.filter((name) => stored[name]).map((name) => [name, stored[name]])) };
}

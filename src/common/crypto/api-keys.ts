import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Client keys carry a fixed prefix so secret scanners can recognise a leaked one. 32 random bytes follow. */
export const CLIENT_KEY_PREFIX = 'nmk_live_';
/** How many leading characters of a key are kept in clear, to tell keys apart in lists and audit logs. */
const DISPLAY_PREFIX_LENGTH = CLIENT_KEY_PREFIX.length + 6;

export interface IssuedKey {
  /** The key itself: shown to its owner once, never stored. */
  plaintext: string;
  /** SHA-256 of the key, hex: what is stored and looked up. */
  hash: string;
  /** The first characters, safe to show. */
  prefix: string;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests, after the lookup by hash. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export function issueClientKey(): IssuedKey {
  const plaintext = `${CLIENT_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { plaintext, hash: hashApiKey(plaintext), prefix: plaintext.slice(0, DISPLAY_PREFIX_LENGTH) };
}

/** Instance keys are 64 hex characters, as the reference's credentials table describes them. */
export function issueInstanceKey(): IssuedKey {
  const plaintext = randomBytes(32).toString('hex');
  return { plaintext, hash: hashApiKey(plaintext), prefix: plaintext.slice(0, 8) };
}

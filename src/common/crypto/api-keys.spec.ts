import { CLIENT_KEY_PREFIX, hashApiKey, issueClientKey, issueInstanceKey, sameHash } from './api-keys';

describe('api keys', () => {
  it('issues prefixed client keys with 32 random bytes and stores only their hash', () => {
    const key = issueClientKey();
    expect(key.plaintext.startsWith(CLIENT_KEY_PREFIX)).toBe(true);
    expect(Buffer.from(key.plaintext.slice(CLIENT_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(key.hash).toBe(hashApiKey(key.plaintext));
    expect(key.hash).not.toContain(key.plaintext.slice(CLIENT_KEY_PREFIX.length, CLIENT_KEY_PREFIX.length + 8));
    expect(key.plaintext.startsWith(key.prefix)).toBe(true);
    expect(issueClientKey().plaintext).not.toBe(key.plaintext);
  });

  it('issues 64-hex-character instance keys', () => {
    expect(issueInstanceKey().plaintext).toMatch(/^[0-9a-f]{64}$/);
  });

  it('compares hashes in constant time and only equal ones match', () => {
    const h = hashApiKey('a');
    expect(sameHash(h, hashApiKey('a'))).toBe(true);
    expect(sameHash(h, hashApiKey('b'))).toBe(false);
    expect(sameHash(h, 'abcd')).toBe(false);
  });
});

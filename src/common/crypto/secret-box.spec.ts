import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret } from './secret-box';

describe('secret box', () => {
  const key = randomBytes(32);

  it('round-trips and never stores the plaintext', () => {
    const sealed = encryptSecret('B5F1-UPSTREAM-TOKEN', key);
    expect(sealed).not.toContain('B5F1');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(decryptSecret(sealed, key)).toBe('B5F1-UPSTREAM-TOKEN');
  });

  it('uses a fresh IV each time', () => {
    expect(encryptSecret('same', key)).not.toBe(encryptSecret('same', key));
  });

  it('rejects a tampered ciphertext and a wrong key', () => {
    const sealed = encryptSecret('secret', key);
    const parts = sealed.split('.');
    const tampered = [...parts.slice(0, 3), Buffer.from('xxxxxx').toString('base64url')].join('.');
    expect(() => decryptSecret(tampered, key)).toThrow();
    expect(() => decryptSecret(sealed, randomBytes(32))).toThrow();
  });
});

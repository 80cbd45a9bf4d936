import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '@porth/identity-core';

/** The HKDF `info` of the key that hashes one-time codes and recovery codes. */
export const CODE_HMAC_KEY_INFO = 'porth/mfa/code-hmac/v1';

/**
 * Hashes short codes for storage with HMAC-SHA256 under a key derived from the deployment secret.
 * A 6-digit code has only a million values, so its plain SHA-256 is reversed by trying them all;
 * without the key, a copy of the database reveals nothing. Each hash is bound to its context (a
 * challenge id, or an account for recovery codes), so equal codes hash differently.
 */
export class CodeHasher {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = deriveKey(secretKey, CODE_HMAC_KEY_INFO);
  }

  /** The hash of `code` in `context`, as 64 lower-case hex characters. */
  hash(context: string, code: string): string {
    return createHmac('sha256', this.key)
      .update(context, 'utf8')
      .update('\0', 'utf8')
      .update(code, 'utf8')
      .digest('hex');
  }

  /** True when `code` in `context` has the stored hash `expectedHex`; compared in constant time. */
  matches(context: string, code: string, expectedHex: string): boolean {
    const actual = Buffer.from(this.hash(context, code), 'hex');
    const expected = Buffer.from(expectedHex, 'hex');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}

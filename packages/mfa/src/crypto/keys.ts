import { hkdfSync } from 'node:crypto';
import { ConfigError } from '@porth/identity-core';

/** The shortest deployment secret accepted (as for identity-core's SECRET_KEY). */
export const MIN_SECRET_KEY_LENGTH = 32;

/**
 * Derives a 32-byte key for one purpose from the deployment secret with HKDF-SHA256 (empty salt,
 * `info` naming the purpose), so each use of the secret gets an independent key. Throws
 * ConfigError naming SECRET_KEY when the secret is shorter than 32 characters.
 */
export function deriveKey(secretKey: string, info: string): Buffer {
  if (typeof secretKey !== 'string' || secretKey.length < MIN_SECRET_KEY_LENGTH) {
    throw new ConfigError([
      { path: 'SECRET_KEY', message: `must be at least ${MIN_SECRET_KEY_LENGTH} characters` },
    ]);
  }
  return Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), Buffer.alloc(0), info, 32));
}

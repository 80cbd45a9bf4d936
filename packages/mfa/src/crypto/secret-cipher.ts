import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { RandomSource } from '@porth/identity-core';
import { SecretUnreadableError } from '../errors.js';
import { deriveKey } from './keys.js';

/** The HKDF `info` of the key that encrypts TOTP secrets. */
export const TOTP_SECRET_KEY_INFO = 'porth/mfa/totp-secret/v1';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts TOTP secrets at rest with AES-256-GCM. A TOTP secret must be recoverable to compute
 * codes, so it cannot be hashed; it is sealed under a key derived from the deployment secret
 * (HKDF-SHA256, its own `info`), with a fresh 12-byte IV from the injected RandomSource, and
 * bound to its factor id as GCM additional data so a sealed secret copied onto another row does
 * not open. Stored form: `v1.` + base64url(IV ‖ ciphertext ‖ tag).
 */
export class SecretCipher {
  private readonly key: Buffer;

  constructor(
    secretKey: string,
    private readonly random: RandomSource,
  ) {
    this.key = deriveKey(secretKey, TOTP_SECRET_KEY_INFO);
  }

  /** Seals `secret` for the factor `factorId`. */
  seal(factorId: string, secret: Uint8Array): string {
    const iv = Buffer.from(this.random.bytes(IV_BYTES));
    if (iv.length !== IV_BYTES) throw new RangeError('the random source returned too few bytes');
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(factorId, 'utf8'));
    const body = Buffer.concat([cipher.update(secret), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Opens what seal() made for `factorId`; throws SecretUnreadableError otherwise. */
  open(factorId: string, sealed: string): Uint8Array {
    try {
      const [version, encoded, extra] = sealed.split('.');
      if (version !== VERSION || encoded === undefined || extra !== undefined) {
        throw new Error('unknown sealed-secret format');
      }
      const bytes = Buffer.from(encoded, 'base64url');
      if (bytes.length <= IV_BYTES + TAG_BYTES) throw new Error('sealed secret too short');
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(factorId, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return new Uint8Array(
        Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]),
      );
    } catch (cause) {
      throw new SecretUnreadableError({ cause });
    }
  }
}

import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { ConfigError } from '../errors.js';
import type { RandomSource } from '../random.js';

/** The shortest deployment secret (SECRET_KEY) accepted. */
export const MIN_SECRET_KEY_LENGTH = 32;

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

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

/**
 * Seals secrets that must be recoverable (queued mail, TOTP secrets, signing keys) with
 * AES-256-GCM under a key derived from the deployment secret for one purpose (`info`). Each seal
 * uses a fresh 12-byte IV from the injected RandomSource and is bound to a label (GCM additional
 * data, e.g. the row id), so a sealed value copied onto another row does not open.
 * Stored form: `v1.` + base64url(IV ‖ ciphertext ‖ tag).
 */
export class SealedBox {
  private readonly key: Buffer;

  constructor(
    secretKey: string,
    info: string,
    private readonly random?: RandomSource,
  ) {
    this.key = deriveKey(secretKey, info);
  }

  /** Seals `plain` bound to `label`; needs the RandomSource (for the IV). */
  seal(label: string, plain: Uint8Array): string {
    if (!this.random) throw new TypeError('SealedBox needs a RandomSource to seal');
    const iv = Buffer.from(this.random.bytes(IV_BYTES));
    if (iv.length !== IV_BYTES) throw new RangeError('the random source returned too few bytes');
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(label, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Opens what seal() made for `label`; returns null when it cannot (wrong key, label or format). */
  open(label: string, sealed: string): Buffer | null {
    try {
      const [version, encoded, extra] = sealed.split('.');
      if (version !== VERSION || encoded === undefined || extra !== undefined) return null;
      const bytes = Buffer.from(encoded, 'base64url');
      if (bytes.length < IV_BYTES + TAG_BYTES) return null;
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(label, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      return null;
    }
  }
}

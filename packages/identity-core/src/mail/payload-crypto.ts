import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { ConfigError } from '../errors.js';
import type { RandomSource } from '../random.js';
import { MailPayloadUnreadableError } from '../errors.js';
import type { MailContent } from './mail-message.js';

/** The HKDF `info` that separates the outbox key from every other key made from the secret. */
export const OUTBOX_KEY_INFO = 'porth/identity-core/outbox-payload/v1';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MIN_SECRET_LENGTH = 32;

/**
 * Encrypts outbox payloads at rest with AES-256-GCM. The key is HKDF-SHA256 of the deployment
 * secret (empty salt, fixed info string); each payload gets a fresh 12-byte IV from the injected
 * RandomSource and is bound to its message id (GCM additional data), so a payload copied onto
 * another row does not decrypt. Only encrypting needs the RandomSource. Stored form: `v1.` + base64url(IV ‖ ciphertext ‖ tag).
 */
export class PayloadCipher {
  private readonly key: Buffer;

  constructor(
    secretKey: string,
    private readonly random?: RandomSource,
  ) {
    if (typeof secretKey !== 'string' || secretKey.length < MIN_SECRET_LENGTH) {
      throw new ConfigError([
        { path: 'SECRET_KEY', message: `must be at least ${MIN_SECRET_LENGTH} characters` },
      ]);
    }
    this.key = Buffer.from(
      hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), Buffer.alloc(0), OUTBOX_KEY_INFO, 32),
    );
  }

  /** Encrypts `content` for the message `messageId`; needs the RandomSource (for the IV). */
  seal(messageId: string, content: MailContent): string {
    if (!this.random) throw new TypeError('PayloadCipher needs a RandomSource to encrypt');
    const iv = Buffer.from(this.random.bytes(IV_BYTES));
    if (iv.length !== IV_BYTES) throw new RangeError('the random source returned too few bytes');
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(messageId, 'utf8'));
    const plain = Buffer.from(
      JSON.stringify({ subject: content.subject, text: content.text, html: content.html }),
      'utf8',
    );
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Decrypts what seal() made for `messageId`; throws MailPayloadUnreadableError otherwise. */
  open(messageId: string, sealed: string): MailContent {
    try {
      const [version, encoded, extra] = sealed.split('.');
      if (version !== VERSION || encoded === undefined || extra !== undefined) {
        throw new Error('unknown payload format');
      }
      const bytes = Buffer.from(encoded, 'base64url');
      if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('payload too short');
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(messageId, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
      const parsed = JSON.parse(plain) as Partial<Record<keyof MailContent, unknown>>;
      if (
        typeof parsed.subject !== 'string' ||
        typeof parsed.text !== 'string' ||
        typeof parsed.html !== 'string'
      ) {
        throw new Error('payload has the wrong shape');
      }
      return { subject: parsed.subject, text: parsed.text, html: parsed.html };
    } catch (cause) {
      throw new MailPayloadUnreadableError({ cause });
    }
  }
}

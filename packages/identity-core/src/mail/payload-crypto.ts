import type { RandomSource } from '../random.js';
import { MailPayloadUnreadableError } from '../errors.js';
import { SealedBox } from '../crypto/sealed-box.js';
import type { MailContent } from './mail-message.js';

/** The HKDF `info` that separates the outbox key from every other key made from the secret. */
export const OUTBOX_KEY_INFO = 'porth/identity-core/outbox-payload/v1';

/**
 * Encrypts outbox payloads at rest (a SealedBox under its own key), each bound to its message id.
 * Only encrypting needs the RandomSource.
 */
export class PayloadCipher {
  private readonly box: SealedBox;

  constructor(secretKey: string, random?: RandomSource) {
    this.box = new SealedBox(secretKey, OUTBOX_KEY_INFO, random);
  }

  /** Encrypts `content` for the message `messageId`; needs the RandomSource (for the IV). */
  seal(messageId: string, content: MailContent): string {
    const plain = JSON.stringify({
      subject: content.subject,
      text: content.text,
      html: content.html,
    });
    return this.box.seal(messageId, Buffer.from(plain, 'utf8'));
  }

  /** Decrypts what seal() made for `messageId`; throws MailPayloadUnreadableError otherwise. */
  open(messageId: string, sealed: string): MailContent {
    const plain = this.box.open(messageId, sealed);
    if (plain === null) throw new MailPayloadUnreadableError();
    try {
      const parsed = JSON.parse(plain.toString('utf8')) as Partial<
        Record<keyof MailContent, unknown>
      >;
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

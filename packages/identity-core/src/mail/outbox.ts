import type { Clock } from '../clock.js';
import type { Executor } from '../db/transaction.js';
import { randomId, type RandomSource } from '../random.js';
import { KnexOutboxRepository } from './knex-outbox-repository.js';
import { MailRecipientInvalidError } from '../errors.js';
import {
  toMailLocale,
  type MailContent,
  type MailRequest,
  type MailTemplateName,
  type OutboxEntry,
} from './mail-message.js';
import { PayloadCipher } from './payload-crypto.js';
import { MailRenderer } from './render.js';

/** The outbox channel of email messages. */
export const EMAIL_CHANNEL = 'email';

const MAX_RECIPIENT_LENGTH = 254;
// One address, no display name: local@domain, no spaces, angle brackets, commas or control characters.
const ADDRESS =
  /^[^\s@<>()[\\\],;:"\p{Cc}]+@[^\s@<>()[\\\],;:"\p{Cc}]+\.[^\s@<>()[\\\],;:"\p{Cc}]+$/u;

/** Options for MailOutbox. */
export interface MailOutboxOptions {
  /** Where listRecent() reads; enqueue() writes through the executor it is given. */
  readonly db: Executor;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** The deployment secret (`SECRET_KEY`); the payload key is derived from it. */
  readonly secretKey: string;
  /** Renders the templates (default: a renderer with the default service name). */
  readonly renderer?: MailRenderer;
}

/** Options for MailOutbox.listRecent. */
export interface ListRecentOptions {
  /** How many messages, newest first (default 50, at most 1000). */
  readonly limit?: number;
  /**
   * Also list the other channels sharing the outbox table (text messages and calls stored by a
   * development SMS provider), for the development outbox page; default: email only.
   */
  readonly allChannels?: boolean;
}

/**
 * The mail outbox: messages are rendered and stored, encrypted, in the caller's transaction,
 * so a message exists exactly when the change it reports was committed; MailDispatcher sends
 * them later.
 *
 * @example
 * await transaction(db, async (trx) => {
 *   // … migrate the account …
 *   await outbox.enqueue(trx, {
 *     to: account.email, template: 'migration_temporary_password', locale: account.locale,
 *     accountId: account.id, data: { name, newUsername, temporaryPassword, signInUrl, expiresAt },
 *   });
 * });
 */
export class MailOutbox {
  private readonly cipher: PayloadCipher;
  private readonly renderer: MailRenderer;

  constructor(private readonly options: MailOutboxOptions) {
    this.cipher = new PayloadCipher(options.secretKey, options.random);
    this.renderer = options.renderer ?? new MailRenderer();
  }

  /**
   * Renders `request` and stores it as a pending email through `executor` (pass the caller's
   * transaction); returns the message id. Throws MailRecipientInvalidError for an unusable
   * address, MailTemplateUnknownError for an unknown template, TypeError for missing data.
   */
  async enqueue<T extends MailTemplateName>(
    executor: Executor,
    request: MailRequest<T>,
  ): Promise<string> {
    const to = typeof request.to === 'string' ? request.to.trim() : '';
    if (to.length > MAX_RECIPIENT_LENGTH || !ADDRESS.test(to))
      throw new MailRecipientInvalidError();
    const locale = toMailLocale(request.locale);
    const content = this.renderer.render(request.template, locale, request.data);
    const id = randomId(this.options.random);
    const now = this.options.clock.now();
    await new KnexOutboxRepository(executor).insert({
      id,
      channel: EMAIL_CHANNEL,
      recipient: to,
      template: request.template,
      locale,
      accountId: request.accountId ?? null,
      payload: this.cipher.seal(id, content),
      createdAt: now,
      nextAttemptAt: now,
    });
    return id;
  }

  /** Recent emails, newest first, decrypted where their payload is still there: for a development outbox page. */
  async listRecent(options: ListRecentOptions = {}): Promise<OutboxEntry[]> {
    const records = await new KnexOutboxRepository(this.options.db).listRecent({
      limit: options.limit ?? 50,
      ...(options.allChannels ? {} : { channel: EMAIL_CHANNEL }),
    });
    return records.map((record) => {
      let content: MailContent | null = null;
      let contentMissing: OutboxEntry['contentMissing'] = null;
      if (record.payload === null) {
        contentMissing = 'erased';
      } else {
        try {
          content = this.cipher.open(record.id, record.payload);
        } catch {
          // Sealed under another SECRET_KEY: listed without its content, and marked so.
          contentMissing = 'unreadable';
        }
      }
      return {
        id: record.id,
        channel: record.channel,
        recipient: record.recipient,
        template: record.template,
        locale: record.locale,
        accountId: record.accountId,
        status: record.status,
        attempts: record.attempts,
        createdAt: record.createdAt,
        nextAttemptAt: record.nextAttemptAt,
        sentAt: record.sentAt,
        lastError: record.lastError,
        content,
        contentMissing,
      };
    });
  }
}

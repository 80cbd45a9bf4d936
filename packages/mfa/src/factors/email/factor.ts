import type { Executor, MailOutbox } from '@porth/identity-core';
import type { CodeChannel, CodeMessage } from '../factor.js';

/**
 * The email factor: a 6-digit code through the mail outbox (template `email_code`), queued in
 * the same transaction as its challenge. The weakest factor (NIST SP 800-63B does not count
 * email as out-of-band), offered only after the user acknowledges the risks; verifications with
 * it are marked `weak` so the portal can say so in `acr`.
 */
export class EmailFactor implements CodeChannel {
  readonly method = 'email' as const;
  readonly amr = ['mail'] as const;
  readonly weak = true;
  readonly deliversAfterCommit = false;

  constructor(private readonly outbox: MailOutbox) {}

  /** Queues the code email through `executor` (the challenge's transaction). */
  async deliver(executor: Executor, message: CodeMessage): Promise<void> {
    await this.outbox.enqueue(executor, {
      to: message.to,
      template: 'email_code',
      locale: message.locale,
      accountId: message.accountId,
      data: { code: message.code, minutes: message.minutes },
    });
  }
}

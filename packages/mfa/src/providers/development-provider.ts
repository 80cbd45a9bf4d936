import {
  KnexOutboxRepository,
  PayloadCipher,
  randomId,
  transaction,
  type Clock,
  type Executor,
  type MailContent,
  type RandomSource,
} from '@porth/identity-core';
import type { ProviderReceipt, SmsSender, TextMessage } from '../factors/sms/sms-sender.js';
import type { VoiceCaller, VoiceMessage } from '../factors/voice/voice-caller.js';

/** The outbox channel of text messages. */
export const SMS_CHANNEL = 'sms';
/** The outbox channel of phone calls. */
export const VOICE_CHANNEL = 'voice';
/** The outbox `template` of a development text message. */
export const TEXT_MESSAGE_TEMPLATE = 'text_message';
/** The outbox `template` of a development phone call. */
export const PHONE_CALL_TEMPLATE = 'phone_call';

/** Options for DevelopmentTextProvider. */
export interface DevelopmentTextProviderOptions {
  readonly db: Executor;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** The deployment secret (`SECRET_KEY`): messages are sealed as identity-core seals emails. */
  readonly secretKey: string;
}

/**
 * A development SMS and voice provider that sends nothing: each text and call is stored in
 * identity-core's outbox table (channel `sms` or `voice`, status `sent`, payload sealed with
 * PayloadCipher and kept), so the portal's local outbox page lists emails, texts and calls
 * together. Never use it in production.
 *
 * @example
 * const provider = new DevelopmentTextProvider({ db, clock, random, secretKey });
 * const mfa = new MfaService({ …, smsSender: provider, voiceCaller: provider });
 */
export class DevelopmentTextProvider implements SmsSender, VoiceCaller {
  private readonly cipher: PayloadCipher;

  constructor(private readonly options: DevelopmentTextProviderOptions) {
    this.cipher = new PayloadCipher(options.secretKey, options.random);
  }

  /** Stores the text message in the outbox as delivered. */
  async sendText(message: TextMessage): Promise<ProviderReceipt> {
    const subject =
      message.locale === 'cy' ? `Neges destun i ${message.to}` : `Text message to ${message.to}`;
    return this.store(SMS_CHANNEL, TEXT_MESSAGE_TEMPLATE, message, {
      subject,
      text: message.body,
      html: `<p>${escapeHtml(message.body)}</p>`,
    });
  }

  /** Stores the call, with what it would say, in the outbox as delivered. */
  async placeCall(message: VoiceMessage): Promise<ProviderReceipt> {
    const subject =
      message.locale === 'cy' ? `Galwad ffôn i ${message.to}` : `Phone call to ${message.to}`;
    return this.store(VOICE_CHANNEL, PHONE_CALL_TEMPLATE, message, {
      subject,
      text: message.sentences.join('\n'),
      html: message.sentences.map((s) => `<p>${escapeHtml(s)}</p>`).join('\n'),
    });
  }

  private async store(
    channel: string,
    template: string,
    message: TextMessage | VoiceMessage,
    content: MailContent,
  ): Promise<ProviderReceipt> {
    const id = randomId(this.options.random);
    const now = this.options.clock.now();
    await transaction(this.options.db, async (trx) => {
      const outbox = new KnexOutboxRepository(trx);
      await outbox.insert({
        id,
        channel,
        recipient: message.to,
        template,
        locale: message.locale,
        accountId: message.accountId,
        payload: this.cipher.seal(id, content),
        createdAt: now,
        nextAttemptAt: now,
      });
      // Delivered at once: claim the new row and mark it sent, keeping its payload for the page.
      if (!(await outbox.claim(id, 0, now, now)) || !(await outbox.markSent(id, 1, now, true))) {
        throw new Error('The development outbox entry could not be marked delivered');
      }
    });
    return { providerId: `dev-${id}` };
  }
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

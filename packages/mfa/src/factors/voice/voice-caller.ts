import type { Locale } from '@porth/identity-core';
import type { ProviderReceipt } from '../sms/sms-sender.js';

/** One automated call that speaks a message. */
export interface VoiceMessage {
  /** The E.164 number, e.g. `+441970123456`. */
  readonly to: string;
  /**
   * The sentences to speak, in order, with a pause between them. They contain a code: never log
   * them.
   */
  readonly sentences: readonly string[];
  /** The language to speak in; a provider picks a voice for it. */
  readonly locale: Locale;
  /** The account it is for (kept with a development outbox entry). */
  readonly accountId: string | null;
}

/** Places automated calls: a development outbox, or a voice provider's API. */
export interface VoiceCaller {
  /** Asks the provider to place the call; throws DeliveryFailedError when it is refused. */
  placeCall(message: VoiceMessage): Promise<ProviderReceipt>;
}

import type { Locale } from '@porth/identity-core';

/** One text message to send. */
export interface TextMessage {
  /** The E.164 number, e.g. `+447700900123`. */
  readonly to: string;
  /** The whole text. It contains a code: never log it. */
  readonly body: string;
  readonly locale: Locale;
  /** The account it is for (kept with a development outbox entry). */
  readonly accountId: string | null;
}

/** What the provider says about an accepted message or call. */
export interface ProviderReceipt {
  /** The provider's id for the message or call (e.g. a Twilio SID). */
  readonly providerId: string;
}

/** Sends text messages: a development outbox, or an SMS provider's API. */
export interface SmsSender {
  /** Hands the message to the provider; throws DeliveryFailedError when it is refused. */
  sendText(message: TextMessage): Promise<ProviderReceipt>;
}

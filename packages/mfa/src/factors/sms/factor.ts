import type { Executor, Locale } from '@porth/identity-core';
import type { CodeChannel, CodeMessage } from '../factor.js';
import type { SmsSender } from './sms-sender.js';

/** The text of a code message: the code first, so phones can offer to fill it in. */
export function smsCodeText(
  code: string,
  minutes: number,
  locale: Locale,
  service: string,
): string {
  return locale === 'cy'
    ? `${code} yw eich cod dilysu ${service}. Mae'n gweithio am ${minutes} munud. Peidiwch byth â rhannu'r cod hwn.`
    : `${code} is your ${service} verification code. It works for ${minutes} minutes. Never share this code.`;
}

/** The text-message factor: a 6-digit code sent by SMS to a mobile number. */
export class SmsFactor implements CodeChannel {
  readonly method = 'sms' as const;
  readonly amr = ['sms'] as const;
  readonly weak = false;
  readonly deliversAfterCommit = true;

  constructor(
    private readonly sender: SmsSender,
    private readonly serviceName: string,
  ) {}

  /** Sends the code by text message. */
  async deliver(_executor: Executor, message: CodeMessage): Promise<void> {
    await this.sender.sendText({
      to: message.to,
      body: smsCodeText(message.code, message.minutes, message.locale, this.serviceName),
      locale: message.locale,
      accountId: message.accountId,
    });
  }
}

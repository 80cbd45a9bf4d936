import type { Executor, Locale } from '@porth/identity-core';
import type { CodeChannel, CodeMessage } from '../factor.js';
import type { VoiceCaller } from './voice-caller.js';

/** Writes a code digit by digit with commas, so a speech engine reads `1, 2, 3` and not "one hundred and twenty-three". */
export function spokenDigits(code: string): string {
  return [...code].join(', ');
}

/** What the call says: a greeting, the code twice (digit by digit), and goodbye. */
export function voiceCodeSentences(code: string, locale: Locale, service: string): string[] {
  const digits = spokenDigits(code);
  return locale === 'cy'
    ? [
        `Helo. Dyma ${service}.`,
        `Eich cod dilysu yw: ${digits}.`,
        `Unwaith eto, eich cod yw: ${digits}.`,
        'Hwyl fawr.',
      ]
    : [
        `Hello. This is ${service}.`,
        `Your verification code is: ${digits}.`,
        `Once again, your code is: ${digits}.`,
        'Goodbye.',
      ];
}

/** The phone-call factor: an automated call speaks a 6-digit code (for landlines and mobiles). */
export class VoiceFactor implements CodeChannel {
  readonly method = 'voice' as const;
  readonly amr = ['tel'] as const;
  readonly weak = false;
  readonly deliversAfterCommit = true;

  constructor(
    private readonly caller: VoiceCaller,
    private readonly serviceName: string,
  ) {}

  /** Places the call that speaks the code. */
  async deliver(_executor: Executor, message: CodeMessage): Promise<void> {
    await this.caller.placeCall({
      to: message.to,
      sentences: voiceCodeSentences(message.code, message.locale, this.serviceName),
      locale: message.locale,
      accountId: message.accountId,
    });
  }
}

import type { Locale } from '@porth/identity-core';
import { DeliveryFailedError } from '../errors.js';
import type { ProviderReceipt, SmsSender, TextMessage } from '../factors/sms/sms-sender.js';
import type { VoiceCaller, VoiceMessage } from '../factors/voice/voice-caller.js';

/** Twilio's API address. */
export const TWILIO_BASE_URL = 'https://api.twilio.com';

/** The `<Say>` voice for one language. */
export interface SayVoice {
  /** The `language` attribute, e.g. `en-GB`, `cy-GB`. */
  readonly language: string;
  /** The `voice` attribute, e.g. `Polly.Amy`, `Polly.Gwyneth`; omitted when null. */
  readonly voice: string | null;
}

/** The default voices: British English, and Welsh (Amazon Polly's Gwyneth, offered by Twilio). */
export const DEFAULT_SAY_VOICES: { readonly [L in Locale]: SayVoice } = Object.freeze({
  en: { language: 'en-GB', voice: 'Polly.Amy' },
  cy: { language: 'cy-GB', voice: 'Polly.Gwyneth' },
});

/** Options for TwilioProvider. */
export interface TwilioProviderOptions {
  /** The API's base URL (default Twilio's; another for a compatible service or a test server). */
  readonly baseUrl?: string;
  readonly accountSid: string;
  /** The auth token (or an API key secret); sent as the HTTP Basic password, never logged. */
  readonly authToken: string;
  /** The HTTP Basic user name when it is not the account SID (an API key SID). */
  readonly username?: string;
  /** The sending number in E.164 form (or an alphanumeric sender id, for texts only). */
  readonly from: string;
  /** The caller id for calls when it differs from `from` (an alphanumeric sender cannot call). */
  readonly callerId?: string;
  /** The voice for each language. */
  readonly voices?: { readonly [L in Locale]?: SayVoice };
  /** How long to wait for the API, in milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/** Twilio error codes with a plain description (the provider's own text may contain the number). */
const KNOWN_ERRORS: Readonly<Record<number, string>> = {
  20003: 'the credentials were refused',
  20429: 'too many requests',
  21211: "the 'To' number is not a valid phone number",
  21408: 'sending to this region is not enabled',
  21610: 'the recipient has unsubscribed (replied STOP)',
  21612: 'this route cannot reach the number',
  21614: "the 'To' number is not a mobile number",
  13224: "the 'To' number cannot be called",
};

/**
 * SMS and voice through a Twilio-compatible REST API: texts are
 * `POST {baseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json` (To, From, Body) and calls
 * `POST …/Calls.json` (To, From, Twiml) whose TwiML speaks the message with `<Say>` in the
 * user's language, with HTTP Basic authentication. Refusals and network failures become
 * DeliveryFailedError with the HTTP status and Twilio's error code, never the number or code.
 *
 * @example
 * const twilio = new TwilioProvider({ accountSid, authToken, from: '+447700900000' });
 * await twilio.sendText({ to: '+447700900123', body: '…', locale: 'en', accountId });
 */
export class TwilioProvider implements SmsSender, VoiceCaller {
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly voices: { readonly [L in Locale]: SayVoice };

  constructor(private readonly options: TwilioProviderOptions) {
    if (!options.accountSid || !options.authToken || !options.from) {
      throw new TypeError('TwilioProvider needs accountSid, authToken and from');
    }
    this.baseUrl = (options.baseUrl ?? TWILIO_BASE_URL).replace(/\/+$/, '');
    const user = options.username ?? options.accountSid;
    this.authorization = `Basic ${Buffer.from(`${user}:${options.authToken}`, 'utf8').toString('base64')}`;
    this.voices = { ...DEFAULT_SAY_VOICES, ...options.voices };
  }

  /** Sends a text message through the Messages resource. */
  async sendText(message: TextMessage): Promise<ProviderReceipt> {
    return this.post('sms', 'Messages.json', {
      To: message.to,
      From: this.options.from,
      Body: message.body,
    });
  }

  /** Places a call through the Calls resource; its TwiML speaks the sentences. */
  async placeCall(message: VoiceMessage): Promise<ProviderReceipt> {
    return this.post('voice', 'Calls.json', {
      To: message.to,
      From: this.options.callerId ?? this.options.from,
      Twiml: sayTwiml(message.sentences, this.voices[message.locale]),
    });
  }

  private async post(
    channel: 'sms' | 'voice',
    resource: string,
    fields: Record<string, string>,
  ): Promise<ProviderReceipt> {
    const url = `${this.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(this.options.accountSid)}/${resource}`;
    const what = channel === 'sms' ? 'text message' : 'call';
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: 'POST',
        headers: {
          authorization: this.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams(fields).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (cause) {
      throw new DeliveryFailedError(
        `The ${what} provider could not be reached`,
        { channel, status: 0, providerCode: null, retryable: true },
        { cause },
      );
    }
    const body = await readJson(response);
    if (response.ok) {
      const sid = body?.sid;
      if (typeof sid !== 'string' || sid === '') {
        throw new DeliveryFailedError(`The ${what} provider answered without an id`, {
          channel,
          status: response.status,
          providerCode: null,
          retryable: false,
        });
      }
      return { providerId: sid };
    }
    const providerCode = typeof body?.code === 'number' ? body.code : null;
    const known = providerCode === null ? undefined : KNOWN_ERRORS[providerCode];
    throw new DeliveryFailedError(
      `The ${what} provider refused the request (HTTP ${response.status}` +
        `${providerCode === null ? '' : `, error ${providerCode}`})${known ? `: ${known}` : ''}`,
      {
        channel,
        status: response.status,
        providerCode,
        retryable: response.status === 429 || response.status >= 500,
      },
    );
  }
}

/** The TwiML of a call that speaks `sentences` with a one-second pause between them. */
export function sayTwiml(sentences: readonly string[], voice: SayVoice): string {
  const attributes =
    ` language="${escapeXml(voice.language)}"` +
    (voice.voice ? ` voice="${escapeXml(voice.voice)}"` : '');
  const says = sentences.map((s) => `<Say${attributes}>${escapeXml(s)}</Say>`);
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${says.join('<Pause length="1"/>')}</Response>`;
}

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

async function readJson(response: Response): Promise<Record<string, unknown> | null> {
  try {
    const parsed: unknown = await response.json();
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    // Not JSON (a proxy's error page, an empty body): the caller reports the HTTP status alone.
    return null;
  }
}

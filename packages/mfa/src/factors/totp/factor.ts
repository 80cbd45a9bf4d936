import { generate, generateURI, verify } from 'otplib';
import { toDataURL, toString as qrToString } from 'qrcode';
import type { Factor } from '../factor.js';
import { base32Encode, groupForTyping } from './base32.js';

/** Bytes in a new TOTP secret: 160 bits, as RFC 4226 recommends. */
export const TOTP_SECRET_BYTES = 20;
/** The TOTP time-step in seconds (RFC 6238's default, what every authenticator app uses). */
export const TOTP_PERIOD_SECONDS = 30;
/** Digits in a TOTP code. */
export const TOTP_DIGITS = 6;
/** Time-steps accepted either side of the current one (clock drift): ±1, i.e. ±30 seconds. */
export const TOTP_WINDOW_STEPS = 1;

/** What a person needs to add the factor to an authenticator app. */
export interface TotpEnrolmentDetails {
  /** The `otpauth://totp/…` key URI (issuer and username as label), which the QR code holds. */
  readonly otpauthUri: string;
  /** The QR code as a PNG `data:` URL, for an `<img src>`. */
  readonly qrPngDataUrl: string;
  /** The QR code as an SVG document, for inlining. */
  readonly qrSvg: string;
  /** The base32 secret in groups of four, for typing into an app that cannot scan. */
  readonly secretForTyping: string;
  readonly issuer: string;
  /** The account label the app shows (the username). */
  readonly label: string;
}

/**
 * The authenticator-app factor (RFC 6238 TOTP, HMAC-SHA1, 6 digits, 30-second steps, as Google
 * and Microsoft Authenticator expect). Stateless: the service stores the secret sealed and
 * enforces, with a guarded update, that each time-step is used at most once per factor.
 *
 * @example
 * const totp = new TotpFactor();
 * const details = await totp.enrolmentDetails(secret, { issuer: 'Porth', label: 'sian.jones@…' });
 * const step = await totp.matchingStep(secret, '123456', clock.now()); // null when wrong
 */
export class TotpFactor implements Factor {
  readonly method = 'totp' as const;
  readonly amr = ['otp'] as const;
  readonly weak = false;

  /** Builds the key URI, its QR code (PNG and SVG) and the secret grouped for typing. */
  async enrolmentDetails(
    secret: Uint8Array,
    names: { readonly issuer: string; readonly label: string },
  ): Promise<TotpEnrolmentDetails> {
    const encoded = base32Encode(secret);
    const otpauthUri = generateURI({
      issuer: names.issuer,
      label: names.label,
      secret: encoded,
      period: TOTP_PERIOD_SECONDS,
      digits: TOTP_DIGITS,
    });
    const qrOptions = { errorCorrectionLevel: 'M', margin: 4 } as const;
    const [qrPngDataUrl, qrSvg] = await Promise.all([
      toDataURL(otpauthUri, { ...qrOptions, type: 'image/png', width: 264 }),
      qrToString(otpauthUri, { ...qrOptions, type: 'svg' }),
    ]);
    return {
      otpauthUri,
      qrPngDataUrl,
      qrSvg,
      secretForTyping: groupForTyping(encoded),
      issuer: names.issuer,
      label: names.label,
    };
  }

  /**
   * The time-step whose code `code` is, within ±1 step of `now`; null when the code matches
   * none (otplib compares in constant time). Spaces and hyphens in the code are ignored.
   */
  async matchingStep(secret: Uint8Array, code: string, now: Date): Promise<number | null> {
    const token = normaliseTotpCode(code);
    if (token === null) return null;
    const result = await verify({
      secret,
      token,
      strategy: 'totp',
      epoch: Math.floor(now.getTime() / 1000),
      epochTolerance: TOTP_WINDOW_STEPS * TOTP_PERIOD_SECONDS,
      period: TOTP_PERIOD_SECONDS,
      digits: TOTP_DIGITS,
    });
    return result.valid ? totpStepAt(now) + result.delta : null;
  }

  /** The code for `time` (tests, and `digits: 8` for the RFC 6238 test vectors). */
  async codeAt(secret: Uint8Array, time: Date, digits: 6 | 7 | 8 = TOTP_DIGITS): Promise<string> {
    return generate({
      secret,
      epoch: Math.floor(time.getTime() / 1000),
      period: TOTP_PERIOD_SECONDS,
      digits,
    });
  }
}

/** The time-step that contains `time`. */
export function totpStepAt(time: Date): number {
  return Math.floor(time.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** A TOTP code as six digits with spaces and hyphens removed, or null when it is not one. */
export function normaliseTotpCode(code: string): string | null {
  if (typeof code !== 'string') return null;
  const digits = code.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(digits) ? digits : null;
}

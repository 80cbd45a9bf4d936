import type { LocalisedText } from '@porth/identity-core';
import type { CodeFactorKind, FactorKind, VerificationMethod } from '../factors/factor.js';
import type { TotpEnrolmentDetails } from '../factors/totp/factor.js';
import type { PhoneDelivery } from '../phone/phone-number.js';

/** An active factor as a settings page or a "choose another method" list shows it. */
export interface FactorSummary {
  readonly id: string;
  readonly kind: FactorKind;
  readonly isDefault: boolean;
  /** Where codes go, partly hidden: `•••• ••• 123`, `s•••@example.org`; null for an app. */
  readonly maskedDestination: string | null;
  /** For phone factors: how the number can take a code (`sms` and `voice`, or `voice` only). */
  readonly deliveries: readonly PhoneDelivery[];
  /** True for email codes (see Factor.weak). */
  readonly weak: boolean;
  readonly createdAt: Date;
  readonly confirmedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

/** A code that was just sent: what the page asking for it needs. */
export interface SentChallenge {
  /** Pass it back with the code the user types. */
  readonly challengeId: string;
  readonly factorId: string;
  /** How the code went: `sms`, `voice` or `email`. */
  readonly channel: CodeFactorKind;
  readonly maskedDestination: string;
  readonly expiresAt: Date;
  /** When "send me a new code" may be used again. */
  readonly resendAvailableAt: Date;
}

/** A new authenticator-app factor waiting for its first code. */
export interface TotpEnrolment extends TotpEnrolmentDetails {
  readonly kind: 'totp';
  readonly factorId: string;
  /** When the pending factor expires if no code confirms it. */
  readonly expiresAt: Date;
}

/** A new text-message, phone-call or email factor, with the code sent to confirm it. */
export interface CodeEnrolment {
  readonly kind: CodeFactorKind;
  readonly factorId: string;
  readonly challenge: SentChallenge;
  /** For phone factors: the number as the person should see it, e.g. `07700 900123`. */
  readonly displayDestination: string;
}

/** What the sign-in page needs for the chosen factor. */
export type SignInChallenge =
  | {
      readonly kind: 'totp';
      readonly factorId: string;
      /** No code is sent: ask for the code from the app, then call verify({ factorId, code }). */
      readonly challenge: null;
    }
  | {
      readonly kind: CodeFactorKind;
      readonly factorId: string;
      /** The code was sent: call verify({ challengeId, code }). */
      readonly challenge: SentChallenge;
    };

/** A successful verification: what the portal records in the session and the ID token. */
export interface Verified {
  readonly ok: true;
  readonly accountId: string;
  /** The factor used; null for a recovery code. */
  readonly factorId: string | null;
  readonly method: VerificationMethod;
  /**
   * RFC 8176 `amr` values for the method: `otp` (app), `sms`, `tel` (call), `mail` (email code,
   * not registered), `kba` (recovery code). The portal adds `pwd` and `mfa`.
   */
  readonly amr: readonly string[];
  /** True after an email code: the portal should say so in `acr`. */
  readonly weak: boolean;
  /** After a recovery code: how many unused codes are left; otherwise null. */
  readonly recoveryCodesRemaining: number | null;
}

/** Why a code was refused. */
export type RefusalReason =
  | 'invalid_code'
  | 'code_expired'
  | 'code_replaced'
  | 'too_many_attempts'
  | 'code_already_used'
  | 'throttled'
  | 'locked';

/** A refused code. Show `REFUSAL_MESSAGES[reason]`. */
export interface Refused {
  readonly ok: false;
  readonly reason: RefusalReason;
  /** Milliseconds until another try may succeed (throttled); null when not applicable. */
  readonly retryAfterMs: number | null;
  /** For a sent code refused as `invalid_code`: tries left on it; otherwise null. */
  readonly attemptsRemaining: number | null;
}

/** The answer of a verification. */
export type VerificationResult = Verified | Refused;

/** A confirmed enrolment: the new factor, and whether `configure_mfa` was satisfied by it. */
export interface Enrolled extends Verified {
  readonly factor: FactorSummary;
  /** True when the account's `configure_mfa` required action was removed by this enrolment. */
  readonly requiredActionCompleted: boolean;
}

/** The answer of confirmEnrolment. */
export type EnrolmentResult = Enrolled | Refused;

/** A new set of recovery codes: show them once; they are stored only as hashes. */
export interface RecoveryCodeSet {
  readonly codes: readonly string[];
  readonly createdAt: Date;
}

/** What a support reset removed. */
export interface ResetOutcome {
  readonly factorsRemoved: number;
  readonly recoveryCodesRemoved: number;
  /** True when the user was emailed (false when the account has no email address). */
  readonly emailed: boolean;
  /**
   * True when there was nothing to reset (no factor, no recovery code, and setting one up already
   * required), for example because another reset came first: nothing was changed, audited or
   * emailed.
   */
  readonly alreadyReset: boolean;
}

/** What a person reads for each refusal, in English and Welsh. */
export const REFUSAL_MESSAGES: Readonly<Record<RefusalReason, LocalisedText>> = Object.freeze({
  invalid_code: {
    en: 'That code is not right. Check it and try again.',
    cy: "Dydy'r cod hwnnw ddim yn gywir. Gwiriwch ef a rhowch gynnig arall arni.",
  },
  code_expired: {
    en: 'That code has expired. Ask for a new code.',
    cy: "Mae'r cod hwnnw wedi dod i ben. Gofynnwch am god newydd.",
  },
  code_replaced: {
    en: 'We have sent you a newer code. Enter the most recent code.',
    cy: 'Rydyn ni wedi anfon cod mwy newydd atoch chi. Rhowch y cod diweddaraf.',
  },
  too_many_attempts: {
    en: 'You have entered the wrong code too many times. Ask for a new code.',
    cy: "Rydych chi wedi rhoi'r cod anghywir ormod o weithiau. Gofynnwch am god newydd.",
  },
  code_already_used: {
    en: 'That code has already been used. Wait for the next code in your app, or ask for a new one.',
    cy: "Mae'r cod hwnnw wedi cael ei ddefnyddio'n barod. Arhoswch am y cod nesaf yn eich ap, neu gofynnwch am un newydd.",
  },
  throttled: {
    en: 'Too many tries. Wait a few minutes, then try again.',
    cy: 'Gormod o ymdrechion. Arhoswch ychydig funudau, yna rhowch gynnig arall arni.',
  },
  locked: {
    en: 'Signing in with a code is locked on your account after too many wrong codes. Contact support to unlock it.',
    cy: "Mae mewngofnodi gyda chod wedi'i gloi ar eich cyfrif ar ôl gormod o godau anghywir. Cysylltwch â'r tîm cymorth i'w ddatgloi.",
  },
});

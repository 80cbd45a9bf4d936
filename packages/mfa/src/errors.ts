import { PorthError, type LocalisedText } from '@porth/identity-core';

/** Every error code @porth/mfa can raise; switch on `error.code`. */
export type MfaErrorCode =
  | 'MFA_FACTOR_NOT_FOUND'
  | 'MFA_CHALLENGE_NOT_FOUND'
  | 'MFA_WRONG_FACTOR_KIND'
  | 'MFA_LAST_FACTOR'
  | 'MFA_ENROLMENT_EXPIRED'
  | 'MFA_ALREADY_CONFIRMED'
  | 'MFA_FACTOR_DUPLICATE'
  | 'MFA_TOO_MANY_FACTORS'
  | 'MFA_NO_ACTIVE_FACTOR'
  | 'MFA_PHONE_INVALID'
  | 'MFA_PHONE_UNSUITABLE'
  | 'MFA_EMAIL_RISK_NOT_ACKNOWLEDGED'
  | 'MFA_EMAIL_MISSING'
  | 'MFA_RESEND_TOO_SOON'
  | 'MFA_SEND_LIMIT_REACHED'
  | 'MFA_DELIVERY_FAILED'
  | 'MFA_ACTOR_NOT_ALLOWED'
  | 'MFA_LOCKED'
  | 'MFA_SECRET_UNREADABLE';

/** What a person reads for each error code, in English and Welsh (the portal's message catalogue). */
export const MFA_ERROR_MESSAGES: Readonly<Record<MfaErrorCode, LocalisedText>> = Object.freeze({
  MFA_FACTOR_NOT_FOUND: {
    en: 'We could not find that sign-in method. Go back and choose it again.',
    cy: "Doedd dim modd dod o hyd i'r dull mewngofnodi hwnnw. Ewch yn ôl a'i ddewis eto.",
  },
  MFA_CHALLENGE_NOT_FOUND: {
    en: 'That code request is no longer valid. Ask for a new code.',
    cy: "Dydy'r cais am god ddim yn ddilys bellach. Gofynnwch am god newydd.",
  },
  MFA_WRONG_FACTOR_KIND: {
    en: 'That sign-in method cannot be used this way. Go back and choose it again.',
    cy: "Does dim modd defnyddio'r dull mewngofnodi hwnnw fel hyn. Ewch yn ôl a'i ddewis eto.",
  },
  MFA_LAST_FACTOR: {
    en: 'You cannot remove your only sign-in method. Add another method first, then remove this one.',
    cy: 'Allwch chi ddim tynnu eich unig ddull mewngofnodi. Ychwanegwch ddull arall yn gyntaf, yna tynnwch yr un hwn.',
  },
  MFA_ENROLMENT_EXPIRED: {
    en: 'Setting up this method took too long. Start again.',
    cy: 'Cymerodd osod y dull hwn ormod o amser. Dechreuwch eto.',
  },
  MFA_ALREADY_CONFIRMED: {
    en: 'This method is already set up.',
    cy: "Mae'r dull hwn wedi'i osod yn barod.",
  },
  MFA_FACTOR_DUPLICATE: {
    en: 'This phone number is already one of your sign-in methods.',
    cy: "Mae'r rhif ffôn hwn eisoes yn un o'ch dulliau mewngofnodi.",
  },
  MFA_TOO_MANY_FACTORS: {
    en: 'You have set up as many sign-in methods as you can. Remove one before adding another.',
    cy: 'Rydych chi wedi gosod cymaint o ddulliau mewngofnodi ag y gallwch chi. Tynnwch un cyn ychwanegu un arall.',
  },
  MFA_NO_ACTIVE_FACTOR: {
    en: 'Set up a sign-in method (an app, text message, phone call or email) before creating recovery codes.',
    cy: 'Gosodwch ddull mewngofnodi (ap, neges destun, galwad ffôn neu e-bost) cyn creu codau adfer.',
  },
  MFA_PHONE_INVALID: {
    en: 'Enter a valid phone number, like 07700 900123 or +44 7700 900123.',
    cy: 'Rhowch rif ffôn dilys, fel 07700 900123 neu +44 7700 900123.',
  },
  MFA_PHONE_UNSUITABLE: {
    en: 'This number cannot receive sign-in codes. Enter a mobile or landline number.',
    cy: "Does dim modd i'r rhif hwn dderbyn codau mewngofnodi. Rhowch rif ffôn symudol neu linell dir.",
  },
  MFA_EMAIL_RISK_NOT_ACKNOWLEDGED: {
    en: 'Confirm that you understand the risks of using email as your sign-in method.',
    cy: 'Cadarnhewch eich bod yn deall y risgiau o ddefnyddio e-bost fel eich dull mewngofnodi.',
  },
  MFA_EMAIL_MISSING: {
    en: 'There is no email address on your account, so codes cannot be sent by email.',
    cy: 'Does dim cyfeiriad e-bost ar eich cyfrif, felly does dim modd anfon codau drwy e-bost.',
  },
  MFA_RESEND_TOO_SOON: {
    en: 'We have just sent you a code. Wait a minute before asking for another one.',
    cy: 'Rydyn ni newydd anfon cod atoch chi. Arhoswch funud cyn gofyn am un arall.',
  },
  MFA_SEND_LIMIT_REACHED: {
    en: 'We have sent as many codes as we can for now. Try again later or use another sign-in method.',
    cy: 'Rydyn ni wedi anfon cymaint o godau ag y gallwn ni am y tro. Rhowch gynnig arall arni yn nes ymlaen neu defnyddiwch ddull mewngofnodi arall.',
  },
  MFA_DELIVERY_FAILED: {
    en: 'We could not send your code. Check the number and try again, or use another sign-in method.',
    cy: 'Doedd dim modd anfon eich cod. Gwiriwch y rhif a rhowch gynnig arall arni, neu defnyddiwch ddull mewngofnodi arall.',
  },
  MFA_ACTOR_NOT_ALLOWED: {
    en: 'Only support staff can reset sign-in methods.',
    cy: "Dim ond staff cymorth sy'n gallu ailosod dulliau mewngofnodi.",
  },
  MFA_LOCKED: {
    en: 'Signing in with a code is locked on your account after too many wrong codes. Contact support to unlock it.',
    cy: "Mae mewngofnodi gyda chod wedi'i gloi ar eich cyfrif ar ôl gormod o godau anghywir. Cysylltwch â'r tîm cymorth i'w ddatgloi.",
  },
  MFA_SECRET_UNREADABLE: {
    en: 'This authenticator app can no longer be used. Contact support to reset your sign-in methods.',
    cy: "Does dim modd defnyddio'r ap dilysu hwn bellach. Cysylltwch â'r tîm cymorth i ailosod eich dulliau mewngofnodi.",
  },
});

/** Base class of every error thrown by @porth/mfa; carries a stable `code` and no HTTP status. */
export class MfaError extends PorthError<MfaErrorCode> {
  /** What a person reads for this error, in English and Welsh. */
  get userMessage(): LocalisedText {
    return MFA_ERROR_MESSAGES[this.code];
  }
}

/** No factor with that id belongs to the account (or it is not in the state the call needs). */
export class FactorNotFoundError extends MfaError {
  constructor() {
    super('MFA_FACTOR_NOT_FOUND', 'No such second factor on this account');
  }
}

/** No open code challenge with that id belongs to the account. */
export class ChallengeNotFoundError extends MfaError {
  constructor() {
    super('MFA_CHALLENGE_NOT_FOUND', 'No such code challenge on this account');
  }
}

/** The factor is of another kind than the call needs (e.g. a TOTP code for a text-message factor). */
export class WrongFactorKindError extends MfaError {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super('MFA_WRONG_FACTOR_KIND', `Expected a ${expected} factor, found ${actual}`);
  }
}

/** Removing this factor would leave an active account without any second factor. */
export class LastFactorError extends MfaError {
  constructor() {
    super('MFA_LAST_FACTOR', 'An active account must keep at least one second factor');
  }
}

/** A pending factor was not confirmed in time; the enrolment must start again. */
export class EnrolmentExpiredError extends MfaError {
  constructor() {
    super('MFA_ENROLMENT_EXPIRED', 'The enrolment has expired');
  }
}

/** The factor is already active; there is nothing to confirm. */
export class AlreadyConfirmedError extends MfaError {
  constructor() {
    super('MFA_ALREADY_CONFIRMED', 'The factor is already active');
  }
}

/** The account already has an active factor with this phone number. */
export class DuplicateFactorError extends MfaError {
  constructor() {
    super('MFA_FACTOR_DUPLICATE', 'The account already has a factor with this destination');
  }
}

/** The account has as many factors as allowed. */
export class TooManyFactorsError extends MfaError {
  constructor(readonly limit: number) {
    super('MFA_TOO_MANY_FACTORS', `An account may have at most ${limit} second factors`);
  }
}

/** Recovery codes need at least one active factor on the account. */
export class NoActiveFactorError extends MfaError {
  constructor() {
    super('MFA_NO_ACTIVE_FACTOR', 'The account has no active second factor');
  }
}

/** The text is not a phone number libphonenumber recognises as valid. */
export class InvalidPhoneNumberError extends MfaError {
  constructor() {
    super('MFA_PHONE_INVALID', 'Not a valid phone number');
  }
}

/**
 * The number is valid but cannot take the requested delivery: `reason` is `landline_no_sms`
 * (a fixed line cannot receive texts), `not_personal` (premium rate, shared cost, pager …) or
 * `country_not_allowed`.
 */
export class UnsuitablePhoneNumberError extends MfaError {
  constructor(readonly reason: 'landline_no_sms' | 'not_personal' | 'country_not_allowed') {
    super('MFA_PHONE_UNSUITABLE', `The phone number cannot be used: ${reason}`);
  }

  /** What a person reads, more precise than the code's general message. */
  override get userMessage(): LocalisedText {
    switch (this.reason) {
      case 'landline_no_sms':
        return {
          en: 'This looks like a landline, which cannot receive text messages. Choose "Call me" instead, or enter a mobile number.',
          cy: 'Mae\'n edrych fel llinell dir, sy\'n methu derbyn negeseuon testun. Dewiswch "Ffoniwch fi" yn lle hynny, neu rhowch rif ffôn symudol.',
        };
      case 'country_not_allowed':
        return {
          en: 'We cannot send codes to phone numbers in that country. Choose another sign-in method.',
          cy: 'Allwn ni ddim anfon codau i rifau ffôn yn y wlad honno. Dewiswch ddull mewngofnodi arall.',
        };
      case 'not_personal':
        return MFA_ERROR_MESSAGES.MFA_PHONE_UNSUITABLE;
    }
  }
}

/** Email codes are offered only after the user confirms they understand the risks. */
export class EmailRiskNotAcknowledgedError extends MfaError {
  constructor() {
    super('MFA_EMAIL_RISK_NOT_ACKNOWLEDGED', 'The risks of email codes were not acknowledged');
  }
}

/** The account has no email address to send codes to. */
export class EmailMissingError extends MfaError {
  constructor() {
    super('MFA_EMAIL_MISSING', 'The account has no email address');
  }
}

/** A code was sent to this factor moments ago; `retryAfterMs` says when another may be sent. */
export class ResendTooSoonError extends MfaError {
  constructor(readonly retryAfterMs: number) {
    super('MFA_RESEND_TOO_SOON', 'A code was sent moments ago');
  }
}

/** The per-number daily cap or the per-account sending limit is reached. */
export class SendLimitReachedError extends MfaError {
  constructor(
    readonly limit: 'destination_daily' | 'account',
    readonly retryAfterMs: number,
  ) {
    super('MFA_SEND_LIMIT_REACHED', `The ${limit} sending limit is reached`);
  }
}

/**
 * The SMS or voice provider refused or could not be reached. `status` is the provider's HTTP
 * status (0 when it could not be reached), `providerCode` its own error code when it gave one,
 * `retryable` whether trying again later may work. The message holds no number and no code.
 */
export class DeliveryFailedError extends MfaError {
  constructor(
    message: string,
    readonly details: {
      readonly channel: 'sms' | 'voice';
      readonly status: number;
      readonly providerCode: number | null;
      readonly retryable: boolean;
    },
    options?: { cause?: unknown },
  ) {
    super('MFA_DELIVERY_FAILED', message, options);
  }
}

/** The acting account may not reset other people's factors (only active staff accounts may). */
export class ActorNotAllowedError extends MfaError {
  constructor() {
    super('MFA_ACTOR_NOT_ALLOWED', 'Only an active staff account may reset second factors');
  }
}

/** Second-factor verification on the account is locked (100 consecutive failures) until support resets it. */
export class MfaLockedError extends MfaError {
  constructor() {
    super('MFA_LOCKED', 'Second-factor verification is locked on this account');
  }
}

/** A stored TOTP secret cannot be decrypted (the deployment secret changed, or the row was damaged). */
export class SecretUnreadableError extends MfaError {
  constructor(options?: { cause?: unknown }) {
    super('MFA_SECRET_UNREADABLE', 'The stored TOTP secret cannot be decrypted', options);
  }
}

import type { Executor, Locale } from '@porth/identity-core';

/** The kinds of stored second factor. */
export const FACTOR_KINDS = ['totp', 'sms', 'voice', 'email'] as const;
/** A kind of stored second factor: authenticator app, text message, phone call or email code. */
export type FactorKind = (typeof FACTOR_KINDS)[number];

/** The kinds of factor that prove possession with a code Porth sends. */
export type CodeFactorKind = Exclude<FactorKind, 'totp'>;

/** How a verification was made: a factor kind, or a recovery code. */
export type VerificationMethod = FactorKind | 'recovery_code';

/**
 * Where a factor is in its life: `pending` from enrolment until the first code is confirmed,
 * then `active`. Removing a factor deletes it.
 */
export type FactorState = 'pending' | 'active';

/** True when `value` is a factor kind. */
export function isFactorKind(value: unknown): value is FactorKind {
  return (FACTOR_KINDS as readonly unknown[]).includes(value);
}

/**
 * What each way of verifying says about itself. Every factor implements this narrow interface;
 * the ones that send codes add {@link CodeChannel}.
 */
export interface Factor {
  /** The verification method this factor provides. */
  readonly method: VerificationMethod;
  /**
   * The RFC 8176 `amr` values to put in the ID token after a verification with this method
   * (the portal adds `pwd` and `mfa`).
   */
  readonly amr: readonly string[];
  /**
   * True for a method NIST SP 800-63B does not accept as a second factor (email): the portal
   * says so in `acr`, so a relying application can ask for more.
   */
  readonly weak: boolean;
}

/** A message carrying a one-time code, as a code channel delivers it. */
export interface CodeMessage {
  /** The E.164 phone number or email address. */
  readonly to: string;
  /** The code, e.g. `042917`. Never log it. */
  readonly code: string;
  /** The language of the message. */
  readonly locale: Locale;
  /** How long the code works, in whole minutes. */
  readonly minutes: number;
  /** The account the code is for (kept with a development outbox entry). */
  readonly accountId: string;
}

/** A factor that proves possession by a code it delivers: text message, phone call or email. */
export interface CodeChannel extends Factor {
  readonly method: CodeFactorKind;
  /**
   * True when delivery calls an outside service (SMS, voice): it runs after the challenge is
   * committed, so no transaction waits on a network call. False when delivery only writes to the
   * database (email outbox): it runs inside the challenge's transaction, so the message exists
   * exactly when the challenge does.
   */
  readonly deliversAfterCommit: boolean;
  /** Delivers `message`; `executor` is the challenge's transaction, or the database after commit. */
  deliver(executor: Executor, message: CodeMessage): Promise<void>;
}

/** A stored factor as the service sees it (the sealed secret stays in the repository). */
export interface FactorRecord {
  readonly id: string;
  readonly accountId: string;
  readonly kind: FactorKind;
  readonly state: FactorState;
  readonly isDefault: boolean;
  /** The E.164 number (sms, voice) or email address (email); null for totp. */
  readonly destination: string | null;
  /** libphonenumber's type of a phone factor's number, e.g. `MOBILE`, `FIXED_LINE`. */
  readonly phoneType: string | null;
  /** The AES-GCM sealed TOTP secret; null for other kinds. */
  readonly secretSealed: string | null;
  /** The last TOTP time-step accepted, or null. */
  readonly lastUsedStep: number | null;
  /** When the user confirmed the risks of email codes (email factors). */
  readonly riskAcknowledgedAt: Date | null;
  readonly createdAt: Date;
  readonly confirmedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

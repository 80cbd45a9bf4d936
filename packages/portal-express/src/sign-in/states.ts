import type { RequiredAction } from '@porth/identity-core';
import type { CodeFactorKind, FactorKind, PhoneDelivery } from '@porth/mfa';

/** Where a sign-in stands; the server, not the browser, decides which page comes next. */
export const SIGN_IN_STATES = [
  /** "Username" → Next. */
  'username',
  /** A legacy AMP username: its current password migrates the account. */
  'migrate',
  /** The account was migrated: the new username is shown, then back to "Username". */
  'migrated',
  /** "Password" → Sign in. */
  'password',
  /** The second factor: the default method, or another one. */
  'second_factor',
  /** No second factor yet (`configure_mfa`): set one up. */
  'mfa_setup',
  /** A first second factor was set up: the recovery codes, shown once. */
  'recovery_codes',
  /** A temporary password must be changed (`update_password`). */
  'update_password',
  /** Missing profile details must be filled in (`update_profile`). */
  'update_profile',
  /** "Stay signed in?" Yes / No. */
  'stay_signed_in',
  /** Handed back to the provider. */
  'done',
] as const;

/** One state of the sign-in machine. */
export type SignInState = (typeof SIGN_IN_STATES)[number];

/** The flow kind of sign-ins in the `flows` table. */
export const SIGN_IN_FLOW_KIND = 'sign_in';

/** What a sign-in has gathered so far. Never a password, code or secret. */
export interface SignInContext {
  /** The client the user is signing in to. */
  readonly clientId: string;
  /** The username as last typed (trimmed), to show back on later pages. */
  readonly username?: string;
  /** Set once the password (or legacy password) is verified. */
  readonly accountId?: string;
  /** Authentication methods used so far (`pwd`, then e.g. `otp`, `sms`, `tel`, `mail`, `kba`). */
  readonly amr?: readonly string[];
  /** True when the application asked for a strong second factor (no email code). */
  readonly strongFactorRequired?: boolean;
  /** True when the second factor used was an email code (the weakest). */
  readonly weakSecondFactor?: boolean;
  /** The factor being challenged and its pending code request, if one was sent. */
  readonly factorId?: string;
  readonly challengeId?: string;
  /** Required actions still to do before "Stay signed in?". */
  readonly pendingActions?: readonly RequiredAction[];
  /** After a migration: what the confirmation page shows. */
  readonly migration?: {
    readonly newUsername: string;
    readonly emailedTo: string | null;
    /** Allows "send my temporary password again"; kept server-side only. */
    readonly resendToken: string | null;
  };
  /** A one-off message key for the next page (e.g. `sign_in.code_resent`). */
  readonly notice?: string;
  /** Setting up the first second factor (`mfa_setup`): what has been chosen and is pending. */
  readonly mfaSetup?: MfaSetupProgress;
  /** True once this sign-in has made (and shown) a set of recovery codes; the codes are never kept. */
  readonly recoveryCodesShown?: boolean;
}

/** Where the set-up of a first second factor stands; ids only, never a secret or a code. */
export interface MfaSetupProgress {
  /** The method chosen on "Set up a second step": an app, a phone (text or call) or email. */
  readonly method: 'totp' | 'phone' | 'email';
  /** The phone number typed (checked), before a code was sent to it. */
  readonly phone?: {
    readonly e164: string;
    /** As the person would write it, e.g. `07700 900123`. */
    readonly national: string;
    /** How it can take a code: a mobile `sms` and `voice`, a landline `voice` only. */
    readonly deliveries: readonly PhoneDelivery[];
  };
  /** The pending factor waiting for its first code. */
  readonly factorId?: string;
  readonly kind?: FactorKind;
  /** The code sent to confirm a text-message, call or email factor. */
  readonly challengeId?: string;
  /** How the code went (`sms`, `voice`, `email`). */
  readonly channel?: CodeFactorKind;
  /** Where the code went, as shown to the person (`07700 900123`, `s***@example.org`). */
  readonly destination?: string;
}

/**
 * The account aggregate: kinds, statuses, locales, required actions and the allowed status
 * transitions, written out once.
 */

/** Every kind of account, in a fixed order. */
export const ACCOUNT_KINDS = ['appointee', 'centre_user', 'staff'] as const;
/** Who the account belongs to: an appointee (examiner, moderator), an exam-centre user, or support staff. */
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** Every account status, in a fixed order. */
export const ACCOUNT_STATUSES = ['legacy', 'active', 'disabled', 'deleted'] as const;
/**
 * Where an account is in its life:
 * - `legacy`: an imported legacy AMP record not yet migrated — a legacy username and legacy
 *   password hash, no new username;
 * - `active`: may sign in with its new username;
 * - `disabled`: kept, but may not sign in until enabled again;
 * - `deleted`: soft-deleted and audited; never signs in, never found by username or email.
 */
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** The languages Porth speaks, in a fixed order. */
export const LOCALES = ['en', 'cy'] as const;
/** A user's language: English or Welsh. */
export type Locale = (typeof LOCALES)[number];

/** Every required action, in the order the first sign-in asks for them. */
export const REQUIRED_ACTIONS = [
  'configure_mfa',
  'update_password',
  'update_profile',
  'verify_email',
] as const;
/** Something the user must do at their next sign-in before reaching an application. */
export type RequiredAction = (typeof REQUIRED_ACTIONS)[number];

/**
 * Every allowed status change, written out once: `from → statuses it may go to`.
 * `legacy → active` is migration; `deleted` is final.
 */
export const STATUS_TRANSITIONS: { readonly [S in AccountStatus]: readonly AccountStatus[] } = {
  legacy: ['active', 'deleted'],
  active: ['disabled', 'deleted'],
  disabled: ['active', 'deleted'],
  deleted: [],
};

/** True when an account may go from status `from` to status `to`. */
export function canChangeStatus(from: AccountStatus, to: AccountStatus): boolean {
  return STATUS_TRANSITIONS[from].includes(to);
}

/** True when `value` is one of the account kinds. */
export function isAccountKind(value: unknown): value is AccountKind {
  return (ACCOUNT_KINDS as readonly unknown[]).includes(value);
}

/** True when `value` is one of the account statuses. */
export function isAccountStatus(value: unknown): value is AccountStatus {
  return (ACCOUNT_STATUSES as readonly unknown[]).includes(value);
}

/** True when `value` is `en` or `cy`. */
export function isLocale(value: unknown): value is Locale {
  return (LOCALES as readonly unknown[]).includes(value);
}

/** True when `value` is one of the required actions. */
export function isRequiredAction(value: unknown): value is RequiredAction {
  return (REQUIRED_ACTIONS as readonly unknown[]).includes(value);
}

/**
 * One account as the rest of Porth sees it. The password hash is deliberately absent: read it
 * only through `AccountRepository.getPasswordHash`.
 */
export interface Account {
  /** 128-bit random id (32 hex characters); the stable subject for relying applications. */
  readonly id: string;
  readonly kind: AccountKind;
  readonly status: AccountStatus;
  /** The new username (`firstname.surname@domain`), normalised; null for a legacy account. */
  readonly username: string | null;
  /** The legacy AMP username as imported (trimmed); null for accounts that never had one. */
  readonly legacyUsername: string | null;
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly phone: string | null;
  readonly teachingCentre: string | null;
  readonly locale: Locale;
  /** True when a password hash (new or legacy) is stored. */
  readonly hasPassword: boolean;
  /** True when the password was issued by Porth (e.g. emailed at migration) and must be changed. */
  readonly passwordTemporary: boolean;
  /** When a temporary password stops working; null when it does not expire. */
  readonly passwordExpiresAt: Date | null;
  readonly passwordChangedAt: Date | null;
  /** Further profile facts carried over from the legacy record or added by applications. */
  readonly profileExtra: Readonly<Record<string, unknown>>;
  readonly lastSignInAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deletedAt: Date | null;
  /** Bumped by every change to profile, status or username; guards concurrent edits. */
  readonly version: number;
}

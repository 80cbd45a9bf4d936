/**
 * The storage contract of the account aggregate. Every method speaks domain types; every
 * "exactly once" rule is a guarded write or a unique key, never a read followed by a write.
 *
 * Soft delete: a deleted account keeps its row, username and email for the record, but
 * - its `username_key` and `email_key` are cleared, so it never blocks a new account or invite
 *   with the same username or email, and it is never found by username or email;
 * - its password hash is erased, so it can never sign in, whatever a caller forgets to check;
 * - its `legacy_username_key` is KEPT, so re-running a bulk import does not bring a deleted
 *   legacy record back; lookups by legacy username still skip it.
 * Only findById returns deleted accounts. Relying applications must key on the account id
 * (`sub`), never on the username, because a freed username can be issued again.
 */
import type { Account, AccountKind, AccountStatus, Locale, RequiredAction } from './account.js';

/** What is needed to create an account that can sign in. */
export interface NewActiveAccount {
  readonly kind: AccountKind;
  /** The sign-in name; stored and compared normalised. */
  readonly username: string;
  readonly email?: string | null;
  readonly emailVerified?: boolean;
  readonly givenName?: string | null;
  readonly familyName?: string | null;
  readonly phone?: string | null;
  readonly teachingCentre?: string | null;
  readonly locale?: Locale;
  readonly profileExtra?: Readonly<Record<string, unknown>>;
  /** Actions the first sign-in will ask for, e.g. `configure_mfa`. */
  readonly requiredActions?: readonly RequiredAction[];
}

/** One legacy AMP record to import: its username and hash exactly as the old system had them. */
export interface LegacyAccountInput {
  readonly legacyUsername: string;
  /** The legacy password hash, stored as it is (verified later by a legacy hash verifier). */
  readonly passwordHash: string;
  /** Defaults to `appointee`. */
  readonly kind?: AccountKind;
  readonly email?: string | null;
  readonly givenName?: string | null;
  readonly familyName?: string | null;
  readonly phone?: string | null;
  readonly teachingCentre?: string | null;
  readonly locale?: Locale;
  readonly profileExtra?: Readonly<Record<string, unknown>>;
}

/** Why insertLegacyMany left a row out. */
export type LegacySkipReason = 'already_imported' | 'duplicate_in_input' | 'invalid';

/** The outcome of insertLegacyMany; `index` is the row's position in the input. */
export interface LegacyInsertResult {
  readonly inserted: readonly {
    readonly index: number;
    readonly id: string;
    readonly legacyUsername: string;
  }[];
  readonly skipped: readonly {
    readonly index: number;
    readonly legacyUsername: string;
    readonly reason: LegacySkipReason;
    /** For `invalid`: what is wrong, e.g. `email longer than 254 characters`. */
    readonly detail?: string;
  }[];
}

/** Options for insertLegacyMany. */
export interface LegacyInsertOptions {
  /** Rows per INSERT statement (default 500; SQLite allows at most 500). */
  readonly batchSize?: number;
}

/** A profile change; a field left out stays as it is. Validate first (validateProfileChanges). */
export interface ProfileUpdate {
  readonly givenName?: string | null;
  readonly familyName?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly teachingCentre?: string | null;
  readonly locale?: Locale;
  /** Replaces the whole extra profile record. */
  readonly profileExtra?: Readonly<Record<string, unknown>>;
}

/** Options for setPasswordHash. */
export interface PasswordHashOptions {
  /** True for a password Porth issued (e.g. emailed at migration) that must be changed. */
  readonly temporary?: boolean;
  /** When a temporary password stops working. */
  readonly expiresAt?: Date | null;
}

/** Storage of accounts and their required actions. */
export interface AccountRepository {
  /** Creates an active account; throws UsernameTakenError when the normalised username is in use. */
  createActive(input: NewActiveAccount): Promise<Account>;
  /** Imports one legacy record; throws LegacyUsernameTakenError when it is already present. */
  insertLegacy(input: LegacyAccountInput): Promise<Account>;
  /**
   * Imports many legacy records quickly: one multi-row INSERT per batch that skips legacy
   * usernames already present, safe when several imports run at once. Idempotent: a second run
   * inserts nothing. Returns which rows were inserted and why the others were not.
   */
  insertLegacyMany(
    rows: readonly LegacyAccountInput[],
    options?: LegacyInsertOptions,
  ): Promise<LegacyInsertResult>;
  /** The account with this id, deleted ones included; null when there is none. */
  findById(id: string): Promise<Account | null>;
  /** The live account with this username (compared normalised); null when there is none. */
  findByUsername(username: string): Promise<Account | null>;
  /** Every live account with this email (compared normalised), oldest first; several may share one. */
  findByEmail(email: string): Promise<Account[]>;
  /** The live account imported with this legacy username (compared normalised); null when there is none. */
  findByLegacyUsername(legacyUsername: string): Promise<Account | null>;
  /**
   * Changes profile fields if the account is still at `expectedVersion`, and bumps the version.
   * A changed email is marked unverified. Throws ConcurrentUpdateError when the version is
   * stale, AccountNotFoundError when the account is missing or deleted.
   */
  updateProfile(id: string, expectedVersion: number, changes: ProfileUpdate): Promise<Account>;
  /**
   * Moves the account from `expected` to `to` (see STATUS_TRANSITIONS) with
   * `UPDATE … WHERE id = ? AND status = ?`. Throws InvalidStatusChangeError for a change the
   * table forbids (or activating an account without a username), ConcurrentUpdateError when
   * the status is no longer `expected`, AccountNotFoundError when there is no such account.
   * Moving to `deleted` is a soft delete.
   */
  changeStatus(id: string, expected: AccountStatus, to: AccountStatus): Promise<Account>;
  /** Soft-deletes an account that is still in status `expected` (see the module comment). */
  softDelete(id: string, expected: AccountStatus): Promise<Account>;
  /** Marks the email verified, if the account's email is still `email` (compared normalised); false otherwise. */
  markEmailVerified(id: string, email: string): Promise<boolean>;
  /** The stored password hash of a live account; null when there is none or the account is deleted. */
  getPasswordHash(id: string): Promise<string | null>;
  /** Stores a new password hash and records when the password changed. Throws AccountNotFoundError for a missing or deleted account. */
  setPasswordHash(id: string, hash: string, options?: PasswordHashOptions): Promise<void>;
  /**
   * Replaces `currentHash` with `newHash` for the same password (e.g. a legacy hash upgraded to
   * argon2id after a successful sign-in), only if `currentHash` is still stored; false otherwise.
   */
  upgradePasswordHash(id: string, currentHash: string, newHash: string): Promise<boolean>;
  /** Records a successful sign-in now; throws AccountNotActiveError unless the account is legacy or active. */
  recordSignIn(id: string): Promise<void>;
  /** Adds a required action; adding one already present does nothing. Throws AccountNotFoundError for an unknown account. */
  addRequiredAction(id: string, action: RequiredAction): Promise<void>;
  /** Removes a required action; true when it was present. */
  removeRequiredAction(id: string, action: RequiredAction): Promise<boolean>;
  /** The account's required actions, in the order the first sign-in asks for them. */
  listRequiredActions(id: string): Promise<RequiredAction[]>;
  /**
   * Gives an account without a username the first free one of `firstname.surname@domain`,
   * `firstname.surname2@domain`, …, race-safely (the unique key decides), and returns it.
   * Throws ConcurrentUpdateError when the account already has a username, AccountNotFoundError
   * when it is missing or deleted.
   */
  issueUsername(
    id: string,
    givenName: string | null,
    familyName: string | null,
    domain?: string,
  ): Promise<string>;
}

import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { dialectOf } from '../db/connect.js';
import { isRetryableConflict, isUniqueViolation } from '../db/errors.js';
import { transaction, type Executor } from '../db/transaction.js';
import { ConcurrentUpdateError } from '../errors.js';
import { randomId, type RandomSource } from '../random.js';
import {
  REQUIRED_ACTIONS,
  canChangeStatus,
  isAccountKind,
  isAccountStatus,
  isLocale,
  isRequiredAction,
  type Account,
  type AccountStatus,
  type RequiredAction,
} from './account.js';
import {
  AccountNotActiveError,
  AccountNotFoundError,
  InvalidProfileError,
  InvalidStatusChangeError,
  LegacyUsernameTakenError,
  UsernameInvalidError,
  UsernameTakenError,
} from '../errors.js';
import type {
  AccountRepository,
  LegacyAccountInput,
  LegacyInsertOptions,
  LegacyInsertResult,
  NewActiveAccount,
  PasswordHashOptions,
  ProfileUpdate,
} from './account-repository.js';
import {
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PHONE_LENGTH,
  MAX_TEACHING_CENTRE_LENGTH,
  profileIssue,
  type ProfileField,
  type ProfileIssue,
} from './profile.js';
import { DEFAULT_USERNAME_DOMAIN } from '../config.js';
import {
  normaliseEmail,
  normaliseUsername,
  numberedUsername,
  usernameBase,
  usernameNumber,
} from './usernames.js';

/** A row of the `accounts` table as the drivers return it. */
interface AccountRow {
  id: string;
  kind: string;
  status: string;
  username: string | null;
  username_key: string | null;
  legacy_username: string | null;
  legacy_username_key: string | null;
  email: string | null;
  email_key: string | null;
  email_verified: number | boolean | string;
  given_name: string | null;
  family_name: string | null;
  phone: string | null;
  teaching_centre: string | null;
  locale: string;
  /** 1 when a password hash is stored; the hash itself is never selected here. */
  has_password: number | string;
  password_temporary: number | boolean | string;
  password_expires_at: number | string | null;
  password_changed_at: number | string | null;
  profile_extra: string | null;
  last_sign_in_at: number | string | null;
  created_at: number | string;
  updated_at: number | string;
  deleted_at: number | string | null;
  version: number | string;
}

/** The longest username or legacy username (the column width). */
const MAX_USERNAME_LENGTH = 255;
/** The longest password hash (the column width). */
const MAX_PASSWORD_HASH_LENGTH = 512;
/** SQLite refuses an INSERT … SELECT with more than 500 compound terms. */
const SQLITE_MAX_BATCH = 500;
const MYSQL_MAX_BATCH = 2000;
/** How many numbered usernames issueUsername tries before giving up. */
const MAX_USERNAME_ATTEMPTS = 10_000;
/** How often one statement is retried after a deadlock or busy database outside a transaction. */
const MAX_CONFLICT_RETRIES = 8;

/** Every column except password_hash, which only getPasswordHash reads. */
const ACCOUNT_COLUMN_NAMES = [
  'id',
  'kind',
  'status',
  'username',
  'username_key',
  'legacy_username',
  'legacy_username_key',
  'email',
  'email_key',
  'email_verified',
  'given_name',
  'family_name',
  'phone',
  'teaching_centre',
  'locale',
  'password_expires_at',
  'password_changed_at',
  'profile_extra',
  'last_sign_in_at',
  'created_at',
  'updated_at',
  'deleted_at',
  'version',
  'password_temporary',
] as const;

function accountColumns(db: Executor): (string | Knex.Raw)[] {
  return [
    ...ACCOUNT_COLUMN_NAMES,
    db.raw('CASE WHEN ?? IS NULL THEN 0 ELSE 1 END AS ??', ['password_hash', 'has_password']),
  ];
}

/**
 * Accounts in the `accounts` and `account_required_actions` tables, on SQLite and MySQL/MariaDB.
 * Pass a transaction as `db` to make its writes part of a larger change.
 */
export class KnexAccountRepository implements AccountRepository {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Creates an active account; throws UsernameTakenError when the normalised username is in use. */
  async createActive(input: NewActiveAccount): Promise<Account> {
    if (!isAccountKind(input.kind))
      throw new RangeError(`Unknown account kind "${String(input.kind)}"`);
    if (input.locale !== undefined && !isLocale(input.locale))
      throw new RangeError('Unknown locale');
    const username = checkUsername(input.username);
    const issues = columnIssues(input);
    if (issues.length > 0) throw new InvalidProfileError(issues);
    const now = this.clock.now().getTime();
    const email = emptyToNull(input.email);
    const row = {
      id: randomId(this.random),
      kind: input.kind,
      status: 'active',
      username,
      username_key: username,
      legacy_username: null,
      legacy_username_key: null,
      email,
      email_key: email === null ? null : normaliseEmail(email),
      email_verified: input.emailVerified ? 1 : 0,
      given_name: emptyToNull(input.givenName),
      family_name: emptyToNull(input.familyName),
      phone: emptyToNull(input.phone),
      teaching_centre: emptyToNull(input.teachingCentre),
      locale: input.locale ?? 'en',
      password_hash: null,
      password_temporary: 0,
      password_expires_at: null,
      password_changed_at: null,
      profile_extra: serialiseExtra(input.profileExtra),
      last_sign_in_at: null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
      version: 1,
    };
    const actions = [...new Set(input.requiredActions ?? [])];
    for (const action of actions) {
      if (!isRequiredAction(action))
        throw new RangeError(`Unknown required action "${String(action)}"`);
    }
    await transaction(this.db, async (trx) => {
      try {
        await trx('accounts').insert(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw new UsernameTakenError();
        throw err;
      }
      if (actions.length > 0) {
        await trx('account_required_actions').insert(
          actions.map((action) => ({ account_id: row.id, action, created_at: now })),
        );
      }
    });
    return toAccount(withoutHash(row));
  }

  /** Imports one legacy record; throws LegacyUsernameTakenError when it is already present. */
  async insertLegacy(input: LegacyAccountInput): Promise<Account> {
    const problem = legacyProblem(input);
    if (problem) throw problem.error;
    const row = legacyRow(input, randomId(this.random), this.clock.now().getTime());
    try {
      await this.db('accounts').insert(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new LegacyUsernameTakenError();
      throw err;
    }
    return toAccount(withoutHash(row));
  }

  /**
   * Imports many legacy records: one multi-row INSERT per batch that leaves out legacy usernames
   * already present (`ON CONFLICT DO NOTHING` on SQLite, a no-op `ON DUPLICATE KEY UPDATE` on
   * MySQL — not `INSERT IGNORE`, which would also hide truncation and foreign-key errors). Rows
   * are told apart by their fresh random ids, so the result is right even when another import
   * of the same rows runs at the same time.
   */
  async insertLegacyMany(
    rows: readonly LegacyAccountInput[],
    options: LegacyInsertOptions = {},
  ): Promise<LegacyInsertResult> {
    const mysql = dialectOf(this.db) === 'mysql';
    const batchSize = Math.max(
      1,
      Math.min(Math.floor(options.batchSize ?? 500), mysql ? MYSQL_MAX_BATCH : SQLITE_MAX_BATCH),
    );
    const inserted: { index: number; id: string; legacyUsername: string }[] = [];
    const skipped: LegacyInsertResult['skipped'][number][] = [];
    const seen = new Set<string>();
    const prepared: { index: number; row: LegacyRow }[] = [];
    const now = this.clock.now().getTime();

    rows.forEach((input, index) => {
      const legacyUsername =
        typeof input.legacyUsername === 'string' ? input.legacyUsername.trim() : '';
      const problem = legacyProblem(input);
      if (problem) {
        skipped.push({ index, legacyUsername, reason: 'invalid', detail: problem.detail });
        return;
      }
      const row = legacyRow(input, randomId(this.random), now);
      if (seen.has(row.legacy_username_key)) {
        skipped.push({ index, legacyUsername, reason: 'duplicate_in_input' });
        return;
      }
      seen.add(row.legacy_username_key);
      prepared.push({ index, row });
    });

    for (let start = 0; start < prepared.length; start += batchSize) {
      // Sorted by key, so that concurrent imports lock index entries in the same order.
      const batch = prepared
        .slice(start, start + batchSize)
        .sort((a, b) => compareStrings(a.row.legacy_username_key, b.row.legacy_username_key));
      // One statement per batch; ids are ours and fresh, so finding them afterwards tells
      // exactly which rows this call inserted, whatever else runs at the same time.
      await this.retryingConflicts(() => {
        const insert = this.db('accounts')
          .insert(batch.map((b) => b.row))
          .onConflict('legacy_username_key');
        return mysql
          ? insert.merge({ legacy_username_key: this.db.raw('??', ['legacy_username_key']) })
          : insert.ignore();
      });
      const ids = new Set(
        (await this.db('accounts')
          .whereIn(
            'id',
            batch.map((b) => b.row.id),
          )
          .pluck('id')) as string[],
      );
      for (const { index, row } of batch) {
        if (ids.has(row.id)) {
          inserted.push({ index, id: row.id, legacyUsername: row.legacy_username });
        } else {
          skipped.push({ index, legacyUsername: row.legacy_username, reason: 'already_imported' });
        }
      }
    }
    inserted.sort((a, b) => a.index - b.index);
    skipped.sort((a, b) => a.index - b.index);
    return { inserted, skipped };
  }

  /** The account with this id, deleted ones included; null when there is none. */
  async findById(id: string): Promise<Account | null> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 32) return null;
    return this.findOne((q) => q.where('id', id));
  }

  /**
   * Reads the account and, on MySQL/MariaDB, locks its row until the transaction ends (`FOR
   * UPDATE`), so that changes decided on what it reads cannot race. Give it a transaction, and
   * call it first: later reads then see what a change that held the lock before committed.
   * SQLite needs no lock: it has one writer at a time.
   */
  async lockById(id: string): Promise<Account | null> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 32) return null;
    return this.findOne((q) => {
      const one = q.where('id', id);
      return dialectOf(this.db) === 'mysql' ? one.forUpdate() : one;
    });
  }

  /** The live account with this username (compared normalised); null when there is none. */
  async findByUsername(username: string): Promise<Account | null> {
    const key = normaliseUsername(username);
    if (key === '' || [...key].length > MAX_USERNAME_LENGTH) return null;
    return this.findOne((q) => q.where('username_key', key).whereNot('status', 'deleted'));
  }

  /** Every live account with this email (compared normalised), oldest first. */
  async findByEmail(email: string): Promise<Account[]> {
    const key = normaliseEmail(email);
    if (key === '' || [...key].length > MAX_EMAIL_LENGTH) return [];
    const rows = (await this.db('accounts')
      .select(accountColumns(this.db))
      .where('email_key', key)
      .whereNot('status', 'deleted')
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])) as AccountRow[];
    return rows.map(toAccount);
  }

  /** The live account imported with this legacy username (compared normalised); null when there is none. */
  async findByLegacyUsername(legacyUsername: string): Promise<Account | null> {
    const key = normaliseUsername(legacyUsername);
    if (key === '' || [...key].length > MAX_USERNAME_LENGTH) return null;
    return this.findOne((q) => q.where('legacy_username_key', key).whereNot('status', 'deleted'));
  }

  /** Changes profile fields if the account is still at `expectedVersion`; a changed email becomes unverified. */
  async updateProfile(
    id: string,
    expectedVersion: number,
    changes: ProfileUpdate,
  ): Promise<Account> {
    if (changes.locale !== undefined && !isLocale(changes.locale))
      throw new RangeError('Unknown locale');
    const issues = columnIssues(changes);
    if (issues.length > 0) throw new InvalidProfileError(issues);
    const set: Record<string, unknown> = {};
    if (changes.email !== undefined) {
      const email = emptyToNull(changes.email);
      const key = email === null ? null : normaliseEmail(email);
      // Before email_key: MySQL evaluates SET left to right with the new values.
      set.email_verified = this.db.raw('CASE WHEN ?? = ? THEN ?? ELSE 0 END', [
        'email_key',
        key ?? '',
        'email_verified',
      ]);
      set.email = email;
      set.email_key = key;
    }
    if (changes.givenName !== undefined) set.given_name = emptyToNull(changes.givenName);
    if (changes.familyName !== undefined) set.family_name = emptyToNull(changes.familyName);
    if (changes.phone !== undefined) set.phone = emptyToNull(changes.phone);
    if (changes.teachingCentre !== undefined)
      set.teaching_centre = emptyToNull(changes.teachingCentre);
    if (changes.locale !== undefined) set.locale = changes.locale;
    if (changes.profileExtra !== undefined)
      set.profile_extra = serialiseExtra(changes.profileExtra);
    set.updated_at = this.clock.now().getTime();
    set.version = this.db.raw('?? + 1', ['version']);
    const updated = await this.db('accounts')
      .where({ id, version: expectedVersion })
      .whereNot('status', 'deleted')
      .update(set);
    if (updated !== 1) {
      await this.requireLive(id);
      throw new ConcurrentUpdateError('Account');
    }
    return this.requireLive(id);
  }

  /** Moves the account from `expected` to `to` with a guarded update; see AccountRepository. */
  async changeStatus(id: string, expected: AccountStatus, to: AccountStatus): Promise<Account> {
    if (!isAccountStatus(expected) || !isAccountStatus(to) || !canChangeStatus(expected, to)) {
      throw new InvalidStatusChangeError(expected, to);
    }
    const now = this.clock.now().getTime();
    const set: Record<string, unknown> = {
      status: to,
      updated_at: now,
      version: this.db.raw('?? + 1', ['version']),
    };
    if (to === 'deleted') {
      Object.assign(set, {
        deleted_at: now,
        username_key: null,
        email_key: null,
        password_hash: null,
        password_temporary: 0,
        password_expires_at: null,
      });
    }
    let query = this.db('accounts').where({ id, status: expected });
    if (expected === 'legacy' && to === 'active') query = query.whereNotNull('username_key');
    const updated = await query.update(set);
    if (updated !== 1) {
      const current = await this.findById(id);
      if (!current) throw new AccountNotFoundError();
      if (current.status !== expected) throw new ConcurrentUpdateError('Account status');
      throw new InvalidStatusChangeError(expected, to, 'the account has no username yet');
    }
    return this.requireAny(id);
  }

  /** Soft-deletes an account still in status `expected`: see the AccountRepository module comment. */
  async softDelete(id: string, expected: AccountStatus): Promise<Account> {
    return this.changeStatus(id, expected, 'deleted');
  }

  /** Marks the email verified if the account's email is still `email`; false otherwise. */
  async markEmailVerified(id: string, email: string): Promise<boolean> {
    const updated = await this.db('accounts')
      .where({ id, email_key: normaliseEmail(email) })
      .whereNot('status', 'deleted')
      .update({ email_verified: 1, updated_at: this.clock.now().getTime() });
    return updated === 1;
  }

  /** The stored password hash of a live account; null when there is none or the account is deleted. */
  async getPasswordHash(id: string): Promise<string | null> {
    const row = (await this.db('accounts')
      .select('password_hash')
      .where('id', id)
      .whereNot('status', 'deleted')
      .first()) as { password_hash: string | null } | undefined;
    return row?.password_hash ?? null;
  }

  /** Stores a new password hash and records when the password changed. */
  async setPasswordHash(
    id: string,
    hash: string,
    options: PasswordHashOptions = {},
  ): Promise<void> {
    checkHash(hash);
    const now = this.clock.now().getTime();
    const updated = await this.db('accounts')
      .where('id', id)
      .whereNot('status', 'deleted')
      .update({
        password_hash: hash,
        password_temporary: options.temporary ? 1 : 0,
        password_expires_at: options.expiresAt ? options.expiresAt.getTime() : null,
        password_changed_at: now,
        updated_at: now,
      });
    if (updated !== 1) throw new AccountNotFoundError();
  }

  /** Replaces `currentHash` with `newHash` for the same password, only if `currentHash` is still stored. */
  async upgradePasswordHash(id: string, currentHash: string, newHash: string): Promise<boolean> {
    checkHash(newHash);
    const updated = await this.db('accounts')
      .where({ id, password_hash: currentHash })
      .whereNot('status', 'deleted')
      .update({ password_hash: newHash, updated_at: this.clock.now().getTime() });
    return updated === 1;
  }

  /** Records a successful sign-in now; throws AccountNotActiveError unless the account is legacy or active. */
  async recordSignIn(id: string): Promise<void> {
    const now = this.clock.now().getTime();
    const updated = await this.db('accounts')
      .where('id', id)
      .whereIn('status', ['legacy', 'active'])
      .update({ last_sign_in_at: now });
    if (updated !== 1) {
      const current = await this.requireLive(id);
      throw new AccountNotActiveError(current.status);
    }
  }

  /** Adds a required action; adding one already present does nothing (the primary key decides). */
  async addRequiredAction(id: string, action: RequiredAction): Promise<void> {
    if (!isRequiredAction(action))
      throw new RangeError(`Unknown required action "${String(action)}"`);
    const insert = this.db('account_required_actions')
      .insert({ account_id: id, action, created_at: this.clock.now().getTime() })
      .onConflict(['account_id', 'action']);
    try {
      if (dialectOf(this.db) === 'mysql') {
        await insert.merge({ action: this.db.raw('??', ['action']) });
      } else {
        await insert.ignore();
      }
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new AccountNotFoundError();
      throw err;
    }
  }

  /** Removes a required action; true when it was present. */
  async removeRequiredAction(id: string, action: RequiredAction): Promise<boolean> {
    const removed = await this.db('account_required_actions')
      .where({ account_id: id, action })
      .delete();
    return removed > 0;
  }

  /** The account's required actions, in the order the first sign-in asks for them. */
  async listRequiredActions(id: string): Promise<RequiredAction[]> {
    const actions = (await this.db('account_required_actions')
      .where('account_id', id)
      .pluck('action')) as string[];
    return REQUIRED_ACTIONS.filter((a) => actions.includes(a));
  }

  /**
   * Gives the account the first free numbered username. Which numbers are taken is read first
   * only as a hint; the unique key on `username_key` decides, and a candidate someone else took
   * in the meantime is answered by trying the next one.
   */
  async issueUsername(
    id: string,
    givenName: string | null,
    familyName: string | null,
    domain: string = DEFAULT_USERNAME_DOMAIN,
  ): Promise<string> {
    const base = usernameBase(givenName, familyName, domain);
    const at = base.lastIndexOf('@');
    // The base holds only [a-z.-] and the domain [a-z0-9.-], so no LIKE wildcard needs escaping.
    const existing = (await this.db('accounts')
      .where('username_key', 'like', `${base.slice(0, at)}%${base.slice(at)}`)
      .pluck('username_key')) as string[];
    const taken = new Set<number>();
    for (const key of existing) {
      const n = usernameNumber(base, key);
      if (n !== null) taken.add(n);
    }
    for (let n = 1; n <= MAX_USERNAME_ATTEMPTS; n++) {
      if (taken.has(n)) continue;
      const candidate = numberedUsername(base, n);
      const outcome = await this.tryUsername(id, candidate);
      if (outcome === 'assigned') return candidate;
      if (outcome === 'refused') {
        await this.requireLive(id);
        throw new ConcurrentUpdateError('Account username');
      }
    }
    throw new UsernameTakenError();
  }

  /** One attempt of issueUsername: `taken` when the unique key refused the candidate. */
  private async tryUsername(
    id: string,
    candidate: string,
  ): Promise<'assigned' | 'taken' | 'refused'> {
    try {
      const updated = await this.retryingConflicts(() =>
        this.db('accounts')
          .where('id', id)
          .whereNull('username_key')
          .whereNot('status', 'deleted')
          .update({
            username: candidate,
            username_key: candidate,
            updated_at: this.clock.now().getTime(),
            version: this.db.raw('?? + 1', ['version']),
          }),
      );
      return updated === 1 ? 'assigned' : 'refused';
    } catch (err) {
      if (isUniqueViolation(err)) return 'taken';
      throw err;
    }
  }

  /**
   * Runs one statement, retrying it after a deadlock or busy database. Inside a caller's
   * transaction a deadlock has rolled the whole transaction back, so the error is passed on for
   * the caller's transaction() to retry.
   */
  private async retryingConflicts<T>(statement: () => PromiseLike<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await statement();
      } catch (err) {
        if (this.db.isTransaction || attempt >= MAX_CONFLICT_RETRIES || !isRetryableConflict(err)) {
          throw err;
        }
        await new Promise((r) => setTimeout(r, 2 ** attempt + Math.floor(Math.random() * 5)));
      }
    }
  }

  private async findOne(
    where: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
  ): Promise<Account | null> {
    const row = (await where(this.db('accounts').select(accountColumns(this.db))).first()) as
      AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  /** The account, deleted or not; AccountNotFoundError when there is none. */
  private async requireAny(id: string): Promise<Account> {
    const account = await this.findById(id);
    if (!account) throw new AccountNotFoundError();
    return account;
  }

  /** The account unless missing or deleted; AccountNotFoundError otherwise. */
  private async requireLive(id: string): Promise<Account> {
    const account = await this.findById(id);
    if (!account || account.status === 'deleted') throw new AccountNotFoundError();
    return account;
  }
}

/** The row inserted for a legacy record. */
function legacyRow(input: LegacyAccountInput, id: string, now: number) {
  const legacyUsername = input.legacyUsername.trim().normalize('NFC');
  const email = emptyToNull(input.email);
  return {
    id,
    kind: input.kind ?? 'appointee',
    status: 'legacy',
    username: null,
    username_key: null,
    legacy_username: legacyUsername,
    legacy_username_key: normaliseUsername(input.legacyUsername),
    email,
    email_key: email === null ? null : normaliseEmail(email),
    email_verified: 0,
    given_name: emptyToNull(input.givenName),
    family_name: emptyToNull(input.familyName),
    phone: emptyToNull(input.phone),
    teaching_centre: emptyToNull(input.teachingCentre),
    locale: input.locale ?? 'en',
    password_hash: input.passwordHash,
    password_temporary: 0,
    password_expires_at: null,
    password_changed_at: null,
    profile_extra: serialiseExtra(input.profileExtra),
    last_sign_in_at: null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
    version: 1,
  };
}

type LegacyRow = ReturnType<typeof legacyRow>;

/** A row built for an INSERT, seen as if read back (the hash replaced by has_password). */
function withoutHash<R extends { password_hash: string | null }>(
  row: R,
): Omit<R, 'password_hash'> & { has_password: number } {
  const { password_hash: hash, ...rest } = row;
  return { ...rest, has_password: hash === null ? 0 : 1 };
}

function toAccount(row: AccountRow): Account {
  if (!isAccountKind(row.kind))
    throw new Error(`Account ${row.id} has an unknown kind "${row.kind}"`);
  if (!isAccountStatus(row.status))
    throw new Error(`Account ${row.id} has an unknown status "${row.status}"`);
  if (!isLocale(row.locale))
    throw new Error(`Account ${row.id} has an unknown locale "${row.locale}"`);
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    username: row.username,
    legacyUsername: row.legacy_username,
    email: row.email,
    emailVerified: toBoolean(row.email_verified),
    givenName: row.given_name,
    familyName: row.family_name,
    phone: row.phone,
    teachingCentre: row.teaching_centre,
    locale: row.locale,
    hasPassword: Number(row.has_password) === 1,
    passwordTemporary: toBoolean(row.password_temporary),
    passwordExpiresAt: toDate(row.password_expires_at),
    passwordChangedAt: toDate(row.password_changed_at),
    profileExtra: parseExtra(row.id, row.profile_extra),
    lastSignInAt: toDate(row.last_sign_in_at),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    deletedAt: toDate(row.deleted_at),
    version: Number(row.version),
  };
}

function toBoolean(value: number | boolean | string): boolean {
  return value === true || Number(value) === 1;
}

function toDate(value: number | string | null): Date | null {
  return value === null ? null : new Date(Number(value));
}

function parseExtra(id: string, text: string | null): Record<string, unknown> {
  if (text === null || text === '') return {};
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Account ${id} has profile_extra that is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function serialiseExtra(extra: Readonly<Record<string, unknown>> | undefined): string | null {
  if (extra === undefined) return null;
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw new RangeError('profileExtra must be a plain object');
  }
  return Object.keys(extra).length === 0 ? null : JSON.stringify(extra);
}

function emptyToNull(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function codePoints(value: string | null | undefined): number {
  return value ? [...value.trim()].length : 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const COLUMN_LIMITS: readonly [
  ProfileField,
  'givenName' | 'familyName' | 'email' | 'phone' | 'teachingCentre',
  number,
][] = [
  ['givenName', 'givenName', MAX_NAME_LENGTH],
  ['familyName', 'familyName', MAX_NAME_LENGTH],
  ['email', 'email', MAX_EMAIL_LENGTH],
  ['phone', 'phone', MAX_PHONE_LENGTH],
  ['teachingCentre', 'teachingCentre', MAX_TEACHING_CENTRE_LENGTH],
];

/** Fields longer than their column, so that SQLite refuses what MySQL would refuse. */
function columnIssues(input: {
  readonly givenName?: string | null;
  readonly familyName?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly teachingCentre?: string | null;
}): ProfileIssue[] {
  return COLUMN_LIMITS.filter(([, key, max]) => codePoints(input[key]) > max).map(([field]) =>
    profileIssue(field, 'too_long'),
  );
}

function checkUsername(input: string): string {
  if (typeof input !== 'string') throw new UsernameInvalidError('not text');
  const username = normaliseUsername(input);
  if (username === '') throw new UsernameInvalidError('empty');
  if ([...username].length > MAX_USERNAME_LENGTH) {
    throw new UsernameInvalidError(`longer than ${MAX_USERNAME_LENGTH} characters`);
  }
  if (/[\s\p{C}]/u.test(username))
    throw new UsernameInvalidError('contains spaces or control characters');
  return username;
}

function checkHash(hash: string): void {
  if (typeof hash !== 'string' || hash.length === 0 || hash.length > MAX_PASSWORD_HASH_LENGTH) {
    throw new RangeError(`A password hash must be 1..${MAX_PASSWORD_HASH_LENGTH} characters`);
  }
}

/** What is wrong with a legacy row, if anything: a short detail and the error insertLegacy throws. */
function legacyProblem(input: LegacyAccountInput): { detail: string; error: Error } | null {
  const fail = (detail: string, error?: Error) => ({
    detail,
    error: error ?? new RangeError(`Invalid legacy account: ${detail}`),
  });
  if (typeof input.legacyUsername !== 'string' || normaliseUsername(input.legacyUsername) === '') {
    return fail('legacy username is empty', new UsernameInvalidError('empty legacy username'));
  }
  if ([...input.legacyUsername.trim()].length > MAX_USERNAME_LENGTH) {
    return fail(
      `legacy username longer than ${MAX_USERNAME_LENGTH} characters`,
      new UsernameInvalidError(`legacy username longer than ${MAX_USERNAME_LENGTH} characters`),
    );
  }
  if (/\p{Cc}/u.test(input.legacyUsername.trim())) {
    return fail(
      'legacy username contains control characters',
      new UsernameInvalidError('legacy username contains control characters'),
    );
  }
  if (typeof input.passwordHash !== 'string' || input.passwordHash.length === 0) {
    return fail('password hash is empty');
  }
  if (input.passwordHash.length > MAX_PASSWORD_HASH_LENGTH) {
    return fail(`password hash longer than ${MAX_PASSWORD_HASH_LENGTH} characters`);
  }
  if (input.kind !== undefined && !isAccountKind(input.kind))
    return fail(`unknown kind "${String(input.kind)}"`);
  if (input.locale !== undefined && !isLocale(input.locale))
    return fail(`unknown locale "${String(input.locale)}"`);
  const issues = columnIssues(input);
  if (issues.length > 0) {
    const limits: Record<string, number> = {
      givenName: MAX_NAME_LENGTH,
      familyName: MAX_NAME_LENGTH,
      email: MAX_EMAIL_LENGTH,
      phone: MAX_PHONE_LENGTH,
      teachingCentre: MAX_TEACHING_CENTRE_LENGTH,
    };
    return fail(
      issues.map((i) => `${i.field} longer than ${limits[i.field]} characters`).join('; '),
      new InvalidProfileError(issues),
    );
  }
  try {
    serialiseExtra(input.profileExtra);
  } catch (err) {
    return fail(`profileExtra cannot be stored: ${(err as Error).message}`);
  }
  return null;
}

function isForeignKeyViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  return (
    code === 'SQLITE_CONSTRAINT_FOREIGNKEY' ||
    code === 'ER_NO_REFERENCED_ROW_2' ||
    code === 'ER_NO_REFERENCED_ROW' ||
    errno === 1452 ||
    errno === 1216
  );
}

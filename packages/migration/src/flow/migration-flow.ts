/**
 * The migration of one legacy AMP account, as the portal's pages drive it: the migration page
 * (legacy username + legacy password), "show my new username again", "send my temporary
 * password again", the forgotten-original-password link, the first sign-in and its required
 * actions. Every change is one transaction with its audit event; every "exactly once" rule is
 * decided by the database.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import {
  ConcurrentFlowUpdateError,
  ConcurrentUpdateError,
  IdentityError,
  KnexAccountRepository,
  KnexAuditLog,
  KnexTokenRepository,
  checkPassword,
  generateTemporaryPassword,
  ipThrottleKey,
  isEmailAddress,
  missingProfileFields,
  normaliseUsername,
  transaction,
  type Account,
  type Clock,
  type MailOutbox,
  type PasswordHasher,
  type PasswordPolicyViolation,
  type ProfileDetail,
  type RandomSource,
  type RateLimiter,
  type RequestContext,
  type RequiredAction,
  type SignInRefusal,
  type SignInThrottle,
} from '@porth/identity-core';
import {
  LEGACY_PASSWORD_RESET_PURPOSE,
  TEMPORARY_PASSWORD_RESEND_PURPOSE,
  type MigrationSettings,
} from '../defaults.js';
import { KnexLegacyCredentialRepository } from './knex-legacy-credential-repository.js';
import { KnexMigrationFlowRepository } from './knex-migration-flow-repository.js';
import type { MigrationRecord, MigrationState } from './states.js';
import { transitionMigration, withTemporaryPassword } from './transitions.js';

/** What the migration flow needs; the portal builds it once at start-up. */
export interface MigrationFlowDependencies {
  /** A knex instance (not a transaction): each step runs its own transaction. */
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Verifies legacy hashes and makes argon2id hashes of new passwords. */
  readonly hasher: PasswordHasher;
  /** The sign-in throttle: wrong legacy passwords count exactly like wrong sign-in passwords. */
  readonly throttle: SignInThrottle;
  /** Limits resends and forgotten-original-password emails. */
  readonly rateLimiter: RateLimiter;
  /** Emails go through the outbox, in the same transaction as the change they report. */
  readonly outbox: MailOutbox;
  /** Build with resolveMigrationSettings. */
  readonly settings: MigrationSettings;
}

/** A legacy username and password typed on the migration page, with where the request came from. */
export interface LegacyCredentials extends RequestContext {
  readonly legacyUsername: string;
  readonly password: string;
}

/** The answer of the migration page. Only `migrated` and `already_migrated` show a username. */
export type MigrationResult =
  /** This request migrated the account: show the new username; the temporary password is in the email. */
  | {
      readonly outcome: 'migrated';
      readonly accountId: string;
      readonly newUsername: string;
      /** The address the temporary password went to, partly hidden (`s***@example.org`). */
      readonly emailedTo: string;
      readonly temporaryPasswordExpiresAt: Date;
      /** What the first sign-in will ask for, in order. */
      readonly requiredActions: readonly RequiredAction[];
      /** Empty profile details the user will be asked for (FAQ: "some of my information is missing"). */
      readonly missingDetails: readonly ProfileDetail[];
      /** Allows one "send my temporary password again" (resendTemporaryPassword); keep it server-side. */
      readonly resendToken: string | null;
    }
  /** The account was migrated before (or by a request racing this one): show the new username again. */
  | {
      readonly outcome: 'already_migrated';
      readonly accountId: string;
      readonly newUsername: string;
      /** Null when the temporary password was used already (then "Forgotten password" helps). */
      readonly resendToken: string | null;
    }
  /** Wrong legacy username or wrong password: the same answer for both. */
  | { readonly outcome: 'invalid' }
  /** Too many attempts for this username or from this address. */
  | {
      readonly outcome: 'throttled';
      readonly reason: SignInRefusal;
      readonly retryAfterMs: number | null;
    }
  /** The password is right, but there is no usable email address to send a temporary password to. */
  | { readonly outcome: 'contact_support'; readonly reason: 'no_usable_email' };

/** A "send my temporary password again" request. */
export interface ResendRequest extends RequestContext {
  /** The resendToken of a MigrationResult (or of the previous resend). */
  readonly resendToken: string;
}

/** The answer of resendTemporaryPassword. */
export type ResendResult =
  /** A new temporary password was emailed; the previous one no longer works. */
  | {
      readonly outcome: 'sent';
      readonly emailedTo: string;
      readonly temporaryPasswordExpiresAt: Date;
      /** Allows one more resend. */
      readonly resendToken: string;
    }
  /** The token is unknown, expired or used: start again from the migration page. */
  | { readonly outcome: 'invalid' }
  /** The temporary password has been used: the user signs in, or uses "Forgotten password". */
  | { readonly outcome: 'not_available' }
  /** Too many resends for this account lately. */
  | { readonly outcome: 'rate_limited'; readonly retryAfterMs: number };

/** A forgotten-original-password request (FAQ: "I have forgotten my original AMP password"). */
export interface LegacyPasswordResetRequest extends RequestContext {
  readonly legacyUsername: string;
}

/** Choosing a new legacy password through the emailed link. */
export interface LegacyPasswordResetCompletion extends RequestContext {
  readonly token: string;
  readonly newPassword: string;
}

/** The answer of completeLegacyPasswordReset. */
export type LegacyPasswordResetResult =
  /** The new password replaces the legacy one; the user goes back to the migration page. */
  | { readonly outcome: 'reset'; readonly legacyUsername: string }
  /** The password breaks the policy; the link still works. `violations` has en/cy wording. */
  | { readonly outcome: 'rejected'; readonly violations: readonly PasswordPolicyViolation[] }
  /** The link is unknown, expired, used or no longer applies (the account was migrated). */
  | { readonly outcome: 'invalid_token' };

/** The answer of completeRequiredAction. */
export interface RequiredActionProgress {
  /** Required actions still to do, in order. */
  readonly remaining: readonly RequiredAction[];
  /** Where the migration now stands; null for an account that was never a legacy account. */
  readonly state: MigrationState | null;
}

const HOUR_MS = 60 * 60 * 1000;
const READABLE_HASH_CODES = new Set(['PASSWORD_HASH_UNSUPPORTED', 'PASSWORD_HASH_MALFORMED']);

/** The result of checking legacy credentials before anything is changed. */
type LegacyCheck =
  | { readonly kind: 'refused'; readonly result: MigrationResult }
  | {
      readonly kind: 'valid';
      readonly account: Account;
      readonly verifiedHash: string;
      /** True when the hash is in a weaker format than Porth's argon2id. */
      readonly needsRehash: boolean;
    };

/**
 * The migration state machine at work (see docs/migration-flow.mermaid):
 * `legacy → migrated → required_actions → active`.
 *
 * @example
 * const flow = new MigrationFlow({ db, clock, random, hasher, throttle, rateLimiter, outbox, settings });
 * const result = await flow.migrate({ legacyUsername, password, ip, userAgent });
 * if (result.outcome === 'migrated' || result.outcome === 'already_migrated') show(result.newUsername);
 */
export class MigrationFlow {
  constructor(private readonly deps: MigrationFlowDependencies) {}

  /**
   * The migration page: checks the legacy username and password (throttled exactly like a
   * sign-in) and, the first time, migrates the account in one transaction — new username issued,
   * temporary password (argon2id, expiring) set and emailed through the outbox, required actions
   * set, legacy sign-in closed, record moved to `migrated`, audited. However many requests race,
   * one migrates and the others answer `already_migrated` with the same new username.
   */
  async migrate(attempt: LegacyCredentials): Promise<MigrationResult> {
    const check = await this.checkLegacyPassword(attempt);
    if (check.kind === 'refused') return check.result;
    const { account, verifiedHash, needsRehash } = check;
    if (account.status !== 'legacy') return this.alreadyMigrated(account.id, attempt);
    if (!hasUsableEmail(account)) {
      await this.audit(this.deps.db, 'migration.legacy_password', 'failure', account.id, attempt, {
        reason: 'no_usable_email',
      });
      return { outcome: 'contact_support', reason: 'no_usable_email' };
    }

    // argon2id is slow: hash before the transaction so that it stays short. The legacy
    // password is kept as argon2id too, so that no weak legacy hash outlives the migration.
    const temporaryPassword = generateTemporaryPassword(this.deps.random, passwordContext(account));
    const [temporaryHash, keptHash] = await Promise.all([
      this.deps.hasher.hash(temporaryPassword),
      needsRehash ? this.deps.hasher.hash(attempt.password) : verifiedHash,
    ]);
    try {
      const done = await transaction(this.deps.db, (trx) =>
        this.migrateInTransaction(trx, account, {
          verifiedHash,
          keptHash,
          temporaryPassword,
          temporaryHash,
          attempt,
        }),
      );
      if (done === 'lost') return this.alreadyMigrated(account.id, attempt);
      if (done === 'stale') return { outcome: 'invalid' };
      return done;
    } catch (err) {
      // Another request migrated the account between our check and our transaction.
      if (err instanceof ConcurrentUpdateError || err instanceof ConcurrentFlowUpdateError) {
        return this.alreadyMigrated(account.id, attempt);
      }
      throw err;
    }
  }

  /**
   * "Send my temporary password again", allowed while the temporary password is unused (also
   * after it expired): a new temporary password replaces the old one, is emailed and audited.
   * Rate-limited per account; needs the resendToken the migration page was given.
   */
  async resendTemporaryPassword(request: ResendRequest): Promise<ResendResult> {
    const { db, clock, random, settings } = this.deps;
    const peeked = await new KnexTokenRepository(db, clock, random).peek(
      TEMPORARY_PASSWORD_RESEND_PURPOSE,
      request.resendToken,
    );
    const accountId = peeked?.accountId ?? null;
    if (accountId === null) return { outcome: 'invalid' };
    const limit = await this.deps.rateLimiter.hit(
      `migration:resend:${accountId}`,
      settings.resendLimit,
    );
    if (!limit.allowed) {
      await this.audit(db, 'migration.temporary_password_resent', 'failure', accountId, request, {
        reason: 'rate_limited',
      });
      return { outcome: 'rate_limited', retryAfterMs: limit.retryAfterMs };
    }
    const accounts = new KnexAccountRepository(db, clock, random);
    const before = await accounts.findById(accountId);
    if (!before || !resendAvailable(before, await this.records(db).find(accountId))) {
      return { outcome: 'not_available' };
    }

    const temporaryPassword = generateTemporaryPassword(random, passwordContext(before));
    const temporaryHash = await this.deps.hasher.hash(temporaryPassword);
    return transaction(db, async (trx): Promise<ResendResult> => {
      const tokens = new KnexTokenRepository(trx, clock, random);
      const consumed = await tokens.consume(TEMPORARY_PASSWORD_RESEND_PURPOSE, request.resendToken);
      if (!consumed || consumed.accountId !== accountId) return { outcome: 'invalid' };
      const records = this.records(trx);
      const record = await records.lock(accountId);
      const trxAccounts = new KnexAccountRepository(trx, clock, random);
      const account = await trxAccounts.findById(accountId);
      if (!account || !record || !resendAvailable(account, record)) {
        return { outcome: 'not_available' };
      }
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + settings.temporaryPasswordLifetimeMs);
      await trxAccounts.setPasswordHash(accountId, temporaryHash, { temporary: true, expiresAt });
      const saved = await records.save(record, withTemporaryPassword(record, now, expiresAt));
      const email = account.email ?? '';
      await this.deps.outbox.enqueue(trx, {
        to: email,
        template: 'migration_temporary_password',
        locale: account.locale,
        accountId,
        data: {
          name: displayName(account),
          newUsername: account.username ?? '',
          temporaryPassword,
          signInUrl: settings.signInUrl,
          expiresAt,
        },
      });
      const next = await tokens.issue({
        purpose: TEMPORARY_PASSWORD_RESEND_PURPOSE,
        accountId,
        lifetimeMs: settings.resendTokenLifetimeMs,
      });
      await this.audit(trx, 'migration.temporary_password_resent', 'success', accountId, request, {
        resends: saved.temporaryPasswordResends,
      });
      return {
        outcome: 'sent',
        emailedTo: maskEmail(email),
        temporaryPasswordExpiresAt: expiresAt,
        resendToken: next.token,
      };
    });
  }

  /**
   * "Forgotten password" for a legacy account: emails a single-use link (24 h by default) to the
   * legacy email address. Resolves the same way whether or not the username exists, is already
   * migrated or has no usable email; what happened is in the audit log only. Rate-limited per
   * username and per address (silently). Answer the user after a fixed delay, so that timing
   * does not tell either.
   */
  async requestLegacyPasswordReset(request: LegacyPasswordResetRequest): Promise<void> {
    const { db, clock, random, settings, rateLimiter } = this.deps;
    const key = normaliseUsername(request.legacyUsername ?? '');
    const [byName, byIp] = await Promise.all([
      key === ''
        ? null
        : rateLimiter.hit(`migration:legacy-reset:${key}`, settings.legacyResetLimit),
      request.ip
        ? rateLimiter.hit(
            `migration:legacy-reset-ip:${ipThrottleKey(request.ip)}`,
            settings.legacyResetIpLimit,
          )
        : null,
    ]);
    const accounts = new KnexAccountRepository(db, clock, random);
    const account = key === '' ? null : await accounts.findByLegacyUsername(key);
    const refusal =
      byName?.allowed === false || byIp?.allowed === false
        ? 'rate_limited'
        : !account
          ? 'unknown_legacy_username'
          : account.status !== 'legacy'
            ? 'already_migrated'
            : !hasUsableEmail(account)
              ? 'no_usable_email'
              : null;
    if (refusal !== null || !account) {
      await this.audit(
        db,
        'migration.legacy_password_reset_requested',
        'failure',
        account?.id ?? null,
        request,
        {
          reason: refusal,
        },
      );
      return;
    }
    await transaction(db, async (trx) => {
      const tokens = new KnexTokenRepository(trx, clock, random);
      await tokens.revoke(LEGACY_PASSWORD_RESET_PURPOSE, account.id);
      const issued = await tokens.issue({
        purpose: LEGACY_PASSWORD_RESET_PURPOSE,
        accountId: account.id,
        lifetimeMs: settings.legacyResetLifetimeMs,
      });
      await this.deps.outbox.enqueue(trx, {
        to: account.email ?? '',
        template: 'password_reset',
        locale: account.locale,
        accountId: account.id,
        data: {
          name: displayName(account),
          resetUrl: settings.legacyPasswordResetUrl(issued.token),
          expiresHours: Math.max(1, Math.round(settings.legacyResetLifetimeMs / HOUR_MS)),
        },
      });
      await this.audit(
        trx,
        'migration.legacy_password_reset_requested',
        'success',
        account.id,
        request,
      );
    });
  }

  /**
   * Tells whether a forgotten-original-password link still works (to show its form), without
   * using it up; null when it does not.
   */
  async checkLegacyPasswordResetToken(
    token: string,
  ): Promise<{ readonly legacyUsername: string } | null> {
    const { db, clock, random } = this.deps;
    const found = await new KnexTokenRepository(db, clock, random).peek(
      LEGACY_PASSWORD_RESET_PURPOSE,
      token,
    );
    if (!found?.accountId) return null;
    const account = await new KnexAccountRepository(db, clock, random).findById(found.accountId);
    if (!account || account.status !== 'legacy' || account.legacyUsername === null) return null;
    return { legacyUsername: account.legacyUsername };
  }

  /**
   * Uses a forgotten-original-password link: a new password that passes the policy replaces the
   * legacy hash (as argon2id), the link is used up, the user is told by email and any lockout on
   * the legacy username is lifted; the user then migrates with the new password as usual.
   */
  async completeLegacyPasswordReset(
    request: LegacyPasswordResetCompletion,
  ): Promise<LegacyPasswordResetResult> {
    const { db, clock, random, settings } = this.deps;
    const found = await new KnexTokenRepository(db, clock, random).peek(
      LEGACY_PASSWORD_RESET_PURPOSE,
      request.token,
    );
    if (!found?.accountId) return { outcome: 'invalid_token' };
    const accountId = found.accountId;
    const account = await new KnexAccountRepository(db, clock, random).findById(accountId);
    if (!account || account.status !== 'legacy' || account.legacyUsername === null) {
      return { outcome: 'invalid_token' };
    }
    const violations = checkPassword(request.newPassword, passwordContext(account), {
      compositionRule: settings.compositionRule,
    });
    if (violations.length > 0) return { outcome: 'rejected', violations };

    const hash = await this.deps.hasher.hash(request.newPassword);
    const done = await transaction(db, async (trx) => {
      const consumed = await new KnexTokenRepository(trx, clock, random).consume(
        LEGACY_PASSWORD_RESET_PURPOSE,
        request.token,
      );
      if (!consumed || consumed.accountId !== accountId) return false;
      const locked = await new KnexLegacyCredentialRepository(trx, clock).lockAccount(accountId);
      if (!locked || locked.status !== 'legacy') return false;
      await new KnexAccountRepository(trx, clock, random).setPasswordHash(accountId, hash);
      await this.deps.outbox.enqueue(trx, {
        to: account.email ?? '',
        template: 'security_change',
        locale: account.locale,
        accountId,
        data: { name: displayName(account), change: 'password', time: clock.now() },
      });
      await this.audit(trx, 'migration.legacy_password_reset', 'success', accountId, request);
      return true;
    });
    if (!done) return { outcome: 'invalid_token' };
    await this.deps.throttle.unlockAccount(`username:${normaliseUsername(account.legacyUsername)}`);
    return { outcome: 'reset', legacyUsername: account.legacyUsername };
  }

  /**
   * Call after a successful sign-in with the new username (password checked): the first one
   * moves the record `migrated → required_actions` (and on to `active` when no required action
   * is left). Returns the state, or null for an account that was never a legacy account.
   */
  async recordSignIn(
    accountId: string,
    context: RequestContext = {},
  ): Promise<MigrationState | null> {
    // Most accounts never had a legacy account, or finished migrating (`active` is final): one
    // plain read, without a transaction or a lock, answers for them.
    const seen = await this.records(this.deps.db).find(accountId);
    if (!seen) return null;
    if (seen.state === 'active') return seen.state;
    return transaction(this.deps.db, async (trx) => {
      const records = this.records(trx);
      const record = await records.lock(accountId);
      if (!record) return null;
      if (record.state !== 'migrated') return record.state;
      const accounts = new KnexAccountRepository(trx, this.deps.clock, this.deps.random);
      const remaining = await accounts.listRequiredActions(accountId);
      const saved = await this.advance(trx, record, remaining, context);
      return saved.state;
    });
  }

  /**
   * Call when the user has completed a required action (second factor set up, temporary
   * password changed, details reviewed): removes it and, when none remain, moves the record to
   * `active`. Completing an action that is not (or no longer) required changes nothing.
   */
  async completeRequiredAction(
    accountId: string,
    action: RequiredAction,
    context: RequestContext = {},
  ): Promise<RequiredActionProgress> {
    return transaction(this.deps.db, async (trx) => {
      const records = this.records(trx);
      // Lock first, so that two actions completed at once cannot both miss the last one.
      const record = await records.lock(accountId);
      const accounts = new KnexAccountRepository(trx, this.deps.clock, this.deps.random);
      const removed = await accounts.removeRequiredAction(accountId, action);
      const remaining = await accounts.listRequiredActions(accountId);
      if (!record) return { remaining, state: null };
      if (removed) {
        await this.audit(
          trx,
          'migration.required_action_completed',
          'success',
          accountId,
          context,
          {
            action,
            remaining,
          },
        );
      }
      if (record.state !== 'migrated' && record.state !== 'required_actions') {
        return { remaining, state: record.state };
      }
      const saved = await this.advance(trx, record, remaining, context);
      return { remaining, state: saved.state };
    });
  }

  /** The empty profile details of an account, in form order (FAQ: "some of my information is missing"). */
  async missingDetails(accountId: string): Promise<ProfileDetail[]> {
    const account = await new KnexAccountRepository(
      this.deps.db,
      this.deps.clock,
      this.deps.random,
    ).findById(accountId);
    if (!account || account.status === 'deleted') return [];
    return missingProfileFields(account);
  }

  /** The account's migration record; null when it has none. */
  async findRecord(accountId: string): Promise<MigrationRecord | null> {
    return this.records(this.deps.db).find(accountId);
  }

  /** Moves a record past the first sign-in, and to `active` when nothing remains; saves and audits. */
  private async advance(
    trx: Knex.Transaction,
    record: MigrationRecord,
    remaining: readonly RequiredAction[],
    context: RequestContext,
  ): Promise<MigrationRecord> {
    const now = this.deps.clock.now();
    let next = record;
    if (next.state === 'migrated') {
      next = transitionMigration(next, 'required_actions', now);
      await this.audit(trx, 'migration.first_sign_in', 'success', record.accountId, context);
    }
    if (remaining.length === 0 && next.state === 'required_actions') {
      next = transitionMigration(next, 'active', now);
      await this.audit(trx, 'migration.completed', 'success', record.accountId, context);
    }
    return next === record ? record : this.records(trx).save(record, next);
  }

  /**
   * Checks legacy credentials like a sign-in: throttle first, the same work for unknown
   * usernames (a dummy argon2id verification), failures counted and audited. A migrated
   * account is checked against the legacy password kept in `legacy_credentials`.
   */
  private async checkLegacyPassword(attempt: LegacyCredentials): Promise<LegacyCheck> {
    const { db, clock, random, hasher, throttle } = this.deps;
    const key = normaliseUsername(attempt.legacyUsername ?? '');
    const throttleAttempt = { accountKey: `username:${key}`, ip: attempt.ip ?? null };
    const gate = await throttle.check(throttleAttempt);
    if (!gate.allowed) {
      await this.audit(db, 'migration.legacy_password', 'failure', null, attempt, {
        reason: gate.reason,
      });
      return {
        kind: 'refused',
        result: { outcome: 'throttled', reason: gate.reason, retryAfterMs: gate.retryAfterMs },
      };
    }

    const accounts = new KnexAccountRepository(db, clock, random);
    const account = key === '' ? null : await accounts.findByLegacyUsername(key);
    let stored: string | null = null;
    if (account) {
      stored =
        account.status === 'legacy'
          ? await accounts.getPasswordHash(account.id)
          : await new KnexLegacyCredentialRepository(db, clock).find(account.id);
    }
    let valid = false;
    let needsRehash = false;
    let unreadable = false;
    if (stored !== null) {
      try {
        ({ valid, needsRehash } = await hasher.verify(stored, attempt.password));
      } catch (err) {
        if (!(err instanceof IdentityError) || !READABLE_HASH_CODES.has(err.code)) throw err;
        // A hash nobody can verify: counted as a failure and recorded for support.
        unreadable = true;
      }
    } else {
      await hasher.verifyDummy(attempt.password);
    }

    if (!account || stored === null || !valid) {
      const failure = await throttle.failed(throttleAttempt);
      await this.audit(db, 'migration.legacy_password', 'failure', account?.id ?? null, attempt, {
        reason: unreadable ? 'legacy_hash_unreadable' : 'invalid_credentials',
        ...(failure.accountLocked ? { locked: true } : {}),
      });
      return { kind: 'refused', result: { outcome: 'invalid' } };
    }
    await throttle.succeeded(throttleAttempt);
    return { kind: 'valid', account, verifiedHash: stored, needsRehash };
  }

  /** The transaction of `legacy → migrated`; `lost` when another request migrated it first. */
  private async migrateInTransaction(
    trx: Knex.Transaction,
    account: Account,
    prepared: {
      /** The stored legacy hash the password was checked against. */
      readonly verifiedHash: string;
      /** What legacy_credentials keeps: the legacy password as argon2id. */
      readonly keptHash: string;
      readonly temporaryPassword: string;
      readonly temporaryHash: string;
      readonly attempt: LegacyCredentials;
    },
  ): Promise<MigrationResult | 'lost' | 'stale'> {
    const { clock, random, settings } = this.deps;
    const { verifiedHash, keptHash, temporaryPassword, temporaryHash, attempt } = prepared;
    const credentials = new KnexLegacyCredentialRepository(trx, clock);
    // Locks the account row (MySQL/MariaDB): racing migrations queue here.
    const locked = await credentials.lockAccount(account.id);
    if (!locked || locked.status !== 'legacy') return 'lost';
    // The legacy password was reset between our check and now: the checked password is stale.
    if (locked.passwordHash === null || !sameText(locked.passwordHash, verifiedHash))
      return 'stale';

    const accounts = new KnexAccountRepository(trx, clock, random);
    const newUsername = await accounts.issueUsername(
      account.id,
      account.givenName,
      account.familyName,
      settings.usernameDomain,
    );
    // The guarded status change (`WHERE status = 'legacy'`): exactly one request gets past it.
    const migrated = await accounts.changeStatus(account.id, 'legacy', 'active');
    await credentials.keep(account.id, keptHash);
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + settings.temporaryPasswordLifetimeMs);
    // Replaces the legacy hash: the legacy password no longer signs anyone in.
    await accounts.setPasswordHash(account.id, temporaryHash, { temporary: true, expiresAt });
    const missingDetails = missingProfileFields(migrated);
    const requiredActions: RequiredAction[] = ['configure_mfa', 'update_password'];
    if (missingDetails.length > 0) requiredActions.push('update_profile');
    for (const action of requiredActions) await accounts.addRequiredAction(account.id, action);

    const records = this.records(trx);
    const record = await records.ensure(account.id);
    await records.save(
      record,
      withTemporaryPassword(transitionMigration(record, 'migrated', now), now, expiresAt),
    );
    const tokens = new KnexTokenRepository(trx, clock, random);
    await tokens.revoke(LEGACY_PASSWORD_RESET_PURPOSE, account.id);
    const email = migrated.email ?? '';
    await this.deps.outbox.enqueue(trx, {
      to: email,
      template: 'migration_temporary_password',
      locale: migrated.locale,
      accountId: account.id,
      data: {
        name: displayName(migrated),
        newUsername,
        temporaryPassword,
        signInUrl: settings.signInUrl,
        expiresAt,
      },
    });
    const resend = await tokens.issue({
      purpose: TEMPORARY_PASSWORD_RESEND_PURPOSE,
      accountId: account.id,
      lifetimeMs: settings.resendTokenLifetimeMs,
    });
    await this.audit(trx, 'account.migrated', 'success', account.id, attempt, {
      legacyUsername: account.legacyUsername,
      newUsername,
      requiredActions,
    });
    return {
      outcome: 'migrated',
      accountId: account.id,
      newUsername,
      emailedTo: maskEmail(email),
      temporaryPasswordExpiresAt: expiresAt,
      requiredActions,
      missingDetails,
      resendToken: resend.token,
    };
  }

  /** The answer for a migrated account whose legacy password was right: its new username again. */
  private async alreadyMigrated(
    accountId: string,
    context: RequestContext,
  ): Promise<MigrationResult> {
    const { db, clock, random, settings } = this.deps;
    return transaction(db, async (trx): Promise<MigrationResult> => {
      const account = await new KnexAccountRepository(trx, clock, random).findById(accountId);
      const record = await this.records(trx).find(accountId);
      if (!account || account.username === null) return { outcome: 'invalid' };
      const resendToken = resendAvailable(account, record)
        ? (
            await new KnexTokenRepository(trx, clock, random).issue({
              purpose: TEMPORARY_PASSWORD_RESEND_PURPOSE,
              accountId,
              lifetimeMs: settings.resendTokenLifetimeMs,
            })
          ).token
        : null;
      await this.audit(trx, 'migration.username_shown', 'success', accountId, context);
      return { outcome: 'already_migrated', accountId, newUsername: account.username, resendToken };
    });
  }

  private records(db: Knex | Knex.Transaction): KnexMigrationFlowRepository {
    return new KnexMigrationFlowRepository(db, this.deps.clock);
  }

  private async audit(
    db: Knex | Knex.Transaction,
    type: string,
    outcome: 'success' | 'failure',
    accountId: string | null,
    context: RequestContext,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await new KnexAuditLog(db, this.deps.clock).append({
      type,
      outcome,
      accountId,
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      ...(details ? { details } : {}),
    });
  }
}

/** True when the account has an email address a temporary password can be sent to. */
export function hasUsableEmail(account: Pick<Account, 'email'>): boolean {
  return account.email !== null && isEmailAddress(account.email.trim());
}

/**
 * True while a temporary password may be sent again: the account is active, migrated, its
 * password still the temporary one and nobody has signed in since the migration.
 */
function resendAvailable(account: Account, record: MigrationRecord | null): boolean {
  if (!record || record.state !== 'migrated' || record.firstSignInAt !== null) return false;
  if (account.status !== 'active' || !account.passwordTemporary || !hasUsableEmail(account)) {
    return false;
  }
  const migratedAt = record.migratedAt?.getTime() ?? 0;
  return account.lastSignInAt === null || account.lastSignInAt.getTime() < migratedAt;
}

/** Hides most of an address: `sian.jones@example.org` → `s***@example.org`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${[...email.slice(0, at)][0] ?? ''}***${email.slice(at)}`;
}

function displayName(account: Pick<Account, 'givenName' | 'familyName'>): string {
  return [account.givenName, account.familyName].filter((p): p is string => Boolean(p)).join(' ');
}

function passwordContext(account: Account) {
  return {
    username: account.username,
    legacyUsername: account.legacyUsername,
    email: account.email,
    givenName: account.givenName,
    familyName: account.familyName,
  };
}

/** Compares two stored hashes without an early exit. */
function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

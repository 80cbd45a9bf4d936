import type { Knex } from 'knex';
import type { Account } from '../accounts/account.js';
import { KnexAccountRepository } from '../accounts/knex-account-repository.js';
import { normaliseUsername } from '../accounts/usernames.js';
import type { RequestContext } from '../audit/audit-event.js';
import { KnexAuditLog } from '../audit/knex-audit-log.js';
import type { Clock } from '../clock.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { RandomSource } from '../random.js';
import type { SignInThrottle } from '../throttling/sign-in-throttle.js';

/** The outcome of checking a username and password; only `success` signs anyone in. */
export type PasswordCheckResult =
  /** The password is right and the account may go on to its second factor. */
  | { readonly outcome: 'success'; readonly account: Account }
  /** Wrong username or wrong password: the same answer for both, so accounts cannot be discovered. */
  | { readonly outcome: 'invalid' }
  /** Too many attempts for this username or from this address. */
  | {
      readonly outcome: 'throttled';
      readonly reason: 'account_locked' | 'ip_rate_limited';
      readonly retryAfterMs: number | null;
    }
  /** The password is right but the account is disabled. */
  | { readonly outcome: 'disabled' }
  /** The temporary password is right but has expired; a new one comes from "Forgotten password". */
  | { readonly outcome: 'temporary_password_expired'; readonly account: Account }
  /** A legacy username with its correct legacy password: the account must be migrated first. */
  | { readonly outcome: 'needs_migration'; readonly account: Account }
  /** A migrated account's legacy username with the correct password: use the new username instead. */
  | { readonly outcome: 'use_new_username'; readonly newUsername: string };

/** What the authenticator needs. */
export interface PasswordAuthenticatorDependencies {
  readonly db: Knex;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly random: RandomSource;
  readonly throttle: SignInThrottle;
}

/** A username and password to check, with where the request came from. */
export interface PasswordAttempt extends RequestContext {
  readonly username: string;
  readonly password: string;
}

/**
 * Checks a username and password the same way for every caller: throttled per username and per
 * address before any hash is computed, the same work and the same answer for unknown usernames
 * and wrong passwords, legacy hashes upgraded to argon2id after a success, every attempt audited.
 * It does not finish a sign-in: the second factor and required actions come next.
 */
export class PasswordAuthenticator {
  constructor(private readonly deps: PasswordAuthenticatorDependencies) {}

  /** Checks the password for a username (new or legacy) and says what happens next. */
  async check(attempt: PasswordAttempt): Promise<PasswordCheckResult> {
    const { db, clock, hasher, throttle } = this.deps;
    const key = normaliseUsername(attempt.username);
    const throttleAttempt = { accountKey: `username:${key}`, ip: attempt.ip ?? null };
    const gate = await throttle.check(throttleAttempt);
    if (!gate.allowed) {
      await this.audit(null, 'failure', attempt, { reason: gate.reason });
      return { outcome: 'throttled', reason: gate.reason, retryAfterMs: gate.retryAfterMs };
    }

    const accounts = new KnexAccountRepository(db, clock, this.deps.random);
    const target = key === '' ? null : await this.findTarget(accounts, key);
    const storedHash = target ? await target.hash : null;
    const verification = storedHash
      ? await hasher.verify(storedHash, attempt.password)
      : await hasher.verifyDummy(attempt.password);

    if (!target || !storedHash || !verification.valid) {
      const outcome = await throttle.failed(throttleAttempt);
      await this.audit(target?.account.id ?? null, 'failure', attempt, {
        reason: 'invalid_credentials',
        ...(outcome.accountLocked ? { locked: true } : {}),
      });
      return { outcome: 'invalid' };
    }

    await throttle.succeeded(throttleAttempt);
    const { account } = target;
    if (target.via === 'migrated_legacy_username') {
      await this.audit(account.id, 'failure', attempt, { reason: 'legacy_username_used' });
      return { outcome: 'use_new_username', newUsername: account.username ?? '' };
    }
    if (account.status === 'legacy') {
      await this.audit(account.id, 'failure', attempt, { reason: 'needs_migration' });
      return { outcome: 'needs_migration', account };
    }
    if (account.status === 'disabled') {
      await this.audit(account.id, 'failure', attempt, { reason: 'disabled' });
      return { outcome: 'disabled' };
    }
    if (
      account.passwordTemporary &&
      account.passwordExpiresAt &&
      account.passwordExpiresAt.getTime() <= clock.now().getTime()
    ) {
      await this.audit(account.id, 'failure', attempt, { reason: 'temporary_password_expired' });
      return { outcome: 'temporary_password_expired', account };
    }
    if (verification.needsRehash) {
      const upgraded = await hasher.hash(attempt.password);
      if (await accounts.upgradePasswordHash(account.id, storedHash, upgraded)) {
        await this.auditEvent('password.rehashed', account.id, 'success', attempt);
      }
    }
    await this.audit(account.id, 'success', attempt);
    return { outcome: 'success', account };
  }

  /**
   * The account a username points at, and the hash to check: a live account by its new username;
   * else by legacy username — an unmigrated legacy account with its legacy hash, or a migrated one
   * with its current password (which earns the "use your new username" hint, never a sign-in).
   */
  private async findTarget(
    accounts: KnexAccountRepository,
    key: string,
  ): Promise<{
    account: Account;
    via: 'username' | 'legacy_username' | 'migrated_legacy_username';
    hash: Promise<string | null>;
  } | null> {
    const byUsername = await accounts.findByUsername(key);
    if (byUsername && byUsername.status !== 'deleted') {
      return {
        account: byUsername,
        via: 'username',
        hash: accounts.getPasswordHash(byUsername.id),
      };
    }
    const byLegacy = await accounts.findByLegacyUsername(key);
    if (!byLegacy || byLegacy.status === 'deleted') return null;
    if (byLegacy.status === 'legacy') {
      return {
        account: byLegacy,
        via: 'legacy_username',
        hash: accounts.getPasswordHash(byLegacy.id),
      };
    }
    return {
      account: byLegacy,
      via: 'migrated_legacy_username',
      hash: accounts.getPasswordHash(byLegacy.id),
    };
  }

  private async audit(
    accountId: string | null,
    outcome: 'success' | 'failure',
    context: RequestContext,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await this.auditEvent('sign_in.password', accountId, outcome, context, details);
  }

  private async auditEvent(
    type: string,
    accountId: string | null,
    outcome: 'success' | 'failure',
    context: RequestContext,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await new KnexAuditLog(this.deps.db, this.deps.clock).append({
      type,
      outcome,
      accountId,
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      ...(details ? { details } : {}),
    });
  }
}

/**
 * Account recovery, as the seeds' FAQ describes it: "I have forgotten my username" (every
 * username registered to an email address is emailed to it) and "I have forgotten my password"
 * (a single-use, 24-hour link is emailed to the address of the account).
 *
 * Neither request tells the caller anything about the account: every request resolves to the
 * same receipt, whether the username or address exists, is rate-limited, belongs to a legacy
 * account or has nowhere to send mail; what happened is in the audit log only. The same database
 * work is done on every path (see requestPasswordReset) and no path hashes a password, so the
 * only timing difference left is one or two inserts; callers that answer over a network should
 * also answer no sooner than a fixed delay.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { Account, Locale } from '../accounts/account.js';
import { KnexAccountRepository } from '../accounts/knex-account-repository.js';
import { isEmailAddress } from '../accounts/profile.js';
import { normaliseEmail, normaliseUsername } from '../accounts/usernames.js';
import type { AuditOutcome, RequestContext } from '../audit/audit-event.js';
import { KnexAuditLog } from '../audit/knex-audit-log.js';
import type { Clock } from '../clock.js';
import { transaction, type Executor } from '../db/transaction.js';
import type { MailOutbox } from '../mail/outbox.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import {
  checkPassword,
  type PasswordContext,
  type PasswordPolicyViolation,
} from '../passwords/password-policy.js';
import type { RandomSource } from '../random.js';
import { ipThrottleKey, type SignInThrottle } from '../throttling/sign-in-throttle.js';
import type { RateLimit, RateLimiter, RateLimitResult } from '../throttling/throttle.js';
import { KnexTokenRepository } from '../tokens/knex-token-repository.js';
import { PASSWORD_RESET_PURPOSE, type RecoverySettings } from './recovery-settings.js';

/** Audit event of a forgotten-username request (one per account reminded, or one failure). */
export const USERNAME_REMINDER_EVENT = 'recovery.username_reminder';
/** Audit event of a forgotten-password request. */
export const PASSWORD_RESET_REQUESTED_EVENT = 'recovery.password_reset_requested';
/** Audit event of a password chosen through a reset link (success or failure). */
export const PASSWORD_RESET_EVENT = 'recovery.password_reset';

/** A forgotten-username request: the email address typed, with where the request came from. */
export interface UsernameReminderRequest extends RequestContext {
  readonly email: string;
}

/** A forgotten-password request: the username typed (new or legacy), with where it came from. */
export interface PasswordResetRequest extends RequestContext {
  readonly username: string;
}

/** What a legacy (unmigrated) username's forgotten-password request is handed on with. */
export interface LegacyPasswordResetDelegation extends RequestContext {
  /** The legacy username, normalised. */
  readonly legacyUsername: string;
}

/** Choosing a new password through an emailed reset link. */
export interface PasswordResetCompletion extends RequestContext {
  readonly token: string;
  readonly newPassword: string;
}

/** The one answer of every recovery request, whatever happened. */
export interface RecoveryReceipt {
  readonly outcome: 'accepted';
}

/** What a valid password-reset link stands for (to show its form). */
export interface PasswordResetLink {
  readonly accountId: string;
  /** The account's (new) username, to show on the form and for password managers. */
  readonly username: string;
  readonly expiresAt: Date;
}

/** The answer of completePasswordReset. */
export type PasswordResetResult =
  /** The new password is set; the link is used up. End the account's sessions now. */
  | { readonly outcome: 'reset'; readonly accountId: string; readonly username: string }
  /** The password breaks the policy; the link still works. `violations` has en/cy wording. */
  | { readonly outcome: 'rejected'; readonly violations: readonly PasswordPolicyViolation[] }
  /** The link is unknown, expired, used, replaced, or its account can no longer use it. */
  | { readonly outcome: 'invalid_token' };

/** What AccountRecovery needs; build it once at start-up. */
export interface AccountRecoveryDependencies {
  /** A knex instance (not a transaction): each request runs its own transaction. */
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Makes the argon2id hash of a new password. */
  readonly hasher: PasswordHasher;
  /** The sign-in throttle: a completed reset lifts the account's lockouts. */
  readonly throttle: SignInThrottle;
  /** Counts requests per address, per username and per client address. */
  readonly rateLimiter: RateLimiter;
  /** Emails go through the outbox, in the same transaction as the change they report. */
  readonly outbox: MailOutbox;
  /** Build with resolveRecoverySettings. */
  readonly settings: RecoverySettings;
  /**
   * Handles a forgotten-password request for a legacy (unmigrated) username, e.g.
   * `(r) => migrationFlow.requestLegacyPasswordReset(r)`; without it such a request sends
   * nothing. Called only within the rate limits; it must answer the same way for every case.
   */
  readonly legacyPasswordReset?: (request: LegacyPasswordResetDelegation) => Promise<void>;
}

const RECEIPT: RecoveryReceipt = Object.freeze({ outcome: 'accepted' });
const HOUR_MS = 60 * 60 * 1000;
/** Matches no account (ids are 32 random hex digits): keeps the unknown-username path's work the same. */
const NO_ACCOUNT_ID = '0'.repeat(32);

/** Token data of a password-reset link: the address it was sent to, as a hash. */
interface ResetTokenData {
  readonly emailHash: string;
}

/** Where a forgotten-password request leads. */
type ResetTarget =
  | {
      readonly kind: 'reset';
      readonly account: Account;
      readonly via: 'username' | 'legacy_username';
    }
  | { readonly kind: 'legacy'; readonly account: Account }
  | {
      readonly kind: 'none';
      readonly reason: 'unknown_username' | 'not_active';
      readonly account: Account | null;
    };

/**
 * Forgotten username and forgotten password for active (migrated or new) accounts; a legacy
 * username's request is handed to `legacyPasswordReset` (the migration package's own flow).
 *
 * @example
 * const recovery = new AccountRecovery({ db, clock, random, hasher, throttle, rateLimiter, outbox,
 *   settings: resolveRecoverySettings({ signInUrl, passwordResetUrl, compositionRule: true }),
 *   legacyPasswordReset: (r) => migration.requestLegacyPasswordReset(r) });
 * await recovery.remindUsername({ email, ip, userAgent });          // always { outcome: 'accepted' }
 * await recovery.requestPasswordReset({ username, ip, userAgent }); // always { outcome: 'accepted' }
 * const result = await recovery.completePasswordReset({ token, newPassword, ip, userAgent });
 */
export class AccountRecovery {
  constructor(private readonly deps: AccountRecoveryDependencies) {}

  /**
   * "Forgotten username": emails every username registered to the address — the new username
   * of an active account, the legacy username of an unmigrated one — in each account's language
   * (one email per language, listing that language's accounts). Disabled and deleted accounts
   * are left out. Nothing is sent when no account matches or a limit is reached (per address
   * and per client address); the receipt is the same. Audited.
   */
  async remindUsername(request: UsernameReminderRequest): Promise<RecoveryReceipt> {
    const { db, clock, random, settings } = this.deps;
    const key = typeof request.email === 'string' ? normaliseEmail(request.email) : '';
    const [byEmail, byIp] = await Promise.all([
      key === '' ? null : this.hit(`recovery:username:${key}`, settings.usernameReminderLimit),
      request.ip
        ? this.hit(
            `recovery:username-ip:${ipThrottleKey(request.ip)}`,
            settings.usernameReminderIpLimit,
          )
        : null,
    ]);
    const found =
      key === '' ? [] : await new KnexAccountRepository(db, clock, random).findByEmail(key);
    const reminders = found.filter(
      (account) => usernamesOf(account).length > 0 && hasUsableEmail(account),
    );
    const refusal =
      byEmail?.allowed === false || byIp?.allowed === false
        ? 'rate_limited'
        : reminders.length === 0
          ? 'no_account'
          : null;

    await transaction(db, async (trx) => {
      if (refusal !== null) {
        const subjects = reminders.length > 0 ? reminders.map((a) => a.id) : [null];
        for (const accountId of subjects) {
          await this.audit(trx, USERNAME_REMINDER_EVENT, 'failure', accountId, request, {
            reason: refusal,
          });
        }
        return;
      }
      for (const group of groupByLocale(reminders)) {
        const first = group.accounts[0] as Account;
        const names = new Set(group.accounts.map(displayName));
        await this.deps.outbox.enqueue(trx, {
          to: (first.email ?? '').trim(),
          template: 'forgotten_username',
          locale: group.locale,
          accountId: group.accounts.length === 1 ? first.id : null,
          data: {
            name: names.size === 1 ? displayName(first) : '',
            usernames: [...new Set(group.accounts.flatMap(usernamesOf))],
            signInUrl: settings.signInUrl,
          },
        });
      }
      for (const account of reminders) {
        await this.audit(trx, USERNAME_REMINDER_EVENT, 'success', account.id, request);
      }
    });
    return RECEIPT;
  }

  /**
   * "Forgotten password": for the username of an active account (compared normalised; a
   * migrated account's legacy username counts too), voids older links and emails a new
   * single-use link (24 h by default) to the account's address, in its language. A legacy
   * (unmigrated) username is handed to `legacyPasswordReset`. Unknown, disabled and
   * rate-limited (per username, per client address) requests send nothing; the receipt is the
   * same. Every path does the same lookups, rate-limit hits and a revoking UPDATE (against no
   * account when there is none) in one transaction with its audit event, and none hashes
   * anything; only the token and outbox inserts are extra when a link is sent.
   */
  async requestPasswordReset(request: PasswordResetRequest): Promise<RecoveryReceipt> {
    const { db, clock, random, settings } = this.deps;
    const key = typeof request.username === 'string' ? normaliseUsername(request.username) : '';
    const accounts = new KnexAccountRepository(db, clock, random);
    const [byName, byIp, byUsername, byLegacy] = await Promise.all([
      key === '' ? null : this.hit(`recovery:password-reset:${key}`, settings.passwordResetLimit),
      request.ip
        ? this.hit(
            `recovery:password-reset-ip:${ipThrottleKey(request.ip)}`,
            settings.passwordResetIpLimit,
          )
        : null,
      key === '' ? null : accounts.findByUsername(key),
      key === '' ? null : accounts.findByLegacyUsername(key),
    ]);
    const target = resetTarget(byUsername, byLegacy);
    const limited = byName?.allowed === false || byIp?.allowed === false;

    if (!limited && target.kind === 'legacy' && this.deps.legacyPasswordReset) {
      await this.deps.legacyPasswordReset({
        legacyUsername: key,
        ip: request.ip ?? null,
        userAgent: request.userAgent ?? null,
      });
      return RECEIPT;
    }
    const refusal = limited
      ? 'rate_limited'
      : target.kind === 'legacy'
        ? 'legacy_account'
        : target.kind === 'none'
          ? target.reason
          : !hasUsableEmail(target.account)
            ? 'no_usable_email'
            : null;

    await transaction(db, async (trx) => {
      const tokens = new KnexTokenRepository(trx, clock, random);
      const account = target.account;
      await tokens.revoke(
        PASSWORD_RESET_PURPOSE,
        refusal === null && account ? account.id : NO_ACCOUNT_ID,
      );
      if (refusal !== null || target.kind !== 'reset') {
        await this.audit(
          trx,
          PASSWORD_RESET_REQUESTED_EVENT,
          'failure',
          account?.id ?? null,
          request,
          { reason: refusal ?? 'unknown_username' },
        );
        return;
      }
      const email = (target.account.email ?? '').trim();
      const issued = await tokens.issue<ResetTokenData>({
        purpose: PASSWORD_RESET_PURPOSE,
        accountId: target.account.id,
        data: { emailHash: emailHash(email) },
        lifetimeMs: settings.passwordResetLifetimeMs,
      });
      await this.deps.outbox.enqueue(trx, {
        to: email,
        template: 'password_reset',
        locale: target.account.locale,
        accountId: target.account.id,
        data: {
          name: displayName(target.account),
          resetUrl: settings.passwordResetUrl(issued.token),
          expiresHours: Math.max(1, Math.round(settings.passwordResetLifetimeMs / HOUR_MS)),
        },
      });
      await this.audit(trx, PASSWORD_RESET_REQUESTED_EVENT, 'success', target.account.id, request, {
        via: target.via,
      });
    });
    return RECEIPT;
  }

  /**
   * Tells whether a password-reset link would be accepted now (to show its form), without using
   * it up; null when it would not (unknown, expired, used, replaced, the account no longer
   * active or its email address changed since the link was sent).
   */
  async checkPasswordResetToken(token: string): Promise<PasswordResetLink | null> {
    const found = await this.usableLink(token);
    if (!found) return null;
    return {
      accountId: found.account.id,
      username: found.account.username ?? '',
      expiresAt: found.expiresAt,
    };
  }

  /**
   * Uses a password-reset link: a new password that passes the policy (every broken rule is
   * returned) is set as the account's argon2id hash (not temporary), the `update_password`
   * required action is removed, the link and any other reset link are used up, the user is told
   * by email (`security_change`) and the account's sign-in lockouts are lifted — a completed
   * reset proves control of the mailbox. Audited. Ending the account's sessions is the caller's
   * job (they live outside this package).
   */
  async completePasswordReset(request: PasswordResetCompletion): Promise<PasswordResetResult> {
    const { db, clock, random, hasher, settings } = this.deps;
    const found = await this.usableLink(request.token);
    if (!found) {
      await this.audit(db, PASSWORD_RESET_EVENT, 'failure', null, request, {
        reason: 'invalid_token',
      });
      return { outcome: 'invalid_token' };
    }
    const { account } = found;
    const newPassword = typeof request.newPassword === 'string' ? request.newPassword : '';
    const violations = checkPassword(newPassword, passwordContext(account), {
      compositionRule: settings.compositionRule,
    });
    if (violations.length > 0) {
      await this.audit(db, PASSWORD_RESET_EVENT, 'failure', account.id, request, {
        reason: 'password_policy',
        rules: violations.map((v) => v.code),
      });
      return { outcome: 'rejected', violations };
    }

    // argon2id is slow: hash before the transaction so that it stays short.
    const hash = await hasher.hash(newPassword);
    const done = await transaction(db, async (trx): Promise<Account | null> => {
      const tokens = new KnexTokenRepository(trx, clock, random);
      // The guarded consume decides: exactly one request gets past it, however many race.
      const consumed = await tokens.consume<ResetTokenData>(PASSWORD_RESET_PURPOSE, request.token);
      if (!consumed || consumed.accountId !== account.id) return null;
      const accounts = new KnexAccountRepository(trx, clock, random);
      const current = await accounts.findById(account.id);
      if (!current || !linkStillApplies(current, consumed.data)) return null;
      await accounts.setPasswordHash(current.id, hash);
      await accounts.removeRequiredAction(current.id, 'update_password');
      await tokens.revoke(PASSWORD_RESET_PURPOSE, current.id);
      await this.deps.outbox.enqueue(trx, {
        to: (current.email ?? '').trim(),
        template: 'security_change',
        locale: current.locale,
        accountId: current.id,
        data: { name: displayName(current), change: 'password', time: clock.now() },
      });
      await this.audit(trx, PASSWORD_RESET_EVENT, 'success', current.id, request);
      return current;
    });
    if (!done) {
      await this.audit(db, PASSWORD_RESET_EVENT, 'failure', account.id, request, {
        reason: 'invalid_token',
      });
      return { outcome: 'invalid_token' };
    }
    const keys = [done.username, done.legacyUsername]
      .filter((name): name is string => typeof name === 'string' && name !== '')
      .map((name) => `username:${normaliseUsername(name)}`);
    for (const accountKey of new Set(keys)) await this.deps.throttle.unlockAccount(accountKey);
    return { outcome: 'reset', accountId: done.id, username: done.username ?? '' };
  }

  /** The account and expiry of a reset link that would be accepted now; null otherwise. */
  private async usableLink(
    token: string,
  ): Promise<{ readonly account: Account; readonly expiresAt: Date } | null> {
    const { db, clock, random } = this.deps;
    if (typeof token !== 'string') return null;
    const found = await new KnexTokenRepository(db, clock, random).peek<ResetTokenData>(
      PASSWORD_RESET_PURPOSE,
      token,
    );
    if (!found?.accountId) return null;
    const account = await new KnexAccountRepository(db, clock, random).findById(found.accountId);
    if (!account || !linkStillApplies(account, found.data)) return null;
    return { account, expiresAt: found.expiresAt };
  }

  private hit(key: string, limit: RateLimit): Promise<RateLimitResult> {
    return this.deps.rateLimiter.hit(key, limit);
  }

  private async audit(
    db: Executor,
    type: string,
    outcome: AuditOutcome,
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

/** Where a forgotten-password request for these lookups leads; a new username wins over a legacy one. */
function resetTarget(byUsername: Account | null, byLegacy: Account | null): ResetTarget {
  if (byUsername && byUsername.status !== 'deleted') {
    return byUsername.status === 'active'
      ? { kind: 'reset', account: byUsername, via: 'username' }
      : { kind: 'none', reason: 'not_active', account: byUsername };
  }
  if (!byLegacy || byLegacy.status === 'deleted') {
    return { kind: 'none', reason: 'unknown_username', account: null };
  }
  if (byLegacy.status === 'legacy') return { kind: 'legacy', account: byLegacy };
  if (byLegacy.status === 'active' && byLegacy.username !== null) {
    return { kind: 'reset', account: byLegacy, via: 'legacy_username' };
  }
  return { kind: 'none', reason: 'not_active', account: byLegacy };
}

/** True while a reset link may be used: the account is active and still has the address the link went to. */
function linkStillApplies(account: Account, data: ResetTokenData | null): boolean {
  if (account.status !== 'active' || account.username === null || !hasUsableEmail(account)) {
    return false;
  }
  if (!data || typeof data.emailHash !== 'string') return false;
  const expected = Buffer.from(emailHash((account.email ?? '').trim()), 'hex');
  const sent = Buffer.from(data.emailHash, 'hex');
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/** The usernames a reminder lists for an account: the new one when active, the legacy one when unmigrated. */
function usernamesOf(account: Account): string[] {
  if (account.status === 'active' && account.username) return [account.username];
  if (account.status === 'legacy' && account.legacyUsername) return [account.legacyUsername];
  return [];
}

/** Accounts grouped by language, in the order of their first account. */
function groupByLocale(
  accounts: readonly Account[],
): { readonly locale: Locale; readonly accounts: Account[] }[] {
  const groups = new Map<Locale, Account[]>();
  for (const account of accounts) {
    const group = groups.get(account.locale);
    if (group) group.push(account);
    else groups.set(account.locale, [account]);
  }
  return [...groups].map(([locale, members]) => ({ locale, accounts: members }));
}

function hasUsableEmail(account: Pick<Account, 'email'>): boolean {
  return account.email !== null && isEmailAddress(account.email.trim());
}

/** SHA-256 of the normalised address, so the token row holds no address in clear. */
function emailHash(email: string): string {
  return createHash('sha256').update(normaliseEmail(email), 'utf8').digest('hex');
}

function displayName(account: Pick<Account, 'givenName' | 'familyName'>): string {
  return [account.givenName, account.familyName].filter((p): p is string => Boolean(p)).join(' ');
}

function passwordContext(account: Account): PasswordContext {
  return {
    username: account.username,
    legacyUsername: account.legacyUsername,
    email: account.email,
    givenName: account.givenName,
    familyName: account.familyName,
  };
}

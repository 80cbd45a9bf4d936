import {
  KnexAccountRepository,
  KnexLockouts,
  normaliseUsername,
  type Account,
  type Clock,
  type RequiredAction,
  type SignInThrottle,
} from '@porth/identity-core';
import { MfaThrottle, type FactorSummary } from '@porth/mfa';
import { temporaryPasswordResendable, type MigrationRecord } from '@porth/migration';
import type { PortalServices } from '../../../services.js';

/** Account ids are 128-bit random numbers written as 32 hex characters. */
const ACCOUNT_ID = /^[0-9a-f]{32}$/;

/** True when `value` looks like an account id (anything else is not looked up). */
export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID.test(value);
}

/**
 * Where an account stands, as support staff think of it: `migrated` is an active account that
 * came from the legacy AMP and has not finished its first sign-in (required actions) yet.
 */
export type SupportStatus = 'legacy' | 'migrated' | 'active' | 'disabled' | 'deleted';

/** The sign-in lockout of one name the account can be signed in with. */
export interface SignInLock {
  readonly username: string;
  /** `new` for the account's username, `legacy` for its legacy AMP username. */
  readonly which: 'new' | 'legacy';
  readonly locked: boolean;
  /** When the lock ends by itself; null while not locked, or locked until someone unlocks it. */
  readonly until: Date | null;
}

/** Everything the console decides on about one account, read fresh for each request. */
export interface AccountFacts {
  readonly account: Account;
  readonly status: SupportStatus;
  readonly record: MigrationRecord | null;
  readonly requiredActions: readonly RequiredAction[];
  readonly signInLocks: readonly SignInLock[];
  /** True while second-factor checks are locked (100 consecutive wrong codes). */
  readonly mfaLocked: boolean;
  /** The account's active second factors, the default first. */
  readonly factors: readonly FactorSummary[];
  /** How many unused recovery codes the account has. */
  readonly recoveryCodes: number;
  /** True while a support person may send a new temporary password. */
  readonly temporaryPasswordResendable: boolean;
}

/** The account's status for support staff (see SupportStatus). */
export function supportStatus(account: Account, record: MigrationRecord | null): SupportStatus {
  if (account.status !== 'active') return account.status;
  if (record && (record.state === 'migrated' || record.state === 'required_actions')) {
    return 'migrated';
  }
  return 'active';
}

/** The throttle key of a name typed at the sign-in or migration page (SignInThrottle's `accountKey`). */
export function signInKey(username: string): string {
  return `username:${normaliseUsername(username)}`;
}

/** The names an account can be signed in with, each with the key its lockout is kept under. */
export function signInNames(account: Account): { username: string; which: 'new' | 'legacy' }[] {
  const names: { username: string; which: 'new' | 'legacy' }[] = [];
  if (account.username) names.push({ username: account.username, which: 'new' });
  if (
    account.legacyUsername &&
    normaliseUsername(account.legacyUsername) !== normaliseUsername(account.username ?? '')
  ) {
    names.push({ username: account.legacyUsername, which: 'legacy' });
  }
  return names;
}

/** The MFA package's lock on second-factor checks, read or lifted on `services`' database. */
export function mfaThrottleOf(services: PortalServices): MfaThrottle {
  return new MfaThrottle(services.rateLimiter, new KnexLockouts(services.db, services.clock));
}

/**
 * Where the sign-in lockout of each name of the account stands, read through `throttle` (the
 * portal's, or one on the transaction that is about to lift them).
 */
export async function signInLocksOf(
  throttle: SignInThrottle,
  account: Account,
  clock: Clock,
): Promise<SignInLock[]> {
  return Promise.all(
    signInNames(account).map(async ({ username, which }): Promise<SignInLock> => {
      const check = await throttle.check({ accountKey: signInKey(username) });
      if (check.allowed) return { username, which, locked: false, until: null };
      return {
        username,
        which,
        locked: true,
        until:
          check.retryAfterMs === null ? null : new Date(clock.now().getTime() + check.retryAfterMs),
      };
    }),
  );
}

/** Reads what the console needs to know about an account; null when there is no such account. */
export async function loadAccountFacts(
  services: PortalServices,
  accountId: string,
): Promise<AccountFacts | null> {
  if (!isAccountId(accountId)) return null;
  const { db, clock, random } = services;
  const accounts = new KnexAccountRepository(db, clock, random);
  const account = await accounts.findById(accountId);
  if (!account) return null;
  const [record, requiredActions, mfaLocked, factors, recoveryCodes, signInLocks] =
    await Promise.all([
      services.migration.findRecord(accountId),
      accounts.listRequiredActions(accountId),
      mfaThrottleOf(services).isLocked(accountId),
      services.mfa.listFactors(accountId),
      services.mfa.recoveryCodesRemaining(accountId),
      signInLocksOf(services.throttle, account, clock),
    ]);
  return {
    account,
    status: supportStatus(account, record),
    record,
    requiredActions,
    signInLocks,
    mfaLocked,
    factors,
    recoveryCodes,
    temporaryPasswordResendable: temporaryPasswordResendable(account, record),
  };
}

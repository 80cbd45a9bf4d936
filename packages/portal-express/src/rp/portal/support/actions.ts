import {
  AccountService,
  ConcurrentUpdateError,
  InvalidStatusChangeError,
  KnexAccountRepository,
  KnexAuditLog,
  KnexLockouts,
  KnexRateLimiter,
  SignInThrottle,
  transaction,
  type Account,
  type MailTemplates,
  type RequestContext,
} from '@porth/identity-core';
import { ActorNotAllowedError, MfaThrottle } from '@porth/mfa';
import { resendTemporaryPasswordForSupport } from '@porth/migration';
import type { Knex } from 'knex';
import {
  endProviderSessions,
  sendBackchannelLogouts,
  type SignedInApplication,
} from '../../../oidc/backchannel.js';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { KnexRpSessions } from '../../knex-rp-sessions.js';
import { isActiveStaff } from './guard.js';
import { signInKey, signInLocksOf, signInNames, type AccountFacts } from './account-facts.js';

/** What a `support_change` email reports. */
type SupportChange = MailTemplates['support_change']['change'];

/** What a support person can do to an account, each behind a confirmation page. */
export const SUPPORT_ACTIONS = [
  'reset-mfa',
  'unlock',
  'resend-password',
  'disable',
  'enable',
] as const;
/** One support action, as it appears in the address (`/portal/support/accounts/:id/<action>`). */
export type SupportAction = (typeof SUPPORT_ACTIONS)[number];

/** True when `value` names a support action. */
export function isSupportAction(value: unknown): value is SupportAction {
  return (SUPPORT_ACTIONS as readonly unknown[]).includes(value);
}

/** The message-catalogue name of an action (`reset-mfa` → `reset_mfa`). */
export function actionKey(action: SupportAction): string {
  return action.replace(/-/g, '_');
}

/** The longest note a support person can add for the audit log. */
export const MAX_REASON_LENGTH = 500;

/**
 * Whether an action applies to the account now, and if not, why (a `support.refused.*` key).
 * Nobody changes their own account here: another member of the team must.
 */
export function refusalOf(
  action: SupportAction,
  facts: AccountFacts,
  staffId: string,
): string | null {
  const { account } = facts;
  if (account.id === staffId) return 'support.refused.self';
  if (account.status === 'deleted') return 'support.refused.deleted';
  switch (action) {
    case 'reset-mfa': {
      if (account.status === 'legacy') return 'support.refused.legacy';
      // Nothing left to remove and set-up already required: a reset would change nothing.
      const nothingToReset =
        facts.factors.length === 0 &&
        facts.recoveryCodes === 0 &&
        facts.requiredActions.includes('configure_mfa');
      return nothingToReset ? 'support.refused.nothing_to_reset' : null;
    }
    case 'unlock':
      return facts.mfaLocked || facts.signInLocks.some((l) => l.locked)
        ? null
        : 'support.refused.not_locked';
    case 'resend-password':
      return facts.temporaryPasswordResendable ? null : 'support.refused.no_temporary_password';
    case 'disable':
      return account.status === 'active' ? null : 'support.refused.not_active';
    case 'enable':
      return account.status === 'disabled' ? null : 'support.refused.not_disabled';
  }
}

/** Who is acting, from where, and why. */
export interface SupportActor extends RequestContext {
  readonly staff: Account;
  /** The support person's note for the audit log (empty for none). */
  readonly reason: string;
}

/** What went wrong with an action that was allowed when the page was shown. */
export type ActionFailure = 'changed' | 'not_allowed';

/** The outcome of performing an action. */
export type ActionOutcome =
  { readonly ok: true } | { readonly ok: false; readonly why: ActionFailure };

/**
 * Performs an action already checked with `refusalOf`; the database has the last word (a status
 * changed meanwhile, or a resend no longer possible, is `changed`; a support person disabled
 * meanwhile is `not_allowed`). Every change is audited with the support person as actor and
 * emailed to the account's address in the account's language.
 */
export async function performAction(
  deps: RouteDependencies,
  action: SupportAction,
  facts: AccountFacts,
  actor: SupportActor,
): Promise<ActionOutcome> {
  switch (action) {
    case 'reset-mfa':
      return resetMfa(deps, facts.account, actor);
    case 'unlock':
      return unlock(deps, facts.account, actor);
    case 'resend-password':
      return resendPassword(deps, facts.account, actor);
    case 'disable':
      return changeStatus(deps, facts.account, actor, 'active', 'disabled');
    case 'enable':
      return changeStatus(deps, facts.account, actor, 'disabled', 'active');
  }
}

function context(actor: SupportActor): RequestContext {
  return { ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
}

function note(actor: SupportActor): { reason?: string } {
  return actor.reason ? { reason: actor.reason } : {};
}

/**
 * Ends every session of the account — the provider's sessions and grants (so no application
 * can refresh its tokens) and the built-in applications' sessions — and records it. Returns the
 * applications signed in through the provider's sessions, to be told once the change commits.
 */
async function endSessions(
  trx: Knex.Transaction,
  deps: RouteDependencies,
  accountId: string,
  actor: SupportActor,
  why: 'mfa_reset' | 'disabled',
): Promise<SignedInApplication[]> {
  const { clock } = deps.services;
  const provider = await endProviderSessions(trx, accountId);
  const applications = await new KnexRpSessions(trx, clock).deleteAllOfAccount(accountId);
  await new KnexAuditLog(trx, clock).append({
    type: 'account.sessions_ended',
    outcome: 'success',
    accountId,
    actorId: actor.staff.id,
    ...context(actor),
    details: { reason: why, providerRecords: provider.records, applicationSessions: applications },
  });
  return provider.applications;
}

/** Queues the `support_change` email, if the account has an address. */
async function emailChange(
  trx: Knex.Transaction,
  deps: RouteDependencies,
  account: Account,
  change: SupportChange,
): Promise<boolean> {
  if (!account.email) return false;
  await deps.services.outbox.enqueue(trx, {
    to: account.email,
    template: 'support_change',
    locale: account.locale,
    accountId: account.id,
    data: {
      name: account.givenName ?? '',
      change,
      time: deps.services.clock.now(),
      signInUrl: deps.services.urls.signIn,
    },
  });
  return true;
}

/**
 * Reset MFA (the FAQ's "I changed my phone" / "I deleted the app"): the MFA service removes every
 * factor and recovery code, requires `configure_mfa` at the next sign-in, lifts its lock, audits
 * `mfa.reset` and emails `mfa_reset`; then every session of the account ends, so whoever holds
 * one must sign in — and set up a new factor — again.
 */
async function resetMfa(
  deps: RouteDependencies,
  account: Account,
  actor: SupportActor,
): Promise<ActionOutcome> {
  const { db, mfa } = deps.services;
  try {
    const outcome = await mfa.resetFactors(
      account.id,
      { actorId: actor.staff.id, ...note(actor) },
      context(actor),
    );
    if (outcome.alreadyReset) return { ok: false, why: 'changed' };
  } catch (err) {
    if (err instanceof ActorNotAllowedError) return { ok: false, why: 'not_allowed' };
    throw err;
  }
  const signedIn = await transaction(db, (trx) =>
    endSessions(trx, deps, account.id, actor, 'mfa_reset'),
  );
  await sendBackchannelLogouts(() => deps.provider(), account.id, signedIn);
  return { ok: true };
}

/**
 * Unlock: lifts the sign-in lockouts of the account's username and legacy username and the
 * lock on its second-factor checks, in one transaction with the audit event
 * (`account.unlocked`) and the email. The account's row is locked first and the locks read
 * again under it: of two unlocks at once, the second finds nothing locked and is `changed`.
 */
async function unlock(
  deps: RouteDependencies,
  account: Account,
  actor: SupportActor,
): Promise<ActionOutcome> {
  const { db, clock, random } = deps.services;
  return transaction(db, async (trx): Promise<ActionOutcome> => {
    const accounts = new KnexAccountRepository(trx, clock, random);
    if (!(await accounts.lockById(account.id))) return { ok: false, why: 'changed' };
    const staff = await accounts.findById(actor.staff.id);
    if (!isActiveStaff(staff)) return { ok: false, why: 'not_allowed' };
    const lockouts = new KnexLockouts(trx, clock);
    const limiter = new KnexRateLimiter(trx, clock);
    const throttle = new SignInThrottle(limiter, lockouts, deps.config.throttling);
    const names = signInNames(account);
    const mfaThrottle = new MfaThrottle(limiter, lockouts);
    const mfaWasLocked = await mfaThrottle.isLocked(account.id);
    const signInLocks = await signInLocksOf(throttle, account, clock);
    if (!mfaWasLocked && !signInLocks.some((l) => l.locked)) return { ok: false, why: 'changed' };
    for (const { username } of names) await throttle.unlockAccount(signInKey(username));
    await mfaThrottle.unlock(account.id);
    const emailed = await emailChange(trx, deps, account, 'unlocked');
    await new KnexAuditLog(trx, clock).append({
      type: 'account.unlocked',
      outcome: 'success',
      accountId: account.id,
      actorId: actor.staff.id,
      ...context(actor),
      details: {
        usernames: names.map((n) => n.which),
        mfaLockLifted: mfaWasLocked,
        emailed,
        ...note(actor),
      },
    });
    return { ok: true };
  });
}

/** Resend the temporary password: a new one, emailed; the old one stops working. */
async function resendPassword(
  deps: RouteDependencies,
  account: Account,
  actor: SupportActor,
): Promise<ActionOutcome> {
  const { db, clock, random, hasher, outbox, urls } = deps.services;
  const result = await resendTemporaryPasswordForSupport(
    {
      db,
      clock,
      random,
      hasher,
      outbox,
      settings: {
        signInUrl: urls.signIn,
        temporaryPasswordLifetimeMs: deps.config.passwords.temporaryPasswordLifetimeMs,
      },
    },
    { accountId: account.id, actorId: actor.staff.id, ...context(actor), ...note(actor) },
  );
  if (result.outcome === 'sent') return { ok: true };
  return { ok: false, why: result.outcome === 'not_allowed' ? 'not_allowed' : 'changed' };
}

/**
 * Disable or enable, guarded by the status the page showed (`UPDATE … WHERE status = ?`):
 * audited (`account.status_changed`) and emailed; disabling also ends every session.
 */
async function changeStatus(
  deps: RouteDependencies,
  account: Account,
  actor: SupportActor,
  from: 'active' | 'disabled',
  to: 'active' | 'disabled',
): Promise<ActionOutcome> {
  const { db, clock, random } = deps.services;
  let signedIn: SignedInApplication[] = [];
  try {
    const outcome = await transaction(db, async (trx): Promise<ActionOutcome> => {
      // The support person is checked again inside the transaction that makes the change.
      const staff = await new KnexAccountRepository(trx, clock, random).findById(actor.staff.id);
      if (!isActiveStaff(staff)) return { ok: false, why: 'not_allowed' };
      const changed = await new AccountService(trx, clock, random).changeStatus(
        account.id,
        from,
        to,
        { actorId: actor.staff.id, ...context(actor), ...note(actor) },
      );
      if (to === 'disabled') signedIn = await endSessions(trx, deps, account.id, actor, 'disabled');
      await emailChange(trx, deps, changed, to === 'disabled' ? 'disabled' : 'enabled');
      return { ok: true };
    });
    await sendBackchannelLogouts(() => deps.provider(), account.id, signedIn);
    return outcome;
  } catch (err) {
    if (err instanceof ConcurrentUpdateError || err instanceof InvalidStatusChangeError) {
      return { ok: false, why: 'changed' };
    }
    throw err;
  }
}

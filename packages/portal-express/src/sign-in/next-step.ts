import { KnexAccountRepository, type Account } from '@porth/identity-core';
import type { FactorSummary } from '@porth/mfa';
import type { SignInContext, SignInState } from './states.js';
import type { StepRequest } from './step.js';

/**
 * The confirmed factors a sign-in may use. When the application asked for a strong second factor
 * (`acr_values` with the MFA level), email codes are left out, unless they are all there is.
 */
export function usableFactors(
  context: SignInContext,
  factors: readonly FactorSummary[],
): FactorSummary[] {
  const all = factors.filter((f) => f.confirmedAt !== null);
  if (!context.strongFactorRequired) return all;
  const strong = all.filter((f) => f.kind !== 'email');
  return strong.length > 0 ? strong : all;
}

/** The factor the second-factor page starts with: the default one, else the first. */
export function startingFactor(factors: readonly FactorSummary[]): FactorSummary | undefined {
  return factors.find((f) => f.isDefault) ?? factors[0];
}

/**
 * Where a verified password leads: set up a second factor first, or use one — then also the
 * factor the second-factor page starts with, so that page need not choose it and reload.
 */
export async function stateAfterPassword(
  s: StepRequest,
  account: Account,
): Promise<{ state: SignInState; factorId?: string }> {
  const [factors, actions] = await Promise.all([
    s.services.mfa.listFactors(account.id),
    new KnexAccountRepository(
      s.services.db,
      s.services.clock,
      s.services.random,
    ).listRequiredActions(account.id),
  ]);
  const active = factors.filter((f) => f.confirmedAt !== null);
  if (active.length === 0 || actions.includes('configure_mfa')) return { state: 'mfa_setup' };
  return {
    state: 'second_factor',
    factorId: startingFactor(usableFactors(s.flow.context, active))?.id,
  };
}

/**
 * Where a passed second factor leads: the remaining required actions, then "Stay signed in?".
 * `readNow` is the account as this request already read it, when nothing of it changed since.
 */
export async function stateAfterSecondFactor(
  s: StepRequest,
  accountId: string,
  readNow?: Account,
): Promise<SignInState> {
  const accounts = new KnexAccountRepository(s.services.db, s.services.clock, s.services.random);
  const [account, actions] = await Promise.all([
    readNow?.id === accountId ? readNow : accounts.findById(accountId),
    accounts.listRequiredActions(accountId),
  ]);
  if (actions.includes('update_password') || account?.passwordTemporary) return 'update_password';
  if (actions.includes('update_profile')) return 'update_profile';
  return 'stay_signed_in';
}

/** The account a sign-in is about, once its password was verified; throws if it is gone. */
export async function signInAccount(s: StepRequest): Promise<Account> {
  const id = s.flow.context.accountId;
  const account = id
    ? await new KnexAccountRepository(s.services.db, s.services.clock, s.services.random).findById(
        id,
      )
    : null;
  if (!account || account.status !== 'active') throw new SignInAccountMissingError();
  return account;
}

/** The sign-in reached a step that needs a verified account, but has none (or it was disabled). */
export class SignInAccountMissingError extends Error {
  override readonly name = 'SignInAccountMissingError';
  constructor() {
    super('The sign-in has no active account');
  }
}

import { KnexAccountRepository, type Account } from '@porth/identity-core';
import type { SignInState } from './states.js';
import type { StepRequest } from './step.js';

/** Where a verified password leads: set up a second factor first, or use one. */
export async function stateAfterPassword(s: StepRequest, account: Account): Promise<SignInState> {
  const [factors, actions] = await Promise.all([
    s.services.mfa.listFactors(account.id),
    new KnexAccountRepository(
      s.services.db,
      s.services.clock,
      s.services.random,
    ).listRequiredActions(account.id),
  ]);
  const active = factors.filter((f) => f.confirmedAt !== null);
  return active.length === 0 || actions.includes('configure_mfa') ? 'mfa_setup' : 'second_factor';
}

/** Where a passed second factor leads: the remaining required actions, then "Stay signed in?". */
export async function stateAfterSecondFactor(
  s: StepRequest,
  accountId: string,
): Promise<SignInState> {
  const accounts = new KnexAccountRepository(s.services.db, s.services.clock, s.services.random);
  const [account, actions] = await Promise.all([
    accounts.findById(accountId),
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

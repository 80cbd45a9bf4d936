import { KnexFlowRepository, type Flow } from '@porth/identity-core';
import type { SignInContext, SignInState } from '../states.js';
import type { Step, StepRequest } from '../step.js';
import { signInAccount, stateAfterSecondFactor } from '../next-step.js';

/** Records in the flow that this sign-in's codes are being shown; a concurrent second try fails. */
async function markShown(
  s: StepRequest,
  flow: Flow<SignInState, SignInContext>,
  shown: boolean,
): Promise<Flow<SignInState, SignInContext>> {
  const flows = new KnexFlowRepository(s.services.db, s.services.clock, s.services.random);
  const next = {
    ...flow,
    context: { ...flow.context, recoveryCodesShown: shown },
    updatedAt: s.services.clock.now(),
  };
  return flows.save(flow, next);
}

/**
 * The recovery codes, right after the first second factor was set up: a set of 10 is made once
 * and shown once. Only a flag is kept in the flow, never the codes: a reload says they were
 * shown, and that a new set can be made later in AMP's security page.
 */
export const recoveryCodesStep: Step = {
  state: 'recovery_codes',
  async show(s) {
    const account = await signInAccount(s);
    s.res.set('Cache-Control', 'no-store');
    if (s.flow.context.recoveryCodesShown) {
      s.render('sign-in/recovery-codes', { titleKey: 'recovery_codes.title', alreadyShown: true });
      return;
    }
    // The guarded save decides first, so two tabs cannot make two sets.
    const claimed = await markShown(s, s.flow, true);
    let codes: readonly string[];
    try {
      codes = (await s.services.mfa.regenerateRecoveryCodes(account.id, s.context)).codes;
    } catch (err) {
      // Nothing was shown: let a reload try again, then report the failure.
      await markShown(s, claimed, false);
      throw err;
    }
    s.render('sign-in/recovery-codes', { titleKey: 'recovery_codes.title', codes });
  },
  async submit(s) {
    const account = await signInAccount(s);
    await s.moveTo(await stateAfterSecondFactor(s, account.id));
  },
};

import { KnexAccountRepository, KnexAuditLog } from '@porth/identity-core';
import { ACR } from '../../oidc/claims.js';
import type { Step } from '../step.js';
import { signInAccount } from '../next-step.js';

/**
 * "Stay signed in?" Yes keeps the provider session across browser restarts for
 * STAY_SIGNED_IN_DAYS; No ends it with the browser, after SESSION_IDLE_MINUTES idle and
 * SESSION_MAX_HOURS in any case. Then the user goes back to the application.
 */
export const staySignedInStep: Step = {
  state: 'stay_signed_in',
  async show(s) {
    s.render('sign-in/stay-signed-in', { titleKey: 'stay_signed_in.title' });
  },
  async submit(s) {
    const answer = s.form.stay_signed_in;
    if (answer !== 'yes' && answer !== 'no') {
      const message = s.t('stay_signed_in.errors.missing');
      s.render(
        'sign-in/stay-signed-in',
        {
          titleKey: 'stay_signed_in.title',
          errors: [{ field: 'stay_signed_in', message }],
          fieldErrors: { stay_signed_in: message },
        },
        400,
      );
      return;
    }
    const account = await signInAccount(s);
    const amr = s.flow.context.amr ?? ['pwd'];
    if (amr.length < 2)
      throw new Error('A sign-in reached "Stay signed in?" without a second factor');
    await new KnexAccountRepository(
      s.services.db,
      s.services.clock,
      s.services.random,
    ).recordSignIn(account.id);
    await s.services.migration.recordSignIn(account.id);
    await new KnexAuditLog(s.services.db, s.services.clock).append({
      type: 'sign_in',
      outcome: 'success',
      accountId: account.id,
      ...s.context,
      details: { client: s.flow.context.clientId, amr, remember: answer === 'yes' },
    });
    await s.finish({
      accountId: account.id,
      acr: s.flow.context.weakSecondFactor ? ACR.mfaEmail : ACR.mfa,
      amr,
      remember: answer === 'yes',
    });
  },
};

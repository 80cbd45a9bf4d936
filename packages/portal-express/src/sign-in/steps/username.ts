import { KnexAccountRepository, normaliseUsername } from '@porth/identity-core';
import type { Step } from '../step.js';

const MAX_USERNAME = 320;

/** "Username" → Next. A legacy AMP username goes to the migration page; anything else to "Password". */
export const usernameStep: Step = {
  state: 'username',
  async show(s) {
    s.render('sign-in/username', {
      titleKey: 'sign_in.title',
      values: { username: s.flow.context.username ?? '' },
    });
  },
  async submit(s) {
    const typed = (s.form.username ?? '').trim();
    if (typed === '' || typed.length > MAX_USERNAME) {
      const message = s.t(
        typed === '' ? 'sign_in.errors.username_missing' : 'sign_in.errors.username_too_long',
      );
      s.render(
        'sign-in/username',
        {
          titleKey: 'sign_in.title',
          values: { username: typed.slice(0, MAX_USERNAME) },
          errors: [{ field: 'username', message }],
          fieldErrors: { username: message },
        },
        400,
      );
      return;
    }
    const accounts = new KnexAccountRepository(s.services.db, s.services.clock, s.services.random);
    const legacy = await accounts.findByLegacyUsername(normaliseUsername(typed));
    if (legacy && legacy.status === 'legacy') {
      await s.moveTo('migrate', { username: typed, accountId: undefined });
      return;
    }
    await s.moveTo('password', { username: typed, accountId: undefined });
  },
};

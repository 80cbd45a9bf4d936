import { KnexAccountRepository } from '@porth/identity-core';
import type { Step } from '../step.js';

const MAX_USERNAME = 320;

/**
 * "Username" → Next. A legacy AMP username (`firstname.surname`, never with an `@`) goes to the
 * migration page; a new username or a centre user's email (always with an `@`) to "Password".
 * Which page comes next depends on what was typed, never on whether a legacy account exists:
 * an unknown name without an `@` gets the migration page too, and its password is refused there
 * exactly as a wrong legacy password is (no account enumeration). A legacy username with an `@`
 * is migrated from the password page, which accepts a legacy password too.
 */
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
    // The one exception: an account whose own (new) username has no `@` signs in as usual.
    const accounts = new KnexAccountRepository(s.services.db, s.services.clock, s.services.random);
    const own = typed.includes('@') ? null : await accounts.findByUsername(typed);
    const next = typed.includes('@') || own ? 'password' : 'migrate';
    await s.moveTo(next, { username: typed, accountId: undefined });
  },
};

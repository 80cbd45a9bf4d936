import type { Step, StepRequest } from '../step.js';
import { stateAfterPassword } from '../next-step.js';

const MAX_PASSWORD = 1024;

function refuse(
  s: StepRequest,
  messageKey: string,
  status: number,
  options: Record<string, unknown> = {},
) {
  const message = s.t(messageKey, options);
  s.render(
    'sign-in/password',
    {
      titleKey: 'sign_in.password_title',
      errors: [{ field: 'password', message }],
      fieldErrors: { password: message },
    },
    status,
  );
}

/**
 * "Password" → Sign in. Unknown usernames and wrong passwords get the same answer; a legacy
 * password on this form migrates the account; a migrated user's old username is pointed at the
 * new one only after the password is verified.
 */
export const passwordStep: Step = {
  state: 'password',
  async show(s) {
    s.render('sign-in/password', { titleKey: 'sign_in.password_title' });
  },
  async submit(s) {
    if (s.form.action === 'change_username') {
      await s.moveTo('username');
      return;
    }
    const password = s.form.password ?? '';
    if (password === '') return refuse(s, 'sign_in.errors.password_missing', 400);
    if (password.length > MAX_PASSWORD) return refuse(s, 'sign_in.errors.password_invalid', 400);
    const username = s.flow.context.username ?? '';
    const result = await s.services.authenticator.check({ username, password, ...s.context });
    switch (result.outcome) {
      case 'success': {
        const next = await stateAfterPassword(s, result.account);
        await s.moveTo(next.state, {
          accountId: result.account.id,
          amr: ['pwd'],
          factorId: next.factorId,
          challengeId: undefined,
        });
        return;
      }
      case 'invalid':
        return refuse(s, 'sign_in.errors.password_invalid', 400);
      case 'throttled':
        return refuse(s, 'sign_in.errors.throttled', 429, {
          minutes: Math.max(1, Math.ceil((result.retryAfterMs ?? 15 * 60_000) / 60_000)),
        });
      case 'disabled':
        return refuse(s, 'sign_in.errors.disabled', 403);
      case 'temporary_password_expired':
        return refuse(s, 'sign_in.errors.temporary_password_expired', 400);
      case 'use_new_username':
        return refuse(s, 'sign_in.errors.use_new_username', 400, { username: result.newUsername });
      case 'needs_migration': {
        // The legacy password was typed on the new form: migrate now, as the migration page would.
        const migrated = await s.services.migration.migrate({
          legacyUsername: username,
          password,
          ...s.context,
        });
        if (migrated.outcome === 'migrated' || migrated.outcome === 'already_migrated') {
          await s.moveTo('migrated', {
            migration: {
              newUsername: migrated.newUsername,
              emailedTo: migrated.outcome === 'migrated' ? migrated.emailedTo : null,
              resendToken: migrated.resendToken,
            },
          });
          return;
        }
        if (migrated.outcome === 'contact_support')
          return refuse(s, 'migrate.errors.no_email', 400);
        return refuse(s, 'sign_in.errors.password_invalid', 400);
      }
    }
  },
};

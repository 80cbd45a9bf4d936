import { steadyAnswer } from '../../recovery/steady-timing.js';
import type { Step, StepRequest } from '../step.js';

const MAX_PASSWORD = 1024;

/** Where the migration page's "Forgotten password" goes (the original AMP password). */
export const FORGOTTEN_PASSWORD_PATH = '/forgotten-password';

function page(s: StepRequest, data: Record<string, unknown> = {}, status = 200): void {
  s.render(
    'sign-in/migrate',
    {
      titleKey: 'migrate.title',
      legacyUsername: s.flow.context.username ?? '',
      forgottenPasswordUrl: FORGOTTEN_PASSWORD_PATH,
      ...data,
    },
    status,
  );
}

function refuse(
  s: StepRequest,
  messageKey: string,
  status: number,
  options: Record<string, unknown> = {},
): void {
  const message = s.t(messageKey, options);
  page(s, { errors: [{ field: 'password', message }], fieldErrors: { password: message } }, status);
}

/**
 * The migration page of the user guide: a legacy AMP username was typed, so its current AMP
 * password → Submit moves the account to Porth (new username, temporary password emailed).
 * A wrong password gets the sign-in's own wording, and counts against throttling like one.
 */
export const migrateStep: Step = {
  state: 'migrate',
  async show(s) {
    page(s);
  },
  async submit(s) {
    if (s.form.action === 'change_username') {
      await s.moveTo('username');
      return;
    }
    const password = s.form.password ?? '';
    if (password === '') return refuse(s, 'migrate.errors.password_missing', 400);
    if (password.length > MAX_PASSWORD) return refuse(s, 'sign_in.errors.password_invalid', 400);
    // A legacy hash (bcrypt, at the old system's cost) and the dummy check of an unknown username
    // take different times: a refusal answers after the same steady delay either way.
    const steady = steadyAnswer();
    const result = await s.services.migration.migrate({
      legacyUsername: s.flow.context.username ?? '',
      password,
      ...s.context,
    });
    switch (result.outcome) {
      case 'migrated':
      case 'already_migrated':
        await s.moveTo('migrated', {
          accountId: undefined,
          migration: {
            newUsername: result.newUsername,
            emailedTo: result.outcome === 'migrated' ? result.emailedTo : null,
            resendToken: result.resendToken,
          },
        });
        return;
      case 'invalid':
        await steady.settle();
        return refuse(s, 'sign_in.errors.password_invalid', 400);
      case 'throttled':
        return refuse(s, 'sign_in.errors.throttled', 429, {
          minutes: Math.max(1, Math.ceil((result.retryAfterMs ?? 15 * 60_000) / 60_000)),
        });
      case 'contact_support':
        return refuse(s, 'migrate.errors.no_email', 400);
    }
  },
};

import { KnexFlowRepository } from '@porth/identity-core';
import type { ResendResult } from '@porth/migration';
import type { SignInContext } from '../states.js';
import type { Step, StepRequest } from '../step.js';

/** The address part of a From header: `Porth <no-reply@example.org>` → `no-reply@example.org`. */
export function senderAddress(from: string): string {
  const inBrackets = /<([^<>\s]+@[^<>\s]+)>/.exec(from);
  return (inBrackets?.[1] ?? from).trim();
}

type MigrationShown = NonNullable<SignInContext['migration']>;

function migrationOf(s: StepRequest): MigrationShown {
  const migration = s.flow.context.migration;
  if (!migration) throw new Error('The migrated page has no migration to show');
  return migration;
}

function page(
  s: StepRequest,
  migration: MigrationShown,
  data: Record<string, unknown> = {},
  status = 200,
): void {
  const notice = s.flow.context.notice;
  s.render(
    'sign-in/migrated',
    {
      titleKey: 'migrated.title',
      newUsername: migration.newUsername,
      emailedTo: migration.emailedTo,
      canResend: migration.resendToken !== null,
      sender: senderAddress(s.config.mail.from),
      notice: notice ? s.t(notice, { email: migration.emailedTo ?? '' }) : null,
      ...data,
    },
    status,
  );
}

/** What each refused resend tells the person, and with which status. */
const REFUSED: Readonly<
  Record<Exclude<ResendResult['outcome'], 'sent'>, { key: string; status: number }>
> = {
  invalid: { key: 'migrated.errors.resend_invalid', status: 400 },
  not_available: { key: 'migrated.errors.resend_not_available', status: 409 },
  rate_limited: { key: 'migrated.errors.resend_rate_limited', status: 429 },
};

/**
 * The confirmation of the user guide: IMPORTANT INFORMATION — the new username (shown large,
 * "You must remember this!"), the temporary password went by email, and "Proceed" back to the
 * sign-in page with the new username filled in. "Send my temporary password again" uses the
 * resend token kept in the flow (never in the page).
 */
export const migratedStep: Step = {
  state: 'migrated',
  async show(s) {
    page(s, migrationOf(s));
  },
  async submit(s) {
    const migration = migrationOf(s);
    if (s.form.action !== 'resend') {
      await s.moveTo('username', {
        username: migration.newUsername,
        accountId: undefined,
        migration: undefined,
      });
      return;
    }
    if (migration.resendToken === null) {
      const message = s.t(REFUSED.not_available.key);
      page(s, migration, { errors: [{ field: 'resend', message }] }, REFUSED.not_available.status);
      return;
    }
    const result = await s.services.migration.resendTemporaryPassword({
      resendToken: migration.resendToken,
      ...s.context,
    });
    if (result.outcome === 'sent') {
      await s.update({
        migration: {
          ...migration,
          emailedTo: result.emailedTo,
          resendToken: result.resendToken,
        },
        notice: 'migrated.resent',
      });
      return;
    }
    const refused = REFUSED[result.outcome];
    let shown = migration;
    if (result.outcome !== 'rate_limited') {
      // The token can never work again: forget it, so the button goes (the page is shown below).
      shown = { ...migration, resendToken: null };
      await new KnexFlowRepository(s.services.db, s.services.clock, s.services.random).save(
        s.flow,
        {
          ...s.flow,
          context: { ...s.flow.context, migration: shown, notice: undefined },
          updatedAt: s.services.clock.now(),
        },
      );
    }
    const message = s.t(refused.key, {
      minutes:
        result.outcome === 'rate_limited'
          ? Math.max(1, Math.ceil(result.retryAfterMs / 60_000))
          : 0,
    });
    page(
      s,
      shown,
      { notice: null, errors: [{ field: 'resend', message }], fieldErrors: { resend: message } },
      refused.status,
    );
  },
};

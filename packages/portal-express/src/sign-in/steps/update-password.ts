import {
  KnexAccountRepository,
  KnexAuditLog,
  checkPassword,
  isEmailAddress,
  passwordPolicyHint,
  passwordPolicyRules,
  transaction,
  type Account,
} from '@porth/identity-core';
import type { FieldError, Step, StepRequest } from '../step.js';
import { signInAccount, stateAfterSecondFactor } from '../next-step.js';

/** Longer than any acceptable password (the policy allows 256): refused before any hashing. */
const MAX_TYPED = 1024;

function page(s: StepRequest, errors: readonly FieldError[] = [], status = 200): void {
  const policy = { compositionRule: s.config.passwords.compositionRule };
  const fieldErrors: Record<string, string> = {};
  for (const e of errors) {
    const existing = fieldErrors[e.field];
    fieldErrors[e.field] = existing ? `${existing} ${e.message}` : e.message;
  }
  s.render(
    'sign-in/update-password',
    {
      titleKey: 'update_password.title',
      hint: passwordPolicyHint(policy)[s.lang],
      rules: passwordPolicyRules(policy).map((rule) => rule[s.lang]),
      errors,
      fieldErrors,
    },
    status,
  );
}

function displayName(account: Account): string {
  return [account.givenName, account.familyName].filter(Boolean).join(' ');
}

/**
 * "Change your temporary password" (user guide 000: minimum 8 characters, including upper case,
 * lower case, a symbol and a number): every unmet rule is listed at once; the new password must
 * differ from the temporary one. The change is audited and emailed, and the required action done.
 */
export const updatePasswordStep: Step = {
  state: 'update_password',
  async show(s) {
    await signInAccount(s);
    page(s);
  },
  async submit(s) {
    const account = await signInAccount(s);
    const password = s.form.new_password ?? '';
    const confirm = s.form.confirm_password ?? '';
    const errors: FieldError[] = [];
    if (password === '') {
      errors.push({ field: 'new_password', message: s.t('update_password.errors.missing') });
    } else if (password.length > MAX_TYPED) {
      errors.push({ field: 'new_password', message: s.t('update_password.errors.too_long') });
    } else {
      const violations = checkPassword(
        password,
        {
          username: account.username,
          legacyUsername: account.legacyUsername,
          email: account.email,
          givenName: account.givenName,
          familyName: account.familyName,
        },
        { compositionRule: s.config.passwords.compositionRule },
      );
      for (const v of violations)
        errors.push({ field: 'new_password', message: v.message[s.lang] });
    }
    if (confirm === '') {
      errors.push({
        field: 'confirm_password',
        message: s.t('update_password.errors.confirm_missing'),
      });
    } else if (password !== '' && confirm !== password) {
      errors.push({ field: 'confirm_password', message: s.t('update_password.errors.mismatch') });
    }
    if (errors.length > 0) return page(s, errors, 400);

    const { db, clock, random, hasher } = s.services;
    const current = await new KnexAccountRepository(db, clock, random).getPasswordHash(account.id);
    if (current !== null && (await hasher.verify(current, password)).valid) {
      return page(
        s,
        [{ field: 'new_password', message: s.t('update_password.errors.same_as_temporary') }],
        400,
      );
    }

    const hash = await hasher.hash(password);
    await transaction(db, async (trx) => {
      const accounts = new KnexAccountRepository(trx, clock, random);
      await accounts.setPasswordHash(account.id, hash);
      await accounts.removeRequiredAction(account.id, 'update_password');
      await new KnexAuditLog(trx, clock).append({
        type: 'password.changed',
        outcome: 'success',
        accountId: account.id,
        ...s.context,
        details: { reason: account.passwordTemporary ? 'temporary_password' : 'required_action' },
      });
      if (account.email !== null && isEmailAddress(account.email)) {
        await s.services.outbox.enqueue(trx, {
          to: account.email,
          template: 'security_change',
          locale: account.locale,
          accountId: account.id,
          data: { name: displayName(account), change: 'password', time: clock.now() },
        });
      }
    });
    await s.services.migration.completeRequiredAction(account.id, 'update_password', s.context);
    await s.moveTo(await stateAfterSecondFactor(s, account.id));
  },
};

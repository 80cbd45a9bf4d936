import {
  AccountService,
  ConcurrentUpdateError,
  KnexAccountRepository,
  isEmailAddress,
  missingProfileFields,
  normaliseEmail,
  transaction,
  validateProfileChanges,
  type Account,
  type ProfileDetail,
} from '@porth/identity-core';
import type { FieldError, Step, StepRequest } from '../step.js';
import { signInAccount } from '../next-step.js';

/** Each detail's form field: input id/name, message key of its label, and autocomplete token. */
const FIELDS: readonly {
  readonly detail: ProfileDetail;
  readonly id: string;
  readonly autocomplete: string;
  readonly type: string;
  readonly optional: boolean;
}[] = [
  {
    detail: 'givenName',
    id: 'given_name',
    autocomplete: 'given-name',
    type: 'text',
    optional: false,
  },
  {
    detail: 'familyName',
    id: 'family_name',
    autocomplete: 'family-name',
    type: 'text',
    optional: false,
  },
  { detail: 'email', id: 'email', autocomplete: 'email', type: 'email', optional: false },
  { detail: 'phone', id: 'phone', autocomplete: 'tel', type: 'tel', optional: true },
  {
    detail: 'teachingCentre',
    id: 'teaching_centre',
    autocomplete: 'organization',
    type: 'text',
    optional: true,
  },
];

/** Longest value read from a field (the validator's own limits are shorter). */
const MAX_FIELD = 500;

function page(
  s: StepRequest,
  account: Account,
  values: Readonly<Record<string, string>>,
  errors: readonly FieldError[] = [],
  status = 200,
): void {
  const missing = missingProfileFields(account);
  const fieldErrors = Object.fromEntries(errors.map((e) => [e.field, e.message]));
  s.render(
    'sign-in/update-profile',
    {
      titleKey: 'update_profile.title',
      missing: missing.map((detail) => s.t(`update_profile.fields.${detail}`)),
      fields: FIELDS.map((f) => ({
        id: f.id,
        type: f.type,
        autocomplete: f.autocomplete,
        label: s.t(`update_profile.fields.${f.detail}`),
        hint: f.optional ? s.t(`update_profile.hints.${f.detail}`) : null,
        value: values[f.id] ?? '',
        error: fieldErrors[f.id],
      })),
      errors,
    },
    status,
  );
}

function currentValues(account: Account): Record<string, string> {
  return Object.fromEntries(FIELDS.map((f) => [f.id, account[f.detail] ?? '']));
}

function displayName(account: Account): string {
  return [account.givenName, account.familyName].filter(Boolean).join(' ');
}

/**
 * "Some of my information is missing" (FAQ): the details AMP holds — first name, surname,
 * email, phone, teaching centre — shown with their current values, the missing ones named.
 * Saved through AccountService (validated and audited); a changed email address is reported to
 * the old one. Then "Stay signed in?".
 */
export const updateProfileStep: Step = {
  state: 'update_profile',
  async show(s) {
    const account = await signInAccount(s);
    page(s, account, currentValues(account));
  },
  async submit(s) {
    const account = await signInAccount(s);
    const typed = Object.fromEntries(
      FIELDS.map((f) => [f.id, (s.form[f.id] ?? '').slice(0, MAX_FIELD)]),
    );
    const changes = {
      givenName: typed.given_name ?? '',
      familyName: typed.family_name ?? '',
      email: typed.email ?? '',
      phone: typed.phone ?? '',
      teachingCentre: typed.teaching_centre ?? '',
    };
    const { value, issues } = validateProfileChanges(changes);
    if (issues.length > 0) {
      const errors = FIELDS.flatMap((f) =>
        issues
          .filter((i) => i.field === f.detail)
          .map((i) => ({ field: f.id, message: i.message[s.lang] })),
      );
      page(s, account, typed, errors, 400);
      return;
    }

    const { db, clock, random } = s.services;
    const oldEmail = account.email;
    const emailChanged =
      oldEmail !== null &&
      value.email !== undefined &&
      normaliseEmail(oldEmail) !== normaliseEmail(value.email);
    try {
      await transaction(db, async (trx) => {
        const updated = await new AccountService(trx, clock, random).updateProfile(
          account.id,
          account.version,
          value,
          s.context,
        );
        await new KnexAccountRepository(trx, clock, random).removeRequiredAction(
          account.id,
          'update_profile',
        );
        if (oldEmail !== null && emailChanged && isEmailAddress(oldEmail)) {
          await s.services.outbox.enqueue(trx, {
            to: oldEmail,
            template: 'security_change',
            locale: updated.locale,
            accountId: account.id,
            data: { name: displayName(updated), change: 'email', time: clock.now() },
          });
        }
      });
    } catch (err) {
      if (!(err instanceof ConcurrentUpdateError)) throw err;
      // Changed elsewhere meanwhile: show what is stored now, and ask again.
      const fresh = await signInAccount(s);
      page(
        s,
        fresh,
        currentValues(fresh),
        [{ field: 'given_name', message: s.t('update_profile.errors.changed_elsewhere') }],
        409,
      );
      return;
    }
    await s.services.migration.completeRequiredAction(account.id, 'update_profile', s.context);
    await s.moveTo('stay_signed_in');
  },
};

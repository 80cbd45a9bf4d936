import type { Request, Response, Router } from 'express';
import {
  ConcurrentUpdateError,
  KnexAccountRepository,
  KnexAuditLog,
  normaliseEmail,
  transaction,
  validateProfileChanges,
  type Account,
  type ProfileField,
  type SecurityChange,
} from '@porth/identity-core';
import type { RouteDependencies } from '../../routes/route-dependencies.js';
import { formFields } from '../../sign-in/router.js';
import {
  formBody,
  formErrors,
  languageOf,
  recentlyAuthenticated,
  rememberLanguage,
  renderApp,
  requestContext,
  sessionOf,
  translate,
  type FieldProblem,
} from '../common.js';
import type { RelyingParty } from '../relying-party.js';
import { AMP, accountOf, confirmPassword } from './support.js';

/** The form's field id for each profile field. */
const FIELD_IDS: Readonly<Record<ProfileField, string>> = {
  givenName: 'given_name',
  familyName: 'family_name',
  email: 'email',
  phone: 'phone',
  teachingCentre: 'teaching_centre',
  locale: 'locale',
};

interface ProfileForm {
  readonly given_name: string;
  readonly family_name: string;
  readonly email: string;
  readonly phone: string;
  readonly teaching_centre: string;
  readonly locale: string;
  readonly version: string;
}

function formOf(account: Account): ProfileForm {
  return {
    given_name: account.givenName ?? '',
    family_name: account.familyName ?? '',
    email: account.email ?? '',
    phone: account.phone ?? '',
    teaching_centre: account.teachingCentre ?? '',
    locale: account.locale,
    version: String(account.version),
  };
}

function show(
  deps: RouteDependencies,
  res: Response,
  form: ProfileForm,
  extra: Record<string, unknown> = {},
  status = 200,
): void {
  renderApp(
    deps,
    res,
    'amp',
    'amp/profile',
    {
      titleKey: 'amp.profile.title',
      nav: 'profile',
      form,
      localeEn: form.locale === 'en',
      localeCy: form.locale === 'cy',
      askPassword: !recentlyAuthenticated(sessionOf(res), deps.services.clock.now()),
      ...extra,
    },
    status,
  );
}

function sameEmail(a: string | null | undefined, b: string | null | undefined): boolean {
  return normaliseEmail(a ?? '') === normaliseEmail(b ?? '');
}

/** The security notices a profile change sends: to the old address, and to a new one too. */
function notices(
  before: Account,
  after: Account,
  changes: readonly SecurityChange[],
): { to: string; change: SecurityChange }[] {
  const out: { to: string; change: SecurityChange }[] = [];
  for (const change of changes) {
    if (before.email) out.push({ to: before.email, change });
    if (after.email && !sameEmail(before.email, after.email)) out.push({ to: after.email, change });
  }
  return out;
}

/**
 * AMP's profile page: names, email, phone, teaching centre and language. The language also
 * becomes the page language. Changing the email address or phone number asks for the password
 * when the last sign-in is older than 15 minutes. Audited; email and phone changes are emailed.
 */
export function profileRoutes(router: Router, deps: RouteDependencies, rp: RelyingParty): void {
  router.get(`${AMP}/profile`, deps.csrf.token, (req: Request, res: Response) => {
    show(deps, res, formOf(accountOf(res)), { saved: req.query.saved === '1' });
  });

  router.post(
    `${AMP}/profile`,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req: Request, res: Response) => {
      const account = accountOf(res);
      const lang = languageOf(res);
      const f = formFields(req.body);
      const form: ProfileForm = {
        given_name: f.given_name ?? '',
        family_name: f.family_name ?? '',
        email: f.email ?? '',
        phone: f.phone ?? '',
        teaching_centre: f.teaching_centre ?? '',
        locale: f.locale ?? '',
        version: f.version ?? '',
      };
      const { value, issues } = validateProfileChanges({
        givenName: form.given_name,
        familyName: form.family_name,
        email: form.email,
        phone: form.phone,
        teachingCentre: form.teaching_centre,
        locale: form.locale,
      });
      const problems: FieldProblem[] = issues.map((i) => ({
        field: FIELD_IDS[i.field],
        message: i.message[lang],
      }));
      const version = Number(form.version);
      if (!Number.isSafeInteger(version) || version < 1) {
        problems.push({ field: 'given_name', message: translate(res, 'amp.profile.stale') });
      }
      if (problems.length > 0) {
        show(deps, res, form, formErrors(problems), 400);
        return;
      }

      const security: SecurityChange[] = [];
      if (value.email !== undefined && !sameEmail(value.email, account.email)) {
        security.push('email');
      }
      if (value.phone !== undefined && (value.phone ?? null) !== (account.phone ?? null)) {
        security.push('phone');
      }
      if (
        security.length > 0 &&
        !recentlyAuthenticated(sessionOf(res), deps.services.clock.now())
      ) {
        const password = f.password ?? '';
        const answer = password
          ? await confirmPassword(deps, rp, req, res, account, password)
          : 'missing';
        if (answer !== 'confirmed') {
          const key =
            answer === 'missing'
              ? 'amp.reauth.password_needed'
              : answer === 'throttled'
                ? 'amp.reauth.throttled'
                : 'amp.reauth.password_wrong';
          show(
            deps,
            res,
            form,
            formErrors([{ field: 'password', message: translate(res, key) }]),
            answer === 'throttled' ? 429 : 400,
          );
          return;
        }
      }

      const { db, clock, random, outbox } = deps.services;
      let updated: Account;
      try {
        updated = await transaction(db, async (trx) => {
          const accounts = new KnexAccountRepository(trx, clock, random);
          const after = await accounts.updateProfile(account.id, version, value);
          const fields = (
            ['givenName', 'familyName', 'email', 'phone', 'teachingCentre', 'locale'] as const
          ).filter((k) => account[k] !== after[k]);
          await new KnexAuditLog(trx, clock).append({
            type: 'account.profile_updated',
            outcome: 'success',
            accountId: account.id,
            actorId: account.id,
            ...requestContext(req),
            details: { fields, via: 'amp' },
          });
          const now = clock.now();
          for (const notice of notices(account, after, security)) {
            await outbox.enqueue(trx, {
              to: notice.to,
              template: 'security_change',
              locale: after.locale,
              accountId: account.id,
              data: { name: after.givenName ?? '', change: notice.change, time: now },
            });
          }
          return after;
        });
      } catch (err) {
        if (!(err instanceof ConcurrentUpdateError)) throw err;
        const { db: d, clock: c, random: r } = deps.services;
        const fresh = await new KnexAccountRepository(d, c, r).findById(account.id);
        show(
          deps,
          res,
          fresh ? formOf(fresh) : form,
          formErrors([{ field: 'given_name', message: translate(res, 'amp.profile.stale') }]),
          409,
        );
        return;
      }
      if (updated.locale !== languageOf(res)) {
        rememberLanguage(res, updated.locale, deps.config.env === 'production');
      }
      res.redirect(303, `${AMP}/profile?saved=1`);
    },
  );
}

import type { Request, Response, Router } from 'express';
import {
  ConcurrentUpdateError,
  KnexAccountRepository,
  KnexAuditLog,
  transaction,
  validateProfileChanges,
  type Account,
} from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { formFields } from '../../../sign-in/router.js';
import { confirmPassword } from '../../amp/support.js';
import {
  formBody,
  formErrors,
  languageOf,
  recentlyAuthenticated,
  rememberLanguage,
  renderApp,
  requestContext,
  translate,
  type FieldProblem,
} from '../../common.js';
import type { RelyingParty } from '../../relying-party.js';
import { PORTAL, livePersonOf, requireLivePerson } from './live.js';
import { PROFILE_FIELD_IDS } from './refusals.js';

const PROFILE = `${PORTAL}/profile`;

interface ProfileForm {
  readonly given_name: string;
  readonly family_name: string;
  readonly phone: string;
  readonly locale: string;
  readonly version: string;
}

function formOf(account: Account): ProfileForm {
  return {
    given_name: account.givenName ?? '',
    family_name: account.familyName ?? '',
    phone: account.phone ?? '',
    locale: account.locale,
    version: String(account.version),
  };
}

/**
 * "Edit your profile" in the Portal: first and last name, phone number and language. The email
 * address is shown but not changed here: a centre user's email is their username, so changing it
 * means being deleted and invited again at the new address (others change it in AMP). A new
 * phone number asks for the password when the last sign-in is older than 15 minutes, and is
 * emailed to the person. Every change is audited.
 */
export function portalProfileRoutes(
  router: Router,
  deps: RouteDependencies,
  rp: RelyingParty,
): void {
  const signedIn = requireLivePerson(deps, rp);

  const show = (
    res: Response,
    form: ProfileForm,
    extra: Record<string, unknown> = {},
    status = 200,
  ) => {
    const { account } = livePersonOf(res);
    renderApp(
      deps,
      res,
      'portal',
      'portal/centres/profile',
      {
        titleKey: 'centres.profile.title',
        nav: 'profile',
        form,
        email: account.email ?? '',
        centreUser: account.kind === 'centre_user',
        localeEn: form.locale === 'en',
        localeCy: form.locale === 'cy',
        askPassword: !recentlyAuthenticated(livePersonOf(res).session, deps.services.clock.now()),
        ...extra,
      },
      status,
    );
  };

  router.get(PROFILE, signedIn, deps.csrf.token, (req: Request, res: Response) => {
    show(res, formOf(livePersonOf(res).account), { saved: req.query.saved === '1' });
  });

  router.post(
    PROFILE,
    formBody,
    deps.csrf.protect,
    signedIn,
    deps.csrf.token,
    async (req: Request, res: Response) => {
      const { account } = livePersonOf(res);
      const lang = languageOf(res);
      const f = formFields(req.body);
      const form: ProfileForm = {
        given_name: f.given_name ?? '',
        family_name: f.family_name ?? '',
        phone: f.phone ?? '',
        locale: f.locale ?? '',
        version: f.version ?? '',
      };
      const { value, issues } = validateProfileChanges({
        givenName: form.given_name,
        familyName: form.family_name,
        phone: form.phone,
        locale: form.locale,
      });
      const problems: FieldProblem[] = issues.map((i) => ({
        field: PROFILE_FIELD_IDS[i.field],
        message: i.message[lang],
      }));
      const version = Number(form.version);
      if (!Number.isSafeInteger(version) || version < 1) {
        problems.push({ field: 'given_name', message: translate(res, 'centres.profile.stale') });
      }
      if (problems.length > 0) {
        show(res, form, formErrors(problems), 400);
        return;
      }

      const phoneChanged =
        value.phone !== undefined && (value.phone ?? null) !== (account.phone ?? null);
      if (
        phoneChanged &&
        !recentlyAuthenticated(livePersonOf(res).session, deps.services.clock.now())
      ) {
        const password = f.password ?? '';
        const answer = password
          ? await confirmPassword(deps, rp, req, res, account, password)
          : 'missing';
        if (answer !== 'confirmed') {
          const key =
            answer === 'missing'
              ? 'centres.profile.password_needed'
              : answer === 'throttled'
                ? 'centres.profile.password_throttled'
                : 'centres.profile.password_wrong';
          show(
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
          const after = await new KnexAccountRepository(trx, clock, random).updateProfile(
            account.id,
            version,
            value,
          );
          const fields = (['givenName', 'familyName', 'phone', 'locale'] as const).filter(
            (k) => account[k] !== after[k],
          );
          await new KnexAuditLog(trx, clock).append({
            type: 'account.profile_updated',
            outcome: 'success',
            accountId: account.id,
            actorId: account.id,
            ...requestContext(req),
            details: { fields, via: 'portal' },
          });
          if (phoneChanged && after.email) {
            await outbox.enqueue(trx, {
              to: after.email,
              template: 'security_change',
              locale: after.locale,
              accountId: account.id,
              data: { name: after.givenName ?? '', change: 'phone', time: clock.now() },
            });
          }
          return after;
        });
      } catch (err) {
        if (!(err instanceof ConcurrentUpdateError)) throw err;
        const fresh = await new KnexAccountRepository(db, clock, random).findById(account.id);
        show(
          res,
          fresh ? formOf(fresh) : form,
          formErrors([{ field: 'given_name', message: translate(res, 'centres.profile.stale') }]),
          409,
        );
        return;
      }
      if (updated.locale !== lang) {
        rememberLanguage(res, updated.locale, deps.config.env === 'production');
      }
      res.redirect(303, `${PROFILE}?saved=1`);
    },
  );
}

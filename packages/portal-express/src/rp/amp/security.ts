import type { Request, Response, Router } from 'express';
import {
  KnexAccountRepository,
  KnexAuditLog,
  checkPassword,
  passwordPolicyHint,
  transaction,
} from '@porth/identity-core';
import { LastFactorError, MfaError, type FactorSummary } from '@porth/mfa';
import type { RouteDependencies } from '../../routes/route-dependencies.js';
import { formFields } from '../../sign-in/router.js';
import { endProviderSessions, sendBackchannelLogouts } from '../../oidc/backchannel.js';
import {
  formBody,
  formErrors,
  languageOf,
  renderApp,
  requestContext,
  sessionOf,
  setSession,
  translate,
  type FieldProblem,
} from '../common.js';
import { KnexRpSessions } from '../knex-rp-sessions.js';
import type { RelyingParty } from '../relying-party.js';
import { AMP, accountOf, confirmPassword, requireRecentSignIn } from './support.js';

/** The notices the security page shows after a change (`?done=…`). */
const DONE = new Set([
  'password_changed',
  'factor_added',
  'factor_removed',
  'default_changed',
  'password_confirmed',
]);

/** The HTTP status for an error from the MFA service. */
export function mfaErrorStatus(err: MfaError): number {
  switch (err.code) {
    case 'MFA_RESEND_TOO_SOON':
    case 'MFA_SEND_LIMIT_REACHED':
    case 'MFA_LOCKED':
      return 429;
    case 'MFA_LAST_FACTOR':
    case 'MFA_FACTOR_DUPLICATE':
    case 'MFA_TOO_MANY_FACTORS':
    case 'MFA_ALREADY_CONFIRMED':
    case 'MFA_NO_ACTIVE_FACTOR':
      return 409;
    case 'MFA_FACTOR_NOT_FOUND':
    case 'MFA_CHALLENGE_NOT_FOUND':
      return 404;
    case 'MFA_DELIVERY_FAILED':
      return 503;
    default:
      return 400;
  }
}

function factorRows(res: Response, factors: readonly FactorSummary[]) {
  return factors.map((f) => ({
    id: f.id,
    kind: f.kind,
    label: translate(res, `amp.factor_kind.${f.kind}`),
    destination: f.maskedDestination,
    isDefault: f.isDefault,
    weak: f.weak,
  }));
}

async function showSecurity(
  deps: RouteDependencies,
  req: Request,
  res: Response,
  extra: Record<string, unknown> = {},
  status = 200,
): Promise<void> {
  const accountId = sessionOf(res).accountId;
  const factors = await deps.services.mfa.listFactors(accountId);
  const done = typeof req.query.done === 'string' && DONE.has(req.query.done) ? req.query.done : '';
  renderApp(
    deps,
    res,
    'amp',
    'amp/security',
    {
      titleKey: 'amp.security.title',
      nav: 'security',
      factors: factorRows(res, factors),
      canRemove: factors.length > 1,
      recoveryCodesRemaining: await deps.services.mfa.recoveryCodesRemaining(accountId),
      notice: done ? translate(res, `amp.security.done_${done}`) : null,
      ...extra,
    },
    status,
  );
}

function showPasswordForm(
  deps: RouteDependencies,
  res: Response,
  extra: Record<string, unknown> = {},
  status = 200,
): void {
  renderApp(
    deps,
    res,
    'amp',
    'amp/password',
    {
      titleKey: 'amp.password.title',
      nav: 'security',
      policyHint: passwordPolicyHint({
        compositionRule: deps.config.passwords.compositionRule,
      })[languageOf(res)],
      ...extra,
    },
    status,
  );
}

/**
 * AMP's Security page: change password, second factors (list, set default, remove — never the
 * last), new recovery codes (shown once) and "Sign out everywhere"; adding a factor is in
 * factors.ts. Every change to factors or recovery codes needs a recent sign-in.
 */
export function securityRoutes(router: Router, deps: RouteDependencies, rp: RelyingParty): void {
  const recent = requireRecentSignIn(deps);

  router.get(`${AMP}/security`, deps.csrf.token, async (req, res) => {
    await showSecurity(deps, req, res);
  });

  router.post(
    `${AMP}/security/default`,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    recent,
    async (req, res) => {
      const factorId = formFields(req.body).factor_id ?? '';
      try {
        await deps.services.mfa.setDefaultFactor(
          sessionOf(res).accountId,
          factorId,
          requestContext(req),
        );
      } catch (err) {
        if (!(err instanceof MfaError)) throw err;
        await showSecurity(
          deps,
          req,
          res,
          { problem: err.userMessage[languageOf(res)] },
          mfaErrorStatus(err),
        );
        return;
      }
      res.redirect(303, `${AMP}/security?done=default_changed`);
    },
  );

  router.post(
    `${AMP}/security/remove`,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    recent,
    async (req, res) => {
      const factorId = formFields(req.body).factor_id ?? '';
      try {
        await deps.services.mfa.removeFactor(
          sessionOf(res).accountId,
          factorId,
          requestContext(req),
        );
      } catch (err) {
        if (!(err instanceof MfaError)) throw err;
        const message =
          err instanceof LastFactorError
            ? translate(res, 'amp.security.last_factor')
            : err.userMessage[languageOf(res)];
        await showSecurity(deps, req, res, { problem: message }, mfaErrorStatus(err));
        return;
      }
      res.redirect(303, `${AMP}/security?done=factor_removed`);
    },
  );

  router.post(
    `${AMP}/security/recovery-codes`,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    recent,
    async (req, res) => {
      let codes: readonly string[];
      try {
        ({ codes } = await deps.services.mfa.regenerateRecoveryCodes(
          sessionOf(res).accountId,
          requestContext(req),
        ));
      } catch (err) {
        if (!(err instanceof MfaError)) throw err;
        await showSecurity(
          deps,
          req,
          res,
          { problem: err.userMessage[languageOf(res)] },
          mfaErrorStatus(err),
        );
        return;
      }
      res.set('Cache-Control', 'no-store');
      renderApp(deps, res, 'amp', 'amp/recovery-codes', {
        titleKey: 'amp.recovery.title',
        nav: 'security',
        codes,
      });
    },
  );

  router.get(`${AMP}/security/password`, deps.csrf.token, (_req, res) => {
    showPasswordForm(deps, res);
  });

  router.post(
    `${AMP}/security/password`,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res) => {
      const account = accountOf(res);
      const lang = languageOf(res);
      const f = formFields(req.body);
      const current = f.current_password ?? '';
      const next = f.new_password ?? '';
      const confirm = f.confirm_password ?? '';
      const problems: FieldProblem[] = [];
      if (!current) {
        problems.push({
          field: 'current_password',
          message: translate(res, 'amp.password.current_missing'),
        });
      }
      if (!next) {
        problems.push({
          field: 'new_password',
          message: translate(res, 'amp.password.new_missing'),
        });
      } else {
        for (const v of checkPassword(
          next,
          {
            username: account.username,
            legacyUsername: account.legacyUsername,
            email: account.email,
            givenName: account.givenName,
            familyName: account.familyName,
          },
          { compositionRule: deps.config.passwords.compositionRule },
        )) {
          problems.push({ field: 'new_password', message: v.message[lang] });
        }
        if (next === current) {
          problems.push({ field: 'new_password', message: translate(res, 'amp.password.same') });
        }
        if (confirm !== next) {
          problems.push({
            field: 'confirm_password',
            message: translate(res, 'amp.password.mismatch'),
          });
        }
      }
      if (problems.length === 0) {
        const answer = await confirmPassword(deps, rp, req, res, account, current);
        if (answer !== 'confirmed') {
          problems.push({
            field: 'current_password',
            message: translate(
              res,
              answer === 'throttled' ? 'amp.reauth.throttled' : 'amp.password.current_wrong',
            ),
          });
          showPasswordForm(deps, res, formErrors(problems), answer === 'throttled' ? 429 : 400);
          return;
        }
      }
      if (problems.length > 0) {
        showPasswordForm(deps, res, formErrors(problems), 400);
        return;
      }

      const { db, clock, random, hasher, outbox } = deps.services;
      const hash = await hasher.hash(next);
      await transaction(db, async (trx) => {
        await new KnexAccountRepository(trx, clock, random).setPasswordHash(account.id, hash);
        await new KnexAuditLog(trx, clock).append({
          type: 'password.changed',
          outcome: 'success',
          accountId: account.id,
          actorId: account.id,
          ...requestContext(req),
          details: { via: 'amp' },
        });
        if (account.email) {
          await outbox.enqueue(trx, {
            to: account.email,
            template: 'security_change',
            locale: account.locale,
            accountId: account.id,
            data: { name: account.givenName ?? '', change: 'password', time: clock.now() },
          });
        }
      });
      res.redirect(303, `${AMP}/security?done=password_changed`);
    },
  );

  router.post(
    `${AMP}/security/sign-out-everywhere`,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res) => {
      const accountId = sessionOf(res).accountId;
      const { db, clock } = deps.services;
      const signedIn = await transaction(db, async (trx) => {
        const provider = await endProviderSessions(trx, accountId);
        const applications = await new KnexRpSessions(trx, clock).deleteAllOfAccount(accountId);
        await new KnexAuditLog(trx, clock).append({
          type: 'account.signed_out_everywhere',
          outcome: 'success',
          accountId,
          actorId: accountId,
          ...requestContext(req),
          details: { providerRecords: provider.records, applicationSessions: applications },
        });
        return provider.applications;
      });
      await sendBackchannelLogouts(() => deps.provider(), accountId, signedIn);
      await rp.endLocal(req, res);
      res.locals.user = undefined;
      renderApp(deps, res, 'amp', 'amp/signed-out-everywhere', {
        titleKey: 'amp.everywhere.title',
      });
    },
  );

  router.get(`${AMP}/confirm-password`, deps.csrf.token, (req, res) => {
    renderApp(deps, res, 'amp', 'amp/confirm-password', {
      titleKey: 'amp.reauth.title',
      next: rp.safeReturnPath(req.query.next),
    });
  });

  router.post(
    `${AMP}/confirm-password`,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res) => {
      const f = formFields(req.body);
      const next = rp.safeReturnPath(f.next);
      const answer = await confirmPassword(deps, rp, req, res, accountOf(res), f.password ?? '');
      if (answer !== 'confirmed') {
        const key = !f.password
          ? 'amp.reauth.password_missing'
          : answer === 'throttled'
            ? 'amp.reauth.throttled'
            : 'amp.reauth.password_wrong';
        renderApp(
          deps,
          res,
          'amp',
          'amp/confirm-password',
          {
            titleKey: 'amp.reauth.title',
            next,
            ...formErrors([{ field: 'password', message: translate(res, key) }]),
          },
          answer === 'throttled' ? 429 : 400,
        );
        return;
      }
      setSession(res, sessionOf(res));
      res.redirect(
        303,
        next === `${AMP}/security` ? `${AMP}/security?done=password_confirmed` : next,
      );
    },
  );
}

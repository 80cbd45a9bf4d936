import { Router, type Request, type RequestHandler, type Response } from 'express';
import {
  ConcurrentUpdateError,
  InvitationInvalidError,
  PasswordPolicyError,
  centreErrorMessage,
  passwordPolicyHint,
  passwordPolicyRules,
  type CentreService,
  type InvitationDetails,
} from '@porth/identity-core';
import { renderPage } from '../middleware/render.js';
import type { RouteDependencies } from '../routes/route-dependencies.js';
import { formFields } from '../sign-in/router.js';
import {
  formBody,
  formErrors,
  languageOf,
  requestContext,
  translate,
  type FieldProblem,
} from '../rp/common.js';
import type { RelyingParty } from '../rp/relying-party.js';
import { formatDate } from '../rp/portal/centres/forms.js';
import { permissionView, roleLabel } from '../rp/portal/centres/live.js';

/** The acceptance page behind the link in an invitation email. */
const INVITATION = '/invitation/:token';

/** Longer than any acceptable password (the policy allows 256): refused before any hashing. */
const MAX_PASSWORD = 1024;

/** Where someone who accepted lands after signing in. */
const AFTER_SIGN_IN = '/portal';

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * The invitation acceptance pages at `/invitation/:token`. The link shows what the invitation is
 * for (centre, account type, access) and asks a new person for a password, listing every rule of
 * the policy — or, when an account already signs in with that email (the same person at another
 * centre), only asks to confirm. Accepting uses the link up (once) and starts a sign-in at the
 * provider, where a new account sets up its second factor (the sign-in's MFA set-up step, because
 * the account is created with `configure_mfa`) and then arrives signed in at the Portal. A link
 * that is unknown, used, cancelled or expired gets one clear page (410).
 */
export function invitationRoutes(
  deps: RouteDependencies,
  rp: RelyingParty,
  centres: CentreService,
): Router {
  const router = Router();
  const policy = { compositionRule: deps.config.passwords.compositionRule };

  const gone = (res: Response) =>
    renderPage(
      deps.views,
      res,
      'invitations/expired',
      { titleKey: 'invitation.expired.title' },
      410,
    );

  const show = (
    req: Request,
    res: Response,
    details: InvitationDetails,
    problems: readonly FieldProblem[] = [],
    status = 200,
  ) => {
    const lang = languageOf(res);
    renderPage(
      deps.views,
      res,
      'invitations/accept',
      {
        titleKey: 'invitation.title',
        action: `/invitation/${encodeURIComponent(String(req.params.token))}`,
        invitation: {
          centreName: details.centreName,
          centreNumber: details.centreNumber,
          name: [details.givenName, details.familyName].filter(Boolean).join(' '),
          email: details.email,
          roleLabel: roleLabel(details.role, lang),
          permissions: details.permissions.map((p) => permissionView(p, lang).label),
          expires: formatDate(details.expiresAt, lang),
        },
        existing: details.existingAccount,
        passwordHint: passwordPolicyHint(policy)[lang],
        rules: passwordPolicyRules(policy).map((rule) => rule[lang]),
        ...formErrors(problems),
      },
      status,
    );
  };

  router.get(INVITATION, noStore, deps.csrf.token, async (req, res) => {
    const details = await centres.peekInvitation(String(req.params.token));
    if (!details) return gone(res);
    show(req, res, details);
  });

  router.post(
    INVITATION,
    noStore,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res) => {
      const token = String(req.params.token);
      const details = await centres.peekInvitation(token);
      if (!details) return gone(res);
      const lang = languageOf(res);
      const form = formFields(req.body);
      const password = form.new_password ?? '';

      if (!details.existingAccount) {
        const confirm = form.confirm_password ?? '';
        const problems: FieldProblem[] = [];
        if (password === '') {
          problems.push({
            field: 'new_password',
            message: translate(res, 'invitation.errors.password_missing'),
          });
        } else if (password.length > MAX_PASSWORD) {
          problems.push({
            field: 'new_password',
            message: translate(res, 'invitation.errors.password_too_long'),
          });
        }
        if (confirm === '') {
          problems.push({
            field: 'confirm_password',
            message: translate(res, 'invitation.errors.confirm_missing'),
          });
        } else if (password !== '' && confirm !== password) {
          problems.push({
            field: 'confirm_password',
            message: translate(res, 'invitation.errors.mismatch'),
          });
        }
        if (problems.length > 0) return show(req, res, details, problems, 400);
      }

      try {
        await centres.acceptInvitation({
          token,
          password: details.existingAccount ? null : password,
          ...requestContext(req),
        });
      } catch (err) {
        if (err instanceof PasswordPolicyError) {
          return show(
            req,
            res,
            details,
            err.violations.map((v) => ({ field: 'new_password', message: v.message[lang] })),
            400,
          );
        }
        if (err instanceof InvitationInvalidError) return gone(res);
        // The account with this email appeared or went meanwhile: show the page as it now stands.
        if (err instanceof ConcurrentUpdateError) {
          res.redirect(303, req.originalUrl);
          return;
        }
        const message = centreErrorMessage(err)?.[lang];
        if (message === undefined) throw err;
        return show(req, res, details, [{ field: 'accept', message }], 409);
      }
      // The new (or existing) account signs in at the provider: a new one sets up its second
      // factor there first, then comes back signed in to the Portal. The username is filled in,
      // and a session of someone else in this browser is never reused for them.
      await rp.startSignIn(req, res, AFTER_SIGN_IN, 'centre_user', {
        loginHint: details.email,
        forceLogin: true,
      });
    },
  );

  return router;
}

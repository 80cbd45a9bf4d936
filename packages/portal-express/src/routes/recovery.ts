import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import {
  ipThrottleKey,
  isEmailAddress,
  passwordPolicyHint,
  passwordPolicyRules,
  type PasswordPolicyViolation,
  type RateLimit,
  type RequestContext,
} from '@porth/identity-core';
import { renderPage } from '../middleware/render.js';
import { endProviderSessions, sendBackchannelLogouts } from '../oidc/backchannel.js';
import { checkChallenge, newChallenge, questionWord } from '../recovery/captcha.js';
import { createAccountRecovery } from '../recovery/recovery-service.js';
import { steadyAnswer } from '../recovery/steady-timing.js';
import { formFields } from '../sign-in/router.js';
import type { FieldError } from '../sign-in/step.js';
import type { RouteDependencies } from './route-dependencies.js';

const MAX_EMAIL = 254;
const MAX_USERNAME = 320;
/** Longer than any acceptable password (the policy allows 256): refused before any hashing. */
const MAX_PASSWORD = 1024;
/** Forgotten-password form posts per client address (wrong answers included): 20 in 15 minutes. */
const PASSWORD_FORM_LIMIT: RateLimit = { limit: 20, windowMs: 15 * 60 * 1000 };

const FORGOTTEN_USERNAME = '/forgotten-username';
const FORGOTTEN_PASSWORD = '/forgotten-password';
const RESET = `${FORGOTTEN_PASSWORD}/reset/:token`;
const LEGACY_RESET = `${FORGOTTEN_PASSWORD}/legacy/:token`;

type Translate = (key: string, options?: Record<string, unknown>) => string;
type Lang = 'en' | 'cy';

/** Which kind of reset link a page is for: a new (active) account's, or a legacy account's. */
type ResetKind = 'new' | 'legacy';

/**
 * Forgotten username, forgotten password (legacy and migrated accounts) and the reset pages.
 *
 * Anything that takes an email address or a username answers the same way — status, page and
 * time (see steady-timing.ts) — whether or not an account exists: the forms always go on to the
 * same "check your email" page. The forgotten-password form asks an accessible question in words
 * (recovery/captcha.ts) and is rate-limited per client address; the library limits per address,
 * username and client address again, silently.
 */
export function recoveryRoutes(deps: RouteDependencies): Router {
  const { csrf, views, services, config } = deps;
  const recovery = createAccountRecovery(deps);
  const store = { db: services.db, clock: services.clock, random: services.random };
  const router = Router();
  const body = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 20 });
  const noStore: RequestHandler = (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
  const policy = { compositionRule: config.passwords.compositionRule };

  const langOf = (res: Response): Lang => (res.locals.lang === 'cy' ? 'cy' : 'en');
  const tOf = (res: Response): Translate => res.locals.t as Translate;
  const contextOf = (req: Request): RequestContext => ({
    ip: req.ip ?? null,
    userAgent: req.get('user-agent') ?? null,
  });
  const page = (
    res: Response,
    view: string,
    data: Record<string, unknown>,
    errors: readonly FieldError[] = [],
    status = 200,
  ) =>
    renderPage(
      views,
      res,
      `recovery/${view}`,
      { ...data, errors, fieldErrors: byField(errors) },
      status,
    );

  // Forgotten username ---------------------------------------------------------------------------

  const usernameForm = (res: Response, email: string, errors: FieldError[] = [], status = 200) =>
    page(
      res,
      'forgotten-username',
      {
        titleKey: 'recovery.forgotten_username.title',
        values: { email },
        signInUrl: services.urls.signIn,
      },
      errors,
      status,
    );

  router.get(FORGOTTEN_USERNAME, csrf.token, (_req, res) => usernameForm(res, ''));

  router.post(FORGOTTEN_USERNAME, body, csrf.protect, csrf.token, async (req, res) => {
    const timer = steadyAnswer();
    const t = tOf(res);
    const email = (formFields(req.body).email ?? '').trim();
    if (email === '') {
      return usernameForm(
        res,
        '',
        [{ field: 'email', message: t('recovery.errors.email_missing') }],
        400,
      );
    }
    if (email.length > MAX_EMAIL || !isEmailAddress(email)) {
      return usernameForm(
        res,
        email.slice(0, MAX_EMAIL),
        [{ field: 'email', message: t('recovery.errors.email_invalid') }],
        400,
      );
    }
    await recovery.remindUsername({ email, ...contextOf(req) });
    await timer.settle();
    res.redirect(303, `${FORGOTTEN_USERNAME}/sent`);
  });

  router.get(`${FORGOTTEN_USERNAME}/sent`, noStore, (_req, res) =>
    page(res, 'forgotten-username-sent', {
      titleKey: 'recovery.forgotten_username.sent_title',
      signInUrl: services.urls.signIn,
    }),
  );

  // Forgotten password ---------------------------------------------------------------------------

  const passwordForm = async (
    res: Response,
    username: string,
    errors: FieldError[] = [],
    status = 200,
  ) => {
    const challenge = await newChallenge(store);
    const lang = langOf(res);
    page(
      res,
      'forgotten-password',
      {
        titleKey: 'recovery.forgotten_password.title',
        values: { username },
        domain: config.usernames.domain,
        challenge: challenge.token,
        question: tOf(res)('recovery.forgotten_password.question', {
          first: questionWord(challenge.first, lang),
          second: questionWord(challenge.second, lang),
        }),
        signInUrl: services.urls.signIn,
      },
      errors,
      status,
    );
  };

  router.get(FORGOTTEN_PASSWORD, noStore, csrf.token, async (_req, res) => passwordForm(res, ''));

  router.post(FORGOTTEN_PASSWORD, noStore, body, csrf.protect, csrf.token, async (req, res) => {
    const timer = steadyAnswer();
    const t = tOf(res);
    const form = formFields(req.body);
    const username = (form.username ?? '').trim();
    if (req.ip) {
      const limit = await services.rateLimiter.hit(
        `recovery:form:forgotten-password:${ipThrottleKey(req.ip)}`,
        PASSWORD_FORM_LIMIT,
      );
      if (!limit.allowed) {
        const minutes = Math.max(1, Math.ceil(limit.retryAfterMs / 60_000));
        return passwordForm(
          res,
          username.slice(0, MAX_USERNAME),
          [{ field: 'username', message: t('recovery.errors.throttled', { minutes }) }],
          429,
        );
      }
    }
    const errors: FieldError[] = [];
    if (username === '') {
      errors.push({ field: 'username', message: t('recovery.errors.username_missing') });
    } else if (username.length > MAX_USERNAME) {
      errors.push({ field: 'username', message: t('recovery.errors.username_too_long') });
    }
    // Every post uses the question up, right or wrong: a new one comes with the next page.
    const answer = (form.answer ?? '').trim();
    const check = await checkChallenge(store, form.challenge ?? '', answer);
    if (answer === '') {
      errors.push({ field: 'answer', message: t('recovery.errors.answer_missing') });
    } else if (check === 'expired') {
      errors.push({ field: 'answer', message: t('recovery.errors.answer_expired') });
    } else if (check === 'wrong') {
      errors.push({ field: 'answer', message: t('recovery.errors.answer_wrong') });
    }
    if (errors.length > 0) return passwordForm(res, username.slice(0, MAX_USERNAME), errors, 400);

    // A legacy username is handed to the migration flow by the library; unknown ones send nothing.
    await recovery.requestPasswordReset({ username, ...contextOf(req) });
    await timer.settle();
    res.redirect(303, `${FORGOTTEN_PASSWORD}/sent`);
  });

  router.get(`${FORGOTTEN_PASSWORD}/sent`, noStore, (_req, res) =>
    page(res, 'forgotten-password-sent', {
      titleKey: 'recovery.forgotten_password.sent_title',
      signInUrl: services.urls.signIn,
    }),
  );

  // The reset links ------------------------------------------------------------------------------

  const expired = (res: Response) =>
    page(res, 'link-expired', { titleKey: 'recovery.link_expired.title' }, [], 410);

  const resetForm = (
    req: Request,
    res: Response,
    kind: ResetKind,
    username: string,
    errors: FieldError[] = [],
    status = 200,
  ) => {
    const lang = langOf(res);
    page(
      res,
      'reset-password',
      {
        titleKey: 'recovery.reset.title',
        action: `${FORGOTTEN_PASSWORD}/${kind === 'new' ? 'reset' : 'legacy'}/${encodeURIComponent(String(req.params.token))}`,
        legacy: kind === 'legacy',
        username,
        passwordHint: passwordPolicyHint(policy)[lang],
        rules: passwordPolicyRules(policy).map((rule) => rule[lang]),
      },
      errors,
      status,
    );
  };

  /** The form's own checks, before the password goes anywhere near the policy or a hash. */
  const typedErrors = (res: Response, password: string, confirm: string): FieldError[] => {
    const t = tOf(res);
    const errors: FieldError[] = [];
    if (password === '') {
      errors.push({ field: 'new_password', message: t('recovery.errors.password_missing') });
    } else if (password.length > MAX_PASSWORD) {
      errors.push({ field: 'new_password', message: t('recovery.errors.password_too_long') });
    }
    if (confirm === '') {
      errors.push({ field: 'confirm_password', message: t('recovery.errors.confirm_missing') });
    } else if (password !== '' && confirm !== password) {
      errors.push({ field: 'confirm_password', message: t('recovery.errors.mismatch') });
    }
    return errors;
  };

  const violationErrors = (res: Response, violations: readonly PasswordPolicyViolation[]) =>
    violations.map((v) => ({ field: 'new_password', message: v.message[langOf(res)] }));

  router.get(RESET, noStore, csrf.token, async (req, res) => {
    const link = await recovery.checkPasswordResetToken(String(req.params.token));
    if (!link) return expired(res);
    resetForm(req, res, 'new', link.username);
  });

  router.post(RESET, noStore, body, csrf.protect, csrf.token, async (req, res) => {
    const token = String(req.params.token);
    const link = await recovery.checkPasswordResetToken(token);
    if (!link) return expired(res);
    const form = formFields(req.body);
    const password = form.new_password ?? '';
    const errors = typedErrors(res, password, form.confirm_password ?? '');
    if (errors.length > 0) return resetForm(req, res, 'new', link.username, errors, 400);

    const context = contextOf(req);
    const result = await recovery.completePasswordReset({
      token,
      newPassword: password,
      ...context,
    });
    if (result.outcome === 'invalid_token') return expired(res);
    if (result.outcome === 'rejected') {
      return resetForm(
        req,
        res,
        'new',
        link.username,
        violationErrors(res, result.violations),
        400,
      );
    }
    // A new password ends every session of the account, here and in every application.
    const ended = await endProviderSessions(services.db, result.accountId);
    await sendBackchannelLogouts(() => deps.provider(), result.accountId, ended.applications);
    // A migrated account past its first sign-in may now have nothing left to do: let the
    // migration record move on. Before the first sign-in, that sign-in moves it on as usual.
    const record = await services.migration.findRecord(result.accountId);
    if (record?.state === 'required_actions') {
      await services.migration.completeRequiredAction(result.accountId, 'update_password', context);
    }
    page(res, 'reset-done', {
      titleKey: 'recovery.done.title',
      legacy: false,
      username: result.username,
      signInUrl: services.urls.signIn,
    });
  });

  router.get(LEGACY_RESET, noStore, csrf.token, async (req, res) => {
    const link = await services.migration.checkLegacyPasswordResetToken(String(req.params.token));
    if (!link) return expired(res);
    resetForm(req, res, 'legacy', link.legacyUsername);
  });

  router.post(LEGACY_RESET, noStore, body, csrf.protect, csrf.token, async (req, res) => {
    const token = String(req.params.token);
    const link = await services.migration.checkLegacyPasswordResetToken(token);
    if (!link) return expired(res);
    const form = formFields(req.body);
    const password = form.new_password ?? '';
    const errors = typedErrors(res, password, form.confirm_password ?? '');
    if (errors.length > 0) return resetForm(req, res, 'legacy', link.legacyUsername, errors, 400);

    const result = await services.migration.completeLegacyPasswordReset({
      token,
      newPassword: password,
      ...contextOf(req),
    });
    if (result.outcome === 'invalid_token') return expired(res);
    if (result.outcome === 'rejected') {
      return resetForm(
        req,
        res,
        'legacy',
        link.legacyUsername,
        violationErrors(res, result.violations),
        400,
      );
    }
    page(res, 'reset-done', {
      titleKey: 'recovery.done.title',
      legacy: true,
      username: result.legacyUsername,
      signInUrl: services.urls.signIn,
    });
  });

  return router;
}

/** Each field's messages, joined, to show beside it. */
function byField(errors: readonly FieldError[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) out[e.field] = out[e.field] ? `${out[e.field]} ${e.message}` : e.message;
  return out;
}

import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { RequestContext } from '@porth/identity-core';
import type { RouteDependencies } from '../routes/route-dependencies.js';
import type { PageContext } from '../views-engine/renderer.js';
import type { RelyingParty, RpSession } from './relying-party.js';

/** Changing email, phone or a second factor asks for the password again after this long. */
export const REAUTHENTICATION_WINDOW_MS = 15 * 60 * 1000;

const LANGUAGE_COOKIE = 'porth_lang';
const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** A problem with one field of a form, for the error summary and the field. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** The form body parser of the relying applications' routes (never global). */
export const formBody: RequestHandler = express.urlencoded({
  extended: false,
  limit: '32kb',
  parameterLimit: 50,
});

/** The request's language. */
export function languageOf(res: Response): 'en' | 'cy' {
  return res.locals.lang === 'cy' ? 'cy' : 'en';
}

/** Translates a key in the request's language. */
export function translate(res: Response, key: string, options?: Record<string, unknown>): string {
  const t = res.locals.t as ((k: string, o?: Record<string, unknown>) => string) | undefined;
  return t ? t(key, options) : key;
}

/** Where the request came from, for audit events and throttling. */
export function requestContext(req: Request): RequestContext {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}

/** The error summary and per-field messages of a form. */
export function formErrors(problems: readonly FieldProblem[]): {
  errors: readonly FieldProblem[];
  fieldErrors: Record<string, string>;
} {
  const fieldErrors: Record<string, string> = {};
  for (const p of problems) {
    const before = fieldErrors[p.field];
    fieldErrors[p.field] = before ? `${before} ${p.message}` : p.message;
  }
  return { errors: problems, fieldErrors };
}

/**
 * Renders a page of a relying application: the view inside the application's own frame
 * (`views/<area>/layout.hbs`: its navigation and sign-out button), inside the portal's layout.
 */
export function renderApp(
  deps: RouteDependencies,
  res: Response,
  area: 'amp' | 'portal',
  view: string,
  data: Record<string, unknown> = {},
  status = 200,
): void {
  const context = { ...res.locals, ...data } as PageContext;
  const inner = deps.views.render(view, context, `${area}/bare`);
  const html = deps.views.render(`${area}/layout`, { ...context, inner }, 'layouts/main');
  res.status(status).type('html').send(html);
}

/** The signed-in session that `requireSession` found for this request. */
export function sessionOf(res: Response): RpSession {
  const session = res.locals.rpSession as RpSession | undefined;
  if (!session) throw new Error('requireSession must run before this handler');
  return session;
}

/** Replaces the request's session after it was saved with changes. */
export function setSession(res: Response, session: RpSession): void {
  res.locals.rpSession = session;
  res.locals.user = userOf(session);
}

/** What the frame shows about the signed-in person. */
export function userOf(session: RpSession): { name: string; username: string } {
  const c = session.data.claims;
  const name =
    typeof c.name === 'string' && c.name
      ? c.name
      : [c.given_name, c.family_name].filter((v) => typeof v === 'string' && v).join(' ');
  const username = typeof c.preferred_username === 'string' ? c.preferred_username : '';
  return { name: name || username, username };
}

/**
 * Loads the signed-in session (refreshing its tokens when due) into `res.locals`; without one,
 * `whenSignedOut` answers (AMP sends the browser to sign in, the Portal to its start page).
 */
export function requireSession(
  rp: RelyingParty,
  whenSignedOut: (req: Request, res: Response) => Promise<void>,
): RequestHandler {
  return async (req, res, next) => {
    const session = await rp.current(req, res);
    if (!session) {
      await whenSignedOut(req, res);
      return;
    }
    setSession(res, session);
    next();
  };
}

/** When the person last proved who they are: the provider sign-in, or a password check here. */
export function lastAuthenticated(session: RpSession): number {
  return Math.max(session.data.authTime ?? 0, session.data.reauthenticatedAt ?? 0);
}

/** True when the last sign-in or password check is recent enough for a security change. */
export function recentlyAuthenticated(session: RpSession, now: Date): boolean {
  return now.getTime() - lastAuthenticated(session) < REAUTHENTICATION_WINDOW_MS;
}

/** Remembers the page language (the same cookie as the language switch). */
export function rememberLanguage(res: Response, lang: 'en' | 'cy', secure: boolean): void {
  res.cookie(LANGUAGE_COOKIE, lang, {
    maxAge: ONE_YEAR_MS,
    httpOnly: true,
    sameSite: 'lax',
    secure,
  });
}

/**
 * The routes every relying application has: the sign-in callback, sign-out (to the provider's
 * end-session page), the page after signing out, and the back-channel logout endpoint.
 */
export function signInAndOutRoutes(
  router: Router,
  deps: RouteDependencies,
  rp: RelyingParty,
  area: 'amp' | 'portal',
): void {
  const base = rp.basePath;
  const secure = deps.config.env === 'production';

  router.get(`${base}/callback`, deps.csrf.token, async (req, res) => {
    const outcome = await rp.finishSignIn(req, res);
    if (!outcome.ok) {
      renderApp(
        deps,
        res,
        area,
        'amp/sign-in-problem',
        {
          titleKey: `rp.problem_${outcome.reason}_title`,
          reason: outcome.reason,
          startUrl: area === 'amp' ? `${base}/sign-in` : base,
        },
        outcome.reason === 'denied' ? 200 : 400,
      );
      return;
    }
    const cookies = req.cookies as Record<string, unknown> | undefined;
    const locale = outcome.session.data.claims.locale;
    if (!cookies?.[LANGUAGE_COOKIE] && (locale === 'en' || locale === 'cy')) {
      rememberLanguage(res, locale, secure);
    }
    res.redirect(303, outcome.returnTo);
  });

  router.post(`${base}/sign-out`, formBody, deps.csrf.protect, async (req, res) => {
    await rp.signOut(req, res);
  });

  router.get(`${base}/signed-out`, (_req, res) => {
    renderApp(deps, res, area, 'amp/signed-out', {
      titleKey: 'rp.signed_out_title',
      appNameKey: `rp.app_${area}`,
      startUrl: area === 'amp' ? `${base}/sign-in` : base,
    });
  });

  router.post(
    `${base}/backchannel-logout`,
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 5 }),
    async (req, res) => {
      await rp.backchannelLogout(req, res);
    },
  );
}

import type { RequestHandler } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { deriveKey, randomSecret, type RandomSource } from '@porth/identity-core';

const BROWSER_COOKIE = 'porth_bid';

/** CSRF protection for every form the portal renders. */
export interface CsrfProtection {
  /** Gives each browser a random id (cookie) that its CSRF tokens are bound to. */
  readonly browserId: RequestHandler;
  /** Refuses a POST without a valid `_csrf` field (403, rendered by the error handler). */
  readonly protect: RequestHandler;
  /** Puts a fresh token in `res.locals.csrfToken` for the page's forms. */
  readonly token: RequestHandler;
}

/**
 * Double-submit CSRF tokens (csrf-csrf): an HMAC of a per-browser id, in a cookie and in each
 * form; a cross-site form cannot read either. The key comes from SECRET_KEY.
 */
export function csrfProtection(
  secretKey: string,
  random: RandomSource,
  secure: boolean,
): CsrfProtection {
  const secret = deriveKey(secretKey, 'porth/portal/csrf/v1').toString('base64url');
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/' };
  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req) =>
      String((req.cookies as Record<string, unknown>)[BROWSER_COOKIE] ?? ''),
    cookieName: secure ? '__Host-porth.csrf' : 'porth_csrf',
    cookieOptions,
    getCsrfTokenFromRequest: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      return typeof body?._csrf === 'string' ? body._csrf : undefined;
    },
    errorConfig: { statusCode: 403, code: 'CSRF_INVALID', message: 'The form has expired' },
  });
  return {
    browserId: (req, res, next) => {
      const cookies = req.cookies as Record<string, unknown>;
      const existing = cookies[BROWSER_COOKIE];
      if (typeof existing !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(existing)) {
        const id = randomSecret(random, 32);
        res.cookie(BROWSER_COOKIE, id, cookieOptions);
        cookies[BROWSER_COOKIE] = id;
      }
      next();
    },
    protect: doubleCsrfProtection,
    token: (req, res, next) => {
      res.locals.csrfToken = generateCsrfToken(req, res);
      next();
    },
  };
}

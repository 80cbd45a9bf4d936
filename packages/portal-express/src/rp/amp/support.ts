import type { Request, RequestHandler, Response } from 'express';
import { KnexAccountRepository, type Account } from '@porth/identity-core';
import type { RouteDependencies } from '../../routes/route-dependencies.js';
import { recentlyAuthenticated, requestContext, sessionOf, setSession } from '../common.js';
import type { RelyingParty, RpSession } from '../relying-party.js';

/** AMP's own path. */
export const AMP = '/amp';

/** The signed-in person's account, loaded by `withAccount`. */
export function accountOf(res: Response): Account {
  const account = res.locals.account as Account | undefined;
  if (!account) throw new Error('withAccount must run before this handler');
  return account;
}

/**
 * Loads the signed-in person's account into `res.locals.account`. An account that is no longer
 * active (disabled or deleted meanwhile) ends the AMP session.
 */
export function withAccount(deps: RouteDependencies, rp: RelyingParty): RequestHandler {
  return async (req, res, next) => {
    const { db, clock, random } = deps.services;
    const account = await new KnexAccountRepository(db, clock, random).findById(
      sessionOf(res).accountId,
    );
    if (!account || account.status !== 'active') {
      await rp.endLocal(req, res);
      res.redirect(303, `${AMP}/signed-out`);
      return;
    }
    res.locals.account = account;
    res.locals.user = {
      name: [account.givenName, account.familyName].filter(Boolean).join(' ') || account.username,
      username: account.username ?? '',
    };
    next();
  };
}

/**
 * Security changes (a second factor, recovery codes) need a sign-in or password check in the
 * last 15 minutes; otherwise the person is asked for their password first and comes back here.
 */
export function requireRecentSignIn(
  deps: RouteDependencies,
  afterPost = `${AMP}/security`,
): RequestHandler {
  return (req, res, next) => {
    if (recentlyAuthenticated(sessionOf(res), deps.services.clock.now())) {
      next();
      return;
    }
    const back = req.method === 'GET' ? req.originalUrl : afterPost;
    res.redirect(303, `${AMP}/confirm-password?next=${encodeURIComponent(back)}`);
  };
}

/** The answer of a password check in AMP. */
export type PasswordConfirmation = 'confirmed' | 'wrong' | 'throttled';

/**
 * Checks the signed-in person's password (throttled and audited like a sign-in); when right,
 * records the time in the session so the next 15 minutes need no second check.
 */
export async function confirmPassword(
  deps: RouteDependencies,
  rp: RelyingParty,
  req: Request,
  res: Response,
  account: Account,
  password: string,
): Promise<PasswordConfirmation> {
  if (!password || !account.username) return 'wrong';
  const result = await deps.services.authenticator.check({
    username: account.username,
    password,
    ...requestContext(req),
  });
  if (result.outcome === 'throttled') return 'throttled';
  if (result.outcome !== 'success' || result.account.id !== account.id) return 'wrong';
  const saved = await rp.update(sessionOf(res), {
    reauthenticatedAt: deps.services.clock.now().getTime(),
  });
  if (saved) setSession(res, saved);
  return 'confirmed';
}

/** Saves AMP's own state in the session. */
export async function saveExtra(
  rp: RelyingParty,
  res: Response,
  changes: Record<string, unknown>,
): Promise<RpSession | null> {
  const session = sessionOf(res);
  const saved = await rp.update(session, { extra: { ...session.data.extra, ...changes } });
  if (saved) setSession(res, saved);
  return saved;
}

import type { Request, RequestHandler, Response } from 'express';
import { KnexAccountRepository, KnexAuditLog, type Account } from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { renderApp, requestContext, setSession } from '../../common.js';
import type { RelyingParty } from '../../relying-party.js';

/** Where the support console lives. */
export const SUPPORT = '/portal/support';

/** The signed-in support person, loaded (and checked live) by `requireStaff`. */
export function staffOf(res: Response): Account {
  const staff = res.locals.supportStaff as Account | undefined;
  if (!staff) throw new Error('requireStaff must run before this handler');
  return staff;
}

/** True for an account that may use the support console: an active `staff` account. */
export function isActiveStaff(account: Account | null): account is Account {
  return account !== null && account.kind === 'staff' && account.status === 'active';
}

/**
 * The gate of every support page and action. Signed out: a page starts the sign-in and comes
 * back; anything else is refused. Signed in: the account is read from the database on every
 * request (never from the ID token), and anyone but an active staff account gets 403, audited as
 * `support.access_denied`, before any form is read or anything is changed.
 */
export function requireStaff(deps: RouteDependencies, rp: RelyingParty): RequestHandler {
  return async (req, res, next) => {
    const session = await rp.current(req, res);
    if (!session) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        await rp.startSignIn(req, res, rp.safeReturnPath(req.originalUrl));
        return;
      }
      await refuse(deps, req, res, null);
      return;
    }
    setSession(res, session);
    const { db, clock, random } = deps.services;
    const account = await new KnexAccountRepository(db, clock, random).findById(session.accountId);
    if (!isActiveStaff(account)) {
      await refuse(deps, req, res, session.accountId);
      return;
    }
    res.locals.supportStaff = account;
    next();
  };
}

/** Answers 403 with the "support team only" page, and records the refusal. */
async function refuse(
  deps: RouteDependencies,
  req: Request,
  res: Response,
  accountId: string | null,
): Promise<void> {
  if (accountId !== null) {
    await new KnexAuditLog(deps.services.db, deps.services.clock).append({
      type: 'support.access_denied',
      outcome: 'failure',
      accountId,
      actorId: accountId,
      ...requestContext(req),
      details: { operation: `${req.method} ${req.originalUrl.split('?')[0] ?? ''}`.slice(0, 200) },
    });
  }
  // The page's frame has a sign-out form, which needs a CSRF token.
  deps.csrf.token(req, res, () => {
    renderApp(
      deps,
      res,
      'portal',
      'portal/support/forbidden',
      { titleKey: 'support.forbidden.title' },
      403,
    );
  });
}

import { Router, type Request, type Response } from 'express';
import { KnexAccountRepository } from '@porth/identity-core';
import type { RouteDependencies } from '../../routes/route-dependencies.js';
import { renderApp, requireSession, signInAndOutRoutes } from '../common.js';
import type { RelyingParty } from '../relying-party.js';
import { factorRoutes } from './factors.js';
import { profileRoutes } from './profile.js';
import { securityRoutes } from './security.js';
import { AMP, accountOf, withAccount } from './support.js';

/**
 * AMP (Appointee Management Portal) at /amp, where every journey starts: signing in through the
 * provider, then Profile, Security and Application status.
 */
export function ampRoutes(deps: RouteDependencies, rp: RelyingParty): Router {
  const router = Router();
  signInAndOutRoutes(router, deps, rp, 'amp');

  router.get(`${AMP}/sign-in`, async (req, res) => {
    await rp.startSignIn(req, res, rp.safeReturnPath(req.query.return));
  });

  // Every other AMP page needs a signed-in person; without one, sign-in starts and comes back.
  const signedIn = Router();
  signedIn.use(
    requireSession(rp, async (req: Request, res: Response) => {
      await rp.startSignIn(req, res, req.method === 'GET' ? req.originalUrl : AMP);
    }),
    withAccount(deps, rp),
  );

  signedIn.get(AMP, deps.csrf.token, (_req, res) => {
    renderApp(deps, res, 'amp', 'amp/home', { titleKey: 'amp.home.title', nav: 'home' });
  });

  signedIn.get(`${AMP}/status`, deps.csrf.token, async (_req, res) => {
    const account = accountOf(res);
    const { db, clock, random } = deps.services;
    const actions = await new KnexAccountRepository(db, clock, random).listRequiredActions(
      account.id,
    );
    renderApp(deps, res, 'amp', 'amp/status', {
      titleKey: 'amp.status.title',
      nav: 'status',
      kindKey: `amp.kind.${account.kind}`,
      statusKey: `amp.account_status.${account.status}`,
      migrated: Boolean(account.legacyUsername),
      legacyUsername: account.legacyUsername,
      username: account.username,
      actions: actions.map((a) => `amp.status.action_${a}`),
    });
  });

  profileRoutes(signedIn, deps, rp);
  securityRoutes(signedIn, deps, rp);
  factorRoutes(signedIn, deps, rp);

  router.use((req, _res, next) => {
    // Only AMP's own pages go through its sign-in check; anything else passes on.
    if (req.path === AMP || req.path.startsWith(`${AMP}/`)) next();
    else next('router');
  }, signedIn);
  return router;
}

import { Router } from 'express';
import type { RouteDependencies } from '../routes/route-dependencies.js';
import { ampRoutes } from './amp/index.js';
import { portalRoutes } from './portal/index.js';
import { RelyingParty } from './relying-party.js';

export {
  RelyingParty,
  InvalidLogoutTokenError,
  RP_SCOPE,
  RP_SESSION_KEY_INFO,
} from './relying-party.js';
export type { RpSession, RpSessionData, CallbackOutcome, LogoutToken } from './relying-party.js';
export { KnexRpSessions } from './knex-rp-sessions.js';
export type { RpSessionRecord, NewRpSession } from './knex-rp-sessions.js';
export { REAUTHENTICATION_WINDOW_MS } from './common.js';

/**
 * The relying applications built into the portal: AMP at /amp and Portal at /portal. Both are
 * ordinary OpenID Connect clients of the portal's own provider (openid-client, discovered on
 * first use), registered by `registerBuiltInClients`.
 */
export function relyingPartyRoutes(deps: RouteDependencies): Router {
  const { config, services } = deps;
  const make = (app: 'amp' | 'portal') =>
    new RelyingParty({
      app,
      config,
      db: services.db,
      clock: services.clock,
      random: services.random,
    });
  const router = Router();
  router.use(ampRoutes(deps, make('amp')));
  router.use(portalRoutes(deps, make('portal')));
  return router;
}

import { Router } from 'express';
import { invitationRoutes } from '../../../invitations/routes.js';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import type { RelyingParty } from '../../relying-party.js';
import { portalMenuLoader } from './live.js';
import { manageUsersRoutes } from './manage-users.js';
import { portalProfileRoutes } from './profile.js';
import { createCentreService } from './service.js';
import { switchCentreRoutes } from './switch-centre.js';

/**
 * Centre administration in the Portal: Manage Users, Invite User, Manage Access, Delete User,
 * "Edit your profile", "Your centres" (switching centre), the invitation acceptance pages
 * (`/invitation/:token`), and the live profile menu every Portal page shows.
 */
export function centresRoutes(deps: RouteDependencies, rp: RelyingParty): Router {
  const router = Router();
  const centres = createCentreService(deps);
  router.use(portalMenuLoader(deps, rp));
  manageUsersRoutes(router, deps, rp, centres);
  portalProfileRoutes(router, deps, rp);
  switchCentreRoutes(router, deps, rp);
  router.use(invitationRoutes(deps, rp, centres));
  return router;
}

import { Router } from 'express';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import type { RelyingParty } from '../../relying-party.js';
import { centreMarksRoutes } from './centre-marks.js';
import { EMI, emiRoutes } from './emi.js';
import { IAMIS, iamisRoutes } from './iamis.js';
import { moderationRoutes } from './moderation.js';

/** The addresses of the mark-input services, for the "All Services" menu. */
export const MARKS_URLS = { iamis: IAMIS, emi: EMI } as const;

/**
 * The Portal's mark-input services: IAMIS moderator and centre mark input, and Electronic Mark
 * Input (EMI). Every page checks on the server, on every request, what the signed-in account
 * may do: an appointee allocation on the unit (examiner; moderator or principal moderator) or
 * the IAMIS permission at the centre, read live from the database; anything else is 403.
 */
export function marksRoutes(deps: RouteDependencies, rp: RelyingParty): Router {
  const router = Router();
  emiRoutes(router, deps, rp);
  iamisRoutes(router, deps, rp);
  moderationRoutes(router, deps, rp);
  centreMarksRoutes(router, deps, rp);
  return router;
}

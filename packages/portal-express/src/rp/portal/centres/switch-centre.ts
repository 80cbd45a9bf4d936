import type { Request, Response, Router } from 'express';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { formFields } from '../../../sign-in/router.js';
import { formBody, languageOf, renderApp } from '../../common.js';
import type { RelyingParty } from '../../relying-party.js';
import {
  PORTAL,
  centreView,
  chooseCentre,
  livePersonOf,
  refuseAccess,
  requireLivePerson,
} from './live.js';

const CENTRES = `${PORTAL}/centres`;

/**
 * "Your centres": every centre the person belongs to, with their account type and access there
 * (read live), and — for someone at more than one centre — a button to work at another one. The
 * choice is kept in the Portal session; every centre page then works on that centre only.
 */
export function switchCentreRoutes(
  router: Router,
  deps: RouteDependencies,
  rp: RelyingParty,
): void {
  const signedIn = requireLivePerson(deps, rp);

  router.get(CENTRES, signedIn, deps.csrf.token, (req: Request, res: Response) => {
    const person = livePersonOf(res);
    const lang = languageOf(res);
    renderApp(deps, res, 'portal', 'portal/centres/centres', {
      titleKey: 'centres.switch.title',
      nav: 'centres',
      centres: person.centres.map((c) => ({
        ...centreView(c, lang),
        current: c.number === person.chosen?.number,
      })),
      canSwitch: person.centres.length > 1,
      switched: req.query.switched === '1' ? person.chosen : null,
    });
  });

  router.post(
    CENTRES,
    formBody,
    deps.csrf.protect,
    signedIn,
    deps.csrf.token,
    async (req: Request, res: Response) => {
      const person = livePersonOf(res);
      const number = formFields(req.body).centre ?? '';
      const claim = person.centres.find((c) => c.number === number);
      if (!claim) {
        await refuseAccess(deps, req, res, 'not_a_member', number);
        return;
      }
      await chooseCentre(rp, res, person, claim);
      res.redirect(303, `${CENTRES}?switched=1`);
    },
  );
}

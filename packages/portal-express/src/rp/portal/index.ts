import { Router, type Response } from 'express';
import type { RouteDependencies } from '../../routes/route-dependencies.js';
import { renderApp, requireSession, sessionOf, setSession, signInAndOutRoutes } from '../common.js';
import type { RelyingParty, RpSession } from '../relying-party.js';
import { centresRoutes } from './centres/index.js';
import { MARKS_URLS, marksRoutes } from './marks/index.js';
import { supportRoutes } from './support/index.js';

const PORTAL = '/portal';

/** How a person can choose to sign in at the Portal's start page. */
export const SIGN_IN_CHOICES = ['appointee', 'centre_user'] as const;

/** One service on the "All Services" page. */
interface PortalService {
  readonly id: string;
  /** The menu group it is under (seed 001: "Examinations & Assessments"), if any. */
  readonly groupKey: string | null;
  /** The heading inside the group (seed 001: "IAMIS"), if any. */
  readonly headingKey: string | null;
  /** The link text in the menu. */
  readonly nameKey: string;
  /** The service page's heading. */
  readonly titleKey: string;
  readonly descriptionKey: string;
  readonly permissionKey: string;
  /** Where the menu link goes (the service itself); its description page when left out. */
  readonly href?: string;
}

/** The services seed 001 names. */
const SERVICES: readonly PortalService[] = [
  {
    id: 'iamis-mark-input',
    groupKey: 'portal.services.group_exams',
    headingKey: 'portal.services.heading_iamis',
    nameKey: 'portal.services.iamis_mark_input',
    titleKey: 'portal.services.iamis_mark_input_title',
    descriptionKey: 'portal.services.iamis_mark_input_description',
    permissionKey: 'portal.services.iamis_mark_input_permission',
    href: MARKS_URLS.iamis,
  },
  {
    id: 'emi',
    groupKey: null,
    headingKey: null,
    nameKey: 'portal.services.emi',
    titleKey: 'portal.services.emi',
    descriptionKey: 'portal.services.emi_description',
    permissionKey: 'portal.services.emi_permission',
    href: MARKS_URLS.emi,
  },
];

interface CentreView {
  readonly number: string;
  readonly name: string;
  readonly role: string;
  readonly permissions: string;
}

function centresOf(session: RpSession): CentreView[] {
  const raw = session.data.claims.centres;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((c: unknown) => {
    if (!c || typeof c !== 'object') return [];
    const centre = c as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
    return [
      {
        number: text(centre.number),
        name: text(centre.name),
        role: text(centre.role),
        permissions: Array.isArray(centre.permissions)
          ? centre.permissions.map(text).filter(Boolean).join(', ')
          : '',
      },
    ];
  });
}

/** The signed-in person as the Portal's pages show them (from the ID token and UserInfo). */
function person(session: RpSession) {
  const kind = session.data.claims.account_kind;
  return {
    kindKey: `portal.kind.${typeof kind === 'string' ? kind : 'unknown'}`,
    signedInAsKey: session.data.signedInAs
      ? `portal.signed_in_as_${session.data.signedInAs}`
      : null,
    centres: centresOf(session),
  };
}

/**
 * The Portal at /portal: a start page with "Sign in as an Appointee" and "Sign in as a centre
 * user" (both through the provider, so someone signed in at AMP arrives without a prompt), then
 * "All Services" with the services seed 001 names.
 */
export function portalRoutes(deps: RouteDependencies, rp: RelyingParty): Router {
  const router = Router();
  signInAndOutRoutes(router, deps, rp, 'portal');
  router.use(centresRoutes(deps, rp));
  router.use(marksRoutes(deps, rp));
  router.use(supportRoutes(deps, rp));

  router.get(PORTAL, deps.csrf.token, async (req, res) => {
    const session = await rp.current(req, res);
    if (!session) {
      renderApp(deps, res, 'portal', 'portal/start', {
        titleKey: 'portal.start.title',
        choices: SIGN_IN_CHOICES,
      });
      return;
    }
    setSession(res, session);
    renderApp(deps, res, 'portal', 'portal/home', {
      titleKey: 'portal.home.title',
      nav: 'home',
      ...person(session),
    });
  });

  router.get(`${PORTAL}/sign-in`, async (req, res) => {
    const as = (SIGN_IN_CHOICES as readonly unknown[]).includes(req.query.as)
      ? String(req.query.as)
      : 'appointee';
    await rp.startSignIn(req, res, PORTAL, as);
  });

  const signedIn = requireSession(rp, async (_req, res: Response) => {
    res.redirect(303, PORTAL);
  });

  router.get(`${PORTAL}/services`, signedIn, deps.csrf.token, (_req, res) => {
    const groups: { key: string | null; headingKey: string | null; services: PortalService[] }[] =
      [];
    for (const service of SERVICES) {
      const last = groups[groups.length - 1];
      if (last && last.key === service.groupKey && service.groupKey !== null) {
        last.services.push(service);
      } else {
        groups.push({ key: service.groupKey, headingKey: service.headingKey, services: [service] });
      }
    }
    renderApp(deps, res, 'portal', 'portal/services', {
      titleKey: 'portal.services.title',
      nav: 'services',
      groups,
    });
  });

  router.get(`${PORTAL}/services/:service`, signedIn, deps.csrf.token, (req, res, next) => {
    const service = SERVICES.find((s) => s.id === req.params.service);
    if (!service) {
      next();
      return;
    }
    renderApp(deps, res, 'portal', 'portal/service', {
      titleKey: service.titleKey,
      nav: 'services',
      service,
      ...person(sessionOf(res)),
    });
  });

  return router;
}

import type { Request, RequestHandler, Response } from 'express';
import {
  CENTRE_PERMISSION_TEXT,
  CENTRE_ROLE_LABELS,
  CentreAccessDeniedError,
  KnexAccountRepository,
  KnexAuditLog,
  canManageCentre,
  centreClaims,
  centreErrorMessage,
  isCentreNumber,
  type Account,
  type CentreAccessDeniedReason,
  type CentreClaim,
  type CentrePermission,
  type CentreRole,
} from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { languageOf, renderApp, requestContext, setSession } from '../../common.js';
import type { RelyingParty, RpSession } from '../../relying-party.js';

/** The Portal's own path. */
export const PORTAL = '/portal';

/** Where a centre's Manage Users page is. */
export function usersPath(centreNumber: string): string {
  return `${PORTAL}/centres/${centreNumber}/users`;
}

/** The key in the Portal session's application data that holds the chosen centre's number. */
const CHOSEN_CENTRE = 'centre';

/**
 * The signed-in person as the Portal's centre pages see them: read from the database on every
 * request (never from the possibly older ID token), so that a change made by the Exams Officer
 * shows at the person's next page view.
 */
export interface LivePerson {
  readonly session: RpSession;
  readonly account: Account;
  /** Every centre the account is an active member of, with role and permissions, by number. */
  readonly centres: readonly CentreClaim[];
  /** The centre the person is working at (chosen, else the first); null without any centre. */
  readonly chosen: CentreClaim | null;
}

/** One permission as the pages show it. */
export interface PermissionView {
  readonly id: CentrePermission;
  readonly label: string;
  readonly hint: string;
}

/** A centre membership as the pages show it. */
export interface CentreView {
  readonly number: string;
  readonly name: string;
  readonly role: CentreRole;
  readonly roleLabel: string;
  readonly permissions: readonly PermissionView[];
  readonly manages: boolean;
  readonly usersUrl: string;
}

/** The name of an account type in the page's language. */
export function roleLabel(role: CentreRole, lang: 'en' | 'cy'): string {
  return CENTRE_ROLE_LABELS[role][lang];
}

/** A permission's name and description in the page's language. */
export function permissionView(permission: CentrePermission, lang: 'en' | 'cy'): PermissionView {
  const text = CENTRE_PERMISSION_TEXT[permission];
  return { id: permission, label: text.label[lang], hint: text.hint[lang] };
}

/** A membership as the pages show it. */
export function centreView(claim: CentreClaim, lang: 'en' | 'cy'): CentreView {
  return {
    number: claim.number,
    name: claim.name,
    role: claim.role,
    roleLabel: roleLabel(claim.role, lang),
    permissions: claim.permissions.map((p) => permissionView(p, lang)),
    manages: canManageCentre(claim.role),
    usersUrl: usersPath(claim.number),
  };
}

/** The outcome of loading the live person. */
export type LiveLookup =
  | { readonly kind: 'signed_out' }
  /** The account was disabled or deleted since signing in: the Portal session has been ended. */
  | { readonly kind: 'ended' }
  | { readonly kind: 'ok'; readonly person: LivePerson };

function chosenNumber(session: RpSession): string | null {
  const value = session.data.extra[CHOSEN_CENTRE];
  return typeof value === 'string' && isCentreNumber(value) ? value : null;
}

function sameCentres(a: unknown, b: readonly CentreClaim[]): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b);
}

/**
 * Loads the signed-in person from the database: the account (an account no longer active ends
 * the Portal session here), its centres and the chosen centre. The session's copy of the claims
 * is brought up to date (centres, names) so that every Portal page shows the same.
 */
export async function loadLivePerson(
  deps: RouteDependencies,
  rp: RelyingParty,
  req: Request,
  res: Response,
): Promise<LiveLookup> {
  const cached = res.locals.livePerson as LivePerson | undefined;
  if (cached) return { kind: 'ok', person: cached };
  let session = await rp.current(req, res);
  if (!session) return { kind: 'signed_out' };
  const { db, clock, random } = deps.services;
  const account = await new KnexAccountRepository(db, clock, random).findById(session.accountId);
  if (!account || account.status !== 'active') {
    await rp.endLocal(req, res);
    return { kind: 'ended' };
  }
  const centres = await centreClaims(db, account.id);
  const name = [account.givenName, account.familyName].filter(Boolean).join(' ');
  const claims = session.data.claims;
  if (
    !sameCentres(claims.centres, centres) ||
    (name !== '' && claims.name !== name) ||
    claims.given_name !== (account.givenName ?? undefined) ||
    claims.family_name !== (account.familyName ?? undefined)
  ) {
    const { name: _n, given_name: _g, family_name: _f, ...rest } = claims;
    const saved = await rp.update(session, {
      claims: {
        ...rest,
        ...(name ? { name } : {}),
        ...(account.givenName ? { given_name: account.givenName } : {}),
        ...(account.familyName ? { family_name: account.familyName } : {}),
        centres,
      },
    });
    if (saved) session = saved;
  }
  const wanted = chosenNumber(session);
  const chosen = centres.find((c) => c.number === wanted) ?? centres[0] ?? null;
  const person: LivePerson = { session, account, centres, chosen };
  setSession(res, session);
  res.locals.user = { name: name || account.username || '', username: account.username ?? '' };
  res.locals.livePerson = person;
  res.locals.portalMenu = portalMenu(person, languageOf(res));
  return { kind: 'ok', person };
}

/** What the Portal's profile menu and home page show about the person's centre. */
export function portalMenu(person: LivePerson, lang: 'en' | 'cy') {
  const centre = person.chosen ? centreView(person.chosen, lang) : null;
  return {
    centre,
    manages: centre?.manages ?? false,
    canSwitch: person.centres.length > 1,
  };
}

/** The live person that `requireLivePerson` loaded for this request. */
export function livePersonOf(res: Response): LivePerson {
  const person = res.locals.livePerson as LivePerson | undefined;
  if (!person) throw new Error('requireLivePerson must run before this handler');
  return person;
}

/**
 * Every Portal page (GET) gets the live profile menu; an account disabled or deleted since it
 * signed in loses its Portal session here, so the page that follows asks to sign in. The
 * sign-in routes are left alone.
 */
export function portalMenuLoader(deps: RouteDependencies, rp: RelyingParty): RequestHandler {
  return async (req, res, next) => {
    const path = req.path;
    if (
      req.method !== 'GET' ||
      !(path === PORTAL || path.startsWith(`${PORTAL}/`)) ||
      path === `${PORTAL}/sign-in` ||
      path === `${PORTAL}/callback` ||
      path === `${PORTAL}/signed-out`
    ) {
      next();
      return;
    }
    await loadLivePerson(deps, rp, req, res);
    next();
  };
}

/**
 * The person must be signed in with an active account; otherwise the Portal's start page (which
 * asks them to sign in) is where they go, and nothing else happens.
 */
export function requireLivePerson(deps: RouteDependencies, rp: RelyingParty): RequestHandler {
  return async (req, res, next) => {
    const found = await loadLivePerson(deps, rp, req, res);
    if (found.kind !== 'ok') {
      res.redirect(303, PORTAL);
      return;
    }
    next();
  };
}

/** Answers 403 with the reason in the person's language; audited as `centre.access_denied`. */
export async function refuseAccess(
  deps: RouteDependencies,
  req: Request,
  res: Response,
  reason: CentreAccessDeniedReason,
  centreNumber: string,
): Promise<void> {
  const person = res.locals.livePerson as LivePerson | undefined;
  const accountId = person?.account.id ?? null;
  await new KnexAuditLog(deps.services.db, deps.services.clock).append({
    type: 'centre.access_denied',
    outcome: 'failure',
    accountId,
    actorId: accountId,
    ...requestContext(req),
    details: {
      centre: centreNumber.slice(0, 16),
      operation: `${req.method} ${req.path}`.slice(0, 160),
      reason,
    },
  });
  const message = centreErrorMessage(new CentreAccessDeniedError(reason));
  renderApp(
    deps,
    res,
    'portal',
    'portal/centres/forbidden',
    { titleKey: 'centres.forbidden.title', message: message?.[languageOf(res)] ?? '' },
    403,
  );
}

/** The centre a centre-admin page works on, checked live; set by `requireCentreManager`. */
export function managedCentreOf(res: Response): CentreClaim {
  const centre = res.locals.managedCentre as CentreClaim | undefined;
  if (!centre) throw new Error('requireCentreManager must run before this handler');
  return centre;
}

/**
 * The centre in the address (`:centre`) must be one where the signed-in person is, right now,
 * the Exams Officer or an Admin; anyone else gets 403 and nothing changes. Working on a centre
 * makes it the person's chosen centre.
 */
export function requireCentreManager(deps: RouteDependencies, rp: RelyingParty): RequestHandler {
  return async (req, res, next) => {
    const number = String(req.params.centre ?? '');
    if (!isCentreNumber(number)) {
      next('route');
      return;
    }
    const person = livePersonOf(res);
    const claim = person.centres.find((c) => c.number === number);
    if (!claim) {
      await refuseAccess(deps, req, res, 'not_a_member', number);
      return;
    }
    if (!canManageCentre(claim.role)) {
      await refuseAccess(deps, req, res, 'not_a_centre_admin', number);
      return;
    }
    if (person.chosen?.number !== number) await chooseCentre(rp, res, person, claim);
    res.locals.managedCentre = claim;
    next();
  };
}

/** Makes `claim` the person's chosen centre (kept in the Portal session). */
export async function chooseCentre(
  rp: RelyingParty,
  res: Response,
  person: LivePerson,
  claim: CentreClaim,
): Promise<void> {
  const session = person.session;
  const saved = await rp.update(session, {
    extra: { ...session.data.extra, [CHOSEN_CENTRE]: claim.number },
  });
  const next: LivePerson = { ...person, session: saved ?? session, chosen: claim };
  if (saved) setSession(res, saved);
  res.locals.livePerson = next;
  res.locals.portalMenu = portalMenu(next, languageOf(res));
}

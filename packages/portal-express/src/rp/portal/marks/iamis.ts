import type { Request, Response, Router } from 'express';
import { centreClaims, type CentreClaim } from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { renderApp } from '../../common.js';
import type { RelyingParty } from '../../relying-party.js';
import {
  MODERATOR_ROLES,
  isModeratorRole,
  type Allocation,
  type CentreScope,
  type ModeratorRole,
} from './model.js';
import { PORTAL, accountIdOf, forbidden, marksRepository, signedIn, unitView } from './shared.js';

/** Where IAMIS (Mark Input) lives. */
export const IAMIS = `${PORTAL}/iamis`;

/** The account's centres where it holds the IAMIS permission, read live from the database. */
export async function iamisCentres(
  deps: RouteDependencies,
  accountId: string,
): Promise<CentreClaim[]> {
  const claims = await centreClaims(deps.services.db, accountId);
  return claims.filter((claim) => claim.permissions.includes('iamis'));
}

/** The account's moderator allocations (principal moderator and moderator). */
export async function moderatorAllocations(
  deps: RouteDependencies,
  accountId: string,
): Promise<Allocation[]> {
  const all = await marksRepository(deps).allocationsOf(accountId);
  return all.filter((a) => isModeratorRole(a.role));
}

/** The role to work as: the one asked for when the person holds it, else their most senior. */
export function chooseRole(held: readonly ModeratorRole[], asked: unknown): ModeratorRole | null {
  if (isModeratorRole(asked) && held.includes(asked)) return asked;
  return held[0] ?? null;
}

/** The moderator roles among `allocations`, most senior first. */
export function rolesHeld(allocations: readonly Allocation[]): ModeratorRole[] {
  return MODERATOR_ROLES.filter((role) => allocations.some((a) => a.role === role));
}

/** The address of a moderator page for `role`. */
export function withRole(href: string, role: ModeratorRole): string {
  return `${href}?${new URLSearchParams({ as: role }).toString()}`;
}

function scopeView(scope: CentreScope): Record<string, unknown> {
  return scope.all ? { all: true } : { all: false, centres: scope.centres.join(', ') };
}

/**
 * IAMIS "Mark Input" (seed 001): for a moderator, the Moderator Mark Input summary per
 * allocated unit — Total Centres, Total Sample Cands, Total Reports Completed, "Review marks
 * (N) remaining", Total Entered, Total CF/Abs, Total with new marks — with a "Work as" choice
 * when they hold several roles and "View Team" for a principal moderator; for centre staff, the
 * centres where they hold the IAMIS permission. Anyone with neither gets 403.
 */
export function iamisRoutes(router: Router, deps: RouteDependencies, rp: RelyingParty): void {
  const session = signedIn(rp);

  router.get(IAMIS, session, deps.csrf.token, async (req: Request, res: Response) => {
    const me = accountIdOf(res);
    const allocations = await moderatorAllocations(deps, me);
    const centres = await iamisCentres(deps, me);
    if (allocations.length === 0 && centres.length === 0) {
      await forbidden(deps, req, res, 'marks.forbidden.iamis', { service: 'iamis' });
      return;
    }
    const roles = rolesHeld(allocations);
    const role = chooseRole(roles, req.query.as);
    const repo = marksRepository(deps);
    const units = [];
    for (const allocation of allocations.filter((a) => a.role === role)) {
      const summary = await repo.summary(allocation.unit.id, allocation.scope);
      units.push({
        ...unitView(allocation.unit),
        summary,
        reviewHref: role ? withRole(`${IAMIS}/moderation/${allocation.unit.id}`, role) : '',
      });
    }
    renderApp(deps, res, 'portal', 'portal/marks/iamis', {
      titleKey: 'marks.iamis.title',
      nav: 'services',
      moderator: roles.length > 0,
      role,
      roleKey: role ? `marks.roles.${role}` : null,
      roles: roles.map((r) => ({ value: r, labelKey: `marks.roles.${r}`, selected: r === role })),
      chooseRole: roles.length > 1,
      teamHref: role === 'principal_moderator' ? withRole(`${IAMIS}/team`, role) : null,
      units,
      centres: centres.map((c) => ({
        number: c.number,
        name: c.name,
        href: `${IAMIS}/centres/${c.number}`,
      })),
    });
  });

  router.get(`${IAMIS}/team`, session, deps.csrf.token, async (req: Request, res: Response) => {
    const me = accountIdOf(res);
    const principal = (await moderatorAllocations(deps, me)).filter(
      (a) => a.role === 'principal_moderator',
    );
    if (principal.length === 0) {
      await forbidden(deps, req, res, 'marks.forbidden.not_principal', { service: 'iamis' });
      return;
    }
    const repo = marksRepository(deps);
    const units = [];
    for (const allocation of principal) {
      const team = await repo.team(allocation.unit.id);
      units.push({
        ...unitView(allocation.unit),
        team: team.map((m) => ({
          name: m.name,
          roleKey: `marks.roles.${m.role}`,
          scope: scopeView(m.scope),
        })),
      });
    }
    renderApp(deps, res, 'portal', 'portal/marks/team', {
      titleKey: 'marks.team.title',
      nav: 'services',
      units,
      backHref: withRole(IAMIS, 'principal_moderator'),
    });
  });
}

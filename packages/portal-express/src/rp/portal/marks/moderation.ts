import type { Request, Response, Router } from 'express';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { renderApp, translate } from '../../common.js';
import type { RelyingParty } from '../../relying-party.js';
import { isCentreNumber } from '@porth/identity-core';
import type { ModerationReport } from './knex-marks-repository.js';
import { scopeCovers, type Allocation, type ModeratorRole } from './model.js';
import { IAMIS, chooseRole, rolesHeld, withRole } from './iamis.js';
import {
  SheetRefusal,
  saveSheet,
  sheetPageHref,
  showSheet,
  withPageFlag,
  type SheetContext,
} from './sheet.js';
import {
  accountIdOf,
  auditMarks,
  forbidden,
  formatDateTime,
  isUnitId,
  marksBody,
  marksRepository,
  signedIn,
  unitView,
} from './shared.js';

/** The moderator's allocation on the unit in the path, in the role they work as. */
interface ModeratorAccess {
  readonly allocation: Allocation;
  readonly role: ModeratorRole;
}

/** The moderator's allocation on the unit named in the path; 403 (audited) when there is none. */
async function moderatorAccess(
  deps: RouteDependencies,
  req: Request,
  res: Response,
): Promise<ModeratorAccess | null> {
  const unitId = req.params.unitId;
  const me = accountIdOf(res);
  const onUnit = isUnitId(unitId)
    ? (await marksRepository(deps).allocationsOf(me)).filter((a) => a.unit.id === unitId)
    : [];
  const role = chooseRole(rolesHeld(onUnit), req.query.as);
  const allocation = onUnit.find((a) => a.role === role);
  if (!allocation || !role) {
    await forbidden(deps, req, res, 'marks.forbidden.not_allocated', {
      service: 'iamis',
      unit: typeof unitId === 'string' ? unitId.slice(0, 40) : null,
    });
    return null;
  }
  return { allocation, role };
}

/** As moderatorAccess, and the centre in the path must be one the allocation covers. */
async function centreAccess(
  deps: RouteDependencies,
  req: Request,
  res: Response,
): Promise<(ModeratorAccess & { centre: string }) | null> {
  const access = await moderatorAccess(deps, req, res);
  if (!access) return null;
  const centre = req.params.centre;
  const covered =
    isCentreNumber(centre) &&
    scopeCovers(access.allocation.scope, centre) &&
    (await marksRepository(deps).candidateCount(access.allocation.unit.id, {
      all: false,
      centres: [centre],
    })) > 0;
  if (!covered) {
    await forbidden(deps, req, res, 'marks.forbidden.centre_not_allocated', {
      service: 'iamis',
      unit: access.allocation.unit.id,
      centre: typeof centre === 'string' ? centre.slice(0, 10) : null,
    });
    return null;
  }
  return { ...access, centre };
}

function unitHref(access: ModeratorAccess): string {
  return withRole(`${IAMIS}/moderation/${access.allocation.unit.id}`, access.role);
}

function sampleContext(
  res: Response,
  access: ModeratorAccess & { centre: string },
  centreName: string | null,
  report: ModerationReport | null,
): SheetContext {
  const { allocation, role, centre } = access;
  return {
    unit: allocation.unit,
    source: 'moderator',
    scope: { all: false, centres: [centre] },
    sampleOnly: true,
    owner: { id: accountIdOf(res), exclusive: false },
    editable: (row) =>
      !report &&
      row.centreMark?.status === 'submitted' &&
      (!row.mark || row.mark.status === 'draft'),
    href: `${IAMIS}/moderation/${allocation.unit.id}/centres/${centre}`,
    keep: { as: role },
    serviceKey: 'marks.iamis.moderator_heading',
    backHref: unitHref(access),
    backKey: 'marks.moderation.back',
    actions: report ? [] : ['draft', 'complete'],
    columns: { centre: false, centreMark: true, moderatorMark: false },
    audit: {
      service: 'iamis',
      unit: allocation.unit.id,
      code: allocation.unit.code,
      centre,
      role,
    },
    extra: {
      centreNumber: centre,
      centreName,
      roleName: translate(res, `marks.roles.${role}`),
      intro: translate(res, 'marks.moderation.sample_intro'),
      report: report
        ? { completedAt: formatDateTime(res, report.completedAt) }
        : { completedAt: null },
    },
  };
}

/**
 * IAMIS moderator review: the unit's centres (in the role worked as: every centre for a
 * principal moderator, the allocated ones for a moderator) with their sample and report state;
 * per centre, the sample candidates with the centre's submitted mark and a box for the
 * moderator's mark, saved as a draft; "Complete moderator report" once every sample candidate
 * has a moderator's mark, which submits those marks and records the report, exactly once.
 */
export function moderationRoutes(router: Router, deps: RouteDependencies, rp: RelyingParty): void {
  const session = signedIn(rp);

  router.get(`${IAMIS}/moderation/:unitId`, session, deps.csrf.token, async (req, res) => {
    const access = await moderatorAccess(deps, req, res);
    if (!access) return;
    const { allocation, role } = access;
    const repo = marksRepository(deps);
    const summary = await repo.summary(allocation.unit.id, allocation.scope);
    const centres = await repo.moderationCentres(allocation.unit.id, allocation.scope);
    renderApp(deps, res, 'portal', 'portal/marks/moderation', {
      titleKey: 'marks.moderation.title',
      nav: 'services',
      unit: unitView(allocation.unit),
      roleName: translate(res, `marks.roles.${role}`),
      summary,
      backHref: withRole(IAMIS, role),
      centres: centres.map((c) => ({
        ...c,
        remaining: c.sample - c.reviewed,
        reportCompletedAt: c.reportCompletedAt ? formatDateTime(res, c.reportCompletedAt) : null,
        href: withRole(`${IAMIS}/moderation/${allocation.unit.id}/centres/${c.centreNumber}`, role),
      })),
    });
  });

  router.get(
    `${IAMIS}/moderation/:unitId/centres/:centre`,
    session,
    deps.csrf.token,
    async (req, res) => {
      const access = await centreAccess(deps, req, res);
      if (!access) return;
      const repo = marksRepository(deps);
      const report = await repo.report(access.allocation.unit.id, access.centre);
      const ctx = sampleContext(res, access, await repo.centreName(access.centre), report);
      const notice =
        req.query.completed === '1'
          ? translate(res, 'marks.moderation.completed')
          : req.query.saved === '1'
            ? translate(res, 'marks.sheet.saved')
            : null;
      await showSheet(deps, res, ctx, req.query.page, { notice });
    },
  );

  router.post(
    `${IAMIS}/moderation/:unitId/centres/:centre`,
    session,
    marksBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res) => {
      const access = await centreAccess(deps, req, res);
      if (!access) return;
      const repo = marksRepository(deps);
      const report = await repo.report(access.allocation.unit.id, access.centre);
      const ctx = sampleContext(res, access, await repo.centreName(access.centre), report);
      const saved = await saveSheet(deps, req, res, ctx, async (marks, trx, action) => {
        if (action !== 'complete') return;
        const scope = ctx.scope;
        const { reviewRemaining } = await marks.summary(access.allocation.unit.id, scope);
        if (reviewRemaining > 0) {
          throw new SheetRefusal(
            [
              {
                field: 'complete-report',
                message: translate(res, 'marks.moderation.incomplete', { count: reviewRemaining }),
              },
            ],
            400,
          );
        }
        const me = accountIdOf(res);
        if (!(await marks.completeReport(access.allocation.unit.id, access.centre, me))) {
          throw new SheetRefusal(
            [
              {
                field: 'complete-report',
                message: translate(res, 'marks.moderation.already_completed'),
              },
            ],
            409,
          );
        }
        const submitted = await marks.submitDrafts(
          access.allocation.unit.id,
          'moderator',
          scope,
          { id: null, exclusive: false },
          me,
        );
        await auditMarks(deps, trx, req, res, 'marks.report_completed', {
          ...ctx.audit,
          submitted,
        });
      });
      if (!saved) return;
      const flag = saved.action === 'complete' ? 'completed=1' : 'saved=1';
      res.redirect(303, withPageFlag(sheetPageHref(ctx, saved.page), flag));
    },
  );
}

import type { Request, Response, Router } from 'express';
import { isCentreNumber, transaction, type CentreClaim } from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { renderApp, translate } from '../../common.js';
import type { RelyingParty } from '../../relying-party.js';
import type { MarkOwner, ModerationReport } from './knex-marks-repository.js';
import type { CentreScope, Unit } from './model.js';
import { IAMIS, iamisCentres } from './iamis.js';
import { continueAfterSave, saveSheet, showSheet, type SheetContext } from './sheet.js';
import {
  accountIdOf,
  auditMarks,
  forbidden,
  formatDateTime,
  isUnitId,
  marksBody,
  marksRepository,
  progressView,
  signedIn,
  unitView,
} from './shared.js';

/** A centre's marks belong to the centre, not to the member who typed them. */
const CENTRE_OWNER: MarkOwner = { id: null, exclusive: false };

/**
 * The centre in the path, when the signed-in account holds the IAMIS permission there — read
 * live from the database on every request, so a permission taken away stops the next request.
 * 403 (audited) otherwise.
 */
async function centreWithIamis(
  deps: RouteDependencies,
  req: Request,
  res: Response,
): Promise<CentreClaim | null> {
  const number = req.params.centre;
  const claim = isCentreNumber(number)
    ? ((await iamisCentres(deps, accountIdOf(res))).find((c) => c.number === number) ?? null)
    : null;
  if (!claim) {
    await forbidden(
      deps,
      req,
      res,
      'marks.forbidden.no_iamis',
      { service: 'iamis', centre: typeof number === 'string' ? number.slice(0, 10) : null },
      { centre: typeof number === 'string' ? number.slice(0, 10) : '' },
    );
    return null;
  }
  return claim;
}

/** The internal-assessment unit in the path, when it has candidates at the centre; else 404. */
async function centreUnit(
  deps: RouteDependencies,
  req: Request,
  res: Response,
  centre: CentreClaim,
): Promise<Unit | null> {
  const unitId = req.params.unitId;
  const repo = marksRepository(deps);
  const unit = isUnitId(unitId) ? await repo.findUnit(unitId) : null;
  const here =
    unit &&
    unit.kind === 'internal_assessment' &&
    (await repo.candidateCount(unit.id, centreScope(centre))) > 0;
  if (!unit || !here) {
    renderApp(deps, res, 'portal', 'errors/not-found', { nav: 'services' }, 404);
    return null;
  }
  return unit;
}

function centreScope(centre: CentreClaim): CentreScope {
  return { all: false, centres: [centre.number] };
}

function centreHref(centre: CentreClaim): string {
  return `${IAMIS}/centres/${centre.number}`;
}

function sheetContext(
  res: Response,
  centre: CentreClaim,
  unit: Unit,
  report: ModerationReport | null,
): SheetContext {
  return {
    unit,
    source: 'centre',
    scope: centreScope(centre),
    sampleOnly: false,
    owner: CENTRE_OWNER,
    editable: (row) => !row.mark || row.mark.status === 'draft',
    href: `${centreHref(centre)}/units/${unit.id}`,
    keep: {},
    serviceKey: 'marks.iamis.centre_heading',
    backHref: centreHref(centre),
    backKey: 'marks.centre.back',
    actions: ['draft', 'next', 'submit'],
    columns: { centre: false, centreMark: false, moderatorMark: report !== null },
    audit: {
      service: 'iamis',
      source: 'centre',
      unit: unit.id,
      code: unit.code,
      centre: centre.number,
    },
    extra: {
      centreNumber: centre.number,
      centreName: centre.name,
      intro: translate(res, 'marks.centre.sheet_intro'),
      report: { completedAt: report ? formatDateTime(res, report.completedAt) : null },
      showReport: true,
    },
  };
}

/**
 * IAMIS centre mark input for internal assessment (seed 002's IAMIS permission: "input and
 * submit centre marks for internal assessments and view moderator reports"): the centre's
 * internally assessed units with their progress and moderator report state, and a mark sheet
 * per unit (candidate number, name, mark 0..max or A for absent; save as draft; submit after a
 * confirmation). Only for members holding the IAMIS permission at that centre.
 */
export function centreMarksRoutes(router: Router, deps: RouteDependencies, rp: RelyingParty): void {
  const session = signedIn(rp);

  router.get(`${IAMIS}/centres/:centre`, session, deps.csrf.token, async (req, res) => {
    const centre = await centreWithIamis(deps, req, res);
    if (!centre) return;
    const repo = marksRepository(deps);
    const units = [];
    for (const unit of await repo.unitsAtCentre(centre.number, 'internal_assessment')) {
      const progress = await repo.progress(unit.id, 'centre', centreScope(centre), CENTRE_OWNER);
      const report = await repo.report(unit.id, centre.number);
      units.push({
        ...unitView(unit),
        href: `${centreHref(centre)}/units/${unit.id}`,
        submitHref: `${centreHref(centre)}/units/${unit.id}/submit`,
        progress: progressView(progress),
        reportCompletedAt: report ? formatDateTime(res, report.completedAt) : null,
      });
    }
    const submittedUnit = units.find((u) => u.id === req.query.unit);
    const submitted = typeof req.query.submitted === 'string' ? req.query.submitted : '';
    renderApp(deps, res, 'portal', 'portal/marks/centre', {
      titleKey: 'marks.centre.title',
      nav: 'services',
      centre: { number: centre.number, name: centre.name },
      units,
      notice:
        submittedUnit && /^\d{1,6}$/.test(submitted)
          ? translate(res, 'marks.submit.done', {
              count: Number(submitted),
              unit: String(submittedUnit.label),
            })
          : null,
    });
  });

  router.get(
    `${IAMIS}/centres/:centre/units/:unitId`,
    session,
    deps.csrf.token,
    async (req, res) => {
      const centre = await centreWithIamis(deps, req, res);
      if (!centre) return;
      const unit = await centreUnit(deps, req, res, centre);
      if (!unit) return;
      const report = await marksRepository(deps).report(unit.id, centre.number);
      await showSheet(deps, res, sheetContext(res, centre, unit, report), req.query.page, {
        notice: req.query.saved === '1' ? translate(res, 'marks.sheet.saved') : null,
      });
    },
  );

  router.post(
    `${IAMIS}/centres/:centre/units/:unitId`,
    session,
    marksBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res) => {
      const centre = await centreWithIamis(deps, req, res);
      if (!centre) return;
      const unit = await centreUnit(deps, req, res, centre);
      if (!unit) return;
      const report = await marksRepository(deps).report(unit.id, centre.number);
      const ctx = sheetContext(res, centre, unit, report);
      const saved = await saveSheet(deps, req, res, ctx);
      if (saved) continueAfterSave(res, ctx, saved);
    },
  );

  router.get(
    `${IAMIS}/centres/:centre/units/:unitId/submit`,
    session,
    deps.csrf.token,
    async (req, res) => {
      const centre = await centreWithIamis(deps, req, res);
      if (!centre) return;
      const unit = await centreUnit(deps, req, res, centre);
      if (!unit) return;
      const progress = await marksRepository(deps).progress(
        unit.id,
        'centre',
        centreScope(centre),
        CENTRE_OWNER,
      );
      renderApp(deps, res, 'portal', 'portal/marks/submit', {
        titleKey: 'marks.submit.title',
        nav: 'services',
        serviceKey: 'marks.iamis.centre_heading',
        unit: unitView(unit),
        centre: { number: centre.number, name: centre.name },
        progress: progressView(progress),
        formAction: `${centreHref(centre)}/units/${unit.id}/submit`,
        backHref: `${centreHref(centre)}/units/${unit.id}`,
      });
    },
  );

  router.post(
    `${IAMIS}/centres/:centre/units/:unitId/submit`,
    session,
    marksBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res) => {
      const centre = await centreWithIamis(deps, req, res);
      if (!centre) return;
      const unit = await centreUnit(deps, req, res, centre);
      if (!unit) return;
      const submitted = await transaction(deps.services.db, async (trx) => {
        const count = await marksRepository(deps, trx).submitDrafts(
          unit.id,
          'centre',
          centreScope(centre),
          CENTRE_OWNER,
          accountIdOf(res),
        );
        if (count > 0) {
          await auditMarks(deps, trx, req, res, 'marks.submitted', {
            service: 'iamis',
            source: 'centre',
            unit: unit.id,
            code: unit.code,
            centre: centre.number,
            count,
          });
        }
        return count;
      });
      res.redirect(
        303,
        `${centreHref(centre)}?${new URLSearchParams({ unit: unit.id, submitted: String(submitted) }).toString()}`,
      );
    },
  );
}

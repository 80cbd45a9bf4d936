import type { Request, Response, Router } from 'express';
import { transaction } from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { renderApp, translate } from '../../common.js';
import type { RelyingParty } from '../../relying-party.js';
import type { MarkOwner } from './knex-marks-repository.js';
import type { Allocation } from './model.js';
import { continueAfterSave, saveSheet, showSheet, type SheetContext } from './sheet.js';
import {
  PORTAL,
  accountIdOf,
  auditMarks,
  forbidden,
  isUnitId,
  marksBody,
  marksRepository,
  progressView,
  signedIn,
  unitView,
} from './shared.js';

/** Where Electronic Mark Input lives. */
export const EMI = `${PORTAL}/emi`;

function ownerOf(res: Response): MarkOwner {
  return { id: accountIdOf(res), exclusive: true };
}

/** The examiner's allocation on the unit named in the path; 403 (audited) when there is none. */
async function examinerAllocation(
  deps: RouteDependencies,
  req: Request,
  res: Response,
): Promise<Allocation | null> {
  const unitId = req.params.unitId;
  const allocation = isUnitId(unitId)
    ? await marksRepository(deps).allocation(accountIdOf(res), unitId, 'examiner')
    : null;
  if (!allocation) {
    await forbidden(deps, req, res, 'marks.forbidden.not_allocated', {
      service: 'emi',
      unit: typeof unitId === 'string' ? unitId.slice(0, 40) : null,
    });
    return null;
  }
  return allocation;
}

function sheetContext(res: Response, allocation: Allocation): SheetContext {
  const me = accountIdOf(res);
  return {
    unit: allocation.unit,
    source: 'examiner',
    scope: allocation.scope,
    sampleOnly: false,
    owner: ownerOf(res),
    editable: (row) => !row.mark || (row.mark.status === 'draft' && row.mark.ownerId === me),
    href: `${EMI}/units/${allocation.unit.id}`,
    keep: {},
    serviceKey: 'marks.emi.title',
    backHref: EMI,
    backKey: 'marks.emi.back',
    actions: ['draft', 'next', 'submit'],
    columns: { centre: true, centreMark: false, moderatorMark: false },
    audit: { service: 'emi', unit: allocation.unit.id, code: allocation.unit.code },
    extra: { intro: translate(res, 'marks.emi.sheet_intro') },
  };
}

/**
 * Electronic Mark Input (seed 001): the examiner's allocated units, each with "Enter marks
 * (N left)" and "Submit marks" / "No marks to submit (N submitted)"; a mark sheet per unit
 * (candidate number, name, mark 0..max or A for absent), saved as a draft page by page, then
 * submitted after a confirmation. Submitted marks cannot be changed by the examiner. A unit not
 * allocated to the examiner answers 403 and changes nothing.
 */
export function emiRoutes(router: Router, deps: RouteDependencies, rp: RelyingParty): void {
  const session = signedIn(rp);

  router.get(EMI, session, deps.csrf.token, async (req, res) => {
    const repo = marksRepository(deps);
    const me = accountIdOf(res);
    const allocations = (await repo.allocationsOf(me)).filter((a) => a.role === 'examiner');
    const units = [];
    for (const allocation of allocations) {
      const progress = await repo.progress(
        allocation.unit.id,
        'examiner',
        allocation.scope,
        ownerOf(res),
      );
      units.push({
        ...unitView(allocation.unit),
        href: `${EMI}/units/${allocation.unit.id}`,
        submitHref: `${EMI}/units/${allocation.unit.id}/submit`,
        progress: progressView(progress),
      });
    }
    const submittedUnit = units.find((u) => u.id === req.query.unit);
    const submitted = typeof req.query.submitted === 'string' ? req.query.submitted : '';
    renderApp(deps, res, 'portal', 'portal/marks/emi', {
      titleKey: 'marks.emi.title',
      nav: 'services',
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

  router.get(`${EMI}/units/:unitId`, session, deps.csrf.token, async (req, res) => {
    const allocation = await examinerAllocation(deps, req, res);
    if (!allocation) return;
    await showSheet(deps, res, sheetContext(res, allocation), req.query.page, {
      notice: req.query.saved === '1' ? translate(res, 'marks.sheet.saved') : null,
    });
  });

  router.post(
    `${EMI}/units/:unitId`,
    session,
    marksBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res) => {
      const allocation = await examinerAllocation(deps, req, res);
      if (!allocation) return;
      const ctx = sheetContext(res, allocation);
      const saved = await saveSheet(deps, req, res, ctx);
      if (saved) continueAfterSave(res, ctx, saved);
    },
  );

  router.get(`${EMI}/units/:unitId/submit`, session, deps.csrf.token, async (req, res) => {
    const allocation = await examinerAllocation(deps, req, res);
    if (!allocation) return;
    const progress = await marksRepository(deps).progress(
      allocation.unit.id,
      'examiner',
      allocation.scope,
      ownerOf(res),
    );
    renderApp(deps, res, 'portal', 'portal/marks/submit', {
      titleKey: 'marks.submit.title',
      nav: 'services',
      serviceKey: 'marks.emi.title',
      unit: unitView(allocation.unit),
      progress: progressView(progress),
      formAction: `${EMI}/units/${allocation.unit.id}/submit`,
      backHref: `${EMI}/units/${allocation.unit.id}`,
    });
  });

  router.post(
    `${EMI}/units/:unitId/submit`,
    session,
    marksBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res) => {
      const allocation = await examinerAllocation(deps, req, res);
      if (!allocation) return;
      const submitted = await transaction(deps.services.db, async (trx) => {
        const count = await marksRepository(deps, trx).submitDrafts(
          allocation.unit.id,
          'examiner',
          allocation.scope,
          ownerOf(res),
          accountIdOf(res),
        );
        if (count > 0) {
          await auditMarks(deps, trx, req, res, 'marks.submitted', {
            service: 'emi',
            source: 'examiner',
            unit: allocation.unit.id,
            code: allocation.unit.code,
            count,
          });
        }
        return count;
      });
      res.redirect(
        303,
        `${EMI}?${new URLSearchParams({ unit: allocation.unit.id, submitted: String(submitted) }).toString()}`,
      );
    },
  );
}

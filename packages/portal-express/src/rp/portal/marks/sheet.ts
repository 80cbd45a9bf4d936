import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import { transaction } from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { formFields } from '../../../sign-in/router.js';
import { renderApp, translate, type FieldProblem } from '../../common.js';
import { MarkLockedError } from './errors.js';
import type { KnexMarksRepository, MarkOwner } from './knex-marks-repository.js';
import { markFieldIds, markText, readSheet, type RefusedRow } from './mark-entry.js';
import type { CentreScope, MarkSource, SheetRow, Unit } from './model.js';
import {
  MARKS_PAGE_SIZE,
  accountIdOf,
  auditMarks,
  markFieldId,
  markFieldName,
  marksRepository,
  pageCount,
  pageNumber,
  pagination,
  refusedMessage,
  unitView,
} from './shared.js';

/** The buttons a mark sheet can have. */
export type SheetAction = 'draft' | 'next' | 'submit' | 'complete';

/** Everything that differs between the examiner's, the centre's and the moderator's sheets. */
export interface SheetContext {
  readonly unit: Unit;
  readonly source: MarkSource;
  readonly scope: CentreScope;
  /** Only the moderation sample (the moderator's sheet). */
  readonly sampleOnly: boolean;
  readonly owner: MarkOwner;
  /** Whether a row's mark can still be changed here. */
  readonly editable: (row: SheetRow) => boolean;
  /** The sheet's address without a query (the form posts to it). */
  readonly href: string;
  /** Query parameters every link of the sheet keeps (e.g. the "Work as" role). */
  readonly keep: Readonly<Record<string, string>>;
  /** The service the sheet belongs to, shown above the heading. */
  readonly serviceKey: string;
  readonly backHref: string;
  readonly backKey: string;
  readonly actions: readonly SheetAction[];
  readonly columns: {
    readonly centre: boolean;
    readonly centreMark: boolean;
    readonly moderatorMark: boolean;
  };
  /** Facts for the audit events (unit, centre, role). */
  readonly audit: Readonly<Record<string, unknown>>;
  /** Anything else the page shows (intro, report state). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Thrown inside a sheet's save to refuse it after all (everything is rolled back). */
export class SheetRefusal extends Error {
  constructor(
    readonly problems: readonly FieldProblem[],
    readonly status: number,
  ) {
    super('The mark sheet was refused');
    this.name = 'SheetRefusal';
  }
}

/** What the page shows again after a refused form. */
interface SheetState {
  readonly typed?: Readonly<Record<string, string>>;
  readonly problems?: readonly FieldProblem[];
  /** Messages by candidate id, shown in the rows. */
  readonly rowErrors?: Readonly<Record<string, string>>;
  readonly notice?: string | null;
}

function withQuery(href: string, params: Readonly<Record<string, string>>): string {
  const query = new URLSearchParams(params).toString();
  return query ? `${href}?${query}` : href;
}

/** The address of one page of the sheet. */
export function sheetPageHref(ctx: SheetContext, page: number): string {
  return withQuery(ctx.href, { ...ctx.keep, ...(page > 1 ? { page: String(page) } : {}) });
}

async function loadPage(
  repo: KnexMarksRepository,
  ctx: SheetContext,
  page: number,
): Promise<SheetRow[]> {
  return repo.sheet({
    unitId: ctx.unit.id,
    source: ctx.source,
    scope: ctx.scope,
    sampleOnly: ctx.sampleOnly,
    offset: (page - 1) * MARKS_PAGE_SIZE,
    limit: MARKS_PAGE_SIZE,
  });
}

/** Renders one page of a mark sheet (with the refused form's values and messages, if any). */
export async function showSheet(
  deps: RouteDependencies,
  res: Response,
  ctx: SheetContext,
  requestedPage: unknown,
  state: SheetState = {},
  status = 200,
): Promise<void> {
  const repo = marksRepository(deps);
  const total = await repo.candidateCount(ctx.unit.id, ctx.scope, ctx.sampleOnly);
  const pages = pageCount(total);
  const page = pageNumber(requestedPage, pages);
  const rows = await loadPage(repo, ctx, page);
  const progress = await repo.progress(
    ctx.unit.id,
    ctx.source,
    ctx.scope,
    ctx.owner,
    ctx.sampleOnly,
  );
  const typed = state.typed ?? {};
  const rowErrors = state.rowErrors ?? {};
  const anyEditable = rows.some((row) => ctx.editable(row));
  renderApp(
    deps,
    res,
    'portal',
    'portal/marks/sheet',
    {
      titleKey: 'marks.sheet.title',
      nav: 'services',
      serviceKey: ctx.serviceKey,
      unit: unitView(ctx.unit),
      backHref: ctx.backHref,
      backKey: ctx.backKey,
      formAction: withQuery(ctx.href, ctx.keep),
      keep: Object.entries(ctx.keep).map(([name, value]) => ({ name, value })),
      page,
      pages,
      total,
      firstRow: total === 0 ? 0 : (page - 1) * MARKS_PAGE_SIZE + 1,
      lastRow: (page - 1) * MARKS_PAGE_SIZE + rows.length,
      pagination: pagination((p) => sheetPageHref(ctx, p), page, pages),
      progress,
      columns: ctx.columns,
      // Row, candidate, [centre mark,] mark: an error message row spans them all.
      columnCount: ctx.columns.centreMark ? 4 : 3,
      anyEditable,
      actions: {
        draft: anyEditable && ctx.actions.includes('draft'),
        next: anyEditable && ctx.actions.includes('next') && page < pages,
        submit: ctx.actions.includes('submit') && (anyEditable || progress.drafts > 0),
        complete: ctx.actions.includes('complete'),
      },
      notice: state.notice ?? null,
      errors: state.problems ?? [],
      rows: rows.map((row) => {
        const editable = ctx.editable(row);
        return {
          row: row.row,
          candidateNumber: row.candidateNumber,
          name: row.name,
          centreNumber: row.centreNumber,
          fieldId: markFieldId(row),
          fieldName: markFieldName(row),
          label: translate(res, 'marks.sheet.mark_label', {
            number: row.candidateNumber,
            name: row.name,
          }),
          editable,
          value: row.id in typed ? typed[row.id] : markText(row.mark),
          shown: markText(row.mark),
          draft: row.mark?.status === 'draft',
          submitted: row.mark?.status === 'submitted',
          // Only submitted marks are shown to the other side: never a centre's or a moderator's draft.
          centreMark: row.centreMark?.status === 'submitted' ? markText(row.centreMark) : '',
          moderatorMark:
            row.moderatorMark?.status === 'submitted' ? markText(row.moderatorMark) : '',
          error: rowErrors[row.id] ?? null,
        };
      }),
      ...ctx.extra,
    },
    status,
  );
}

/** What a posted sheet asked for, once its marks are saved. */
export interface SavedSheet {
  readonly action: SheetAction;
  readonly page: number;
  readonly pages: number;
}

/** `href` with a one-off flag for the page added to its query (e.g. `saved=1`). */
export function withPageFlag(href: string, flag: string): string {
  return `${href}${href.includes('?') ? '&' : '?'}${flag}`;
}

/**
 * Sends the browser on after a page of marks was saved: to "Submit" when asked, else to the next
 * (or the same) page of the sheet, which then says the marks were saved.
 */
export function continueAfterSave(res: Response, ctx: SheetContext, saved: SavedSheet): void {
  if (saved.action === 'submit') {
    res.redirect(303, `${ctx.href}/submit`);
    return;
  }
  const page = saved.action === 'next' ? Math.min(saved.page + 1, saved.pages) : saved.page;
  res.redirect(303, withPageFlag(sheetPageHref(ctx, page), 'saved=1'));
}

/**
 * Handles a posted page of a mark sheet: reads every box, refuses the whole form when any box
 * is not a mark from 0 to the maximum or A (400), or names a mark that was submitted already
 * (409) — each refused row named — and otherwise saves the changed boxes as drafts in one
 * transaction with their audit event, then runs `then` in the same transaction (which may
 * still refuse, with SheetRefusal). Returns null when it has answered already.
 */
export async function saveSheet(
  deps: RouteDependencies,
  req: Request,
  res: Response,
  ctx: SheetContext,
  then?: (repo: KnexMarksRepository, trx: Knex.Transaction, action: SheetAction) => Promise<void>,
): Promise<SavedSheet | null> {
  const fields = formFields(req.body);
  const action = ctx.actions.find((a) => a === fields.action);
  const repo = marksRepository(deps);
  const total = await repo.candidateCount(ctx.unit.id, ctx.scope, ctx.sampleOnly);
  const pages = pageCount(total);
  const page = pageNumber(fields.page, pages);
  const rows = await loadPage(repo, ctx, page);
  const onPage = new Set(rows.map((r) => r.id));
  if (!action || markFieldIds(fields).some((id) => !onPage.has(id))) {
    // A form this page never rendered (an old page of a sheet that changed, or a forgery).
    renderApp(deps, res, 'portal', 'errors/bad-request', { nav: 'services' }, 400);
    return null;
  }

  const read = readSheet(fields, rows, ctx.unit.maxMark, ctx.editable);
  if (read.refused.length > 0) {
    const invalid = read.refused.some((r) => r.reason === 'invalid');
    await showSheet(
      deps,
      res,
      ctx,
      String(page),
      refusal(res, ctx, read.refused, read.typed),
      invalid ? 400 : 409,
    );
    return null;
  }

  try {
    await transaction(deps.services.db, async (trx) => {
      const inTrx = marksRepository(deps, trx);
      const saved = await inTrx.saveDrafts(ctx.source, ctx.owner, accountIdOf(res), read.entries);
      if (read.entries.length > 0) {
        await auditMarks(deps, trx, req, res, 'marks.draft_saved', {
          ...ctx.audit,
          source: ctx.source,
          saved: saved.saved,
          cleared: saved.cleared,
        });
      }
      if (then) await then(inTrx, trx, action);
    });
  } catch (err) {
    if (err instanceof MarkLockedError) {
      const locked = rows
        .filter((row) => err.candidateIds.includes(row.id))
        .map((row): RefusedRow => ({ row, reason: 'locked' }));
      await showSheet(deps, res, ctx, String(page), refusal(res, ctx, locked, read.typed), 409);
      return null;
    }
    if (err instanceof SheetRefusal) {
      await showSheet(
        deps,
        res,
        ctx,
        String(page),
        { typed: read.typed, problems: err.problems },
        err.status,
      );
      return null;
    }
    throw err;
  }
  return { action, page, pages };
}

function refusal(
  res: Response,
  ctx: SheetContext,
  refused: readonly RefusedRow[],
  typed: Readonly<Record<string, string>>,
): SheetState {
  const rowErrors: Record<string, string> = {};
  const problems = refused.map((r) => {
    const message = refusedMessage(res, r, ctx.unit.maxMark);
    rowErrors[r.row.id] = message;
    return { field: markFieldId(r.row), message };
  });
  return { typed, problems, rowErrors };
}

import express, { type Request, type RequestHandler, type Response } from 'express';
import { KnexAuditLog, type Executor } from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { renderApp, requestContext, requireSession, sessionOf, translate } from '../../common.js';
import type { RelyingParty } from '../../relying-party.js';
import { KnexMarksRepository } from './knex-marks-repository.js';
import { MARK_FIELD_PREFIX, type RefusedRow } from './mark-entry.js';
import type { SheetProgress, SheetRow, Unit } from './model.js';
import { unitLabel } from './model.js';

/** Where the Portal lives. */
export const PORTAL = '/portal';

/** Rows on one page of a mark sheet: big sheets (290 candidates) are split into pages. */
export const MARKS_PAGE_SIZE = 50;

/**
 * The form body parser of the mark sheets (never global): one field per row of a page, plus
 * the CSRF token, the action, the page and the role.
 */
export const marksBody: RequestHandler = express.urlencoded({
  extended: false,
  limit: '64kb',
  parameterLimit: MARKS_PAGE_SIZE + 10,
});

/** A unit id is 32 hexadecimal digits; anything else names no unit. */
export function isUnitId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
}

/** The repository over the portal's database (or an open transaction). */
export function marksRepository(deps: RouteDependencies, db?: Executor): KnexMarksRepository {
  const { services } = deps;
  return new KnexMarksRepository(db ?? services.db, services.clock, services.random);
}

/**
 * Loads the Portal session; without one, a page asks to sign in and comes back, and a form
 * post goes to the Portal's start page.
 */
export function signedIn(rp: RelyingParty): RequestHandler {
  return requireSession(rp, async (req: Request, res: Response) => {
    if (req.method === 'GET') {
      await rp.startSignIn(req, res, req.originalUrl);
      return;
    }
    res.redirect(303, PORTAL);
  });
}

/** The signed-in account's id. */
export function accountIdOf(res: Response): string {
  return sessionOf(res).accountId;
}

/**
 * Answers 403 with a page that says why, and records the refusal in the audit log
 * (`marks.access_denied`). Nothing else is changed.
 */
export async function forbidden(
  deps: RouteDependencies,
  req: Request,
  res: Response,
  reasonKey: string,
  details: Record<string, unknown>,
  params: Record<string, unknown> = {},
): Promise<void> {
  const { services } = deps;
  await new KnexAuditLog(services.db, services.clock).append({
    ...requestContext(req),
    type: 'marks.access_denied',
    outcome: 'failure',
    accountId: accountIdOf(res),
    actorId: accountIdOf(res),
    details: { ...details, method: req.method, reason: reasonKey.replace(/^.*\./, '') },
  });
  renderApp(
    deps,
    res,
    'portal',
    'portal/marks/forbidden',
    {
      titleKey: 'marks.forbidden.title',
      nav: 'services',
      reason: translate(res, reasonKey, params),
    },
    403,
  );
}

/** Appends a `marks.*` audit event in the caller's transaction. */
export async function auditMarks(
  deps: RouteDependencies,
  db: Executor,
  req: Request,
  res: Response,
  type: string,
  details: Record<string, unknown>,
): Promise<void> {
  await new KnexAuditLog(db, deps.services.clock).append({
    ...requestContext(req),
    type,
    outcome: 'success',
    accountId: accountIdOf(res),
    actorId: accountIdOf(res),
    details,
  });
}

/** The page number asked for (`?page=`, or the form's `page`), kept within 1..pages. */
export function pageNumber(value: unknown, pages: number): number {
  const n = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : 1;
  return Math.min(Math.max(n, 1), Math.max(pages, 1));
}

/** How many pages `rows` rows take. */
export function pageCount(rows: number): number {
  return Math.max(1, Math.ceil(rows / MARKS_PAGE_SIZE));
}

/** The links of a paginated sheet (only when there is more than one page). */
export function pagination(
  href: (page: number) => string,
  page: number,
  pages: number,
): Record<string, unknown> | null {
  if (pages <= 1) return null;
  return {
    page,
    pages,
    previous: page > 1 ? href(page - 1) : null,
    next: page < pages ? href(page + 1) : null,
    items: Array.from({ length: pages }, (_, i) => ({
      number: i + 1,
      href: href(i + 1),
      current: i + 1 === page,
    })),
  };
}

/** What a page shows of a unit. */
export interface UnitView {
  readonly id: string;
  /** `GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)`. */
  readonly label: string;
  readonly code: string;
  readonly maxMark: number;
}

/** What a unit looks like on a page. */
export function unitView(unit: Unit): UnitView {
  return { id: unit.id, label: unitLabel(unit), code: unit.code, maxMark: unit.maxMark };
}

/** The message for one refused row, naming it (row number, candidate number and name). */
export function refusedMessage(res: Response, refused: RefusedRow, maxMark: number): string {
  const { row } = refused;
  const key = `marks.errors.${refused.reason}`;
  return translate(res, key, {
    row: row.row,
    number: row.candidateNumber,
    name: row.name,
    max: maxMark,
  });
}

/** The id of a row's mark box (what the error summary links to). */
export function markFieldId(row: Pick<SheetRow, 'id'>): string {
  return `mark-${row.id}`;
}

/** The name of a row's mark box. */
export function markFieldName(row: Pick<SheetRow, 'id'>): string {
  return `${MARK_FIELD_PREFIX}${row.id}`;
}

/** EMI's and IAMIS's progress words for a sheet. */
export function progressView(progress: SheetProgress): Record<string, unknown> {
  return { ...progress, canSubmit: progress.drafts > 0 };
}

/** A date and time in the page's language, in UK time. */
export function formatDateTime(res: Response, date: Date): string {
  const lang = res.locals.lang === 'cy' ? 'cy-GB' : 'en-GB';
  return new Intl.DateTimeFormat(lang, {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'Europe/London',
  }).format(date);
}

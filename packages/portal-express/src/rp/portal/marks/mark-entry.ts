import type { MarkEntry, SheetRow } from './model.js';

/** The prefix of a mark input's name and id; the candidate's id follows. */
export const MARK_FIELD_PREFIX = 'mark_';

/** The longest text a mark box takes (four digits and a little space). */
const MAX_INPUT_LENGTH = 8;

/** What one mark box says. */
export type ParsedMark =
  | { readonly kind: 'blank' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'mark'; readonly mark: number }
  /** Not a whole number, or outside 0..max. */
  | { readonly kind: 'invalid' };

/**
 * Reads what was typed into one mark box: nothing, `A` (absent, in English and Welsh:
 * Absent/Absennol), or a whole number from 0 to `maxMark` written with digits only. Anything
 * else (`12.5`, `-1`, `1e2`, `twelve`, a number over the maximum) is invalid.
 */
export function parseMark(text: string, maxMark: number): ParsedMark {
  const value = text.trim();
  if (value === '') return { kind: 'blank' };
  if (value.length > MAX_INPUT_LENGTH) return { kind: 'invalid' };
  if (/^a$/i.test(value)) return { kind: 'absent' };
  if (!/^\d+$/.test(value)) return { kind: 'invalid' };
  const mark = Number(value);
  if (!Number.isSafeInteger(mark) || mark < 0 || mark > maxMark) return { kind: 'invalid' };
  return { kind: 'mark', mark };
}

/** How a stored mark is shown in its box again: the number, `A`, or nothing. */
export function markText(mark: SheetRow['mark']): string {
  if (!mark) return '';
  if (mark.outcome === 'absent') return 'A';
  if (mark.outcome === 'carried_forward') return 'CF';
  return String(mark.mark ?? '');
}

/** One row the form refused, for the error summary (the caller words the message). */
export interface RefusedRow {
  readonly row: SheetRow;
  /**
   * `invalid`: not a mark from 0 to the maximum, nor A; `locked`: the mark was submitted
   * already; `unavailable`: no mark can be entered here for now (e.g. the centre has not
   * submitted its marks yet, for a moderator).
   */
  readonly reason: 'invalid' | 'locked' | 'unavailable';
}

/** The outcome of reading a mark sheet's form. */
export interface ReadSheet {
  /** What to save: only rows whose box changed from what is stored. */
  readonly entries: MarkEntry[];
  /** What each box said, by candidate id, to show the form again. */
  readonly typed: Readonly<Record<string, string>>;
  readonly refused: readonly RefusedRow[];
}

/**
 * Reads the mark boxes of one page of a sheet. A box left as it was saves nothing; a box
 * emptied clears its draft. A box that is not a valid mark is refused as `invalid`; a box for a
 * row that cannot be changed is refused as `locked` (its mark was submitted) or `unavailable` —
 * the page shows no box for such a row, so only a stale or forged form sends one. When anything is
 * refused, nothing at all should be saved.
 */
export function readSheet(
  fields: Readonly<Record<string, string>>,
  rows: readonly SheetRow[],
  maxMark: number,
  editable: (row: SheetRow) => boolean,
): ReadSheet {
  const entries: MarkEntry[] = [];
  const typed: Record<string, string> = {};
  const refused: RefusedRow[] = [];
  for (const row of rows) {
    const name = `${MARK_FIELD_PREFIX}${row.id}`;
    if (!(name in fields)) continue;
    const text = fields[name] ?? '';
    typed[row.id] = text;
    if (!editable(row)) {
      refused.push({ row, reason: row.mark?.status === 'submitted' ? 'locked' : 'unavailable' });
      continue;
    }
    // A box sent back as the page showed it changes nothing (e.g. `CF`, carried forward).
    if (row.mark && text.trim().toUpperCase() === markText(row.mark)) continue;
    const parsed = parseMark(text, maxMark);
    switch (parsed.kind) {
      case 'invalid':
        refused.push({ row, reason: 'invalid' });
        break;
      case 'blank':
        if (row.mark) entries.push({ candidateId: row.id, outcome: 'clear' });
        break;
      case 'absent':
        if (row.mark?.outcome !== 'absent')
          entries.push({ candidateId: row.id, outcome: 'absent' });
        break;
      case 'mark':
        if (row.mark?.outcome !== 'mark' || row.mark.mark !== parsed.mark) {
          entries.push({ candidateId: row.id, outcome: 'mark', mark: parsed.mark });
        }
        break;
    }
  }
  return { entries, typed, refused };
}

/** The candidate ids named by mark boxes in a form body. */
export function markFieldIds(fields: Readonly<Record<string, string>>): string[] {
  return Object.keys(fields)
    .filter((name) => name.startsWith(MARK_FIELD_PREFIX))
    .map((name) => name.slice(MARK_FIELD_PREFIX.length));
}

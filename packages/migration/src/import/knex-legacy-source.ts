import type { Knex } from 'knex';
import { ImportSourceError } from '../errors.js';
import {
  LEGACY_COLUMNS,
  LOCALE_COLUMN,
  REQUIRED_LEGACY_COLUMNS,
  type LegacyColumn,
  type SourceRow,
} from './legacy-row.js';

/**
 * Which source column holds each contract column. A contract column left out is read from the
 * source column of the same name if `sameNames` is on, else treated as empty.
 */
export type LegacyColumnMapping = Partial<Record<LegacyColumn | typeof LOCALE_COLUMN, string>>;

/** Options for readLegacyTable. */
export interface LegacyTableOptions {
  /** The table (or view) holding the legacy accounts; `schema.table` is allowed. */
  readonly table: string;
  /** Contract column → source column, e.g. `{ legacy_username: 'uname', password_hash: 'pw' }`. */
  readonly columns?: LegacyColumnMapping;
  /**
   * Read contract columns that the mapping leaves out from source columns of the same name
   * (default true). Turn it off when the table has, say, an unrelated `phone` column.
   */
  readonly sameNames?: boolean;
  /** Further source columns kept as extra profile fields, under their own names. */
  readonly extraColumns?: readonly string[];
  /**
   * A unique, never-empty column to page by (e.g. the table's id): rows are read in pages of
   * `WHERE key > last ORDER BY key`. Without it, pages are read with LIMIT/OFFSET ordered by the
   * legacy username column, which is fine for a table nobody writes to during the import.
   */
  readonly keyColumn?: string;
  /** Rows per SELECT (default 1000). */
  readonly pageSize?: number;
}

/**
 * Reads legacy rows from a table of another database (or this one) through knex, page by page,
 * renaming the source columns to the contract's (see the package README for the mapping).
 * Throws ImportSourceError when the table lacks a mapped column.
 * @example
 * const legacy = connectDatabase('mysql://reader:…@amp-db/amp');
 * readLegacyTable(legacy, { table: 'users', columns: { legacy_username: 'login', password_hash: 'pass' } })
 */
export async function* readLegacyTable(
  db: Knex,
  options: LegacyTableOptions,
): AsyncGenerator<SourceRow> {
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
  const available = new Set(
    Object.keys(await db(options.table).columnInfo()).map((name) => name.toLowerCase()),
  );
  const select = buildSelection(options, available);
  const keyColumn = options.keyColumn;
  if (keyColumn !== undefined && !available.has(keyColumn.toLowerCase())) {
    throw new ImportSourceError(`The table ${options.table} has no column "${keyColumn}"`);
  }
  const orderColumn = keyColumn ?? select.get('legacy_username') ?? '';

  let position = 0;
  let lastKey: unknown = undefined;
  for (;;) {
    let query = db(options.table)
      .select([...select.entries()].map(([as, column]) => ({ [as]: column })))
      .orderBy(orderColumn)
      .limit(pageSize);
    if (keyColumn !== undefined) {
      query = query.select({ __porth_key: keyColumn });
      if (lastKey !== undefined) query = query.where(keyColumn, '>', lastKey);
    } else {
      query = query.offset(position);
    }
    const rows = (await query) as Record<string, unknown>[];
    for (const row of rows) {
      position += 1;
      const values: Record<string, string | null> = {};
      for (const as of select.keys()) values[as] = asText(row[as]);
      if (keyColumn !== undefined) lastKey = row.__porth_key;
      yield { line: position, values };
    }
    if (rows.length < pageSize) return;
  }
}

/** Contract (or extra) name → source column, checked against the table's columns. */
function buildSelection(
  options: LegacyTableOptions,
  available: ReadonlySet<string>,
): Map<string, string> {
  const select = new Map<string, string>();
  const sameNames = options.sameNames ?? true;
  for (const column of [...LEGACY_COLUMNS, LOCALE_COLUMN] as const) {
    const mapped = options.columns?.[column];
    if (mapped !== undefined) {
      if (!available.has(mapped.toLowerCase())) {
        throw new ImportSourceError(
          `The mapping reads ${column} from "${mapped}", which the table ${options.table} does not have`,
        );
      }
      select.set(column, mapped);
    } else if (sameNames && available.has(column)) {
      select.set(column, column);
    }
  }
  for (const extra of options.extraColumns ?? []) {
    if (!available.has(extra.toLowerCase())) {
      throw new ImportSourceError(`The table ${options.table} has no column "${extra}"`);
    }
    if (select.has(extra)) continue;
    select.set(extra, extra);
  }
  const missing = REQUIRED_LEGACY_COLUMNS.filter((column) => !select.has(column));
  if (missing.length > 0) {
    throw new ImportSourceError(
      `Nothing is mapped to ${missing.join(' or ')}: map it with columns, e.g. { ${missing[0]}: 'source_column' }`,
    );
  }
  return select;
}

/** A database value as CSV-like text: null stays null, numbers and dates become text. */
function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

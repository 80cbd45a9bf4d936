import { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { ImportSourceError } from '../errors.js';
import { REQUIRED_LEGACY_COLUMNS, type SourceRow } from './legacy-row.js';

/** Options for readLegacyCsv. */
export interface LegacyCsvOptions {
  /** The field separator (default `,`). */
  readonly delimiter?: string;
}

interface ParsedRecord {
  readonly record: string[];
  readonly info: { readonly lines: number };
}

/**
 * Reads a legacy CSV export as source rows. The first line is the header; its names are the
 * contract (`legacy_username,email,given_name,family_name,phone,centre_number,teaching_centre,
 * password_hash`, compared ignoring case and surrounding spaces; any other column is an extra
 * profile field; columns without a name are ignored). UTF-8, with or without a byte-order mark.
 *
 * A bad line never stops the rest: a line with the wrong number of fields, or one the CSV
 * rules cannot read, comes out as a row marked `unreadable`, for the rejection report. Stray
 * quotes inside a field are kept as they are. Only a quote that is never closed swallows the
 * rest of the file (CSV allows line breaks inside quotes); that comes out as one unreadable row
 * naming the line where the quote opened.
 *
 * Throws ImportSourceError when the file is empty or the header lacks `legacy_username` or
 * `password_hash`, or names a column twice.
 * @example
 * for await (const row of readLegacyCsv(createReadStream('legacy.csv'))) console.log(row.line, row.values.legacy_username);
 */
export async function* readLegacyCsv(
  input: Readable | AsyncIterable<string | Buffer> | string,
  options: LegacyCsvOptions = {},
): AsyncGenerator<SourceRow> {
  const skipped: SourceRow[] = [];
  const parser = parse({
    bom: true,
    info: true,
    delimiter: options.delimiter ?? ',',
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined) => {
      const lines = Number((err as { lines?: unknown } | undefined)?.lines ?? 0);
      skipped.push({
        line: lines,
        values: {},
        unreadable: {
          reason: 'unreadable_record',
          detail:
            err?.code === 'CSV_QUOTE_NOT_CLOSED'
              ? 'a quoted field is never closed; the rest of the file was read as part of it'
              : `the line cannot be read as CSV (${err?.code ?? 'unknown error'})`,
        },
      });
      return undefined;
    },
  });
  const stream = typeof input === 'string' ? Readable.from([input]) : Readable.from(input);
  stream.on('error', (err) => parser.destroy(err));
  stream.pipe(parser);

  let header: (string | null)[] | null = null;
  for await (const item of parser as AsyncIterable<ParsedRecord>) {
    // Lines skipped before this record come out first, in file order.
    while (skipped.length > 0) yield skipped.shift() as SourceRow;
    const { record, info } = item;
    if (header === null) {
      header = readHeader(record);
      continue;
    }
    const values: Record<string, string | null> = {};
    header.forEach((name, index) => {
      if (name !== null) values[name] = record[index] ?? null;
    });
    if (record.length !== header.length) {
      yield {
        line: info.lines,
        values,
        unreadable: {
          reason: 'wrong_column_count',
          detail: `${record.length} fields where the header has ${header.length}`,
        },
      };
      continue;
    }
    yield { line: info.lines, values };
  }
  while (skipped.length > 0) yield skipped.shift() as SourceRow;
  if (header === null) throw new ImportSourceError('The CSV file is empty: it has no header line');
}

/** The column names of a header line: lower case, trimmed; null for a column without a name. */
function readHeader(record: readonly string[]): (string | null)[] {
  const names = record.map((name) => {
    const clean = name.trim().toLowerCase();
    return clean === '' ? null : clean;
  });
  const seen = new Set<string>();
  for (const name of names) {
    if (name === null) continue;
    if (seen.has(name)) throw new ImportSourceError(`The CSV header names "${name}" twice`);
    seen.add(name);
  }
  const missing = REQUIRED_LEGACY_COLUMNS.filter((column) => !seen.has(column));
  if (missing.length > 0) {
    throw new ImportSourceError(
      `The CSV header has no ${missing.join(' or ')} column (found: ${[...seen].join(', ') || 'nothing'})`,
    );
  }
  return names;
}

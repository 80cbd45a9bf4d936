import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { RejectedRow } from './legacy-row.js';

/** The header of the rejection report, in order. */
export const REJECTION_REPORT_COLUMNS = ['line', 'legacy_username', 'reason', 'detail'] as const;

/** Writes rejected rows as CSV; see createRejectionReport. */
export interface RejectionReport {
  /** Adds one row; resolves when the output can take more. */
  write(row: RejectedRow): Promise<void>;
  /** Finishes the CSV and waits until `output` has flushed it. */
  end(): Promise<void>;
}

/**
 * A CSV report of the rows an import refused (`line,legacy_username,reason,detail`), written
 * to `output` as they come. The header is written even when nothing is refused. Cells that a
 * spreadsheet would run as a formula (starting with = + - @) are prefixed with a quote.
 * @example
 * const report = createRejectionReport(createWriteStream('rejected.csv'));
 * await importLegacyAccounts({ …, onRejected: (row) => report.write(row) });
 * await report.end();
 */
export function createRejectionReport(output: Writable): RejectionReport {
  const stringifier = stringify({ header: true, columns: [...REJECTION_REPORT_COLUMNS] });
  stringifier.pipe(output);
  const finished = once(output, 'finish');
  return {
    async write(row) {
      const ok = stringifier.write([
        String(row.line),
        safeCell(row.legacyUsername),
        row.reason,
        safeCell(row.detail),
      ]);
      if (!ok) await once(stringifier, 'drain');
    },
    async end() {
      stringifier.end();
      await finished;
    },
  };
}

/** Keeps a spreadsheet from reading a cell as a formula (CSV injection). */
function safeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

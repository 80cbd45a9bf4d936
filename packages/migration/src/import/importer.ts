import type { Knex } from 'knex';
import {
  KnexAccountRepository,
  KnexAuditLog,
  transaction,
  type Clock,
  type LegacyAccountInput,
  type LegacyHashVerifier,
  type RandomSource,
} from '@porth/identity-core';
import { DEFAULT_IMPORT_BATCH_SIZE } from '../defaults.js';
import { KnexMigrationFlowRepository } from '../flow/knex-migration-flow-repository.js';
import { KnexImportRepository } from './knex-import-repository.js';
import {
  REJECTION_REASONS,
  checkLegacyRow,
  type RejectedRow,
  type RejectionReason,
  type SourceRow,
} from './legacy-row.js';

/** How far an import has got. */
export interface ImportProgress {
  /** Rows read from the source so far. */
  readonly read: number;
  /** Rows imported now (in a dry run: that would be imported). */
  readonly imported: number;
  /** Rows whose legacy username was imported by an earlier run: not an error, nothing changes. */
  readonly alreadyImported: number;
  /** Rows refused (each one reported through onRejected). */
  readonly rejected: number;
}

/** What an import did, for the summary at the end. */
export interface ImportSummary extends ImportProgress {
  /** True when nothing was written. */
  readonly dryRun: boolean;
  /** Refused rows by reason; every reason is present (0 when none). */
  readonly rejectedByReason: Readonly<Record<RejectionReason, number>>;
}

/** Options for importLegacyAccounts. */
export interface ImportOptions {
  /** Where the accounts go (a knex instance: each batch is its own transaction). */
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** The legacy rows: readLegacyCsv(…), readLegacyTable(…) or any (async) iterable of SourceRow. */
  readonly rows: AsyncIterable<SourceRow> | Iterable<SourceRow>;
  /** Check everything and count, but write nothing (default false). */
  readonly dryRun?: boolean;
  /** Rows per transaction (default 500). */
  readonly batchSize?: number;
  /** The hash formats accepted (default: every built-in verifier); pass the hasher's list. */
  readonly verifiers?: readonly LegacyHashVerifier[];
  /** Told after every batch. */
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Told about every refused row, in source order (write the rejection report here). */
  readonly onRejected?: (row: RejectedRow) => void | Promise<void>;
  /** Recorded in the audit event of the run (e.g. the file name); never a secret. */
  readonly sourceDescription?: string;
  /** Who ran the import, for the audit log. */
  readonly actorId?: string | null;
}

/**
 * Imports legacy accounts in batches, each batch one transaction (accounts in status `legacy`
 * with their legacy hash, plus their `legacy` migration records). Idempotent: a legacy username
 * already imported is counted, never changed or duplicated, so running it twice changes nothing
 * and an import killed half-way is finished by running it again. Every row is checked first
 * (see RejectionReason); a bad row is reported and never stops the good ones. One audit event
 * per completed run.
 *
 * @example
 * const report = createRejectionReport(createWriteStream('rejected.csv'));
 * const summary = await importLegacyAccounts({
 *   db, clock: systemClock, random: cryptoRandom,
 *   rows: readLegacyCsv(createReadStream('legacy.csv')),
 *   onRejected: (row) => report.write(row),
 * });
 * await report.end();
 */
export async function importLegacyAccounts(options: ImportOptions): Promise<ImportSummary> {
  const { db, clock, random } = options;
  const dryRun = options.dryRun ?? false;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_IMPORT_BATCH_SIZE));
  const byReason = Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<
    RejectionReason,
    number
  >;
  let read = 0;
  let imported = 0;
  let alreadyImported = 0;
  let rejected = 0;
  let reportedRead = -1;
  const firstLine = new Map<string, number>();
  let batch: { key: string; input: LegacyAccountInput; line: number }[] = [];

  const reject = async (row: RejectedRow) => {
    rejected += 1;
    byReason[row.reason] += 1;
    await options.onRejected?.(row);
  };
  const progress = (): ImportProgress => ({ read, imported, alreadyImported, rejected });

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    if (dryRun) {
      const existing = await new KnexImportRepository(db).findImportedKeys(rows.map((r) => r.key));
      alreadyImported += rows.filter((r) => existing.has(r.key)).length;
      imported += rows.filter((r) => !existing.has(r.key)).length;
    } else {
      const result = await transaction(db, async (trx) => {
        const outcome = await new KnexAccountRepository(trx, clock, random).insertLegacyMany(
          rows.map((r) => r.input),
        );
        await new KnexMigrationFlowRepository(trx, clock).insertLegacy(
          outcome.inserted.map((i) => i.id),
        );
        return outcome;
      });
      imported += result.inserted.length;
      for (const skip of result.skipped) {
        const row = rows[skip.index];
        if (skip.reason === 'already_imported') {
          alreadyImported += 1;
        } else {
          // The row checks mirror the repository's, so this is a safety net, not a path.
          await reject({
            line: row?.line ?? 0,
            legacyUsername: skip.legacyUsername,
            reason: skip.reason === 'duplicate_in_input' ? 'duplicate_in_source' : 'invalid_value',
            detail: skip.detail ?? skip.reason,
          });
        }
      }
    }
    reportedRead = read;
    options.onProgress?.(progress());
  };

  for await (const row of options.rows) {
    read += 1;
    const check = checkLegacyRow(row, options.verifiers);
    if (!check.ok) {
      await reject(check.rejection);
      continue;
    }
    const earlier = firstLine.get(check.key);
    if (earlier !== undefined) {
      await reject({
        line: row.line,
        legacyUsername: check.input.legacyUsername,
        reason: 'duplicate_in_source',
        detail: `the same legacy username is on line ${earlier}`,
      });
      continue;
    }
    firstLine.set(check.key, row.line);
    batch.push({ key: check.key, input: check.input, line: row.line });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  // Rows refused after the last batch (or a source with no good rows) still get reported.
  if (reportedRead !== read || read === 0) options.onProgress?.(progress());

  const summary: ImportSummary = { ...progress(), dryRun, rejectedByReason: byReason };
  if (!dryRun) {
    await new KnexAuditLog(db, clock).append({
      type: 'migration.import',
      outcome: 'success',
      actorId: options.actorId ?? null,
      details: {
        ...(options.sourceDescription ? { source: options.sourceDescription } : {}),
        read,
        imported,
        alreadyImported,
        rejected,
      },
    });
  }
  return summary;
}

import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Transform } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import type { Knex } from 'knex';
import {
  connectDatabase,
  cryptoRandom,
  systemClock,
  type Clock,
  type RandomSource,
} from '@porth/identity-core';
import {
  LEGACY_COLUMNS,
  LOCALE_COLUMN,
  REJECTION_REASONS,
  createRejectionReport,
  importLegacyAccounts,
  readLegacyCsv,
  readLegacyTable,
  type ImportProgress,
  type ImportSummary,
  type LegacyColumnMapping,
  type SourceRow,
} from '@porth/migration';
import type { CliIo } from './command-io.js';
import { withDatabase } from './db.js';

/** What `porth import legacy` was asked to do. */
export interface ImportLegacyCommand {
  /** A CSV file to read (or use fromDb + table). */
  readonly file?: string;
  /** A DATABASE_URL-style URL of the legacy database. */
  readonly fromDb?: string;
  readonly table?: string;
  /** `contract_column=source_column` pairs (database source). */
  readonly map?: readonly string[];
  /** Source columns kept as extra profile fields (database source). */
  readonly extra?: readonly string[];
  /** A unique column to page the source table by. */
  readonly key?: string;
  readonly dryRun?: boolean;
  /** Where the CSV of rejected rows goes (default: beside the input's name, in the working directory). */
  readonly report?: string;
  readonly batchSize?: number;
}

/** The clock and random source of an import (replaceable in tests). */
export interface ImportLegacyEnvironment {
  readonly clock?: Clock;
  readonly random?: RandomSource;
}

const MAPPABLE = new Set<string>([...LEGACY_COLUMNS, LOCALE_COLUMN]);

/**
 * Runs an import into `db` and prints a summary (and a progress bar when `io` is a terminal).
 * Throws when the source cannot be read at all (ImportSourceError) or the options are wrong.
 */
export async function runImportLegacy(
  db: Knex,
  command: ImportLegacyCommand,
  io: CliIo,
  environment: ImportLegacyEnvironment = {},
): Promise<ImportSummary> {
  checkCommand(command);
  const source = describeSource(command);
  const reportPath = command.report ?? defaultReportPath(command);
  // Fails early, before a report file is created, when the CSV file cannot be read.
  const fileSize = command.file ? statSync(command.file).size : 0;
  const legacyDb = command.fromDb ? connectDatabase(command.fromDb) : null;
  const reportStream = createWriteStream(reportPath);
  const report = createRejectionReport(reportStream);
  const bar = io.interactive
    ? new SingleBar(
        {
          format:
            'Importing |{bar}| {percentage}% | {read} read, {imported} imported, {alreadyImported} already there, {rejected} rejected',
          hideCursor: true,
          stream: process.stdout,
        },
        Presets.shades_classic,
      )
    : null;
  let latest: ImportProgress = zero();
  try {
    let rows: AsyncIterable<SourceRow>;
    let position: () => number;
    if (legacyDb) {
      const table = command.table ?? '';
      const [count] = (await legacyDb(table).count({ n: '*' })) as { n: number | string }[];
      bar?.start(Number(count?.n ?? 0), 0, zero());
      rows = readLegacyTable(legacyDb, {
        table,
        columns: parseMapping(command.map ?? []),
        extraColumns: command.extra ?? [],
        ...(command.key ? { keyColumn: command.key } : {}),
      });
      position = () => latest.read;
    } else {
      const file = command.file ?? '';
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      bar?.start(fileSize, 0, zero());
      rows = readLegacyCsv(createReadStream(file).pipe(counter));
      position = () => bytes;
    }
    const summary = await importLegacyAccounts({
      db,
      clock: environment.clock ?? systemClock,
      random: environment.random ?? cryptoRandom,
      rows,
      dryRun: command.dryRun ?? false,
      ...(command.batchSize ? { batchSize: command.batchSize } : {}),
      sourceDescription: source,
      onRejected: (row) => report.write(row),
      onProgress: (progress) => {
        latest = progress;
        bar?.update(position(), { ...progress });
      },
    });
    bar?.update(bar.getTotal(), { ...summary });
    bar?.stop();
    await report.end();
    io.out(formatSummary(summary, source, reportPath));
    return summary;
  } catch (err) {
    bar?.stop();
    reportStream.destroy();
    throw err;
  } finally {
    await legacyDb?.destroy();
  }
}

/** `porth import legacy FILE.csv` and `porth import legacy --from-db URL --table NAME`. */
export function registerImportLegacy(program: Command, io: CliIo): void {
  const importCommand = program
    .command('import')
    .description('Bring data from other systems into Porth.');
  importCommand
    .command('legacy')
    .description(
      'Import legacy AMP accounts from a CSV file (header: legacy_username,email,given_name,' +
        'family_name,phone,centre_number,teaching_centre,password_hash; other columns are kept as ' +
        'extra profile fields) or from a table of another database. Safe to run again: accounts ' +
        'already imported are counted and left alone.',
    )
    .argument('[file]', 'the CSV file to import')
    .option('--from-db <url>', 'read from this database instead (sqlite:… or mysql://…)')
    .option('--table <name>', 'the table (or view) to read with --from-db')
    .option(
      '--map <column=source>',
      'read a contract column from a source column, e.g. --map legacy_username=login (repeatable)',
      collect,
      [],
    )
    .option(
      '--extra <source>',
      'keep this source column as an extra profile field (repeatable)',
      collect,
      [],
    )
    .option('--key <column>', 'a unique column of the source table to read it in order by')
    .option('--dry-run', 'check and count everything, write nothing')
    .option('--report <file>', 'where to write the CSV of rows not imported')
    .option('--batch-size <n>', 'rows per transaction (default 500)', positiveInteger)
    .action(async (file: string | undefined, options: Omit<ImportLegacyCommand, 'file'>) => {
      const command: ImportLegacyCommand = { ...options, ...(file ? { file } : {}) };
      checkCommand(command);
      await withDatabase((db) => runImportLegacy(db, command, io));
    });
}

/** Refuses contradictory or incomplete options before anything is opened (Error: the CLI prints it). */
function checkCommand(command: ImportLegacyCommand): void {
  if (command.file && command.fromDb) {
    throw new Error('Give either a CSV file or --from-db, not both.');
  }
  if (!command.file && !command.fromDb) {
    throw new Error('Give a CSV file to import, or --from-db URL --table NAME.');
  }
  if (command.fromDb && !command.table) throw new Error('--from-db needs --table NAME.');
  if (
    !command.fromDb &&
    (command.table || command.map?.length || command.extra?.length || command.key)
  ) {
    throw new Error('--table, --map, --extra and --key only apply with --from-db.');
  }
  parseMapping(command.map ?? []);
}

/** Turns `column=source` pairs into a mapping; throws for an unknown contract column. */
function parseMapping(pairs: readonly string[]): LegacyColumnMapping {
  const mapping: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const column = pair.slice(0, at).trim().toLowerCase();
    const sourceColumn = pair.slice(at + 1).trim();
    if (at <= 0 || sourceColumn === '') {
      throw new Error(`--map ${pair}: write it as column=source_column.`);
    }
    if (!MAPPABLE.has(column)) {
      throw new Error(`--map ${pair}: "${column}" is not one of ${[...MAPPABLE].join(', ')}.`);
    }
    mapping[column] = sourceColumn;
  }
  return mapping as LegacyColumnMapping;
}

function describeSource(command: ImportLegacyCommand): string {
  if (command.fromDb) {
    // Never echo credentials: keep the scheme, host and database name only.
    return `${databaseName(command.fromDb)} table ${command.table ?? ''}`;
  }
  return command.file ?? '';
}

/** A database URL without its credentials. */
function databaseName(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'database';
  }
}

function defaultReportPath(command: ImportLegacyCommand): string {
  const stem = command.file
    ? basename(command.file, extname(command.file))
    : (command.table ?? 'legacy').replace(/[^\w.-]+/g, '_');
  return `${stem}.rejected.csv`;
}

function zero(): ImportProgress {
  return { read: 0, imported: 0, alreadyImported: 0, rejected: 0 };
}

/** The summary printed at the end of an import. */
export function formatSummary(summary: ImportSummary, source: string, reportPath: string): string {
  const lines: string[] = [];
  const verb = summary.dryRun ? 'would be imported' : 'imported';
  if (summary.dryRun) lines.push('Dry run: nothing was written.');
  lines.push(
    `${source}: ${summary.read} rows read, ${summary.imported} ${verb}, ` +
      `${summary.alreadyImported} already imported, ${summary.rejected} rejected.`,
  );
  const reasons = REJECTION_REASONS.filter((r) => summary.rejectedByReason[r] > 0);
  if (reasons.length > 0) {
    lines.push('Rejected rows by reason:');
    const width = Math.max(...reasons.map((r) => r.length));
    for (const reason of reasons) {
      lines.push(`  ${reason.padEnd(width)}  ${summary.rejectedByReason[reason]}`);
    }
  }
  lines.push(
    summary.rejected > 0
      ? `Rows not imported, and why: ${reportPath}`
      : `No row was rejected (report: ${reportPath}).`,
  );
  return `${lines.join('\n')}\n`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

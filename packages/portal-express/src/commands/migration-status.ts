import { InvalidArgumentError, type Command } from 'commander';
import type { Knex } from 'knex';
import { systemClock, type Clock } from '@porth/identity-core';
import {
  MIGRATION_STATES,
  readMigrationStatus,
  type MigratedAccountRow,
  type MigrationStatusReport,
  type UnreachableLegacyAccount,
} from '@porth/migration';
import type { CliIo } from './command-io.js';
import { withDatabase } from './db.js';

/** What `porth migration status` was asked for. */
export interface MigrationStatusCommand {
  /** Print the report as JSON (for machines) instead of tables. */
  readonly json?: boolean;
  /** The most accounts listed per list (default 50). */
  readonly limit?: number;
  /** Count a migrated account as stuck only after this many days without a sign-in (default 0). */
  readonly staleDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Reads the migration status of `db` and prints it as tables or JSON; returns the report. */
export async function runMigrationStatus(
  db: Knex,
  command: MigrationStatusCommand,
  io: CliIo,
  clock: Clock = systemClock,
): Promise<MigrationStatusReport> {
  const report = await readMigrationStatus(db, clock, {
    limit: command.limit ?? 50,
    staleAfterMs: (command.staleDays ?? 0) * DAY_MS,
  });
  io.out(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatMigrationStatus(report));
  return report;
}

/** `porth migration status [--json]`. */
export function registerMigrationStatus(program: Command, io: CliIo): void {
  const migration = program
    .command('migration')
    .description('Follow the migration of legacy AMP accounts.');
  migration
    .command('status')
    .description(
      'Accounts per migration state, accounts stuck after migration (never signed in; temporary ' +
        'password expired) and legacy accounts that cannot migrate by themselves (no usable email).',
    )
    .option('--json', 'print the report as JSON')
    .option('--limit <n>', 'list at most this many accounts per list (default 50)', wholeNumber)
    .option(
      '--stale-days <n>',
      'list a migrated account as never signed in only after this many days (default 0)',
      wholeNumber,
    )
    .action(async (options: MigrationStatusCommand) => {
      await withDatabase((db) => runMigrationStatus(db, options, io));
    });
}

/** The report as readable tables. */
export function formatMigrationStatus(report: MigrationStatusReport): string {
  const out: string[] = [`Migration status at ${isoMinute(report.generatedAt)} UTC`, ''];
  out.push(
    ...table(
      ['State', 'Accounts'],
      [
        ...MIGRATION_STATES.map((s) => [s, String(report.counts[s])]),
        ['total', String(report.counts.total)],
      ],
      [false, true],
    ),
  );
  out.push('');
  out.push(
    ...migratedList(
      'Migrated, never signed in (temporary password still valid)',
      report.stuck.neverSignedIn,
    ),
  );
  out.push('');
  out.push(
    ...migratedList(
      'Migrated, never signed in, temporary password expired (resend it, or use Forgotten password)',
      report.stuck.temporaryPasswordExpired,
    ),
  );
  out.push('');
  out.push(...unreachableList(report.cannotSelfMigrate));
  return `${out.join('\n')}\n`;
}

function migratedList(
  title: string,
  list: { total: number; accounts: readonly MigratedAccountRow[] },
): string[] {
  const lines = [`${title}: ${list.total}`];
  if (list.accounts.length === 0) return lines;
  lines.push(
    ...table(
      [
        'Legacy username',
        'New username',
        'Name',
        'Email',
        'Migrated',
        'Password expires',
        'Resent',
      ],
      list.accounts.map((a) => [
        a.legacyUsername ?? '',
        a.newUsername ?? '',
        name(a),
        a.email ?? '',
        a.migratedAt ? isoMinute(a.migratedAt) : '',
        a.temporaryPasswordExpiresAt ? isoMinute(a.temporaryPasswordExpiresAt) : '',
        String(a.temporaryPasswordResends),
      ]),
      [false, false, false, false, false, false, true],
    ),
  );
  if (list.total > list.accounts.length)
    lines.push(`… and ${list.total - list.accounts.length} more`);
  return lines;
}

function unreachableList(list: {
  total: number;
  accounts: readonly UnreachableLegacyAccount[];
}): string[] {
  const lines = [
    `Legacy accounts that cannot migrate by themselves (no usable email): ${list.total}`,
  ];
  if (list.accounts.length === 0) return lines;
  lines.push(
    ...table(
      ['Legacy username', 'Name', 'Email', 'Why'],
      list.accounts.map((a) => [
        a.legacyUsername ?? '',
        name(a),
        a.email ?? '',
        a.reason === 'no_email' ? 'no email' : 'malformed email',
      ]),
      [false, false, false, false],
    ),
  );
  if (list.total > list.accounts.length)
    lines.push(`… and ${list.total - list.accounts.length} more`);
  return lines;
}

function name(a: { givenName: string | null; familyName: string | null }): string {
  return [a.givenName, a.familyName].filter(Boolean).join(' ');
}

function isoMinute(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

/** Lines of a plain-text table: a header, a rule and the rows, columns padded to fit. */
function table(
  header: readonly string[],
  rows: readonly string[][],
  rightAligned: readonly boolean[],
): string[] {
  const clean = (cell: string) => cell.replace(/[\p{Cc}]/gu, ' ');
  const all = [header.map(clean), ...rows.map((r) => r.map(clean))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const pad = (widths[i] ?? 0) - [...cell].length;
        return rightAligned[i] ? ' '.repeat(pad) + cell : cell + ' '.repeat(pad);
      })
      .join('  ')
      .trimEnd();
  return [
    line(all[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...all.slice(1).map(line),
  ];
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

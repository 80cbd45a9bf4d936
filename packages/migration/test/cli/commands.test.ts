import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import {
  connectDatabase,
  createManualClock,
  cryptoRandom,
  type ManualClock,
} from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
// The CLI commands live in @porth/portal-express; they are tested here with the package they drive.
import {
  registerImportLegacy,
  runImportLegacy,
} from '../../../portal-express/src/commands/import-legacy.js';
import {
  registerMigrationStatus,
  runMigrationStatus,
} from '../../../portal-express/src/commands/migration-status.js';
import type { CliIo } from '../../../portal-express/src/commands/command-io.js';
import {
  DATABASE_LABEL,
  clearTables,
  createMigrationTestDatabase,
  migrationKit,
  rejection,
  vector,
} from '../support/migration-test-kit.js';

/** The portal's own commander (its version, not whichever one the repository root holds). */
const { Command } = createRequire(new URL('../../../portal-express/package.json', import.meta.url))(
  'commander',
) as { Command: new (name: string) => Parameters<typeof registerImportLegacy>[0] };

const FIXTURE = fileURLToPath(new URL('../fixtures/legacy-accounts.csv', import.meta.url));

function captureIo(): CliIo & { text(): string } {
  const chunks: string[] = [];
  return {
    out: (t) => {
      chunks.push(t);
    },
    err: (t) => {
      chunks.push(t);
    },
    interactive: false,
    text: () => chunks.join(''),
  };
}

describe(`porth import legacy and porth migration status (${DATABASE_LABEL})`, () => {
  let t: TestDatabase;
  let clock: ManualClock;
  let dir: string;

  before(async () => {
    t = await createMigrationTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'porth-cli-'));
  });
  after(async () => {
    await t?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await clearTables(t.db);
    clock = createManualClock(Date.UTC(2026, 10, 24, 9));
  });

  it('registers `import legacy` and `migration status` with help texts', () => {
    const program = new Command('porth');
    registerImportLegacy(program, captureIo());
    registerMigrationStatus(program, captureIo());
    const names = program.commands.flatMap((c) => c.commands.map((s) => `${c.name()} ${s.name()}`));
    expect(names).to.deep.equal(['import legacy', 'migration status']);
    const help = program.commands[0]?.commands[0]?.helpInformation() ?? '';
    for (const option of ['--from-db', '--table', '--map', '--dry-run', '--report']) {
      expect(help).to.include(option);
    }
  });

  it('imports a CSV file, prints a summary and writes the report of rejected rows', async () => {
    const io = captureIo();
    const report = join(dir, 'rejected.csv');
    const summary = await runImportLegacy(t.db, { file: FIXTURE, report }, io, {
      clock,
      random: cryptoRandom,
    });
    expect(summary).to.include({ imported: 5, rejected: 3 });
    const text = io.text();
    expect(text).to.include('8 rows read, 5 imported, 0 already imported, 3 rejected.');
    expect(text).to.match(/unknown_hash_format\s+1/);
    expect(text).to.include(report);
    const rows = parse(readFileSync(report, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.reason)).to.deep.equal([
      'unknown_hash_format',
      'malformed_email',
      'duplicate_in_source',
    ]);

    const again = captureIo();
    await runImportLegacy(t.db, { file: FIXTURE, report }, again, { clock });
    expect(again.text()).to.include('0 imported, 5 already imported');
  });

  it('says so and writes nothing in a dry run', async () => {
    const io = captureIo();
    await runImportLegacy(t.db, { file: FIXTURE, dryRun: true, report: join(dir, 'dry.csv') }, io, {
      clock,
    });
    expect(io.text()).to.include('Dry run: nothing was written.');
    expect(io.text()).to.include('5 would be imported');
    expect(await t.db('accounts').first()).to.equal(undefined);
  });

  it('imports from a table of another database through a column mapping', async () => {
    const url = `sqlite:${join(dir, 'amp.sqlite')}`;
    const amp = connectDatabase(url);
    try {
      await amp.schema.dropTableIfExists('users');
      await amp.schema.createTable('users', (table) => {
        table.integer('id').primary();
        table.string('login');
        table.string('pw');
        table.string('mail');
        table.string('payroll');
      });
      await amp('users').insert([
        {
          id: 1,
          login: 'amp.one',
          pw: vector('md5-crypt').hash,
          mail: 'one@example.org',
          payroll: 'P1',
        },
        { id: 2, login: 'amp.two', pw: 'plain', mail: 'two@example.org', payroll: 'P2' },
      ]);
    } finally {
      await amp.destroy();
    }
    const io = captureIo();
    const summary = await runImportLegacy(
      t.db,
      {
        fromDb: url,
        table: 'users',
        map: ['legacy_username=login', 'password_hash=pw', 'email=mail'],
        extra: ['payroll'],
        key: 'id',
        report: join(dir, 'users.rejected.csv'),
      },
      io,
      { clock },
    );
    expect(summary).to.include({ read: 2, imported: 1, rejected: 1 });
    expect(io.text()).to.include('table users');
    const row = await t.db('accounts').where('legacy_username', 'amp.one').first();
    expect(JSON.parse(row.profile_extra)).to.deep.equal({ payroll: 'P1' });
  });

  it('refuses contradictory or incomplete options', async () => {
    const io = captureIo();
    const cases = [
      {},
      { file: FIXTURE, fromDb: 'sqlite::memory:', table: 'x' },
      { fromDb: 'sqlite::memory:' },
      { file: FIXTURE, table: 'users' },
      { fromDb: 'sqlite::memory:', table: 'users', map: ['nonsense=x'] },
      { fromDb: 'sqlite::memory:', table: 'users', map: ['legacy_username'] },
    ];
    for (const options of cases) {
      const err = await rejection(runImportLegacy(t.db, options, io, { clock }));
      expect(err, JSON.stringify(options)).to.be.instanceOf(Error);
    }
    const missing = await rejection(
      runImportLegacy(t.db, { file: join(dir, 'missing.csv') }, io, { clock }),
    );
    expect(missing).to.have.property('code', 'ENOENT');
  });

  it('prints the migration status as tables, or as JSON for machines', async () => {
    await runImportLegacy(t.db, { file: FIXTURE, report: join(dir, 'r.csv') }, captureIo(), {
      clock,
    });
    const kit = migrationKit(t.db, clock);
    await kit.flow.migrate({
      legacyUsername: 'llyr.williams',
      password: vector('md5-crypt', 2).password,
    });

    const io = captureIo();
    await runMigrationStatus(t.db, {}, io, clock);
    const text = io.text();
    expect(text).to.match(/legacy\s+4/);
    expect(text).to.match(/migrated\s+1/);
    expect(text).to.match(/total\s+5/);
    expect(text).to.include('Migrated, never signed in (temporary password still valid): 1');
    expect(text).to.include('llyr.williams@wjec-appointees.co.uk');
    expect(text).to.include(
      'Legacy accounts that cannot migrate by themselves (no usable email): 1',
    );
    expect(text).to.match(/no\.email\s+Heledd Evans\s+no email/);

    const json = captureIo();
    await runMigrationStatus(t.db, { json: true }, json, clock);
    const report = JSON.parse(json.text()) as {
      counts: Record<string, number>;
      cannotSelfMigrate: { total: number; accounts: { legacyUsername: string }[] };
    };
    expect(report.counts).to.deep.equal({
      legacy: 4,
      migrated: 1,
      required_actions: 0,
      active: 0,
      total: 5,
    });
    expect(report.cannotSelfMigrate.accounts.map((a) => a.legacyUsername)).to.deep.equal([
      'no.email',
    ]);
  });
});

import { PassThrough, Readable } from 'node:stream';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import {
  KnexAuditLog,
  createManualClock,
  cryptoRandom,
  type ManualClock,
} from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import {
  createRejectionReport,
  importLegacyAccounts,
  readLegacyCsv,
  readLegacyTable,
  type ImportOptions,
  type ImportProgress,
  type RejectedRow,
} from '../../src/index.js';
import {
  DATABASE_LABEL,
  clearTables,
  createMigrationTestDatabase,
  rejection,
  vector,
} from '../support/migration-test-kit.js';

const HEADER =
  'legacy_username,email,given_name,family_name,phone,centre_number,teaching_centre,password_hash';
const md5 = vector('md5-crypt');
const bcrypt = vector('bcrypt');

/** A CSV of `count` good rows named user.0 … user.N-1. */
function goodRows(count: number, from = 0): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      `user.${from + i},user${from + i}@example.org,Siân,Jones${from + i},,68101,,${i % 2 ? md5.hash : bcrypt.hash}`,
  );
}

function csv(lines: readonly string[]): string {
  return `${HEADER}\n${lines.join('\n')}\n`;
}

describe(`importLegacyAccounts (${DATABASE_LABEL})`, () => {
  let t: TestDatabase;
  let clock: ManualClock;

  before(async () => {
    t = await createMigrationTestDatabase();
  });
  after(async () => {
    await t?.destroy();
  });
  beforeEach(async () => {
    await clearTables(t.db);
    clock = createManualClock(Date.UTC(2026, 10, 24, 9));
  });

  function run(text: string, options: Partial<ImportOptions> = {}) {
    const rejected: RejectedRow[] = [];
    const progress: ImportProgress[] = [];
    const summary = importLegacyAccounts({
      db: t.db,
      clock,
      random: cryptoRandom,
      rows: readLegacyCsv(Readable.from([text])),
      onRejected: (row) => {
        rejected.push(row);
      },
      onProgress: (p) => progress.push(p),
      ...options,
    });
    return { summary, rejected, progress };
  }

  async function snapshot() {
    const accounts = await t.db('accounts').orderBy('legacy_username_key').select();
    const records = await t.db('account_migrations').orderBy('account_id').select();
    return { accounts, records };
  }

  it('imports legacy accounts with their hashes, details and legacy migration records', async () => {
    const { summary } = run(
      csv([`Sian.Jones,sian@example.org,Siân,Jones,07700 900982,68101,Ysgol Gyfun,${md5.hash}`]),
    );
    expect(await summary).to.deep.include({
      read: 1,
      imported: 1,
      alreadyImported: 0,
      rejected: 0,
    });
    const row = await t.db('accounts').first();
    expect(row).to.include({
      status: 'legacy',
      legacy_username: 'Sian.Jones',
      legacy_username_key: 'sian.jones',
      password_hash: md5.hash,
      email: 'sian@example.org',
      given_name: 'Siân',
      family_name: 'Jones',
      phone: '07700 900982',
      teaching_centre: 'Ysgol Gyfun',
      username: null,
    });
    expect(JSON.parse(row.profile_extra)).to.deep.equal({ centre_number: '68101' });
    const record = await t.db('account_migrations').first();
    expect(record).to.include({ account_id: row.id, state: 'legacy' });
  });

  it('imports in batches and says how far it got after each', async () => {
    const { summary, progress } = run(csv(goodRows(25)), { batchSize: 10 });
    expect(await summary).to.include({ read: 25, imported: 25 });
    expect(progress.map((p) => p.imported)).to.deep.equal([10, 20, 25]);
    const [count] = (await t.db('accounts').count({ n: '*' })) as { n: number | string }[];
    expect(Number(count?.n)).to.equal(25);
  });

  it('changes nothing when run twice, and counts the rows already imported', async () => {
    const text = csv(goodRows(30));
    await run(text, { batchSize: 7 }).summary;
    const before = await snapshot();
    clock.advance(60_000);
    const second = await run(text, { batchSize: 7 }).summary;
    expect(second).to.include({ read: 30, imported: 0, alreadyImported: 30, rejected: 0 });
    expect(await snapshot()).to.deep.equal(before);
  });

  it('finishes a partial import without duplicates', async () => {
    await run(csv(goodRows(12))).summary;
    const second = await run(csv(goodRows(30)), { batchSize: 8 }).summary;
    expect(second).to.include({ imported: 18, alreadyImported: 12 });
    const keys = (await t.db('accounts').pluck('legacy_username_key')) as string[];
    expect(new Set(keys).size).to.equal(30);
    expect(keys).to.have.length(30);
    const [records] = (await t.db('account_migrations').count({ n: '*' })) as {
      n: number | string;
    }[];
    expect(Number(records?.n)).to.equal(30);
  });

  it('reports every bad row with its reason and never lets one stop the good ones', async () => {
    const lines = [
      ...goodRows(3),
      `,nobody@example.org,No,Name,,,,${md5.hash}`,
      `USER.1,dup@example.org,Dup,Licate,,,,${md5.hash}`,
      `odd.hash,odd@example.org,Odd,Hash,,,,{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==`,
      `broken.hash,b@example.org,Broken,Hash,,,,$2y$10$short`,
      `bad.email,not-an-email,Bad,Email,,,,${md5.hash}`,
      `long.name,l@example.org,${'N'.repeat(101)},Long,,,,${md5.hash}`,
      `too,many,fields,in,this,row,,${md5.hash},extra`,
      ...goodRows(2, 3),
    ];
    const { summary, rejected } = run(csv(lines), { batchSize: 2 });
    const done = await summary;
    expect(done).to.include({ read: 12, imported: 5, rejected: 7, alreadyImported: 0 });
    expect(rejected.map((r) => [r.line, r.legacyUsername, r.reason])).to.deep.equal([
      [5, '', 'missing_legacy_username'],
      [6, 'USER.1', 'duplicate_in_source'],
      [7, 'odd.hash', 'unknown_hash_format'],
      [8, 'broken.hash', 'malformed_hash'],
      [9, 'bad.email', 'malformed_email'],
      [10, 'long.name', 'field_too_long'],
      [11, 'too', 'wrong_column_count'],
    ]);
    expect(rejected[1]?.detail).to.equal('the same legacy username is on line 3');
    expect(done.rejectedByReason).to.include({
      malformed_email: 1,
      duplicate_in_source: 1,
      invalid_locale: 0,
    });
  });

  it('spots a duplicate even when it is in a later batch', async () => {
    const { summary, rejected } = run(csv([...goodRows(5), ...goodRows(1, 0)]), { batchSize: 2 });
    expect(await summary).to.include({ imported: 5, rejected: 1 });
    expect(rejected[0]).to.include({ line: 7, reason: 'duplicate_in_source' });
  });

  it('writes nothing in a dry run but counts what it would do', async () => {
    await run(csv(goodRows(4))).summary;
    const before = await snapshot();
    const { summary, rejected } = run(csv([...goodRows(10), 'bad,,,,,,,plain']), {
      dryRun: true,
      batchSize: 3,
    });
    expect(await summary).to.include({
      dryRun: true,
      read: 11,
      imported: 6,
      alreadyImported: 4,
      rejected: 1,
    });
    expect(rejected).to.have.length(1);
    expect(await snapshot()).to.deep.equal(before);
  });

  it('audits each completed run, but not a dry run', async () => {
    await run(csv(goodRows(2)), { sourceDescription: 'legacy.csv', actorId: null }).summary;
    await run(csv(goodRows(2)), { dryRun: true }).summary;
    const events = await new KnexAuditLog(t.db, clock).list({ type: 'migration.import' });
    expect(events).to.have.length(1);
    expect(events[0]?.details).to.deep.equal({
      source: 'legacy.csv',
      read: 2,
      imported: 2,
      alreadyImported: 0,
      rejected: 0,
    });
  });

  it('writes the rejection report as CSV', async () => {
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (c: Buffer) => chunks.push(c));
    const report = createRejectionReport(output);
    await importLegacyAccounts({
      db: t.db,
      clock,
      random: cryptoRandom,
      rows: readLegacyCsv(
        csv([...goodRows(1), `=cmd,x@example.org,,,,,,${md5.hash}`, `nohash,,,,,,,`]),
      ),
      onRejected: (row) => report.write(row),
    });
    await report.end();
    const records = parse(Buffer.concat(chunks).toString('utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    expect(records).to.deep.equal([
      {
        line: '4',
        legacy_username: 'nohash',
        reason: 'missing_password_hash',
        detail: 'password_hash is empty',
      },
    ]);
    // `=cmd` is a legal legacy username: imported, and never written as a formula anywhere.
    expect(await t.db('accounts').where('legacy_username', '=cmd').first()).to.not.equal(undefined);
  });

  it('neutralises cells a spreadsheet would run as formulas', async () => {
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (c: Buffer) => chunks.push(c));
    const report = createRejectionReport(output);
    await report.write({
      line: 2,
      legacyUsername: '=HYPERLINK("x")',
      reason: 'malformed_email',
      detail: 'd',
    });
    await report.end();
    expect(Buffer.concat(chunks).toString('utf8')).to.include(`'=HYPERLINK`);
  });

  it('refuses a source it cannot read at all before writing anything', async () => {
    const err = await rejection(run('email,given_name\nx@example.org,X\n').summary);
    expect(err).to.have.property('code', 'IMPORT_SOURCE_INVALID');
  });

  describe('from a database table', () => {
    before(async () => {
      await t.db.schema.createTable('amp_users', (table) => {
        table.integer('user_id').primary();
        table.string('login', 100);
        table.string('pw', 200);
        table.string('mail', 200).nullable();
        table.string('first', 100).nullable();
        table.string('last', 100).nullable();
        table.string('payroll', 20).nullable();
        table.string('phone', 40).nullable();
      });
    });
    after(async () => {
      await t.db.schema.dropTableIfExists('amp_users');
    });
    beforeEach(async () => {
      await t.db('amp_users').delete();
      await t.db('amp_users').insert(
        Array.from({ length: 23 }, (_, i) => ({
          user_id: 100 + i,
          login: `amp.user${i}`,
          pw: i === 5 ? 'plain' : md5.hash,
          mail: `u${i}@example.org`,
          first: 'Amp',
          last: `User${i}`,
          payroll: `P${i}`,
          phone: i === 7 ? null : '01632 960001',
        })),
      );
    });

    const mapping = {
      table: 'amp_users',
      columns: {
        legacy_username: 'login',
        password_hash: 'pw',
        email: 'mail',
        given_name: 'first',
        family_name: 'last',
      },
      extraColumns: ['payroll'],
    } as const;

    for (const keyColumn of ['user_id', undefined]) {
      it(`imports through a column mapping, paging ${keyColumn ? 'by key' : 'by offset'}`, async () => {
        const rejected: RejectedRow[] = [];
        const summary = await importLegacyAccounts({
          db: t.db,
          clock,
          random: cryptoRandom,
          rows: readLegacyTable(t.db, {
            ...mapping,
            pageSize: 4,
            ...(keyColumn ? { keyColumn } : {}),
          }),
          onRejected: (row) => {
            rejected.push(row);
          },
          batchSize: 5,
        });
        expect(summary).to.include({ read: 23, imported: 22, rejected: 1 });
        expect(rejected[0]).to.include({
          legacyUsername: 'amp.user5',
          reason: 'unknown_hash_format',
        });
        const row = await t.db('accounts').where('legacy_username', 'amp.user3').first();
        expect(row).to.include({
          email: 'u3@example.org',
          given_name: 'Amp',
          phone: '01632 960001',
        });
        expect(JSON.parse(row.profile_extra)).to.deep.equal({ payroll: 'P3' });
        expect(await t.db('accounts').where('legacy_username', 'amp.user7').first()).to.include({
          phone: null,
        });
      });
    }

    it('refuses a mapping to a column the table does not have', async () => {
      const err = await rejection(
        importLegacyAccounts({
          db: t.db,
          clock,
          random: cryptoRandom,
          rows: readLegacyTable(t.db, {
            table: 'amp_users',
            columns: { legacy_username: 'nope', password_hash: 'pw' },
          }),
        }),
      );
      expect(err).to.have.property('code', 'IMPORT_SOURCE_INVALID');
      const noHash = await rejection(
        importLegacyAccounts({
          db: t.db,
          clock,
          random: cryptoRandom,
          rows: readLegacyTable(t.db, {
            table: 'amp_users',
            columns: { legacy_username: 'login' },
          }),
        }),
      );
      expect(noHash).to.have.property('message').that.includes('password_hash');
    });
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash as bcryptHash } from 'bcryptjs';
import { expect } from 'chai';
import { KnexAccountRepository, cryptoRandom, systemClock } from '@porth/identity-core';
import { createTestDatabase, type TestDatabase } from '@porth/identity-core/testing';
import { allMigrations } from '../../packages/portal-express/src/db/migrations.js';
import { ScriptProcess } from './support/child-process.js';
import {
  countRows,
  expectMigratedOnce,
  expectNotMigrated,
  migrationFacts,
} from './support/facts.js';
import { DATABASE_LABEL } from './support/outage.js';

const MIGRATE_CHILD = fileURLToPath(new URL('./support/migrate-child.ts', import.meta.url));
const PORTH_CLI = fileURLToPath(new URL('./support/porth-cli.ts', import.meta.url));

interface LegacyLogin {
  readonly id: string;
  readonly legacyUsername: string;
  readonly password: string;
}

/** Inserts `count` legacy accounts (bcrypt hashes, as the old system kept them) named `prefix`N. */
async function insertLegacyAccounts(
  t: TestDatabase,
  prefix: string,
  count: number,
): Promise<LegacyLogin[]> {
  const accounts = new KnexAccountRepository(t.db, systemClock, cryptoRandom);
  const out: LegacyLogin[] = [];
  for (let i = 0; i < count; i++) {
    const password = `Hen-Gyfrinair-${prefix}-${i}`;
    const account = await accounts.insertLegacy({
      legacyUsername: `${prefix}${i}`,
      passwordHash: await bcryptHash(password, 4),
      email: `${prefix}${i}@example.org`,
      givenName: 'Gwyn',
      familyName: `${prefix[0]?.toUpperCase()}${prefix.slice(1)}${i}`,
      phone: null,
      teachingCentre: null,
      locale: 'en',
    });
    out.push({ id: account.id, legacyUsername: `${prefix}${i}`, password });
  }
  return out;
}

describe(`a migration process killed half-way (${DATABASE_LABEL})`, function () {
  this.timeout(180_000);
  let t: TestDatabase;
  let dir: string;

  before(async () => {
    t = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
    dir = mkdtempSync(join(tmpdir(), 'porth-migrate-kill-'));
  });
  after(async () => {
    await t?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function migrateInChild(accounts: readonly LegacyLogin[], pauseAt?: string): ScriptProcess {
    const file = join(dir, `accounts-${Date.now()}-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(accounts));
    return new ScriptProcess(MIGRATE_CHILD, pauseAt ? [file, pauseAt] : [file], {
      NODE_ENV: 'test',
      DATABASE_URL: t.url,
    });
  }

  /** Every account is either migrated exactly once, whole, or not touched at all. */
  async function expectWholeOrUntouched(accounts: readonly LegacyLogin[]): Promise<number> {
    let migrated = 0;
    for (const account of accounts) {
      const facts = await migrationFacts(t.db, account.id);
      if (facts.status === 'legacy') expectNotMigrated(facts, account.legacyUsername);
      else {
        expectMigratedOnce(facts, account.legacyUsername);
        migrated++;
      }
    }
    return migrated;
  }

  it('leaves the account it was killed in untouched (nothing half-migrated), and a re-run migrates every account once', async () => {
    const accounts = await insertLegacyAccounts(t, 'killed', 6);
    const victim = accounts[3] as LegacyLogin;
    const child = migrateInChild(accounts, victim.legacyUsername);
    await child.waitForLine(new RegExp(`^paused ${victim.legacyUsername}$`));
    // Killed inside the transaction: the username, password, required actions and migration
    // record of the fourth account are written, not committed; its email not yet queued.
    await child.kill('SIGKILL');
    expect(child.lines.filter((l) => l.startsWith('migrated '))).to.deep.equal(
      accounts.slice(0, 3).map((a) => `migrated ${a.legacyUsername} migrated`),
    );
    for (const account of accounts.slice(0, 3)) {
      expectMigratedOnce(await migrationFacts(t.db, account.id), account.legacyUsername);
    }
    for (const account of accounts.slice(3)) {
      expectNotMigrated(await migrationFacts(t.db, account.id), account.legacyUsername);
    }

    const again = migrateInChild(accounts);
    expect(await again.exited, again.stderr).to.deep.equal({ code: 0, signal: null });
    expect(again.lines).to.deep.equal([
      ...accounts.slice(0, 3).map((a) => `migrated ${a.legacyUsername} already_migrated`),
      ...accounts.slice(3).map((a) => `migrated ${a.legacyUsername} migrated`),
      'done',
    ]);
    expect(await expectWholeOrUntouched(accounts)).to.equal(accounts.length);
  });

  it('is consistent wherever it is killed, and a re-run finishes the job', async () => {
    const accounts = await insertLegacyAccounts(t, 'random', 12);
    for (let round = 0; round < 3; round++) {
      const child = migrateInChild(accounts);
      // Killed after one to four accounts and a little way into the next, at another point each
      // time; counted in accounts, not time, so that work is left whatever the machine's speed
      // (each run goes through the accounts already migrated first).
      await child.waitForLines(/^migrated /, 1 + Math.floor(Math.random() * 4));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      await child.kill('SIGKILL');
      expect(child.lines, 'killed while it was still migrating').to.not.include('done');
      await expectWholeOrUntouched(accounts);
    }
    const last = migrateInChild(accounts);
    expect(await last.exited, last.stderr).to.deep.equal({ code: 0, signal: null });
    expect(await expectWholeOrUntouched(accounts)).to.equal(accounts.length);
    const ids = accounts.map((a) => a.id);
    const [mails] = (await t
      .db('outbox_messages')
      .whereIn('account_id', ids)
      .count({ n: '*' })) as { n: number | string }[];
    expect(Number(mails?.n), 'one temporary password each').to.equal(accounts.length);
  });
});

describe(`porth import legacy killed half-way (${DATABASE_LABEL})`, function () {
  this.timeout(180_000);
  const ROWS = 10_000;
  const BATCH = 100;
  let t: TestDatabase;
  let dir: string;
  let file: string;

  before(async () => {
    t = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
    dir = mkdtempSync(join(tmpdir(), 'porth-cli-kill-'));
    file = join(dir, 'legacy.csv');
    // An MD5-crypt hash ("password" with salt "saltsalt"), one of the formats legacy AMP used.
    const hash = '$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/';
    const lines = ['legacy_username,email,given_name,family_name,password_hash'];
    for (let i = 0; i < ROWS; i++)
      lines.push(`cli.user${i},c${i}@example.org,Cli,User${i},${hash}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
  });
  after(async () => {
    await t?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function porth(...args: string[]): ScriptProcess {
    return new ScriptProcess(PORTH_CLI, args, { NODE_ENV: 'test', DATABASE_URL: t.url });
  }

  it('leaves only whole batches behind, and the same command run again imports the rest once', async () => {
    const report = join(dir, 'rejected.csv');
    const child = porth(
      'import',
      'legacy',
      file,
      '--batch-size',
      String(BATCH),
      '--report',
      report,
    );
    // Killed once some batches are in, at whatever point of a batch it has then reached.
    for (;;) {
      if ((await countRows(t.db, 'accounts')) >= 1_000) break;
      if (!child.alive) throw new Error(`the import ended before it was killed:\n${child.stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await child.kill('SIGKILL');
    expect((await child.exited).signal).to.equal('SIGKILL');

    const afterKill = await countRows(t.db, 'accounts');
    expect(afterKill, 'the kill came before the end').to.be.below(ROWS);
    expect(afterKill % BATCH, 'every committed batch is whole').to.equal(0);
    expect(await countRows(t.db, 'account_migrations', { state: 'legacy' })).to.equal(afterKill);
    expect(
      await countRows(t.db, 'audit_events', { type: 'migration.import' }),
      'no run finished',
    ).to.equal(0);

    const again = porth(
      'import',
      'legacy',
      file,
      '--batch-size',
      String(BATCH),
      '--report',
      report,
    );
    expect(await again.exited, again.stderr).to.deep.equal({ code: 0, signal: null });
    expect(again.lines.join('\n')).to.contain(
      `${ROWS} rows read, ${ROWS - afterKill} imported, ${afterKill} already imported, 0 rejected.`,
    );
    expect(await countRows(t.db, 'accounts')).to.equal(ROWS);
    expect(await countRows(t.db, 'account_migrations', { state: 'legacy' })).to.equal(ROWS);
    const [distinct] = (await t.db('accounts').countDistinct({ n: 'legacy_username_key' })) as {
      n: number | string;
    }[];
    expect(Number(distinct?.n)).to.equal(ROWS);
    expect(await countRows(t.db, 'audit_events', { type: 'migration.import' })).to.equal(1);
  });
});

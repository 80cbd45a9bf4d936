import { expect } from 'chai';
import type { Knex } from 'knex';
import { KnexAuditLog, createManualClock, type ManualClock } from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import type { MigrationResult } from '../../src/index.js';
import {
  DATABASE_LABEL,
  clearTables,
  createMigrationTestDatabase,
  migrationKit,
  outboxMessages,
  seedLegacy,
  vector,
  type MigrationKit,
} from '../support/migration-test-kit.js';

// bcrypt at cost 5 (made by htpasswd): quick enough to verify 50 times at once.
const bcrypt = vector('bcrypt');

describe(`MigrationFlow: concurrent submissions (${DATABASE_LABEL})`, function () {
  this.timeout(120_000);
  let t: TestDatabase;
  let clock: ManualClock;
  let kits: MigrationKit[];

  before(async () => {
    t = await createMigrationTestDatabase();
  });
  after(async () => {
    await t?.destroy();
  });
  beforeEach(async () => {
    await clearTables(t.db);
    clock = createManualClock(Date.UTC(2026, 10, 24, 9));
    // On MariaDB the requests run over three independent connection pools, as three portal
    // processes would. better-sqlite3 waits for a lock synchronously, which would stall every
    // pool of this one process, so on SQLite they share the one connection (SQLite has one
    // writer at a time either way).
    const pools: Knex[] =
      t.dialect === 'mysql' ? [t.db, t.connectAgain(), t.connectAgain()] : [t.db];
    kits = pools.map((db) => migrationKit(db, clock));
  });

  it('migrates one account exactly once for 50 concurrent correct submissions', async () => {
    const account = await seedLegacy(t.db, clock, {
      legacyUsername: 'sian.jones',
      passwordHash: bcrypt.hash,
    });
    const results: MigrationResult[] = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (kits[i % kits.length] as MigrationKit).flow.migrate({
          legacyUsername: 'sian.jones',
          password: bcrypt.password,
          ip: `192.0.2.${i}`,
        }),
      ),
    );

    const outcomes = results.map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'migrated')).to.have.length(1);
    expect(outcomes.filter((o) => o === 'already_migrated')).to.have.length(49);
    const usernames = new Set(
      results.map((r) => ('newUsername' in r ? r.newUsername : `(${r.outcome})`)),
    );
    expect([...usernames]).to.deep.equal(['sian.jones@wjec-appointees.co.uk']);

    const [row] = (await t
      .db('accounts')
      .where('username_key', 'like', 'sian.jones%')
      .count({ n: '*' })) as { n: number | string }[];
    expect(Number(row?.n)).to.equal(1);
    expect(await (kits[0] as MigrationKit).accounts.findById(account.id)).to.include({
      status: 'active',
      username: 'sian.jones@wjec-appointees.co.uk',
    });
    expect(await outboxMessages((kits[0] as MigrationKit).outbox)).to.have.length(1);
    const audit = new KnexAuditLog(t.db, clock);
    expect(await audit.list({ type: 'account.migrated' })).to.have.length(1);
    expect(await audit.list({ type: 'migration.username_shown' })).to.have.length(49);
    expect(await (kits[0] as MigrationKit).records.find(account.id)).to.include({
      state: 'migrated',
      version: 2,
    });
  });

  it('gives two legacy accounts of the same name two usernames when they migrate at once', async () => {
    const pairs = await Promise.all(
      ['sian.jones', 'sian.jones.1999'].map((legacyUsername) =>
        seedLegacy(t.db, clock, { legacyUsername, passwordHash: bcrypt.hash }),
      ),
    );
    const results = await Promise.all(
      ['sian.jones', 'sian.jones.1999'].flatMap((legacyUsername, i) =>
        Array.from({ length: 5 }, (_, j) =>
          (kits[(i + j) % kits.length] as MigrationKit).flow.migrate({
            legacyUsername,
            password: bcrypt.password,
          }),
        ),
      ),
    );
    expect(results.filter((r) => r.outcome === 'migrated')).to.have.length(2);
    const usernames = await Promise.all(
      pairs.map(async (a) => (await (kits[0] as MigrationKit).accounts.findById(a.id))?.username),
    );
    expect([...usernames].sort()).to.deep.equal([
      'sian.jones2@wjec-appointees.co.uk',
      'sian.jones@wjec-appointees.co.uk',
    ]);
    expect(await outboxMessages((kits[0] as MigrationKit).outbox)).to.have.length(2);
  });
});

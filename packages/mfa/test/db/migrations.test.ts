import { expect } from 'chai';
import {
  identityCoreMigrations,
  migrateToLatest,
  pendingMigrations,
  rollbackAll,
} from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import { mfaMigrations } from '../../src/index.js';
import { defined, DATABASE, createMfaTestDatabase } from '../support/fixtures.js';

const ALL = [...identityCoreMigrations, ...mfaMigrations];

describe(`mfa migrations (${DATABASE})`, () => {
  let t: TestDatabase;
  before(async () => {
    t = await createMfaTestDatabase();
  });
  after(async () => {
    await t?.destroy();
  });

  it('sort after the identity-core migration that creates accounts, and leave nothing pending', async () => {
    expect(mfaMigrations.map((m) => m.name)).to.deep.equal(['20261124T0100_mfa']);
    // Its foreign keys need `accounts`; later identity-core migrations may sort either side.
    expect(defined(mfaMigrations[0]).name > defined(identityCoreMigrations[0]).name).to.equal(true);
    expect(await pendingMigrations(t.db, ALL)).to.deep.equal([]);
  });

  it('create tables that compare byte for byte on MySQL/MariaDB, as on SQLite', async function () {
    if (t.dialect !== 'mysql') this.skip();
    const rows = (await t
      .db('information_schema.tables')
      .where('table_schema', t.db.raw('DATABASE()'))
      .whereIn('table_name', [
        'mfa_accounts',
        'mfa_factors',
        'mfa_challenges',
        'mfa_recovery_codes',
      ])
      .select({ collation: 'table_collation' })) as { collation: string }[];
    expect(rows.map((r) => r.collation)).to.deep.equal(Array(4).fill('utf8mb4_bin'));
  });

  it('roll back and forward again', async () => {
    const other = await createMfaTestDatabase();
    try {
      await rollbackAll(other.db, ALL);
      expect(await pendingMigrations(other.db, ALL)).to.have.length(ALL.length);
      await migrateToLatest(other.db, ALL);
      expect(await pendingMigrations(other.db, ALL)).to.deep.equal([]);
    } finally {
      await other.destroy();
    }
  });
});

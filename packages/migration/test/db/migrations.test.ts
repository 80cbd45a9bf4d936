import { expect } from 'chai';
import {
  identityCoreMigrations,
  pendingMigrations,
  rollbackAll,
  migrateToLatest,
} from '@porth/identity-core';
import { createTestDatabase, type TestDatabase } from '@porth/identity-core/testing';
import { migrationMigrations } from '../../src/index.js';
import { DATABASE_LABEL } from '../support/migration-test-kit.js';

describe(`migration schema (${DATABASE_LABEL})`, () => {
  const all = [...identityCoreMigrations, ...migrationMigrations];
  let t: TestDatabase;

  before(async () => {
    t = await createTestDatabase(all, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });

  it('names its migrations to sort after the identity-core migration that creates accounts', () => {
    const names = migrationMigrations.map((m) => m.name);
    expect(names).to.deep.equal(['20261124T0200_migration']);
    // Its foreign keys need `accounts`; later identity-core migrations may sort either side.
    expect(names[0] > (identityCoreMigrations[0]?.name ?? '')).to.equal(true);
  });

  it('creates its tables and leaves nothing pending', async () => {
    expect(await pendingMigrations(t.db, all)).to.deep.equal([]);
    expect(await t.db.schema.hasTable('account_migrations')).to.equal(true);
    expect(await t.db.schema.hasTable('legacy_credentials')).to.equal(true);
  });

  it('rolls back and applies again', async () => {
    await rollbackAll(t.db, all);
    expect(await t.db.schema.hasTable('account_migrations')).to.equal(false);
    expect(await t.db.schema.hasTable('legacy_credentials')).to.equal(false);
    expect(await migrateToLatest(t.db, all)).to.include('20261124T0200_migration');
  });

  it('removes an account’s migration rows with the account', async () => {
    await t
      .db('accounts')
      .insert({ id: 'x1', kind: 'appointee', status: 'legacy', created_at: 1, updated_at: 1 });
    await t
      .db('account_migrations')
      .insert({ account_id: 'x1', state: 'legacy', created_at: 1, updated_at: 1 });
    await t
      .db('legacy_credentials')
      .insert({ account_id: 'x1', password_hash: '$1$a$b', created_at: 1, updated_at: 1 });
    await t.db('accounts').where({ id: 'x1' }).delete();
    expect(await t.db('account_migrations').where({ account_id: 'x1' }).first()).to.equal(
      undefined,
    );
    expect(await t.db('legacy_credentials').where({ account_id: 'x1' }).first()).to.equal(
      undefined,
    );
  });
});

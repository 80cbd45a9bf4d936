import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';
import { identityCoreMigrations } from '../src/db/migrations/index.js';
import { pendingMigrations, rollbackAll, migrateToLatest } from '../src/db/migrate.js';
import { transaction } from '../src/db/transaction.js';
import { isUniqueViolation } from '../src/db/errors.js';
import { parseDatabaseUrl } from '../src/db/connect.js';

describe(`database (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });

  it('applies every migration and leaves none pending', async () => {
    expect(await pendingMigrations(t.db, identityCoreMigrations)).to.deep.equal([]);
    expect(await migrateToLatest(t.db, identityCoreMigrations)).to.deep.equal([]);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const row = (id: string) => ({
      id,
      kind: 'appointee',
      status: 'active',
      created_at: 1,
      updated_at: 1,
    });
    await transaction(t.db, async (trx) => {
      await trx('accounts').insert(row('a1'));
    });
    await transaction(t.db, async (trx) => {
      await trx('accounts').insert(row('a2'));
      throw new Error('stop');
    }).catch(() => undefined);
    const ids = await t.db('accounts').whereIn('id', ['a1', 'a2']).pluck('id');
    expect(ids).to.deep.equal(['a1']);
  });

  it('compares keys byte for byte, as SQLite does', async () => {
    const row = (id: string, key: string) => ({
      id,
      kind: 'appointee',
      status: 'active',
      username_key: key,
      created_at: 1,
      updated_at: 1,
    });
    await t.db('accounts').insert(row('c1', 'sian.jones@example.org'));
    // An accent- or case-insensitive collation would call these duplicates.
    await t.db('accounts').insert(row('c2', 'siân.jones@example.org'));
    await t.db('accounts').insert(row('c3', 'SIAN.jones@example.org'));
    const err = await t
      .db('accounts')
      .insert(row('c4', 'sian.jones@example.org'))
      .catch((e) => e);
    expect(isUniqueViolation(err)).to.equal(true);
  });

  it('stores emoji and Welsh letters unchanged', async () => {
    await t.db('accounts').insert({
      id: 'w1',
      kind: 'appointee',
      status: 'active',
      given_name: 'Llŷr 🐉',
      created_at: 1,
      updated_at: 1,
    });
    const row = await t.db('accounts').where({ id: 'w1' }).first();
    expect(row.given_name).to.equal('Llŷr 🐉');
  });

  it('rolls every migration back and forward again', async () => {
    const other = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
    try {
      await rollbackAll(other.db, identityCoreMigrations);
      expect(await pendingMigrations(other.db, identityCoreMigrations)).to.have.length(
        identityCoreMigrations.length,
      );
      await migrateToLatest(other.db, identityCoreMigrations);
      expect(await pendingMigrations(other.db, identityCoreMigrations)).to.deep.equal([]);
    } finally {
      await other.destroy();
    }
  });
});

describe('parseDatabaseUrl', () => {
  it('reads SQLite paths relative to a base directory', () => {
    expect(parseDatabaseUrl('sqlite:./data/porth.sqlite', '/srv')).to.deep.equal({
      dialect: 'sqlite',
      filename: '/srv/data/porth.sqlite',
    });
  });
  it('reads a MySQL URL with an escaped password', () => {
    expect(parseDatabaseUrl('mysql://u:p%40ss@db.internal:3307/porth')).to.deep.equal({
      dialect: 'mysql',
      host: 'db.internal',
      port: 3307,
      user: 'u',
      password: 'p@ss',
      database: 'porth',
    });
  });
  it('names the setting when the scheme is unsupported', () => {
    expect(() => parseDatabaseUrl('postgres://x/y')).to.throw(/DATABASE_URL.*unsupported scheme/);
  });
});

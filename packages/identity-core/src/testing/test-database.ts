import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { connectDatabase, parseDatabaseUrl, type DatabaseDialect } from '../db/connect.js';
import { migrateToLatest, type Migration } from '../db/migrate.js';

/** A throw-away, migrated database for one test suite. */
export interface TestDatabase {
  readonly db: Knex;
  readonly dialect: DatabaseDialect;
  /** A DATABASE_URL that reaches this same database (for child processes). */
  readonly url: string;
  /** Opens another, independent connection pool to the same database. */
  connectAgain(): Knex;
  /** Closes every pool and removes the database. */
  destroy(): Promise<void>;
}

/**
 * Creates a fresh database for a test suite and applies `migrations`. With no `baseUrl` (or a
 * `sqlite:` one) it is a new SQLite file in a temporary directory; with `mysql://…` it is a new
 * database beside the named one on that server, dropped again by destroy().
 */
export async function createTestDatabase(
  migrations: readonly Migration[],
  baseUrl?: string,
): Promise<TestDatabase> {
  const extra: Knex[] = [];
  const suffix = randomBytes(6).toString('hex');
  if (!baseUrl || baseUrl.startsWith('sqlite:')) {
    const dir = mkdtempSync(join(tmpdir(), 'porth-test-'));
    const url = `sqlite:${join(dir, 'test.sqlite')}`;
    const db = connectDatabase(url);
    await migrateToLatest(db, migrations);
    return {
      db,
      dialect: 'sqlite',
      url,
      connectAgain() {
        const another = connectDatabase(url);
        extra.push(another);
        return another;
      },
      async destroy() {
        await Promise.all([db, ...extra].map((k) => k.destroy()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const target = parseDatabaseUrl(baseUrl);
  if (target.dialect !== 'mysql') throw new Error('unreachable');
  const name = `${target.database}_t_${suffix}`;
  const admin = connectDatabase(baseUrl, { poolMax: 1 });
  try {
    await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [name]);
  } finally {
    await admin.destroy();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const db = connectDatabase(url.toString());
  await migrateToLatest(db, migrations);
  return {
    db,
    dialect: 'mysql',
    url: url.toString(),
    connectAgain() {
      const another = connectDatabase(url.toString());
      extra.push(another);
      return another;
    },
    async destroy() {
      await Promise.all([db, ...extra].map((k) => k.destroy()));
      const cleanup = connectDatabase(baseUrl, { poolMax: 1 });
      try {
        await cleanup.raw('DROP DATABASE IF EXISTS ??', [name]);
      } finally {
        await cleanup.destroy();
      }
    },
  };
}

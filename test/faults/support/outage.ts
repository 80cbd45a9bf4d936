/**
 * A database that a fault test can take away from a running portal and give back.
 *
 * - MariaDB/MySQL runs (DATABASE_URL=mysql://…): a private MariaDB server (private-mariadb.ts),
 *   shut down and started again, or killed outright. The shared server on port 3306 is never
 *   touched.
 * - SQLite runs: the database file's directory is moved away and the portal's pool is closed and
 *   reopened, so every new connection fails as it would on a lost disk (SQLITE_CANTOPEN); the
 *   directory is moved back to end the outage. The portal's own knex instance is kept: nothing
 *   is restarted.
 */
import { renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Knex } from 'knex';
import { parseDatabaseUrl } from '@porth/identity-core';
import { createTestDatabase, type TestDatabase } from '@porth/identity-core/testing';
import { allMigrations } from '../../../packages/portal-express/src/db/migrations.js';
import { PrivateMariaDb, privateMariaDbUnavailableReason } from './private-mariadb.js';

/** True when this run is on MariaDB/MySQL (DATABASE_URL=mysql://…), false on SQLite. */
export const ON_MARIADB = Boolean(process.env.DATABASE_URL?.startsWith('mysql'));

/** The dialect of this run, for test titles. */
export const DATABASE_LABEL = ON_MARIADB ? 'MariaDB' : 'SQLite';

/** Why outage tests cannot run here (null when they can). */
export function outageUnavailableReason(): string | null {
  return ON_MARIADB ? privateMariaDbUnavailableReason() : null;
}

/** A fresh, migrated test database that can be stopped and started under a running portal. */
export interface OutageDatabase {
  readonly database: TestDatabase;
  /** The private server (MariaDB runs only), for crash tests. */
  readonly mariadb: PrivateMariaDb | null;
  /** Takes the database away from `db` (the portal's pool): every query now fails to connect. */
  stop(db: Knex): Promise<void>;
  /** Gives it back; the portal's pool reconnects by itself. */
  start(db: Knex): Promise<void>;
  /** Removes the test database (and the private server). */
  destroy(): Promise<void>;
}

/** Creates the database for an outage test, on the dialect of this run. */
export async function createOutageDatabase(): Promise<OutageDatabase> {
  if (ON_MARIADB) {
    const mariadb = await PrivateMariaDb.create();
    let database: TestDatabase;
    try {
      database = await createTestDatabase(allMigrations, mariadb.url);
    } catch (err) {
      await mariadb.destroy();
      throw err;
    }
    return {
      database,
      mariadb,
      stop: () => mariadb.stop(),
      start: () => mariadb.start(),
      async destroy() {
        // The whole server goes: its pools are closed, and its directory removed even when
        // the server cannot be brought back to drop the database first.
        try {
          if (!mariadb.running) await mariadb.start();
          await database.destroy();
        } catch {
          await database.db.destroy();
        } finally {
          await mariadb.destroy();
        }
      },
    };
  }
  const database = await createTestDatabase(allMigrations);
  const target = parseDatabaseUrl(database.url);
  if (target.dialect !== 'sqlite') throw new Error('expected a SQLite test database');
  const dir = dirname(target.filename);
  const away = `${dir}.away`;
  let stopped = false;
  return {
    database,
    mariadb: null,
    async stop(db) {
      // Close the test's own pool and the portal's (SQLite checkpoints and closes cleanly),
      // take the directory away, and reopen the portal's pool: it now cannot open the file.
      await database.db.destroy();
      await db.destroy();
      renameSync(dir, away);
      stopped = true;
      db.initialize();
      database.db.initialize();
    },
    async start() {
      renameSync(away, dir);
      stopped = false;
    },
    async destroy() {
      if (stopped) renameSync(away, dir);
      await database.destroy();
    },
  };
}

/**
 * Collects what console.log, console.warn and console.error print (knex's "Acquire connection
 * error", the mail dispatcher's retries …) while a database is deliberately away, instead of
 * flooding the test output (mocha's reporter keeps its own reference to console.log);
 * `restore()` puts the console back and returns what was printed.
 */
export function muteConsole(): { restore(): string[] } {
  const printed: string[] = [];
  const { log, warn, error } = console;
  const keep = (...args: unknown[]) => {
    printed.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  console.log = keep;
  console.warn = keep;
  console.error = keep;
  return {
    restore() {
      console.log = log;
      console.warn = warn;
      console.error = error;
      return printed;
    },
  };
}

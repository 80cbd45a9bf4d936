import type { Command } from 'commander';
import { connectDatabase, migrateToLatest, pendingMigrations } from '@porth/identity-core';
import type { Knex } from 'knex';
import { loadPortalConfig } from '../config.js';
import { allMigrations } from '../db/migrations.js';
import { PendingMigrationsError } from '../server.js';
import type { CliIo } from './command-io.js';

/**
 * Opens DATABASE_URL from the environment, runs `work`, and always closes the connection.
 * Unless `schema: 'any'`, a database with migrations still to apply is refused with the
 * command that fixes it, instead of failing later on a missing table.
 */
export async function withDatabase<T>(
  work: (db: Knex) => Promise<T>,
  options: { schema?: 'current' | 'any' } = {},
): Promise<T> {
  const config = loadPortalConfig();
  const db = connectDatabase(config.databaseUrl);
  try {
    if (options.schema !== 'any') {
      const pending = await pendingMigrations(db, allMigrations);
      if (pending.length > 0) throw new PendingMigrationsError(pending);
    }
    return await work(db);
  } finally {
    await db.destroy();
  }
}

/** `porth db migrate|status`. */
export function registerDb(program: Command, io: CliIo): void {
  const db = program.command('db').description('Database schema commands.');
  db.command('migrate')
    .description('Apply every pending migration to DATABASE_URL.')
    .action(async () => {
      const applied = await withDatabase((knex) => migrateToLatest(knex, allMigrations), {
        schema: 'any',
      });
      io.out(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
    });
  db.command('status')
    .description('List migrations not yet applied to DATABASE_URL.')
    .action(async () => {
      const pending = await withDatabase((knex) => pendingMigrations(knex, allMigrations), {
        schema: 'any',
      });
      io.out(pending.length ? `Pending: ${pending.join(', ')}\n` : 'The database is up to date.\n');
    });
}

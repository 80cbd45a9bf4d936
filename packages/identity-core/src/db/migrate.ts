import type { Knex } from 'knex';

/** One schema change, written once for SQLite and MySQL/MariaDB. */
export interface Migration {
  /** Sortable unique name, e.g. `20261123T0000_identity_core`. */
  readonly name: string;
  /** Applies the change. */
  up(db: Knex): Promise<void>;
  /** Reverts the change. */
  down(db: Knex): Promise<void>;
}

/** The table that records which migrations have run. */
export const MIGRATIONS_TABLE = 'porth_migrations';

/** A knex migration source over in-code migrations from one or more packages, sorted by name. */
export function migrationSource(migrations: readonly Migration[]): Knex.MigrationSource<Migration> {
  const sorted = [...migrations].sort((a, b) => a.name.localeCompare(b.name));
  const names = new Set<string>();
  for (const m of sorted) {
    if (names.has(m.name)) throw new Error(`Two migrations are named ${m.name}`);
    names.add(m.name);
  }
  return {
    getMigrations: async () => sorted,
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: (db: Knex) => m.up(db), down: (db: Knex) => m.down(db) }),
  };
}

/** Applies every pending migration (safe to run from several processes at once); returns their names. */
export async function migrateToLatest(
  db: Knex,
  migrations: readonly Migration[],
): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({
    migrationSource: migrationSource(migrations),
    tableName: MIGRATIONS_TABLE,
  })) as [number, string[]];
  return applied;
}

/** Lists migrations not yet applied. */
export async function pendingMigrations(
  db: Knex,
  migrations: readonly Migration[],
): Promise<string[]> {
  const [, pending] = (await db.migrate.list({
    migrationSource: migrationSource(migrations),
    tableName: MIGRATIONS_TABLE,
  })) as [unknown[], Migration[]];
  return pending.map((m) => m.name);
}

/** Reverts every applied migration, newest first (tests and development only). */
export async function rollbackAll(db: Knex, migrations: readonly Migration[]): Promise<void> {
  await db.migrate.rollback(
    { migrationSource: migrationSource(migrations), tableName: MIGRATIONS_TABLE },
    true,
  );
}

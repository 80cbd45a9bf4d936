import type { Knex } from 'knex';
import { dialectOf } from './connect.js';

/**
 * Creates a table the same way on both databases. On MySQL/MariaDB the table is utf8mb4 with a
 * binary collation, so comparisons match SQLite's: Porth normalises keys itself and never relies
 * on a case- or accent-insensitive collation.
 */
export async function createTable(
  db: Knex,
  name: string,
  build: (table: Knex.CreateTableBuilder) => void,
): Promise<void> {
  const mysql = dialectOf(db) === 'mysql';
  await db.schema.createTable(name, (table) => {
    if (mysql) {
      table.engine('InnoDB');
      table.charset('utf8mb4');
      table.collate('utf8mb4_bin');
    }
    build(table);
  });
}

/** Adds a long text column: TEXT on SQLite, MEDIUMTEXT (16 MB) on MySQL/MariaDB. */
export function longText(table: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return table.text(name, 'mediumtext');
}

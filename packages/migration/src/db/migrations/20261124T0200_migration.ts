import type { Knex } from 'knex';
import { createTable, type Migration } from '@porth/identity-core';

/**
 * Where each legacy account's migration stands (`account_migrations`) and the legacy password
 * hash kept after migration only to show the new username again (`legacy_credentials`).
 * Times are UTC epoch milliseconds in BIGINT columns, as in @porth/identity-core.
 */
export const createMigrationTables: Migration = {
  name: '20261124T0200_migration',
  async up(db: Knex) {
    await createTable(db, 'account_migrations', (t) => {
      t.string('account_id', 32).primary().references('accounts.id').onDelete('CASCADE');
      t.string('state', 20).notNullable();
      t.integer('version').notNullable().defaultTo(1);
      t.bigInteger('migrated_at').nullable();
      t.bigInteger('temporary_password_sent_at').nullable();
      t.bigInteger('temporary_password_expires_at').nullable();
      t.integer('temporary_password_resends').notNullable().defaultTo(0);
      t.bigInteger('first_sign_in_at').nullable();
      t.bigInteger('completed_at').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.index(['state', 'temporary_password_expires_at']);
    });

    await createTable(db, 'legacy_credentials', (t) => {
      t.string('account_id', 32).primary().references('accounts.id').onDelete('CASCADE');
      t.string('password_hash', 512).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('legacy_credentials');
    await db.schema.dropTableIfExists('account_migrations');
  },
};

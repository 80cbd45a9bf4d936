import type { Knex } from 'knex';
import type { Migration } from '../migrate.js';
import { createTable, longText } from '../schema-helpers.js';

/**
 * Accounts, required actions, one-time tokens, audit log, throttling, mail outbox and flows.
 * Times are UTC epoch milliseconds in BIGINT columns, identical on SQLite and MySQL/MariaDB.
 */
export const createIdentityCore: Migration = {
  name: '20261123T0000_identity_core',
  async up(db: Knex) {
    await createTable(db, 'accounts', (t) => {
      t.string('id', 32).primary();
      t.string('kind', 20).notNullable();
      t.string('status', 20).notNullable();
      t.string('username', 255).nullable();
      t.string('username_key', 255).nullable().unique();
      t.string('legacy_username', 255).nullable();
      t.string('legacy_username_key', 255).nullable().unique();
      t.string('email', 254).nullable();
      t.string('email_key', 254).nullable().index();
      t.boolean('email_verified').notNullable().defaultTo(false);
      t.string('given_name', 100).nullable();
      t.string('family_name', 100).nullable();
      t.string('phone', 32).nullable();
      t.string('teaching_centre', 200).nullable();
      t.string('locale', 5).notNullable().defaultTo('en');
      t.string('password_hash', 512).nullable();
      t.boolean('password_temporary').notNullable().defaultTo(false);
      t.bigInteger('password_expires_at').nullable();
      t.bigInteger('password_changed_at').nullable();
      t.text('profile_extra').nullable();
      t.bigInteger('last_sign_in_at').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('deleted_at').nullable();
      t.integer('version').notNullable().defaultTo(1);
      t.index(['status', 'kind']);
    });

    await createTable(db, 'account_required_actions', (t) => {
      t.string('account_id', 32).notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('action', 32).notNullable();
      t.bigInteger('created_at').notNullable();
      t.primary(['account_id', 'action']);
    });

    await createTable(db, 'one_time_tokens', (t) => {
      t.string('token_hash', 64).primary();
      t.string('purpose', 40).notNullable();
      t.string('account_id', 32).nullable().references('accounts.id').onDelete('CASCADE');
      t.text('data').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable().index();
      t.bigInteger('consumed_at').nullable();
      t.index(['account_id', 'purpose']);
    });

    await createTable(db, 'audit_events', (t) => {
      t.bigIncrements('id');
      t.bigInteger('occurred_at').notNullable();
      t.string('type', 64).notNullable();
      t.string('outcome', 16).notNullable();
      t.string('account_id', 32).nullable();
      t.string('actor_id', 32).nullable();
      t.string('ip', 64).nullable();
      t.string('user_agent', 512).nullable();
      t.text('details').nullable();
      t.index(['account_id', 'occurred_at']);
      t.index(['type', 'occurred_at']);
    });

    await createTable(db, 'throttle_counters', (t) => {
      t.string('key', 191).primary();
      t.integer('hits').notNullable();
      t.bigInteger('window_ends_at').notNullable().index();
    });

    await createTable(db, 'lockouts', (t) => {
      t.string('key', 191).primary();
      t.integer('failures').notNullable();
      t.bigInteger('locked_until').nullable();
      t.bigInteger('updated_at').notNullable();
    });

    await createTable(db, 'outbox_messages', (t) => {
      t.string('id', 32).primary();
      t.string('channel', 10).notNullable();
      t.string('recipient', 320).notNullable();
      t.string('template', 64).notNullable();
      t.string('locale', 5).notNullable();
      t.string('account_id', 32).nullable().index();
      longText(t, 'payload').nullable();
      t.string('status', 12).notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      t.bigInteger('next_attempt_at').notNullable();
      t.bigInteger('claimed_until').nullable();
      t.string('last_error', 1000).nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('sent_at').nullable();
      t.index(['status', 'next_attempt_at']);
      t.index(['created_at']);
    });

    await createTable(db, 'flows', (t) => {
      t.string('id', 43).primary();
      t.string('kind', 32).notNullable();
      t.string('state', 40).notNullable();
      t.integer('version').notNullable().defaultTo(1);
      t.string('account_id', 32).nullable().references('accounts.id').onDelete('CASCADE');
      longText(t, 'context').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('expires_at').notNullable().index();
      t.index(['kind', 'account_id']);
    });
  },
  async down(db: Knex) {
    for (const table of [
      'flows',
      'outbox_messages',
      'lockouts',
      'throttle_counters',
      'audit_events',
      'one_time_tokens',
      'account_required_actions',
      'accounts',
    ]) {
      await db.schema.dropTableIfExists(table);
    }
  },
};

import type { Knex } from 'knex';
import type { Migration } from '../migrate.js';
import { createTable } from '../schema-helpers.js';

/**
 * Centres and their memberships (invited or active). The database itself holds the centre
 * rules, so they stay true whatever runs at the same time:
 * - `role_slot` is 0 for the Exams Officer, 1–3 for an Admin and NULL for a User (a CHECK
 *   says so), and `(centre_number, role_slot)` is unique: at most one Exams Officer and at most
 *   three Admins per centre, pending invitations included;
 * - `(centre_number, email_key)` is unique: one row per normalised email per centre;
 * - `(centre_number, account_id)` is unique: one membership per account per centre;
 * - an invited row has no account and an active row has one (a CHECK says so).
 */
export const createCentres: Migration = {
  name: '20261125T0000_centres',
  async up(db: Knex) {
    await createTable(db, 'centres', (t) => {
      t.string('number', 5).primary();
      t.string('name', 200).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });

    await createTable(db, 'centre_memberships', (t) => {
      t.string('id', 32).primary();
      t.string('centre_number', 5).notNullable().references('centres.number');
      t.string('account_id', 32).nullable().references('accounts.id').onDelete('CASCADE');
      t.string('state', 12).notNullable();
      t.string('role', 16).notNullable();
      t.integer('role_slot').nullable();
      t.text('permissions').notNullable();
      t.string('email', 254).notNullable();
      t.string('email_key', 254).notNullable();
      t.string('given_name', 100).notNullable();
      t.string('family_name', 100).notNullable();
      t.string('locale', 5).notNullable().defaultTo('en');
      t.string('invited_by', 32).nullable();
      t.bigInteger('invitation_expires_at').nullable();
      t.bigInteger('accepted_at').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.integer('version').notNullable().defaultTo(1);
      t.unique(['centre_number', 'role_slot']);
      t.unique(['centre_number', 'email_key']);
      t.unique(['centre_number', 'account_id']);
      t.index(['account_id']);
      t.check(
        "(role = 'exams_officer' AND role_slot = 0) OR " +
          "(role = 'admin' AND role_slot BETWEEN 1 AND 3) OR " +
          "(role = 'user' AND role_slot IS NULL)",
        undefined,
        'centre_memberships_role_slot',
      );
      t.check(
        "(state = 'invited' AND account_id IS NULL) OR (state = 'active' AND account_id IS NOT NULL)",
        undefined,
        'centre_memberships_state_account',
      );
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('centre_memberships');
    await db.schema.dropTableIfExists('centres');
  },
};

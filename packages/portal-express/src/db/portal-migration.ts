import type { Knex } from 'knex';
import { createTable, longText, type Migration } from '@porth/identity-core';

/**
 * The OpenID Connect provider's storage: every oidc-provider model, signing keys, registered
 * clients, and the sessions of the relying applications built into the portal (AMP, Portal).
 */
export const createPortal: Migration = {
  name: '20261124T0300_portal',
  async up(db: Knex) {
    await createTable(db, 'oidc_models', (t) => {
      t.string('model', 40).notNullable();
      t.string('id', 255).notNullable();
      longText(t, 'payload').notNullable();
      t.string('grant_id', 255).nullable();
      t.string('uid', 255).nullable();
      t.string('user_code', 255).nullable();
      t.string('account_id', 255).nullable();
      t.bigInteger('expires_at').nullable();
      t.bigInteger('consumed_at').nullable();
      t.primary(['model', 'id']);
      t.index(['model', 'grant_id']);
      t.index(['model', 'uid']);
      t.index(['model', 'user_code']);
      t.index(['account_id']);
      t.index(['expires_at']);
    });
    await createTable(db, 'oidc_keys', (t) => {
      t.string('kid', 64).primary();
      t.string('alg', 16).notNullable();
      t.text('public_jwk').notNullable();
      t.text('sealed_private_jwk').notNullable();
      t.bigInteger('created_at').notNullable();
      /** When it stopped signing; null while it is the current key. */
      t.bigInteger('retired_at').nullable();
      /** When it is no longer published; tokens it signed have all expired by then. */
      t.bigInteger('remove_after').nullable();
    });
    await createTable(db, 'oidc_clients', (t) => {
      t.string('client_id', 100).primary();
      t.text('metadata').notNullable();
      t.boolean('first_party').notNullable().defaultTo(false);
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await createTable(db, 'rp_sessions', (t) => {
      t.string('id', 64).primary();
      t.string('app', 20).notNullable();
      t.string('account_id', 32).nullable();
      t.string('sid', 255).nullable();
      longText(t, 'sealed').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable().index();
      t.index(['app', 'sid']);
      t.index(['account_id']);
    });
  },
  async down(db: Knex) {
    for (const table of ['rp_sessions', 'oidc_clients', 'oidc_keys', 'oidc_models']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};

/** The schema changes of @porth/portal-express. */
export const portalMigrations: readonly Migration[] = [createPortal];

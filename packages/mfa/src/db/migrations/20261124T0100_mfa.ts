import { createTable, type Migration } from '@porth/identity-core';

/**
 * Second factors, their code challenges, recovery codes, and one row per account that every
 * change to an account's set of factors locks first. Times are UTC epoch milliseconds (BIGINT).
 */
export const createMfaTables: Migration = {
  name: '20261124T0100_mfa',
  async up(db) {
    // One row per account with factors: changes to the set of factors first bump `version`
    // here, which serialises them per account on both databases (see KnexFactorRepository).
    await createTable(db, 'mfa_accounts', (t) => {
      t.string('account_id', 32).primary().references('accounts.id').onDelete('CASCADE');
      t.integer('version').notNullable().defaultTo(0);
      t.bigInteger('updated_at').notNullable();
    });

    await createTable(db, 'mfa_factors', (t) => {
      t.string('id', 32).primary();
      t.string('account_id', 32).notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('kind', 16).notNullable();
      t.string('state', 16).notNullable();
      // Equal to account_id on the account's default factor, NULL on the others: the unique key
      // allows at most one default per account.
      t.string('default_of', 32).nullable().unique();
      // E.164 number (sms, voice) or email address (email); null for totp.
      t.string('destination', 320).nullable();
      t.string('phone_type', 32).nullable();
      // TOTP secret, AES-256-GCM sealed (SecretCipher).
      t.string('secret_sealed', 255).nullable();
      // The last TOTP time-step accepted; a code is accepted only for a later step.
      t.bigInteger('last_used_step').nullable();
      // When the user confirmed they understand the risks of email codes.
      t.bigInteger('risk_acknowledged_at').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('confirmed_at').nullable();
      t.bigInteger('last_used_at').nullable();
      t.index(['account_id', 'state']);
    });

    await createTable(db, 'mfa_challenges', (t) => {
      t.string('id', 32).primary();
      t.string('account_id', 32).notNullable().references('accounts.id').onDelete('CASCADE');
      t.string('factor_id', 32).notNullable().references('mfa_factors.id').onDelete('CASCADE');
      t.string('purpose', 16).notNullable();
      t.string('channel', 16).notNullable();
      // HMAC-SHA256 of the code (CodeHasher), bound to this challenge's id.
      t.string('code_hash', 64).notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      t.string('status', 16).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable().index();
      t.bigInteger('finished_at').nullable();
      t.index(['factor_id', 'status']);
    });

    await createTable(db, 'mfa_recovery_codes', (t) => {
      t.string('id', 32).primary();
      t.string('account_id', 32).notNullable().references('accounts.id').onDelete('CASCADE');
      // HMAC-SHA256 of the normalised code (CodeHasher), bound to the account.
      t.string('code_hash', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('used_at').nullable();
      t.index(['account_id', 'used_at']);
    });
  },
  async down(db) {
    for (const table of ['mfa_recovery_codes', 'mfa_challenges', 'mfa_factors', 'mfa_accounts']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};

/** Reads what the database holds about accounts, to tell a whole change from a half-written one. */
import { expect } from 'chai';
import type { Knex } from 'knex';

/** Everything a migration writes about one account, read straight from the tables. */
export interface MigrationFacts {
  readonly status: string | null;
  readonly username: string | null;
  readonly passwordTemporary: boolean;
  /** The state of its `account_migrations` row, or null when there is none. */
  readonly migrationState: string | null;
  /** True when `legacy_credentials` keeps its legacy password. */
  readonly keptLegacyPassword: boolean;
  readonly requiredActions: readonly string[];
  /** Temporary-password emails queued for it (any status). */
  readonly temporaryPasswordMails: number;
  /** `account.migrated` audit events for it. */
  readonly migratedEvents: number;
}

/** How many rows of `table` match `where`. */
export async function countRows(
  db: Knex,
  table: string,
  where: Record<string, unknown> = {},
): Promise<number> {
  const [row] = (await db(table).where(where).count({ n: '*' })) as { n: number | string }[];
  return Number(row?.n ?? 0);
}

/** Reads the MigrationFacts of one account. */
export async function migrationFacts(db: Knex, accountId: string): Promise<MigrationFacts> {
  const account = (await db('accounts').where({ id: accountId }).first()) as
    { status: string; username: string | null; password_temporary: number | boolean } | undefined;
  const record = (await db('account_migrations').where({ account_id: accountId }).first()) as
    { state: string } | undefined;
  const actions = (await db('account_required_actions')
    .where({ account_id: accountId })
    .orderBy('action')
    .pluck('action')) as string[];
  return {
    status: account?.status ?? null,
    username: account?.username ?? null,
    passwordTemporary: Boolean(Number(account?.password_temporary ?? 0)),
    migrationState: record?.state ?? null,
    keptLegacyPassword:
      (await countRows(db, 'legacy_credentials', { account_id: accountId })) === 1,
    requiredActions: actions,
    temporaryPasswordMails: await countRows(db, 'outbox_messages', {
      account_id: accountId,
      template: 'migration_temporary_password',
    }),
    migratedEvents: await countRows(db, 'audit_events', {
      account_id: accountId,
      type: 'account.migrated',
    }),
  };
}

/** Asserts that nothing of a migration was written for the account: it is a legacy account as before. */
export function expectNotMigrated(facts: MigrationFacts, label = 'the account'): void {
  expect(facts, `${label} is untouched`).to.deep.include({
    status: 'legacy',
    username: null,
    passwordTemporary: false,
    keptLegacyPassword: false,
    temporaryPasswordMails: 0,
    migratedEvents: 0,
  });
  expect(facts.requiredActions, `${label} has no required actions`).to.deep.equal([]);
  expect([null, 'legacy'], `${label}'s migration record`).to.include(facts.migrationState);
}

/** Asserts that the account was migrated exactly once, with everything a migration writes. */
export function expectMigratedOnce(facts: MigrationFacts, label = 'the account'): void {
  expect(facts, `${label} is migrated once`).to.deep.include({
    status: 'active',
    passwordTemporary: true,
    migrationState: 'migrated',
    keptLegacyPassword: true,
    temporaryPasswordMails: 1,
    migratedEvents: 1,
  });
  expect(facts.username, `${label}'s new username`).to.match(/@/);
  expect(facts.requiredActions, `${label}'s required actions`).to.include.members([
    'configure_mfa',
    'update_password',
  ]);
}

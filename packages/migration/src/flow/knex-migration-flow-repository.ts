import {
  ConcurrentFlowUpdateError,
  dialectOf,
  type Clock,
  type Executor,
} from '@porth/identity-core';
import { isMigrationState, type MigrationRecord } from './states.js';

/** A row of `account_migrations` as the drivers return it (BIGINT may come back as a string). */
interface MigrationRow {
  account_id: string;
  state: string;
  version: number | string;
  migrated_at: number | string | null;
  temporary_password_sent_at: number | string | null;
  temporary_password_expires_at: number | string | null;
  temporary_password_resends: number | string;
  first_sign_in_at: number | string | null;
  completed_at: number | string | null;
  created_at: number | string;
  updated_at: number | string;
}

const TABLE = 'account_migrations';
/** SQLite builds a multi-row INSERT as a compound SELECT, which may have at most 500 terms. */
const INSERT_BATCH = 500;

/**
 * Migration records in `account_migrations`. Saves are guarded by state and version
 * (`UPDATE … WHERE account_id = ? AND state = ? AND version = ?`, 0 rows →
 * ConcurrentFlowUpdateError). Pass a transaction as `db` to write with other changes.
 */
export class KnexMigrationFlowRepository {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {}

  /** The account's migration record, or null when it has none. */
  async find(accountId: string): Promise<MigrationRecord | null> {
    const row = (await this.db<MigrationRow>(TABLE).where('account_id', accountId).first()) as
      MigrationRow | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * Reads the record and, on MySQL/MariaDB, locks it until the transaction ends (`FOR UPDATE`),
   * so that decisions taken on it cannot race. SQLite needs no lock: it has one writer at a time.
   */
  async lock(accountId: string): Promise<MigrationRecord | null> {
    let query = this.db<MigrationRow>(TABLE).where('account_id', accountId);
    if (dialectOf(this.db) === 'mysql') query = query.forUpdate();
    const row = (await query.first()) as MigrationRow | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * Gives each account a `legacy` record unless it already has one (the primary key decides,
   * so concurrent imports are safe).
   */
  async insertLegacy(accountIds: readonly string[]): Promise<void> {
    const now = this.clock.now().getTime();
    for (let start = 0; start < accountIds.length; start += INSERT_BATCH) {
      const rows = accountIds.slice(start, start + INSERT_BATCH).map((id) => legacyRow(id, now));
      const insert = this.db(TABLE).insert(rows).onConflict('account_id');
      if (dialectOf(this.db) === 'mysql') {
        await insert.merge({ account_id: this.db.raw('??', ['account_id']) });
      } else {
        await insert.ignore();
      }
    }
  }

  /** The account's record, created in state `legacy` first if it has none. */
  async ensure(accountId: string): Promise<MigrationRecord> {
    await this.insertLegacy([accountId]);
    const record = await this.lock(accountId);
    if (!record) throw new Error(`The migration record of ${accountId} vanished`);
    return record;
  }

  /**
   * Saves `next` (made from `previous` by transitionMigration or withTemporaryPassword) only if
   * the stored record is still in `previous`'s state and version; throws ConcurrentFlowUpdateError
   * otherwise. Returns the saved record with its new version.
   */
  async save(previous: MigrationRecord, next: MigrationRecord): Promise<MigrationRecord> {
    if (next.accountId !== previous.accountId)
      throw new RangeError('save() needs the same account');
    const updated = await this.db(TABLE)
      .where({
        account_id: previous.accountId,
        state: previous.state,
        version: previous.version,
      })
      .update({
        state: next.state,
        version: previous.version + 1,
        migrated_at: time(next.migratedAt),
        temporary_password_sent_at: time(next.temporaryPasswordSentAt),
        temporary_password_expires_at: time(next.temporaryPasswordExpiresAt),
        temporary_password_resends: next.temporaryPasswordResends,
        first_sign_in_at: time(next.firstSignInAt),
        completed_at: time(next.completedAt),
        updated_at: next.updatedAt.getTime(),
      });
    if (updated !== 1) throw new ConcurrentFlowUpdateError();
    return { ...next, version: previous.version + 1 };
  }
}

function legacyRow(accountId: string, now: number) {
  return {
    account_id: accountId,
    state: 'legacy',
    version: 1,
    migrated_at: null,
    temporary_password_sent_at: null,
    temporary_password_expires_at: null,
    temporary_password_resends: 0,
    first_sign_in_at: null,
    completed_at: null,
    created_at: now,
    updated_at: now,
  };
}

function time(value: Date | null): number | null {
  return value === null ? null : value.getTime();
}

function toDate(value: number | string | null): Date | null {
  return value === null ? null : new Date(Number(value));
}

function toRecord(row: MigrationRow): MigrationRecord {
  if (!isMigrationState(row.state)) {
    throw new Error(`Account ${row.account_id} has an unknown migration state "${row.state}"`);
  }
  return {
    accountId: row.account_id,
    state: row.state,
    version: Number(row.version),
    migratedAt: toDate(row.migrated_at),
    temporaryPasswordSentAt: toDate(row.temporary_password_sent_at),
    temporaryPasswordExpiresAt: toDate(row.temporary_password_expires_at),
    temporaryPasswordResends: Number(row.temporary_password_resends),
    firstSignInAt: toDate(row.first_sign_in_at),
    completedAt: toDate(row.completed_at),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}

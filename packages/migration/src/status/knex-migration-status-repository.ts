import type { Executor } from '@porth/identity-core';
import { MIGRATION_STATES, isMigrationState, type MigrationState } from '../flow/states.js';

/** A migrated account as the status report lists it. */
export interface MigratedAccountRow {
  readonly accountId: string;
  readonly legacyUsername: string | null;
  readonly newUsername: string | null;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly email: string | null;
  readonly migratedAt: Date | null;
  readonly temporaryPasswordExpiresAt: Date | null;
  readonly temporaryPasswordResends: number;
}

/** A legacy (not yet migrated) account as the status report lists it. */
export interface LegacyAccountRow {
  readonly accountId: string;
  readonly legacyUsername: string | null;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly email: string | null;
}

/** Which migrated-but-unused accounts to list. */
export interface UnusedTemporaryPasswordQuery {
  readonly now: Date;
  /** True: temporary password expired; false: still valid. */
  readonly expired: boolean;
  /** Only accounts migrated at or before this moment. */
  readonly migratedBefore: Date;
  readonly limit: number;
}

interface MigratedRow {
  account_id: string;
  legacy_username: string | null;
  username: string | null;
  given_name: string | null;
  family_name: string | null;
  email: string | null;
  migrated_at: number | string | null;
  temporary_password_expires_at: number | string | null;
  temporary_password_resends: number | string;
}

/** The read-only queries behind `porth migration status`. */
export class KnexMigrationStatusRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Accounts per migration state (deleted accounts left out). Legacy accounts imported without
   * a migration record (e.g. by an older importer) count as `legacy`.
   */
  async countByState(): Promise<Record<MigrationState, number>> {
    const counts = Object.fromEntries(MIGRATION_STATES.map((s) => [s, 0])) as Record<
      MigrationState,
      number
    >;
    const rows = (await this.db('account_migrations as m')
      .join('accounts as a', 'a.id', 'm.account_id')
      .whereNot('a.status', 'deleted')
      .groupBy('m.state')
      .select('m.state as state')
      .count({ n: '*' })) as { state: string; n: number | string }[];
    for (const row of rows) {
      if (isMigrationState(row.state)) counts[row.state] += Number(row.n);
    }
    const [orphans] = (await this.db('accounts as a')
      .leftJoin('account_migrations as m', 'm.account_id', 'a.id')
      .where('a.status', 'legacy')
      .whereNull('m.account_id')
      .count({ n: '*' })) as { n: number | string }[];
    counts.legacy += Number(orphans?.n ?? 0);
    return counts;
  }

  /** Migrated accounts nobody has signed in to yet, oldest migration first, and how many in all. */
  async findUnusedTemporaryPasswords(
    query: UnusedTemporaryPasswordQuery,
  ): Promise<{ total: number; accounts: MigratedAccountRow[] }> {
    const now = query.now.getTime();
    const base = () => {
      let q = this.db('account_migrations as m')
        .join('accounts as a', 'a.id', 'm.account_id')
        .where('m.state', 'migrated')
        .whereNot('a.status', 'deleted')
        .where('m.migrated_at', '<=', query.migratedBefore.getTime());
      q = query.expired
        ? q.where('m.temporary_password_expires_at', '<=', now)
        : q.where((w) =>
            w
              .whereNull('m.temporary_password_expires_at')
              .orWhere('m.temporary_password_expires_at', '>', now),
          );
      return q;
    };
    const [count] = (await base().count({ n: '*' })) as { n: number | string }[];
    const rows = (await base()
      .select(
        'm.account_id',
        'a.legacy_username',
        'a.username',
        'a.given_name',
        'a.family_name',
        'a.email',
        'm.migrated_at',
        'm.temporary_password_expires_at',
        'm.temporary_password_resends',
      )
      .orderBy([
        { column: 'm.migrated_at', order: 'asc' },
        { column: 'm.account_id', order: 'asc' },
      ])
      .limit(query.limit)) as MigratedRow[];
    return {
      total: Number(count?.n ?? 0),
      accounts: rows.map((r) => ({
        accountId: r.account_id,
        legacyUsername: r.legacy_username,
        newUsername: r.username,
        givenName: r.given_name,
        familyName: r.family_name,
        email: r.email,
        migratedAt: r.migrated_at === null ? null : new Date(Number(r.migrated_at)),
        temporaryPasswordExpiresAt:
          r.temporary_password_expires_at === null
            ? null
            : new Date(Number(r.temporary_password_expires_at)),
        temporaryPasswordResends: Number(r.temporary_password_resends),
      })),
    };
  }

  /** One page of legacy accounts in id order, after `afterId` ('' for the first page). */
  async legacyAccountsPage(afterId: string, pageSize: number): Promise<LegacyAccountRow[]> {
    const rows = (await this.db('accounts')
      .select('id', 'legacy_username', 'given_name', 'family_name', 'email')
      .where('status', 'legacy')
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(pageSize)) as {
      id: string;
      legacy_username: string | null;
      given_name: string | null;
      family_name: string | null;
      email: string | null;
    }[];
    return rows.map((r) => ({
      accountId: r.id,
      legacyUsername: r.legacy_username,
      givenName: r.given_name,
      familyName: r.family_name,
      email: r.email,
    }));
  }
}

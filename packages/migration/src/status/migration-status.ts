import { isEmailAddress, type Clock, type Executor } from '@porth/identity-core';
import type { MigrationState } from '../flow/states.js';
import {
  KnexMigrationStatusRepository,
  type LegacyAccountRow,
  type MigratedAccountRow,
} from './knex-migration-status-repository.js';

/** Options for readMigrationStatus. */
export interface MigrationStatusOptions {
  /** The most accounts listed in each list (default 100); totals always count them all. */
  readonly limit?: number;
  /** List a migrated account as never signed in only once it was migrated this long ago (default 0). */
  readonly staleAfterMs?: number;
}

/** A list of accounts, capped, with the full count. */
export interface AccountList<T> {
  readonly total: number;
  readonly accounts: readonly T[];
}

/** A legacy account that cannot migrate by itself, and why. */
export interface UnreachableLegacyAccount extends LegacyAccountRow {
  readonly reason: 'no_email' | 'malformed_email';
}

/** Where the migration stands: what `porth migration status` prints. */
export interface MigrationStatusReport {
  readonly generatedAt: Date;
  /** Accounts per state, and all of them. */
  readonly counts: Readonly<Record<MigrationState, number>> & { readonly total: number };
  readonly stuck: {
    /** Migrated, temporary password still valid, nobody signed in yet. */
    readonly neverSignedIn: AccountList<MigratedAccountRow>;
    /** Migrated, nobody signed in, and the temporary password has expired. */
    readonly temporaryPasswordExpired: AccountList<MigratedAccountRow>;
  };
  /** Legacy accounts without a usable email address: support must help them. */
  readonly cannotSelfMigrate: AccountList<UnreachableLegacyAccount>;
}

const PAGE = 2000;

/**
 * Builds the migration status report: counts per state, accounts stuck after migration and
 * legacy accounts that cannot migrate by themselves (no usable email).
 * @example const report = await readMigrationStatus(db, systemClock, { limit: 50 });
 */
export async function readMigrationStatus(
  db: Executor,
  clock: Clock,
  options: MigrationStatusOptions = {},
): Promise<MigrationStatusReport> {
  const limit = Math.max(0, Math.floor(options.limit ?? 100));
  const staleAfterMs = Math.max(0, options.staleAfterMs ?? 0);
  const now = clock.now();
  const repo = new KnexMigrationStatusRepository(db);
  const counts = await repo.countByState();
  const migratedBefore = new Date(now.getTime() - staleAfterMs);
  const neverSignedIn = await repo.findUnusedTemporaryPasswords({
    now,
    expired: false,
    migratedBefore,
    limit,
  });
  const temporaryPasswordExpired = await repo.findUnusedTemporaryPasswords({
    now,
    expired: true,
    migratedBefore: now,
    limit,
  });

  const unreachable: UnreachableLegacyAccount[] = [];
  let unreachableTotal = 0;
  let after = '';
  for (;;) {
    const page = await repo.legacyAccountsPage(after, PAGE);
    for (const account of page) {
      const email = account.email?.trim() ?? '';
      const reason = email === '' ? 'no_email' : isEmailAddress(email) ? null : 'malformed_email';
      if (reason === null) continue;
      unreachableTotal += 1;
      if (unreachable.length < limit) unreachable.push({ ...account, reason });
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]?.accountId ?? after;
  }

  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return {
    generatedAt: now,
    counts: { ...counts, total },
    stuck: { neverSignedIn, temporaryPasswordExpired },
    cannotSelfMigrate: { total: unreachableTotal, accounts: unreachable },
  };
}

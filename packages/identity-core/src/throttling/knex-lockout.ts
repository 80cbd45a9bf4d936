import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { dialectOf } from '../db/connect.js';
import { transaction, type Executor } from '../db/transaction.js';
import { ConcurrentUpdateError } from '../errors.js';
import {
  LOCKED_UNTIL_RESET_MS,
  assertLockoutPolicy,
  lockoutState,
  type LockoutPolicy,
  type LockoutState,
  type Lockouts,
} from './lockout.js';
import { throttleKey } from './throttle.js';

interface LockoutRow {
  key?: string;
  failures: number | string;
  locked_until: number | string | null;
}

const TABLE = 'lockouts';

// One upsert counts the failure and sets, keeps or clears the lock. The expressions read only
// old values whichever way the database evaluates SET: `locked_until` is assigned first and
// reads the old `failures`; `failures` reads only itself. (MySQL/MariaDB assign left to right,
// SQLite from the old row.) A running lock is kept, an ended one cleared, and every
// `threshold`-th consecutive failure starts a new one.
const SQLITE_FAILURE = `
INSERT INTO lockouts ("key", failures, locked_until, updated_at) VALUES (?, 1, ?, ?)
ON CONFLICT ("key") DO UPDATE SET
  locked_until = CASE WHEN lockouts.locked_until > ? THEN lockouts.locked_until
                      WHEN (lockouts.failures + 1) % ? = 0 THEN ?
                      ELSE NULL END,
  failures = lockouts.failures + 1,
  updated_at = ?
RETURNING failures, locked_until`;

const MYSQL_FAILURE = `
INSERT INTO lockouts (\`key\`, failures, locked_until, updated_at) VALUES (?, 1, ?, ?)
ON DUPLICATE KEY UPDATE
  locked_until = CASE WHEN locked_until > ? THEN locked_until
                      WHEN MOD(failures + 1, ?) = 0 THEN ?
                      ELSE NULL END,
  failures = failures + 1,
  updated_at = ?`;

/**
 * Consecutive-failure lockout on the `lockouts` table, shared by every process on the database.
 * Each failure is one race-safe upsert; N concurrent failures count exactly N.
 *
 * Give it the knex instance, not a request's transaction, so failures stay counted when the
 * request's own work rolls back.
 *
 * @example
 * const lockouts = new KnexLockouts(db, systemClock);
 * if (await lockouts.isLocked(key)) refuse();
 * const state = await lockouts.recordFailure(key, { threshold: 10, lockMs: 15 * 60_000 });
 */
export class KnexLockouts implements Lockouts {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {}

  /** Counts one failure; every `threshold`-th consecutive one locks the key for `lockMs` (null: until reset). */
  async recordFailure(key: string, policy: LockoutPolicy): Promise<LockoutState> {
    assertLockoutPolicy(policy);
    const storedKey = throttleKey(key);
    const now = this.clock.now().getTime();
    const lockUntil =
      policy.lockMs === null
        ? LOCKED_UNTIL_RESET_MS
        : Math.min(now + policy.lockMs, LOCKED_UNTIL_RESET_MS);
    const firstLock = policy.threshold === 1 ? lockUntil : null;
    let row: LockoutRow;
    if (dialectOf(this.db as Knex) === 'sqlite') {
      const rows = (await this.db.raw(SQLITE_FAILURE, [
        storedKey,
        firstLock,
        now,
        now,
        policy.threshold,
        lockUntil,
        now,
      ])) as LockoutRow[];
      row = firstRow(rows);
    } else {
      // No RETURNING on MySQL/MariaDB upserts: read back under the upsert's row lock.
      row = await transaction(
        this.db,
        async (trx) => {
          await trx.raw(MYSQL_FAILURE, [
            storedKey,
            firstLock,
            now,
            now,
            policy.threshold,
            lockUntil,
            now,
          ]);
          const rows = (await trx<LockoutRow>(TABLE)
            .where('key', storedKey)
            .select('failures', 'locked_until')) as LockoutRow[];
          return firstRow(rows);
        },
        { retries: 8 },
      );
    }
    return toState(row, now);
  }

  /** Clears the failures and any lock. */
  async recordSuccess(key: string): Promise<void> {
    await this.db(TABLE).where('key', throttleKey(key)).delete();
  }

  /** Clears the failures and any lock (e.g. support staff unlocking an account). */
  async reset(key: string): Promise<void> {
    await this.recordSuccess(key);
  }

  /** Returns where the key stands now. */
  async state(key: string): Promise<LockoutState> {
    const now = this.clock.now().getTime();
    const row = (await this.db<LockoutRow>(TABLE)
      .where('key', throttleKey(key))
      .first('failures', 'locked_until')) as LockoutRow | undefined;
    return row ? toState(row, now) : lockoutState(0, null, now);
  }

  /** Returns where each of `keys` stands, in their order, from one read. */
  async states(keys: readonly string[]): Promise<LockoutState[]> {
    const now = this.clock.now().getTime();
    const stored = keys.map(throttleKey);
    const rows = (await this.db<LockoutRow>(TABLE)
      .whereIn('key', stored)
      .select('key', 'failures', 'locked_until')) as LockoutRow[];
    const byKey = new Map(rows.map((row) => [row.key, row]));
    return stored.map((k) => {
      const row = byKey.get(k);
      return row ? toState(row, now) : lockoutState(0, null, now);
    });
  }

  /** Clears the failures and any lock of each of `keys`, in one statement. */
  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db(TABLE).whereIn('key', keys.map(throttleKey)).delete();
  }

  /** When the key's lock ends (LOCKED_UNTIL_RESET_MS for one until reset), or null when not locked. */
  async lockedUntil(key: string): Promise<Date | null> {
    return (await this.state(key)).lockedUntil;
  }

  /** True while the key is locked. */
  async isLocked(key: string): Promise<boolean> {
    return (await this.state(key)).locked;
  }

  /**
   * Removes entries not touched for `idleMs` whose lock (if any) has ended, in batches; their
   * failure counts start again from zero. Locks that are running or last until reset stay.
   */
  async deleteStale(idleMs: number, batch = 1000): Promise<number> {
    if (!Number.isSafeInteger(idleMs) || idleMs < 0) {
      throw new RangeError('idleMs must be a whole number of milliseconds');
    }
    const now = this.clock.now().getTime();
    const stale = (q: Knex.QueryBuilder) =>
      q
        .where('updated_at', '<', now - idleMs)
        .where((w) => w.whereNull('locked_until').orWhere('locked_until', '<=', now));
    let total = 0;
    for (;;) {
      const keys = (await stale(this.db(TABLE)).limit(batch).pluck('key')) as string[];
      if (keys.length === 0) return total;
      // Guarded again: a failure in between may have touched or locked one of these keys.
      total += await stale(this.db(TABLE).whereIn('key', keys)).delete();
      if (keys.length < batch) return total;
    }
  }
}

function firstRow(rows: readonly LockoutRow[]): LockoutRow {
  const row = rows[0];
  if (!row) throw new ConcurrentUpdateError('The lockout entry');
  return row;
}

function toState(row: LockoutRow, now: number): LockoutState {
  return lockoutState(
    Number(row.failures),
    row.locked_until === null ? null : Number(row.locked_until),
    now,
  );
}

import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { dialectOf } from '../db/connect.js';
import { transaction, type Executor } from '../db/transaction.js';
import { ConcurrentUpdateError } from '../errors.js';
import {
  assertRateLimit,
  throttleKey,
  type RateLimit,
  type RateLimitResult,
  type RateLimiter,
} from './throttle.js';

interface CounterRow {
  hits: number | string;
  window_ends_at: number | string;
}

const TABLE = 'throttle_counters';

// One upsert counts the hit and restarts a window that has ended. Every SET expression reads
// only old values whichever way the database evaluates them: `hits` is assigned before
// `window_ends_at` changes (MySQL/MariaDB go left to right), and `window_ends_at` refers only
// to itself; SQLite always reads the old row.
const SQLITE_HIT = `
INSERT INTO throttle_counters ("key", hits, window_ends_at) VALUES (?, 1, ?)
ON CONFLICT ("key") DO UPDATE SET
  hits = CASE WHEN throttle_counters.window_ends_at <= ? THEN 1 ELSE throttle_counters.hits + 1 END,
  window_ends_at = CASE WHEN throttle_counters.window_ends_at <= ? THEN excluded.window_ends_at
                        ELSE throttle_counters.window_ends_at END
RETURNING hits, window_ends_at`;

const MYSQL_HIT = `
INSERT INTO throttle_counters (\`key\`, hits, window_ends_at) VALUES (?, 1, ?)
ON DUPLICATE KEY UPDATE
  hits = CASE WHEN window_ends_at <= ? THEN 1 ELSE hits + 1 END,
  window_ends_at = CASE WHEN window_ends_at <= ? THEN ? ELSE window_ends_at END`;

/**
 * A fixed-window rate limiter on the `throttle_counters` table, shared by every process on the
 * database. Each hit is one race-safe upsert; N concurrent hits count exactly N.
 *
 * Give it the knex instance, not a request's transaction, so hits stay counted when the
 * request's own work rolls back (a failed sign-in must count).
 *
 * @example
 * const limiter = new KnexRateLimiter(db, systemClock);
 * const { allowed, retryAfterMs } = await limiter.hit(`sign-in:ip:${ip}`, { limit: 300, windowMs: 900_000 });
 */
export class KnexRateLimiter implements RateLimiter {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {}

  /** Counts one hit; allowed while the window's count is at most the limit. */
  async hit(key: string, limit: RateLimit): Promise<RateLimitResult> {
    assertRateLimit(limit);
    const storedKey = throttleKey(key);
    const now = this.clock.now().getTime();
    const row = await this.upsertHit(storedKey, now, now + limit.windowMs);
    const count = Number(row.hits);
    return result(count <= limit.limit, count, Number(row.window_ends_at), now);
  }

  /** Says whether a hit now would be allowed; counts nothing. */
  async peek(key: string, limit: RateLimit): Promise<RateLimitResult> {
    assertRateLimit(limit);
    const now = this.clock.now().getTime();
    const row = (await this.db<CounterRow>(TABLE)
      .where('key', throttleKey(key))
      .first('hits', 'window_ends_at')) as CounterRow | undefined;
    if (!row || Number(row.window_ends_at) <= now) return result(true, 0, now, now);
    const count = Number(row.hits);
    return result(count < limit.limit, count, Number(row.window_ends_at), now);
  }

  /** Forgets every hit counted against `key`. */
  async reset(key: string): Promise<void> {
    await this.db(TABLE).where('key', throttleKey(key)).delete();
  }

  /** Removes counters whose window has ended, in batches; returns how many. */
  async deleteExpired(batch = 1000): Promise<number> {
    const now = this.clock.now().getTime();
    let total = 0;
    for (;;) {
      const keys = (await this.db(TABLE)
        .where('window_ends_at', '<=', now)
        .limit(batch)
        .pluck('key')) as string[];
      if (keys.length === 0) return total;
      // Guarded again: a hit in between may have started a new window on one of these keys.
      total += await this.db(TABLE)
        .whereIn('key', keys)
        .where('window_ends_at', '<=', now)
        .delete();
      if (keys.length < batch) return total;
    }
  }

  private async upsertHit(key: string, now: number, windowEndsAt: number): Promise<CounterRow> {
    if (dialectOf(this.db as Knex) === 'sqlite') {
      // One statement: the upsert hands back the row it wrote.
      const rows = (await this.db.raw(SQLITE_HIT, [key, windowEndsAt, now, now])) as CounterRow[];
      return firstRow(rows);
    }
    // MySQL/MariaDB have no RETURNING on upserts: read the row back in the same transaction,
    // while the upsert's row lock keeps other hits out, so each caller sees its own count.
    return transaction(
      this.db,
      async (trx) => {
        await trx.raw(MYSQL_HIT, [key, windowEndsAt, now, now, windowEndsAt]);
        const rows = (await trx<CounterRow>(TABLE)
          .where('key', key)
          .select('hits', 'window_ends_at')) as CounterRow[];
        return firstRow(rows);
      },
      { retries: 8 },
    );
  }
}

function firstRow(rows: readonly CounterRow[]): CounterRow {
  const row = rows[0];
  if (!row) throw new ConcurrentUpdateError('The throttle counter');
  return row;
}

function result(
  allowed: boolean,
  count: number,
  windowEndsAt: number,
  now: number,
): RateLimitResult {
  return { allowed, count, retryAfterMs: allowed ? 0 : Math.max(0, windowEndsAt - now) };
}

import { createHash } from 'node:crypto';

/** The longest key the `throttle_counters` and `lockouts` tables hold. */
export const MAX_THROTTLE_KEY_LENGTH = 191;

/** Marks a key that was replaced by its hash. */
const HASHED_PREFIX = 'sha256:';

/** A fixed-window limit: at most `limit` hits in each window of `windowMs` milliseconds. */
export interface RateLimit {
  /** Hits allowed per window (a positive whole number). */
  readonly limit: number;
  /** The window's length in milliseconds (a positive whole number). */
  readonly windowMs: number;
}

/** The answer of a rate limiter. */
export interface RateLimitResult {
  /** For hit: this hit is within the limit. For peek: one more hit now would be. */
  readonly allowed: boolean;
  /** Hits counted in the current window (including this one, for hit). */
  readonly count: number;
  /** When not allowed, milliseconds until the window ends; otherwise 0. */
  readonly retryAfterMs: number;
}

/**
 * A fixed-window rate limiter whose counters live in shared storage, so a limit holds across
 * every process that uses it. Keys are free text (e.g. `sign-in:ip:192.0.2.7`).
 */
export interface RateLimiter {
  /** Counts one hit against `key` and says whether it is within the limit; race-safe. */
  hit(key: string, limit: RateLimit): Promise<RateLimitResult>;
  /** Says whether a hit now would be allowed, without counting one. */
  peek(key: string, limit: RateLimit): Promise<RateLimitResult>;
  /** Forgets every hit counted against `key`. */
  reset(key: string): Promise<void>;
  /** Removes counters whose window has ended; returns how many. */
  deleteExpired(): Promise<number>;
}

/**
 * Returns the key as stored: the key itself when it is short and plain, else `sha256:` and its
 * hash. Hashed are keys longer than 191 characters (the column), keys ending in a space (MySQL
 * compares `'a '` equal to `'a'`) and keys that already start with `sha256:` (so no key can pose
 * as another's hash). Throws RangeError for an empty key.
 */
export function throttleKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new RangeError('a throttling key must be a non-empty string');
  }
  if (
    key.length <= MAX_THROTTLE_KEY_LENGTH &&
    !key.endsWith(' ') &&
    !key.startsWith(HASHED_PREFIX)
  ) {
    return key;
  }
  return HASHED_PREFIX + createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Throws RangeError unless `limit` and `windowMs` are positive whole numbers. */
export function assertRateLimit(limit: RateLimit): void {
  if (!Number.isSafeInteger(limit.limit) || limit.limit <= 0) {
    throw new RangeError('limit must be a positive whole number');
  }
  if (!Number.isSafeInteger(limit.windowMs) || limit.windowMs <= 0) {
    throw new RangeError('windowMs must be a positive whole number of milliseconds');
  }
}

/**
 * The `locked_until` stored for a lock that lasts until reset: the last millisecond a JavaScript
 * Date can hold (+275760-09-13). lockedUntil() reports such a lock as this date.
 */
export const LOCKED_UNTIL_RESET_MS = 8_640_000_000_000_000;

/** When consecutive failures lock a key, and for how long. */
export interface LockoutPolicy {
  /**
   * Every `threshold`-th consecutive failure locks the key (a positive whole number): with 10,
   * the 10th, 20th, 30th … failure without a success in between.
   */
  readonly threshold: number;
  /** How long a lock lasts in milliseconds, or null for "until recordSuccess or reset". */
  readonly lockMs: number | null;
}

/** Where a key stands. */
export interface LockoutState {
  /** Consecutive failures since the last success or reset (failures while locked count too). */
  readonly failures: number;
  /** True while attempts must be refused. */
  readonly locked: boolean;
  /** When the lock ends (LOCKED_UNTIL_RESET_MS for one that lasts until reset); null when not locked. */
  readonly lockedUntil: Date | null;
  /** True when the lock lasts until recordSuccess or reset. */
  readonly untilReset: boolean;
  /** Milliseconds until the lock ends: 0 when not locked, null when it lasts until reset. */
  readonly retryAfterMs: number | null;
}

/**
 * Consecutive-failure lockout, kept in shared storage so that it holds across processes.
 * Keys are free text (e.g. `sign-in:account:sian.jones@example.org`).
 */
export interface Lockouts {
  /** Counts one failure (race-safe) and locks the key when the policy says so; returns the new state. */
  recordFailure(key: string, policy: LockoutPolicy): Promise<LockoutState>;
  /** Clears the failures and any lock, after a successful attempt. */
  recordSuccess(key: string): Promise<void>;
  /** Clears the failures and any lock, e.g. when support staff unlock an account. */
  reset(key: string): Promise<void>;
  /** Returns where the key stands. */
  state(key: string): Promise<LockoutState>;
  /** Returns where each of `keys` stands, in their order (one read for all). */
  states(keys: readonly string[]): Promise<LockoutState[]>;
  /** Clears the failures and any lock of each of `keys` (one write for all). */
  clear(keys: readonly string[]): Promise<void>;
  /** When the key's lock ends, or null when it is not locked. */
  lockedUntil(key: string): Promise<Date | null>;
  /** True while the key is locked. */
  isLocked(key: string): Promise<boolean>;
  /** Removes unlocked entries untouched for `idleMs`; returns how many. */
  deleteStale(idleMs: number): Promise<number>;
}

/** Throws RangeError unless `threshold` is a positive whole number and `lockMs` one or null. */
export function assertLockoutPolicy(policy: LockoutPolicy): void {
  if (!Number.isSafeInteger(policy.threshold) || policy.threshold <= 0) {
    throw new RangeError('threshold must be a positive whole number');
  }
  if (policy.lockMs !== null && (!Number.isSafeInteger(policy.lockMs) || policy.lockMs <= 0)) {
    throw new RangeError('lockMs must be a positive whole number of milliseconds, or null');
  }
}

/** Builds the state of a key from its stored failures and `locked_until` at time `nowMs`. */
export function lockoutState(
  failures: number,
  lockedUntilMs: number | null,
  nowMs: number,
): LockoutState {
  if (lockedUntilMs === null || lockedUntilMs <= nowMs) {
    return { failures, locked: false, lockedUntil: null, untilReset: false, retryAfterMs: 0 };
  }
  const untilReset = lockedUntilMs >= LOCKED_UNTIL_RESET_MS;
  return {
    failures,
    locked: true,
    lockedUntil: new Date(Math.min(lockedUntilMs, LOCKED_UNTIL_RESET_MS)),
    untilReset,
    retryAfterMs: untilReset ? null : lockedUntilMs - nowMs,
  };
}

import { isIPv4, isIPv6 } from 'node:net';
import type { PorthConfig } from '../config.js';
import type { LockoutState, Lockouts } from './lockout.js';
import type { RateLimit, RateLimiter } from './throttle.js';

/** The window of the per-IP limit: 15 minutes. */
export const IP_WINDOW_MS = 15 * 60 * 1000;

/** NIST SP 800-63B: at most 100 consecutive failed attempts on one account. */
export const DEFAULT_HARD_LOCKOUT_THRESHOLD = 100;

/** Who is trying to sign in. */
export interface SignInAttempt {
  /**
   * The account the attempt is for: the normalised username as typed (not the account id), so
   * unknown usernames are throttled exactly like known ones and nothing reveals which exist.
   */
  readonly accountKey: string;
  /** The client's address; IPv6 addresses are limited per /64. Omit when unknown. */
  readonly ip?: string | null;
}

/** Why an attempt is refused. */
export type SignInRefusal = 'account_locked' | 'ip_rate_limited';

interface Refusal {
  readonly reason: SignInRefusal;
  readonly retryAfterMs: number | null;
}

/** The answer of SignInThrottle.check. */
export type SignInCheck =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly reason: SignInRefusal;
      /** Milliseconds until an attempt may be made again; null when only a reset unlocks. */
      readonly retryAfterMs: number | null;
    };

/** What a failed attempt led to; for the caller's audit event and message. */
export interface SignInFailureOutcome {
  /** Consecutive failures on the account since its last success or reset. */
  readonly failures: number;
  /** True when the account is now locked. */
  readonly accountLocked: boolean;
  /** True when the account stays locked until a success or reset (the 100-failure rule). */
  readonly lockedUntilReset: boolean;
  /** Milliseconds until the account may try again: 0 when not locked, null when only a reset unlocks. */
  readonly retryAfterMs: number | null;
}

/** Options beyond PorthConfig['throttling']. */
export interface SignInThrottleOptions {
  /**
   * Consecutive failures after which the account stays locked until a success or a reset
   * (default 100, NIST SP 800-63B's ceiling); null turns the rule off.
   */
  readonly hardLockoutThreshold?: number | null;
}

/**
 * The sign-in throttling policy: per account, `lockoutThreshold` consecutive failures lock it
 * for `lockoutMs` (and again at every further `lockoutThreshold`), and 100 consecutive failures
 * lock it until a success or a reset; per IP, at most `ipLimitPer15Minutes` failures in a
 * 15-minute window (failures only, so a school's many users behind one address are not locked
 * out by each other's successes). Counts live in the database, so they hold across processes.
 *
 * check() reads; failed() counts. Attempts racing past check() at the same moment are all
 * counted by failed(), so a burst can exceed a limit by at most the attempts in flight.
 * The caller writes the audit events.
 *
 * @example
 * const throttle = new SignInThrottle(new KnexRateLimiter(db, clock), new KnexLockouts(db, clock), config.throttling);
 * const check = await throttle.check({ accountKey: usernameKey, ip });
 * if (!check.allowed) return tooManyAttempts(check.retryAfterMs);
 * if (await verifyPassword()) await throttle.succeeded({ accountKey: usernameKey, ip });
 * else await throttle.failed({ accountKey: usernameKey, ip });
 */
export class SignInThrottle {
  private readonly ipLimit: RateLimit;
  private readonly hardThreshold: number | null;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly lockouts: Lockouts,
    private readonly settings: PorthConfig['throttling'],
    options: SignInThrottleOptions = {},
  ) {
    this.ipLimit = { limit: settings.ipLimitPer15Minutes, windowMs: IP_WINDOW_MS };
    this.hardThreshold =
      options.hardLockoutThreshold !== undefined
        ? options.hardLockoutThreshold
        : settings.hardLockoutThreshold === undefined
          ? DEFAULT_HARD_LOCKOUT_THRESHOLD
          : settings.hardLockoutThreshold;
  }

  /** Says whether an attempt may be made now; when not, why and for how long. Counts nothing. */
  async check(attempt: SignInAttempt): Promise<SignInCheck> {
    const [account, ip] = await Promise.all([
      this.accountState(attempt.accountKey),
      attempt.ip ? this.limiter.peek(ipKey(attempt.ip), this.ipLimit) : null,
    ]);
    const refusals: Refusal[] = [];
    if (account.locked)
      refusals.push({ reason: 'account_locked', retryAfterMs: account.retryAfterMs });
    if (ip && !ip.allowed)
      refusals.push({ reason: 'ip_rate_limited', retryAfterMs: ip.retryAfterMs });
    // Report the refusal that lasts longest.
    const longest = refusals.reduce<Refusal | null>(
      (best, r) => (best === null || waitOf(r.retryAfterMs) > waitOf(best.retryAfterMs) ? r : best),
      null,
    );
    return longest === null ? { allowed: true } : { allowed: false, ...longest };
  }

  /** Counts a failed attempt against the account and the IP; says whether the account is now locked. */
  async failed(attempt: SignInAttempt): Promise<SignInFailureOutcome> {
    const temporary = this.lockouts.recordFailure(accountKey(attempt.accountKey), {
      threshold: this.settings.lockoutThreshold,
      lockMs: this.settings.lockoutMs,
    });
    const hard =
      this.hardThreshold === null
        ? null
        : this.lockouts.recordFailure(hardAccountKey(attempt.accountKey), {
            threshold: this.hardThreshold,
            lockMs: null,
          });
    const ip = attempt.ip ? this.limiter.hit(ipKey(attempt.ip), this.ipLimit) : null;
    const [tempState, hardState] = await Promise.all([temporary, hard, ip]);
    const state = combine(tempState, hardState);
    return {
      failures: state.failures,
      accountLocked: state.locked,
      lockedUntilReset: state.untilReset,
      retryAfterMs: state.retryAfterMs,
    };
  }

  /** Clears the account's failures and locks after a successful attempt (the IP's count stays). */
  async succeeded(attempt: SignInAttempt): Promise<void> {
    await this.lockouts.clear(
      this.hardThreshold === null
        ? [accountKey(attempt.accountKey)]
        : [accountKey(attempt.accountKey), hardAccountKey(attempt.accountKey)],
    );
  }

  /** Lifts every lock on the account, e.g. when support staff unlock it. */
  async unlockAccount(accountKeyValue: string): Promise<void> {
    await this.lockouts.clear([accountKey(accountKeyValue), hardAccountKey(accountKeyValue)]);
  }

  private async accountState(key: string): Promise<LockoutState> {
    if (this.hardThreshold === null) return this.lockouts.state(accountKey(key));
    const [temporary, hard] = (await this.lockouts.states([
      accountKey(key),
      hardAccountKey(key),
    ])) as [LockoutState, LockoutState];
    return combine(temporary, hard);
  }
}

/**
 * The part of an address that the per-IP limit counts: an IPv4 address as it is (also when
 * written IPv4-mapped, `::ffff:192.0.2.7`), an IPv6 address by its /64 network (one subscriber
 * usually holds a whole /64), anything else lower-cased as it is.
 */
export function ipThrottleKey(ip: string): string {
  let address = ip.trim().toLowerCase();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  const groups = expandIPv6(address);
  const mapped = groups.slice(0, 6).join(':') === '0:0:0:0:0:ffff';
  if (mapped) {
    const [hi, lo] = groups.slice(6).map((g) => parseInt(g, 16)) as [number, number];
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** Expands a valid IPv6 address into its eight groups, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.map((g) => parseInt(g, 16).toString(16));
}

function accountKey(key: string): string {
  return `sign-in:account:${key}`;
}

function hardAccountKey(key: string): string {
  return `sign-in:account-total:${key}`;
}

function ipKey(ip: string): string {
  return `sign-in:ip:${ipThrottleKey(ip)}`;
}

function waitOf(retryAfterMs: number | null): number {
  return retryAfterMs === null ? Number.POSITIVE_INFINITY : retryAfterMs;
}

/** The stricter of the temporary and the until-reset lockout. */
function combine(temporary: LockoutState, hard: LockoutState | null): LockoutState {
  if (hard?.locked) return { ...hard, failures: Math.max(temporary.failures, hard.failures) };
  return hard ? { ...temporary, failures: Math.max(temporary.failures, hard.failures) } : temporary;
}

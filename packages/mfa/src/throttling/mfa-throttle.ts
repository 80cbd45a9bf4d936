import {
  DEFAULT_HARD_LOCKOUT_THRESHOLD,
  type Lockouts,
  type RateLimit,
  type RateLimiter,
} from '@porth/identity-core';
import { ResendTooSoonError, SendLimitReachedError } from '../errors.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** The limits on trying and sending codes. */
export interface MfaThrottlePolicy {
  /** Code tries per factor (recovery codes count as one factor), successes included. */
  readonly perFactor: RateLimit;
  /** Code tries per account, over all its factors. */
  readonly perAccount: RateLimit;
  /**
   * Consecutive failed tries on an account after which second-factor verification is locked
   * until support resets it (NIST SP 800-63B: at most 100).
   */
  readonly lockThreshold: number;
  /** The shortest time between two codes sent to one factor. */
  readonly resendCooldownMs: number;
  /** Codes sent per account (texts, calls and emails together). */
  readonly sendsPerAccount: RateLimit;
  /** Codes sent to one phone number or email address per 24 hours, over all accounts. */
  readonly sendsPerDestinationPerDay: number;
}

/** The default limits. */
export const DEFAULT_THROTTLE_POLICY: MfaThrottlePolicy = Object.freeze({
  perFactor: { limit: 10, windowMs: 5 * MINUTE_MS },
  perAccount: { limit: 20, windowMs: 15 * MINUTE_MS },
  lockThreshold: DEFAULT_HARD_LOCKOUT_THRESHOLD,
  resendCooldownMs: MINUTE_MS,
  sendsPerAccount: { limit: 10, windowMs: 60 * MINUTE_MS },
  sendsPerDestinationPerDay: 10,
});

/** The answer of MfaThrottle.checkTry. */
export type TryCheck =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** `locked`: 100 consecutive failures, until a reset; `throttled`: a short-term limit. */
      readonly reason: 'locked' | 'throttled';
      /** Milliseconds until a try may be made again; null while locked until reset. */
      readonly retryAfterMs: number | null;
    };

/** What a failed try led to. */
export interface FailureOutcome {
  /** Consecutive failures on the account since its last success or reset. */
  readonly failures: number;
  /** True when this failure locked the account's second-factor verification. */
  readonly lockedNow: boolean;
}

/**
 * Throttling of second-factor tries and code sending, kept in the database (identity-core's
 * KnexRateLimiter and KnexLockouts) so the limits hold across processes.
 *
 * Tries: short-term limits per factor and per account count every try *before* the code is
 * compared (each count is one race-safe upsert, so a burst cannot exceed them); consecutive
 * failures per account lock verification at `lockThreshold` until `unlock` (support reset) or a
 * success. Sending: a cool-down per factor, a limit per account and a daily cap per destination.
 *
 * Give it limiter and lockouts on the knex instance, not a request's transaction, so counts
 * stay when the request's own work rolls back.
 */
export class MfaThrottle {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly lockouts: Lockouts,
    private readonly policy: MfaThrottlePolicy = DEFAULT_THROTTLE_POLICY,
  ) {}

  /**
   * Says whether a code may be tried now on `subject` (a factor id, or `recovery`) of the account,
   * and counts the try against the short-term limits when the account is not locked.
   */
  async checkTry(accountId: string, subject: string): Promise<TryCheck> {
    const lock = await this.lockouts.state(failuresKey(accountId));
    if (lock.locked) return { allowed: false, reason: 'locked', retryAfterMs: lock.retryAfterMs };
    const [factor, account] = await Promise.all([
      this.limiter.hit(`mfa:try:factor:${accountId}:${subject}`, this.policy.perFactor),
      this.limiter.hit(`mfa:try:account:${accountId}`, this.policy.perAccount),
    ]);
    if (factor.allowed && account.allowed) return { allowed: true };
    return {
      allowed: false,
      reason: 'throttled',
      retryAfterMs: Math.max(factor.retryAfterMs, account.retryAfterMs),
    };
  }

  /** Counts a failed try against the account's consecutive failures. */
  async recordFailure(accountId: string): Promise<FailureOutcome> {
    const state = await this.lockouts.recordFailure(failuresKey(accountId), {
      threshold: this.policy.lockThreshold,
      lockMs: null,
    });
    return {
      failures: state.failures,
      lockedNow: state.locked && state.failures % this.policy.lockThreshold === 0,
    };
  }

  /** Clears the account's consecutive failures after a successful try. */
  async recordSuccess(accountId: string): Promise<void> {
    await this.lockouts.recordSuccess(failuresKey(accountId));
  }

  /** True while the account's second-factor verification is locked. */
  async isLocked(accountId: string): Promise<boolean> {
    return this.lockouts.isLocked(failuresKey(accountId));
  }

  /** Lifts the lock and forgets the failures (support reset). */
  async unlock(accountId: string): Promise<void> {
    await this.lockouts.reset(failuresKey(accountId));
  }

  /**
   * Ends the factor's resend cool-down once a code sent to it was used: the cool-down holds back
   * a second code while one is on its way, not the next sign-in.
   */
  async sentCodeUsed(factorId: string): Promise<void> {
    await this.limiter.reset(cooldownKey(factorId));
  }

  /**
   * Counts one code about to be sent to `destination` for the factor; throws ResendTooSoonError
   * inside the cool-down, SendLimitReachedError over the per-account limit or the daily cap.
   */
  async checkSend(accountId: string, factorId: string, destination: string): Promise<void> {
    const cooldown = await this.limiter.hit(cooldownKey(factorId), {
      limit: 1,
      windowMs: this.policy.resendCooldownMs,
    });
    if (!cooldown.allowed) throw new ResendTooSoonError(cooldown.retryAfterMs);
    const account = await this.limiter.hit(
      `mfa:send:account:${accountId}`,
      this.policy.sendsPerAccount,
    );
    if (!account.allowed) throw new SendLimitReachedError('account', account.retryAfterMs);
    const daily = await this.limiter.hit(`mfa:send:destination:${destination.toLowerCase()}`, {
      limit: this.policy.sendsPerDestinationPerDay,
      windowMs: DAY_MS,
    });
    if (!daily.allowed) throw new SendLimitReachedError('destination_daily', daily.retryAfterMs);
  }
}

function cooldownKey(factorId: string): string {
  return `mfa:send:cooldown:${factorId}`;
}

function failuresKey(accountId: string): string {
  return `mfa:failures:${accountId}`;
}

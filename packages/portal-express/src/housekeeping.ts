import {
  KnexFlowRepository,
  KnexLockouts,
  KnexOutboxRepository,
  KnexTokenRepository,
} from '@porth/identity-core';
import { deleteExpiredOidcModels } from './oidc/knex-adapter.js';
import { KnexRpSessions } from './rp/knex-rp-sessions.js';
import type { PortalServices } from './services.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a sent email or text message is kept as a delivery record (default). */
export const SENT_MESSAGES_KEPT_MS = 30 * DAY_MS;
/** How long an unlocked sign-in failure count is kept without a new failure (default). */
export const LOCKOUT_IDLE_MS = 30 * DAY_MS;
/** Rows deleted per statement, so a large backlog never holds a long lock. */
const BATCH = 1000;

/** What housekeeping needs of the portal's services. */
export type HousekeepingServices = Pick<
  PortalServices,
  'db' | 'clock' | 'random' | 'rateLimiter' | 'mfa' | 'signingKeys'
>;

/** Settings of a housekeeping pass. */
export interface HousekeepingOptions {
  /** Keep sent messages this long after sending (default 30 days). */
  readonly sentMessagesKeptMs?: number;
  /** Forget sign-in failure counts (of unlocked keys) untouched this long (default 30 days). */
  readonly lockoutIdleMs?: number;
}

/** How many rows one housekeeping pass deleted, per kind. */
export interface HousekeepingCounts {
  /** Provider sessions, grants, codes, tokens and interactions past their expiry. */
  readonly oidcModels: number;
  readonly flows: number;
  readonly oneTimeTokens: number;
  readonly throttleCounters: number;
  readonly lockouts: number;
  readonly rpSessions: number;
  /** Retired signing keys whose publication period is over. */
  readonly signingKeys: number;
  readonly sentMessages: number;
  readonly mfaChallenges: number;
  readonly mfaPendingFactors: number;
}

/** One or more housekeeping tasks failed; the others ran, and `counts` says what they deleted. */
export class HousekeepingError extends AggregateError {
  constructor(
    readonly counts: HousekeepingCounts,
    readonly failedTasks: readonly string[],
    causes: readonly unknown[],
  ) {
    super(causes, `Housekeeping failed for: ${failedTasks.join(', ')}`);
    this.name = 'HousekeepingError';
  }
}

/** Calls `deleteBatch` until it deletes less than a full batch; returns the total. */
async function drain(deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < BATCH) return total;
  }
}

/**
 * Deletes everything that has expired: provider rows, flows, one-time tokens, throttle counters,
 * stale lockouts, RP sessions, retired signing keys, old sent messages and MFA challenges.
 * Every task runs even when another fails; failures are then thrown together as a
 * HousekeepingError carrying the counts. Safe to run in several processes at once.
 */
export async function runHousekeeping(
  services: HousekeepingServices,
  options: HousekeepingOptions = {},
): Promise<HousekeepingCounts> {
  const { db, clock, random } = services;
  const sentKeptMs = options.sentMessagesKeptMs ?? SENT_MESSAGES_KEPT_MS;
  const lockoutIdleMs = options.lockoutIdleMs ?? LOCKOUT_IDLE_MS;
  const counts: Record<keyof HousekeepingCounts, number> = {
    oidcModels: 0,
    flows: 0,
    oneTimeTokens: 0,
    throttleCounters: 0,
    lockouts: 0,
    rpSessions: 0,
    signingKeys: 0,
    sentMessages: 0,
    mfaChallenges: 0,
    mfaPendingFactors: 0,
  };
  const tasks: [string, () => Promise<void>][] = [
    [
      'oidcModels',
      async () => {
        counts.oidcModels = await deleteExpiredOidcModels(db, clock);
      },
    ],
    [
      'flows',
      async () => {
        const flows = new KnexFlowRepository(db, clock, random);
        counts.flows = await drain(() => flows.deleteExpired(BATCH));
      },
    ],
    [
      'oneTimeTokens',
      async () => {
        counts.oneTimeTokens = await new KnexTokenRepository(db, clock, random).deleteExpired(
          BATCH,
        );
      },
    ],
    [
      'throttleCounters',
      async () => {
        counts.throttleCounters = await services.rateLimiter.deleteExpired(BATCH);
      },
    ],
    [
      'lockouts',
      async () => {
        counts.lockouts = await new KnexLockouts(db, clock).deleteStale(lockoutIdleMs, BATCH);
      },
    ],
    [
      'rpSessions',
      async () => {
        counts.rpSessions = await new KnexRpSessions(db, clock).deleteExpired();
      },
    ],
    [
      'signingKeys',
      async () => {
        counts.signingKeys = await services.signingKeys.deleteExpired();
      },
    ],
    [
      'sentMessages',
      async () => {
        const outbox = new KnexOutboxRepository(db);
        const before = new Date(clock.now().getTime() - sentKeptMs);
        counts.sentMessages = await drain(() => outbox.deleteSentBefore(before, BATCH));
      },
    ],
    [
      'mfa',
      async () => {
        const mfa = await services.mfa.deleteExpired();
        counts.mfaChallenges = mfa.challenges;
        counts.mfaPendingFactors = mfa.pendingFactors;
      },
    ],
  ];
  const failed: string[] = [];
  const causes: unknown[] = [];
  for (const [name, task] of tasks) {
    try {
      await task();
    } catch (err) {
      failed.push(name);
      causes.push(err);
    }
  }
  if (failed.length > 0) throw new HousekeepingError({ ...counts }, failed, causes);
  return { ...counts };
}

/** A running housekeeping loop. */
export interface HousekeepingLoop {
  /** Stops the loop and waits for a pass in progress to finish. */
  stop(): Promise<void>;
}

/** Settings of the housekeeping loop. */
export interface HousekeepingLoopOptions extends HousekeepingOptions {
  /** Time between the end of one pass and the start of the next, in milliseconds. */
  readonly intervalMs: number;
  /** Where a failed pass is reported (default: stderr); the loop carries on. */
  readonly onError?: (err: unknown) => void;
  /** Called with the counts after each successful pass. */
  readonly onPass?: (counts: HousekeepingCounts) => void;
}

/**
 * Runs housekeeping at once and then every `intervalMs` until stopped. Passes never overlap, a
 * failed pass is reported and the loop goes on (it never throws), and the timer does not keep
 * the process alive.
 */
export function startHousekeeping(
  services: HousekeepingServices,
  options: HousekeepingLoopOptions,
): HousekeepingLoop {
  if (!Number.isSafeInteger(options.intervalMs) || options.intervalMs <= 0) {
    throw new RangeError('intervalMs must be a positive whole number of milliseconds');
  }
  const report = (err: unknown) => {
    try {
      (options.onError ?? ((e: unknown) => console.error('Housekeeping failed:', e)))(err);
    } catch {
      // A failing reporter must not stop the loop.
    }
  };
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  const pass = async () => {
    timer = null;
    if (stopped) return;
    try {
      const counts = await runHousekeeping(services, options);
      options.onPass?.(counts);
    } catch (err) {
      report(err);
    }
    if (!stopped) schedule(options.intervalMs);
  };
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      running = pass();
    }, delayMs);
    timer.unref();
  };
  schedule(0);

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}

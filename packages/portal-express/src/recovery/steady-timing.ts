import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How long, at least, the forgotten-username and forgotten-password forms take to answer.
 * Every path (known or unknown account, legacy or new username, rate-limited) does similar
 * database work, and then waits until this much time has passed since the request arrived, so
 * that the response time says nothing about the account.
 */
export const STEADY_ANSWER_MS = 400;

/** Starts a stopwatch; `settle()` waits until `minimumMs` have passed since the start. */
export function steadyAnswer(minimumMs: number = STEADY_ANSWER_MS): { settle(): Promise<void> } {
  const started = performance.now();
  return {
    async settle() {
      const left = minimumMs - (performance.now() - started);
      if (left > 0) await sleep(left);
    },
  };
}

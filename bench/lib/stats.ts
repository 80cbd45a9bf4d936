/**
 * Counting and timing for the benchmark's own load loops: a fixed number of virtual users each
 * repeat one operation until the time is up; latencies are kept in full (a run records at most
 * some hundred thousand numbers) and percentiles read from the sorted list.
 */
import { performance } from 'node:perf_hooks';

/** The outcome of a timed load loop. */
export interface Throughput {
  /** Operations that completed successfully. */
  readonly completed: number;
  /** Operations that failed (an error, or an answer the operation did not expect). */
  readonly failed: number;
  /** Wall-clock seconds from the first start to the last finish. */
  readonly seconds: number;
  /** Completed operations per second. */
  readonly perSecond: number;
  /** Latency percentiles of completed operations, in milliseconds. */
  readonly p50: number;
  readonly p99: number;
  /** The first failure's message, to show when something went wrong. */
  readonly firstError: string | null;
}

/** What an operation answers: done (true), or nothing more to do for this virtual user (false). */
export type Operation = (user: number) => Promise<boolean>;

/** Options of runLoad. */
export interface LoadOptions {
  /** Virtual users working at once. */
  readonly concurrency: number;
  /** Stop starting new operations after this many seconds. */
  readonly seconds: number;
  /** Stop after this many completed operations in all (default: no limit). */
  readonly maxOperations?: number;
}

/** The value at quantile `q` (0–1) of ascending `sorted`, or 0 when it is empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/**
 * Runs `operation` from `concurrency` virtual users until `seconds` have passed (operations in
 * flight finish), an operation answers false (that user stops), or `maxOperations` completed.
 */
export async function runLoad(options: LoadOptions, operation: Operation): Promise<Throughput> {
  const latencies: number[] = [];
  let failed = 0;
  let started = 0;
  let firstError: string | null = null;
  const t0 = performance.now();
  const deadline = t0 + options.seconds * 1000;
  const limit = options.maxOperations ?? Number.POSITIVE_INFINITY;
  const user = async (n: number) => {
    while (performance.now() < deadline && started < limit) {
      started++;
      const begin = performance.now();
      try {
        const more = await operation(n);
        if (!more) {
          started--;
          return;
        }
        latencies.push(performance.now() - begin);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
        if (failed > 50 && failed > latencies.length) return;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, n) => user(n)));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    completed: latencies.length,
    failed,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    firstError,
  };
}

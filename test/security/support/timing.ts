/** One kind of request whose answer time is measured. */
export interface TimedArm {
  readonly label: string;
  /** Gets ready for one request (not timed): open the form, clear limits. */
  readonly before?: () => Promise<void>;
  /** Sends the request (timed) and checks its answer. */
  readonly send: () => Promise<void>;
}

/** What one comparison of two arms found, in milliseconds. */
export interface TimingComparison {
  readonly labels: readonly [string, string];
  readonly medians: readonly [number, number];
  /** The median of the paired differences (first − second). */
  readonly pairedDifference: number;
  /** The largest difference the comparison allows. */
  readonly allowed: number;
  readonly samples: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function timed(arm: TimedArm): Promise<number> {
  await arm.before?.();
  const started = performance.now();
  await arm.send();
  return performance.now() - started;
}

/**
 * Times `samples` requests of each arm after `warmUp` untimed ones, interleaved in pairs whose
 * order alternates (so drift in the machine's load falls on both alike), and compares the
 * medians. The allowed difference is the largest of `relative` of the slower median,
 * `absoluteMs`, and three standard errors of the median paired difference (the machine's own
 * noise: small on a quiet machine, larger when other work shares its cores).
 */
export async function compareTimings(
  a: TimedArm,
  b: TimedArm,
  options: { samples: number; warmUp?: number; relative?: number; absoluteMs?: number },
): Promise<TimingComparison> {
  for (let i = 0; i < (options.warmUp ?? 3); i++) {
    await timed(a);
    await timed(b);
  }
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    if (i % 2 === 0) {
      first.push(await timed(a));
      second.push(await timed(b));
    } else {
      second.push(await timed(b));
      first.push(await timed(a));
    }
  }
  const medians = [median(first), median(second)] as const;
  const differences = first.map((t, i) => t - (second[i] ?? 0));
  const pairedDifference = median(differences);
  // The standard error of a median of n paired differences (1.2533 σ/√n, σ from the median
  // absolute deviation): three of them is what the machine's own noise can make of nothing.
  const sigma = 1.4826 * median(differences.map((d) => Math.abs(d - pairedDifference)));
  const noise = (3 * 1.2533 * sigma) / Math.sqrt(differences.length);
  return {
    labels: [a.label, b.label],
    medians,
    pairedDifference,
    allowed: Math.max(
      (options.relative ?? 0.05) * Math.max(...medians),
      options.absoluteMs ?? 5,
      noise,
    ),
    samples: options.samples,
  };
}

/** True when both the medians and the paired differences are within what the comparison allows. */
export function withinBounds(c: TimingComparison): boolean {
  return (
    Math.abs(c.medians[0] - c.medians[1]) <= c.allowed && Math.abs(c.pairedDifference) <= c.allowed
  );
}

/** The comparison in one line, for failure messages and the log. */
export function describeComparison(c: TimingComparison): string {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  return (
    `${c.labels[0]}: ${ms(c.medians[0])}, ${c.labels[1]}: ${ms(c.medians[1])} ` +
    `(median of ${c.samples} pairs; paired difference ${ms(c.pairedDifference)}; allowed ${ms(c.allowed)})`
  );
}

/**
 * Compares two arms, and once more with twice the samples if the first comparison is out of
 * bounds (a busy moment); the second comparison decides.
 */
export async function compareTwice(
  a: TimedArm,
  b: TimedArm,
  options: Parameters<typeof compareTimings>[2],
): Promise<TimingComparison> {
  const first = await compareTimings(a, b, options);
  if (withinBounds(first)) return first;
  return compareTimings(a, b, { ...options, samples: options.samples * 2, warmUp: 1 });
}

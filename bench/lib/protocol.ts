/** The messages between the benchmark and a portal child process (bench/portal-child.ts). */

/** A bench account the child made: active, with a password and a confirmed authenticator app. */
export interface BenchUser {
  readonly username: string;
  readonly password: string;
  /** The TOTP secret, base32. */
  readonly totpSecret: string;
}

/** The memory of the child process, after a full garbage collection. */
export interface ChildMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

/** What the parent asks the child to do. */
export type ChildCommand =
  | { readonly cmd: 'seed'; readonly prefix: string; readonly count: number }
  | { readonly cmd: 'sessions'; readonly count: number }
  | { readonly cmd: 'memory' }
  | { readonly cmd: 'cpu' }
  | { readonly cmd: 'countModels'; readonly model: string }
  | { readonly cmd: 'queries'; readonly reset: boolean }
  | { readonly cmd: 'stop' };

/** The answer to each command. */
export interface ChildResults {
  seed: BenchUser[];
  sessions: number;
  memory: ChildMemory;
  /** CPU time the process used so far (all threads, argon2's included), in microseconds. */
  cpu: number;
  countModels: number;
  /** SQL statements run since the last reset, most frequent first (with BENCH_COUNT_QUERIES=1). */
  queries: { sql: string; count: number }[];
  stop: null;
}

/** A command with the id its answer carries. */
export type ChildRequest = ChildCommand & { readonly id: number };

/** The child's messages: ready once listening, then one answer per request. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly url: string; readonly dialect: string }
  | { readonly type: 'answer'; readonly id: number; readonly result: unknown }
  | { readonly type: 'failure'; readonly id: number; readonly message: string }
  | { readonly type: 'startFailed'; readonly message: string };

/** The id of the public (PKCE) client the child registers for the benchmark. */
export const BENCH_CLIENT_ID = 'porth-bench';
/** The path, on the portal's own origin, the bench client's redirect URI points to. */
export const BENCH_CALLBACK_PATH = '/bench-callback';

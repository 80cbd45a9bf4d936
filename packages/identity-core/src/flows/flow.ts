import { FlowExpiredError, InvalidTransitionError } from '../errors.js';

/** A multi-step journey persisted in the database: sign-in, migration, reset, invitation … */
export interface Flow<S extends string = string, C extends object = Record<string, unknown>> {
  /** 256-bit random id, safe to put in a URL. */
  readonly id: string;
  /** Which machine the flow belongs to, e.g. `migration`, `sign_in`. */
  readonly kind: string;
  readonly state: S;
  /** Bumped by every save; a save with a stale version fails. */
  readonly version: number;
  readonly accountId: string | null;
  /** Facts gathered so far; never a password, code or secret. */
  readonly context: C;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly expiresAt: Date;
}

/** Every allowed transition of a machine, written out once: `state → states it may go to`. */
export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

/** True when the machine allows `from → to`. */
export function canTransition<S extends string>(
  table: TransitionTable<S>,
  from: S,
  to: S,
): boolean {
  return table[from].includes(to);
}

/**
 * Returns the flow moved to `to` with `context` merged in; the flow itself is not changed.
 * Throws FlowExpiredError after `expiresAt` and InvalidTransitionError for a move the table forbids.
 */
export function transition<S extends string, C extends object>(
  table: TransitionTable<S>,
  flow: Flow<S, C>,
  to: S,
  now: Date,
  context: Partial<C> = {},
): Flow<S, C> {
  assertNotExpired(flow, now);
  if (!canTransition(table, flow.state, to)) throw new InvalidTransitionError(flow.state, to);
  return { ...flow, state: to, context: { ...flow.context, ...context }, updatedAt: now };
}

/** Throws FlowExpiredError when the flow's time has run out. */
export function assertNotExpired(flow: Flow<string, object>, now: Date): void {
  if (now.getTime() >= flow.expiresAt.getTime()) throw new FlowExpiredError();
}

/**
 * The states of one legacy account's migration, written out once. The allowed moves between
 * them are in transitions.ts and drawn in docs/migration-flow.mermaid.
 */

/** Every migration state, in the order an account passes through them. */
export const MIGRATION_STATES = ['legacy', 'migrated', 'required_actions', 'active'] as const;

/**
 * Where a legacy account's migration stands:
 * - `legacy`: imported; the legacy username and legacy password are the only way in, and they
 *   only lead to the migration page;
 * - `migrated`: the legacy password was verified, a new username issued and a temporary
 *   password emailed; nobody has signed in with the new username yet;
 * - `required_actions`: the user has signed in with the new username and is working through
 *   the required actions (second factor, new password, missing details);
 * - `active`: every required action is done; the migration is complete.
 */
export type MigrationState = (typeof MIGRATION_STATES)[number];

/** True when `value` is one of the migration states. */
export function isMigrationState(value: unknown): value is MigrationState {
  return (MIGRATION_STATES as readonly unknown[]).includes(value);
}

/** One account's migration record (a row of `account_migrations`). */
export interface MigrationRecord {
  readonly accountId: string;
  readonly state: MigrationState;
  /** Bumped by every save; a save with a stale version fails. */
  readonly version: number;
  /** When the legacy password was verified and the account migrated. */
  readonly migratedAt: Date | null;
  /** When the latest temporary password was put in the outbox. */
  readonly temporaryPasswordSentAt: Date | null;
  /** When the latest temporary password stops working. */
  readonly temporaryPasswordExpiresAt: Date | null;
  /** How many times a new temporary password was sent after the first. */
  readonly temporaryPasswordResends: number;
  /** When the user first signed in with the new username. */
  readonly firstSignInAt: Date | null;
  /** When the last required action was completed. */
  readonly completedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

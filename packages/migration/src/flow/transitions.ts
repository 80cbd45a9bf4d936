/**
 * The migration state machine: every allowed transition written out once, and a pure function
 * that applies one. docs/migration-flow.mermaid draws exactly this table (a test checks it).
 */
import { InvalidTransitionError, canTransition, type TransitionTable } from '@porth/identity-core';
import type { MigrationRecord, MigrationState } from './states.js';

/**
 * Every allowed transition: `state → states it may go to`.
 * - `legacy → migrated`: legacy username and legacy password verified;
 * - `migrated → required_actions`: first sign-in with the new username and temporary password;
 * - `required_actions → active`: the last required action completed.
 * `active` is final.
 */
export const MIGRATION_TRANSITIONS: TransitionTable<MigrationState> = {
  legacy: ['migrated'],
  migrated: ['required_actions'],
  required_actions: ['active'],
  active: [],
};

/** True when the machine allows `from → to`. */
export function canMigrationTransition(from: MigrationState, to: MigrationState): boolean {
  return canTransition(MIGRATION_TRANSITIONS, from, to);
}

/**
 * Returns `record` moved to `to` at `now`, stamping the moment the new state began
 * (`migratedAt`, `firstSignInAt`, `completedAt`); the record itself is not changed. Throws
 * InvalidTransitionError for a move the table forbids.
 * @example transitionMigration(record, 'migrated', clock.now())
 */
export function transitionMigration(
  record: MigrationRecord,
  to: MigrationState,
  now: Date,
): MigrationRecord {
  if (!canMigrationTransition(record.state, to)) {
    throw new InvalidTransitionError(record.state, to);
  }
  const stamped: { -readonly [K in keyof MigrationRecord]: MigrationRecord[K] } = {
    ...record,
    state: to,
    updatedAt: now,
  };
  if (to === 'migrated') stamped.migratedAt = now;
  if (to === 'required_actions') stamped.firstSignInAt = now;
  if (to === 'active') stamped.completedAt = now;
  return stamped;
}

/**
 * Returns `record` with a newly sent temporary password recorded (a resend when one was sent
 * before); the state does not change.
 */
export function withTemporaryPassword(
  record: MigrationRecord,
  sentAt: Date,
  expiresAt: Date,
): MigrationRecord {
  return {
    ...record,
    temporaryPasswordSentAt: sentAt,
    temporaryPasswordExpiresAt: expiresAt,
    temporaryPasswordResends:
      record.temporaryPasswordSentAt === null
        ? record.temporaryPasswordResends
        : record.temporaryPasswordResends + 1,
    updatedAt: sentAt,
  };
}

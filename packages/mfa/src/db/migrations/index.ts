import type { Migration } from '@porth/identity-core';
import { createMfaTables } from './20261124T0100_mfa.js';

/**
 * The schema changes of @porth/mfa, oldest first. Apply them after identity-core's:
 * `migrateToLatest(db, [...identityCoreMigrations, ...mfaMigrations])`.
 */
export const mfaMigrations: readonly Migration[] = [createMfaTables];

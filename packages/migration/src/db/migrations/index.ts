import type { Migration } from '@porth/identity-core';
import { createMigrationTables } from './20261124T0200_migration.js';

/** The schema changes of @porth/migration, oldest first; apply them after identityCoreMigrations. */
export const migrationMigrations: readonly Migration[] = [createMigrationTables];

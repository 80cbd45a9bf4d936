import { identityCoreMigrations, type Migration } from '@porth/identity-core';
import { mfaMigrations } from '@porth/mfa';
import { migrationMigrations } from '@porth/migration';
import { marksMigrations } from './marks-migration.js';
import { portalMigrations } from './portal-migration.js';

/** Every package's schema changes, in the order they apply. */
export const allMigrations: readonly Migration[] = [
  ...identityCoreMigrations,
  ...mfaMigrations,
  ...migrationMigrations,
  ...portalMigrations,
  ...marksMigrations,
];

import type { Migration } from '../migrate.js';
import { createIdentityCore } from './20261123T0000_identity_core.js';

/** The schema changes of @porth/identity-core, oldest first. */
export const identityCoreMigrations: readonly Migration[] = [createIdentityCore];

import type { Migration } from '../migrate.js';
import { createIdentityCore } from './20261123T0000_identity_core.js';
import { createCentres } from './20261125T0000_centres.js';

/** The schema changes of @porth/identity-core, oldest first. */
export const identityCoreMigrations: readonly Migration[] = [createIdentityCore, createCentres];

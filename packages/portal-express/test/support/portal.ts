import {
  createTestDatabase,
  createManualClock,
  type TestDatabase,
} from '@porth/identity-core/testing';
import { cryptoRandom } from '@porth/identity-core';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import { loadPortalConfig, type PortalConfig } from '../../src/config.js';
import { allMigrations } from '../../src/db/migrations.js';
import { createServices, type PortalServices } from '../../src/services.js';

/** A portal app over a fresh test database (SQLite, or MariaDB when DATABASE_URL says so). */
export interface TestPortal {
  readonly app: Express;
  readonly config: PortalConfig;
  readonly database: TestDatabase;
  readonly services: PortalServices;
  readonly clock: ReturnType<typeof createManualClock>;
  destroy(): Promise<void>;
}

/** Builds a test portal; `env` adds or overrides environment settings. */
export async function createTestPortal(env: Record<string, string> = {}): Promise<TestPortal> {
  const database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
  const config = loadPortalConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, ...env });
  const clock = createManualClock(Date.UTC(2026, 10, 24, 9));
  const services = createServices(config, database.db, clock, cryptoRandom);
  const app = await createApp({
    config,
    db: database.db,
    clock,
    random: cryptoRandom,
    services,
    logError: () => undefined,
  });
  return { app, config, database, services, clock, destroy: () => database.destroy() };
}

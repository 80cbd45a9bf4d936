import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import {
  connectDatabase,
  cryptoRandom,
  migrateToLatest,
  pendingMigrations,
  systemClock,
  type Clock,
  type RandomSource,
} from '@porth/identity-core';
import { createApp } from './app.js';
import type { PortalConfig } from './config.js';
import { allMigrations } from './db/migrations.js';
import { seedDemo, type DemoAccount } from './demo/seed.js';
import { createServices, type PortalServices } from './services.js';
import { registerBuiltInClients } from './oidc/built-in-clients.js';
import { startHousekeeping } from './housekeeping.js';

/** A running portal. */
export interface RunningPortal {
  /** Where it listens, e.g. `http://localhost:3000`. */
  readonly url: string;
  readonly server: Server;
  readonly db: Knex;
  readonly services: PortalServices;
  /** Demo accounts seeded at start-up (development with `--demo` only). */
  readonly demoAccounts: readonly DemoAccount[];
  /** Stops accepting requests, finishes those in flight and closes the database. */
  close(): Promise<void>;
}

/** Options for startPortal. */
export interface StartOptions {
  /** Apply pending migrations first (default: yes outside production). */
  readonly migrate?: boolean;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  /** Host to bind (default 127.0.0.1 outside production, all interfaces in production). */
  readonly host?: string;
  /** How often queued mail is looked for, in milliseconds (default 2000). */
  readonly mailIntervalMs?: number;
}

/** Thrown when production starts against a database with migrations still to apply. */
export class PendingMigrationsError extends Error {
  constructor(readonly pending: readonly string[]) {
    super(
      `The database needs migrating first (run: porth db migrate). Pending: ${pending.join(', ')}`,
    );
    this.name = 'PendingMigrationsError';
  }
}

/** Connects to the database, migrates it in development, and serves the portal. */
export async function startPortal(
  config: PortalConfig,
  options: StartOptions = {},
): Promise<RunningPortal> {
  const db = connectDatabase(config.databaseUrl);
  try {
    const migrate = options.migrate ?? config.env !== 'production';
    if (migrate) {
      await migrateToLatest(db, allMigrations);
    } else {
      const pending = await pendingMigrations(db, allMigrations);
      if (pending.length > 0) throw new PendingMigrationsError(pending);
    }
    const clock = options.clock ?? systemClock;
    const random = options.random ?? cryptoRandom;
    const services = createServices(config, db, clock, random);
    const demoAccounts =
      config.demo && config.env !== 'production'
        ? await seedDemo(config, { db, clock, random, services })
        : [];
    await registerBuiltInClients(config, services.clients);
    const app = await createApp({ config, db, clock, random, services });
    const host = options.host ?? (config.env === 'production' ? '0.0.0.0' : '127.0.0.1');
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.port, host, () => resolve(s));
      s.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    const url = config.port === port ? config.publicUrl : `http://localhost:${port}`;
    services.dispatcher.start({ intervalMs: options.mailIntervalMs ?? 2000 });
    const housekeeping = startHousekeeping(services, {
      intervalMs: 15 * 60_000,
      onError: (err) => console.error(err),
    });
    return {
      url,
      server,
      db,
      services,
      demoAccounts,
      async close() {
        await services.dispatcher.stop();
        await housekeeping.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

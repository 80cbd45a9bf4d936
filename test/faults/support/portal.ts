/** Portals for the fault tests: in this process over a given database, with a clock the test moves. */
import type { Clock } from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import { loadPortalConfig } from '../../../packages/portal-express/src/config.js';
import { startPortal } from '../../../packages/portal-express/src/server.js';
import {
  freePort,
  type RunningTestPortal,
} from '../../../packages/portal-express/test/support/server.js';

/** Options for startPortalOver. */
export interface FaultPortalOptions {
  readonly clock?: Clock;
  /** Extra environment (e.g. SMTP_URL). */
  readonly env?: Record<string, string>;
  /** How often the mail dispatcher looks for due mail (default 200 ms). */
  readonly mailIntervalMs?: number;
}

/**
 * Starts a real portal (startPortal, as `porth start` does) over `database`; stop() closes the
 * portal but leaves the database to its owner.
 */
export async function startPortalOver(
  database: TestDatabase,
  options: FaultPortalOptions = {},
): Promise<RunningTestPortal> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadPortalConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    PUBLIC_URL: url,
    DATABASE_URL: database.url,
    MFA_ALLOW_FICTIONAL_NUMBERS: 'true',
    ...options.env,
  });
  const portal = await startPortal(config, {
    host: '127.0.0.1',
    mailIntervalMs: options.mailIntervalMs ?? 200,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    url,
    portal,
    config,
    database,
    async stop() {
      await portal.close();
    },
  };
}

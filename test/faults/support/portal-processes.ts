/**
 * Two portal server processes over one MariaDB/MySQL database, behind the round-robin proxy of
 * the provider tests (packages/portal-express/test/support/provider.ts): both have the proxy's
 * address as PUBLIC_URL, and request n goes to process n % 2.
 *
 * The test process builds the same services over the same database (createServices, not
 * serving), so the shared helpers (createTestUser, insertLegacyAccount, the outbox readers …)
 * work through `front`, a RunningTestPortal whose `url` is the proxy's.
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { cryptoRandom, systemClock } from '@porth/identity-core';
import { createTestDatabase, type TestDatabase } from '@porth/identity-core/testing';
import { loadPortalConfig } from '../../../packages/portal-express/src/config.js';
import { allMigrations } from '../../../packages/portal-express/src/db/migrations.js';
import { createServices } from '../../../packages/portal-express/src/services.js';
import {
  startRoundRobinProxy,
  type RoundRobinProxy,
} from '../../../packages/portal-express/test/support/provider.js';
import {
  freePort,
  type RunningTestPortal,
} from '../../../packages/portal-express/test/support/server.js';
import { ScriptProcess } from './child-process.js';

const PORTAL_CHILD = fileURLToPath(new URL('./portal-child.ts', import.meta.url));

/** Two portal processes, their proxy, their database, and a view of them for the shared helpers. */
export interface PortalProcesses {
  readonly proxy: RoundRobinProxy;
  readonly processes: readonly [ScriptProcess, ScriptProcess];
  /** Each process's own address. */
  readonly directUrls: readonly [string, string];
  readonly database: TestDatabase;
  /** `url` is the proxy's; `portal.services` are this process's services over the same database. */
  readonly front: RunningTestPortal;
  /** What the processes printed on stderr, to show when a test fails. */
  logs(): string;
  stop(): Promise<void>;
}

/** Starts two portal processes (node + tsx, from the source tree) over a fresh test database. */
export async function startPortalProcesses(baseUrl: string): Promise<PortalProcesses> {
  const database = await createTestDatabase(allMigrations, baseUrl);
  const proxy = await startRoundRobinProxy();
  const processes: ScriptProcess[] = [];
  const stop = async () => {
    await proxy.close();
    await Promise.all(
      processes.map(async (child) => {
        const timer = setTimeout(() => void child.kill('SIGKILL'), 10_000);
        await child.kill('SIGTERM');
        clearTimeout(timer);
      }),
    );
    await database.destroy();
  };
  try {
    const env = {
      NODE_ENV: 'test',
      PUBLIC_URL: proxy.url,
      DATABASE_URL: database.url,
      MFA_ALLOW_FICTIONAL_NUMBERS: 'true',
    };
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      processes.push(new ScriptProcess(PORTAL_CHILD, [], { ...env, PORT: String(port) }));
    }
    const directUrls = ports.map((port) => `http://127.0.0.1:${port}`) as [string, string];
    for (const child of processes) await child.waitForLine(/^ready /, 60_000);
    proxy.targets.push(...directUrls);

    const config = loadPortalConfig({ ...env, PORT: String(ports[0]) });
    const services = createServices(config, database.db, systemClock, cryptoRandom);
    const front: RunningTestPortal = {
      url: proxy.url,
      config,
      database,
      portal: {
        url: proxy.url,
        server: createServer(),
        db: database.db,
        services,
        demoAccounts: [],
        async close() {},
      },
      stop,
    };
    return {
      proxy,
      processes: processes as [ScriptProcess, ScriptProcess],
      directUrls,
      database,
      front,
      logs: () =>
        processes.map((child, i) => `--- process ${i} stderr:\n${child.stderr}`).join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * One portal process for the two-process race tests, configured by its environment exactly as
 * `porth start` is (PORT, PUBLIC_URL, DATABASE_URL, NODE_ENV …):
 *
 *   PORT=… PUBLIC_URL=… DATABASE_URL=mysql://… node --import tsx --conditions=@porth/source portal-child.ts
 *
 * Serves with startPortal (without migrating: the test migrated the database), prints
 * `ready <url>` once it listens, closes cleanly on SIGTERM, and exits by itself if the test
 * process that started it has gone.
 */
import { writeSync } from 'node:fs';
import { loadPortalConfig } from '../../../packages/portal-express/src/config.js';
import { startPortal } from '../../../packages/portal-express/src/server.js';

// Ends with the test process, even one killed without the chance to stop it (its parent changes).
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 1_000).unref();
const config = loadPortalConfig(process.env);
const portal = await startPortal(config, {
  host: '127.0.0.1',
  mailIntervalMs: 200,
  migrate: false,
});
writeSync(1, `ready http://127.0.0.1:${config.port}\n`);
process.once('SIGTERM', () => {
  portal.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});

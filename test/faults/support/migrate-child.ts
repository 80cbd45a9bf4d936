/**
 * Migrates legacy accounts one after another in its own process, for the tests that kill a
 * migration half-way:
 *
 *   DATABASE_URL=… node --import tsx --conditions=@porth/source migrate-child.ts ACCOUNTS.json [PAUSE_AT]
 *
 * ACCOUNTS.json holds `[{ "legacyUsername": …, "password": … }, …]`. Each account goes through
 * `MigrationFlow.migrate`, built exactly as the portal builds it (createServices); after each one
 * it prints `migrated <legacyUsername> <outcome>`. With PAUSE_AT (a legacy username), the
 * process stops dead inside that account's migration transaction — at the moment it queues the
 * temporary-password email, after the username, password, required actions and migration
 * record were written but before the commit — prints `paused <legacyUsername>` and waits there
 * for the test to kill it. At the end it prints `done`.
 */
import { readFileSync, writeSync } from 'node:fs';
import { connectDatabase, cryptoRandom, systemClock } from '@porth/identity-core';
import { loadPortalConfig } from '../../../packages/portal-express/src/config.js';
import { createServices } from '../../../packages/portal-express/src/services.js';

const [file, pauseAt] = process.argv.slice(2);
if (!file) throw new Error('usage: migrate-child.ts ACCOUNTS.json [PAUSE_AT]');
const accounts = JSON.parse(readFileSync(file, 'utf8')) as {
  legacyUsername: string;
  password: string;
}[];

const config = loadPortalConfig(process.env);
const db = connectDatabase(config.databaseUrl);
const services = createServices(config, db, systemClock, cryptoRandom);
let current = '';
db.on('query', (query: { sql?: string }) => {
  if (current !== pauseAt || !/insert into [`"]?outbox_messages/i.test(query.sql ?? '')) return;
  writeSync(1, `paused ${current}\n`);
  // Blocks this process, mid-transaction, until it is killed (or a minute has passed).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
});
try {
  for (const account of accounts) {
    current = account.legacyUsername;
    const result = await services.migration.migrate({
      legacyUsername: account.legacyUsername,
      password: account.password,
    });
    writeSync(1, `migrated ${account.legacyUsername} ${result.outcome}\n`);
  }
  writeSync(1, 'done\n');
} finally {
  await db.destroy();
}

import type { Command } from 'commander';
import type { Knex } from 'knex';
import {
  KnexAuditLog,
  cryptoRandom,
  systemClock,
  transaction,
  type Clock,
  type RandomSource,
} from '@porth/identity-core';
import { loadPortalConfig } from '../config.js';
import { KnexSigningKeys, type SigningKeyInfo } from '../oidc/signing-keys.js';
import type { CliIo } from './command-io.js';
import { withDatabase } from './db.js';

/** How often a running portal looks for new signing keys (ProviderHost's default), for messages. */
const RELOAD_SECONDS = 30;

/** The clock and random source of a key command (replaceable in tests). */
export interface KeysEnvironment {
  readonly clock?: Clock;
  readonly random?: RandomSource;
}

/** Lists the published signing keys (`porth keys list`), newest first; as a table or JSON. */
export async function runKeysList(
  db: Knex,
  secretKey: string,
  options: { readonly json?: boolean },
  io: CliIo,
  environment: KeysEnvironment = {},
): Promise<SigningKeyInfo[]> {
  const keys = await new KnexSigningKeys(
    db,
    environment.clock ?? systemClock,
    environment.random ?? cryptoRandom,
    secretKey,
  ).list();
  io.out(options.json ? `${JSON.stringify(keys, null, 2)}\n` : formatKeyList(keys));
  return keys;
}

/**
 * Rotates the signing key (`porth keys rotate`): the new key is published at once and every
 * running portal signs with it within 30 seconds; the previous key stays published for a day so
 * tokens it signed still verify. Audited.
 */
export async function runKeysRotate(
  db: Knex,
  secretKey: string,
  io: CliIo,
  environment: KeysEnvironment = {},
): Promise<SigningKeyInfo> {
  const clock = environment.clock ?? systemClock;
  const random = environment.random ?? cryptoRandom;
  const { created, retired } = await transaction(db, async (trx) => {
    const keys = new KnexSigningKeys(trx, clock, random, secretKey);
    const before = (await keys.list()).filter((k) => k.retiredAt === null);
    const created = await keys.rotate();
    const retired = (await keys.list()).filter((k) => before.some((b) => b.kid === k.kid));
    await new KnexAuditLog(trx, clock).append({
      type: 'oidc.signing_key_rotated',
      outcome: 'success',
      details: { kid: created.kid, retiredKids: retired.map((k) => k.kid) },
    });
    return { created, retired };
  });
  const lines = [`New signing key ${created.kid} (${created.alg}) is published.`];
  lines.push(
    retired.length > 0
      ? `Running portals sign with it within ${RELOAD_SECONDS} seconds; no restart is needed.`
      : 'There was no signing key before: running portals use it within ' +
          `${RELOAD_SECONDS} seconds, or when they start.`,
  );
  for (const key of retired) {
    lines.push(
      `The previous key ${key.kid} no longer signs but stays published until ` +
        `${key.removeAfter ? isoMinute(key.removeAfter) : 'further notice'} UTC, ` +
        'so tokens it signed still verify.',
    );
  }
  io.out(`${lines.join('\n')}\n`);
  return created;
}

/** The published keys as a table: the signing key first. */
export function formatKeyList(keys: readonly SigningKeyInfo[]): string {
  if (keys.length === 0) {
    return 'No signing keys yet: the portal makes the first one when it starts (or run porth keys rotate).\n';
  }
  const rows = keys.map((k, i) => [
    k.kid,
    k.alg,
    isoMinute(k.createdAt),
    k.retiredAt === null
      ? i === 0
        ? 'signing'
        : 'published, not signing'
      : `retired ${isoMinute(k.retiredAt)}, published until ${k.removeAfter ? isoMinute(k.removeAfter) : '—'}`,
  ]);
  const header = ['Key ID (kid)', 'Alg', 'Created (UTC)', 'Status'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}\n`;
}

function isoMinute(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

/** `porth keys list|rotate`. */
export function registerKeys(program: Command, io: CliIo): void {
  const keys = program
    .command('keys')
    .description(
      'The OpenID Connect signing keys (kept in the database, sealed under SECRET_KEY).',
    );
  keys
    .command('list')
    .description(
      'List the published signing keys: the one that signs, and retired ones still published.',
    )
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }) => {
      const { secretKey } = loadPortalConfig().secrets;
      await withDatabase((db) => runKeysList(db, secretKey, options, io));
    });
  keys
    .command('rotate')
    .description(
      'Publish a new signing key at once; running portals sign with it within 30 seconds, ' +
        'and the previous key stays published for a day so its tokens still verify.',
    )
    .action(async () => {
      const { secretKey } = loadPortalConfig().secrets;
      await withDatabase((db) => runKeysRotate(db, secretKey, io));
    });
}

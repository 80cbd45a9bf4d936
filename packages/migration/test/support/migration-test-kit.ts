/** Shared set-up of the @porth/migration tests: a database, a flow, legacy accounts, mail. */
import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';
import {
  Argon2PasswordHasher,
  KnexAccountRepository,
  KnexLockouts,
  KnexRateLimiter,
  MailOutbox,
  PasswordAuthenticator,
  SignInThrottle,
  cryptoRandom,
  identityCoreMigrations,
  type Account,
  type Clock,
  type OutboxEntry,
  type PorthConfig,
} from '@porth/identity-core';
import { createTestDatabase, type TestDatabase } from '@porth/identity-core/testing';
import {
  MigrationFlow,
  migrationMigrations,
  resolveMigrationSettings,
  type MigrationSettingsInput,
} from '../../src/index.js';
import { KnexMigrationFlowRepository } from '../../src/flow/knex-migration-flow-repository.js';

/** The secret the test outbox encrypts with. */
export const TEST_SECRET_KEY = 'migration-tests-secret-key-0123456789abcdef';
/** Where temporary-password emails point. */
export const SIGN_IN_URL = 'https://id.example.org/sign-in';
/** The page of a forgotten-original-password link, followed by the token. */
export const RESET_PAGE = 'https://id.example.org/migration/reset/';

/** One legacy hash from the independent-tool vectors of @porth/identity-core. */
export interface HashVector {
  readonly format: string;
  readonly password: string;
  readonly wrongPassword: string;
  readonly hash: string;
  readonly command: string;
}

/** The vectors made by openssl, htpasswd, mkpasswd, slappasswd and Python (see make-vectors.sh). */
export const VECTORS: readonly HashVector[] = (
  JSON.parse(
    readFileSync(
      new URL('../../../identity-core/test/fixtures/legacy-hashes/vectors.json', import.meta.url),
      'utf8',
    ),
  ) as { vectors: HashVector[] }
).vectors;

/** The first vector of a format (fast ones for most tests: md5-crypt, bcrypt cost 5). */
export function vector(format: string, index = 0): HashVector {
  const found = VECTORS.filter((v) => v.format === format)[index];
  if (!found) throw new Error(`no ${format} vector #${index}`);
  return found;
}

/** A fresh database with the identity-core and migration schemas. */
export function createMigrationTestDatabase(): Promise<TestDatabase> {
  return createTestDatabase(
    [...identityCoreMigrations, ...migrationMigrations],
    process.env.DATABASE_URL,
  );
}

/** The databases a suite runs on, for its title. */
export const DATABASE_LABEL = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** Throttling settings for tests: 3 failures lock for 15 minutes. */
export const THROTTLING: PorthConfig['throttling'] = {
  lockoutThreshold: 3,
  lockoutMs: 15 * 60_000,
  ipLimitPer15Minutes: 1000,
  hardLockoutThreshold: 100,
};

/** Everything a migration test talks to. */
export interface MigrationKit {
  readonly db: Knex;
  readonly flow: MigrationFlow;
  readonly outbox: MailOutbox;
  readonly hasher: Argon2PasswordHasher;
  readonly throttle: SignInThrottle;
  readonly authenticator: PasswordAuthenticator;
  readonly accounts: KnexAccountRepository;
  readonly records: KnexMigrationFlowRepository;
}

const sharedHasher = new Argon2PasswordHasher({ random: cryptoRandom });

/** Builds the migration flow and its neighbours over `db`. */
export function migrationKit(
  db: Knex,
  clock: Clock,
  settings: Partial<MigrationSettingsInput> = {},
): MigrationKit {
  const throttle = new SignInThrottle(
    new KnexRateLimiter(db, clock),
    new KnexLockouts(db, clock),
    THROTTLING,
  );
  const outbox = new MailOutbox({ db, clock, random: cryptoRandom, secretKey: TEST_SECRET_KEY });
  const flow = new MigrationFlow({
    db,
    clock,
    random: cryptoRandom,
    hasher: sharedHasher,
    throttle,
    rateLimiter: new KnexRateLimiter(db, clock),
    outbox,
    settings: resolveMigrationSettings({
      signInUrl: SIGN_IN_URL,
      legacyPasswordResetUrl: (token) => `${RESET_PAGE}${token}`,
      usernameDomain: 'wjec-appointees.co.uk',
      ...settings,
    }),
  });
  return {
    db,
    flow,
    outbox,
    hasher: sharedHasher,
    throttle,
    authenticator: new PasswordAuthenticator({
      db,
      clock,
      hasher: sharedHasher,
      random: cryptoRandom,
      throttle,
    }),
    accounts: new KnexAccountRepository(db, clock, cryptoRandom),
    records: new KnexMigrationFlowRepository(db, clock),
  };
}

/** A legacy record to create. */
export interface LegacySeed {
  readonly legacyUsername: string;
  readonly passwordHash: string;
  readonly email?: string | null;
  readonly givenName?: string | null;
  readonly familyName?: string | null;
  readonly phone?: string | null;
  readonly teachingCentre?: string | null;
  readonly locale?: 'en' | 'cy';
}

/** Imports one legacy account with its `legacy` migration record, as the importer does. */
export async function seedLegacy(db: Knex, clock: Clock, seed: LegacySeed): Promise<Account> {
  const account = await new KnexAccountRepository(db, clock, cryptoRandom).insertLegacy({
    email: 'sian.jones@example.org',
    givenName: 'Siân',
    familyName: 'Jones',
    phone: '07700 900982',
    teachingCentre: 'Ysgol Gyfun',
    ...seed,
  });
  await new KnexMigrationFlowRepository(db, clock).insertLegacy([account.id]);
  return account;
}

/** Empties every table the tests write, children first. */
export async function clearTables(db: Knex): Promise<void> {
  for (const table of [
    'legacy_credentials',
    'account_migrations',
    'audit_events',
    'lockouts',
    'throttle_counters',
    'one_time_tokens',
    'outbox_messages',
    'flows',
    'account_required_actions',
    'accounts',
  ]) {
    await db(table).delete();
  }
}

/** Every email in the outbox, oldest first, decrypted. */
export async function outboxMessages(outbox: MailOutbox): Promise<OutboxEntry[]> {
  return (await outbox.listRecent({ limit: 1000 })).reverse();
}

/** The temporary password in the text of a migration email. */
export function temporaryPasswordIn(text: string): string {
  const match = /(?:temporary password|cyfrinair dros dro)[^:\n]*:\s*(\S+)/i.exec(text);
  if (!match?.[1]) throw new Error(`no temporary password in:\n${text}`);
  return match[1];
}

/** The token at the end of a forgotten-original-password link in an email's text. */
export function resetTokenIn(text: string): string {
  const at = text.indexOf(RESET_PAGE);
  if (at < 0) throw new Error(`no reset link in:\n${text}`);
  const token = /^[A-Za-z0-9_-]+/.exec(text.slice(at + RESET_PAGE.length))?.[0];
  if (!token) throw new Error('empty reset token');
  return token;
}

/** The rejection of a promise that must fail. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to be rejected');
}

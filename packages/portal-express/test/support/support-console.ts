import { expect } from 'chai';
import {
  Argon2PasswordHasher,
  KnexAccountRepository,
  cryptoRandom,
  randomId,
  type Account,
  type AccountKind,
} from '@porth/identity-core';
import { KnexFactorRepository } from '@porth/mfa';
import type { RunningTestPortal } from './server.js';
import { Browser } from './rp.js';
import { emailedCode, pageText } from './sign-in-setup.js';

/** The password of every person the support-console tests make. */
export const PERSON_PASSWORD = 'Cymorth-Cryf!2026';

/** A person made for a test: an active account with a password and an email-code factor. */
export interface Person {
  readonly account: Account;
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

/** What to make a person with. */
export interface NewPerson {
  readonly kind: AccountKind;
  readonly given: string;
  readonly family: string;
  readonly username: string;
  readonly email: string;
  readonly locale?: 'en' | 'cy';
}

/**
 * Creates an active account of any kind with a password and a confirmed email-code second factor
 * (so signing in needs only the code from the outbox, at any clock).
 */
export async function createPerson(running: RunningTestPortal, person: NewPerson): Promise<Person> {
  const { db, clock, random } = running.portal.services;
  const accounts = new KnexAccountRepository(db, clock, random);
  const account = await accounts.createActive({
    kind: person.kind,
    username: person.username,
    email: person.email,
    emailVerified: true,
    givenName: person.given,
    familyName: person.family,
    locale: person.locale ?? 'en',
  });
  await accounts.setPasswordHash(
    account.id,
    await new Argon2PasswordHasher({ random: cryptoRandom }).hash(PERSON_PASSWORD),
  );
  await addEmailFactor(running, account.id, person.email);
  return { account, username: person.username, email: person.email, password: PERSON_PASSWORD };
}

/** Gives an account a confirmed, default email-code factor (test set-up, nothing emailed). */
export async function addEmailFactor(
  running: RunningTestPortal,
  accountId: string,
  email: string,
): Promise<string> {
  const { db, clock } = running.portal.services;
  const factors = new KnexFactorRepository(db);
  const now = clock.now();
  const factorId = randomId(cryptoRandom);
  await factors.lockAccount(accountId, now);
  await factors.insertPending({
    id: factorId,
    accountId,
    kind: 'email',
    destination: email,
    phoneType: null,
    secretSealed: null,
    riskAcknowledgedAt: now,
    createdAt: now,
  });
  await factors.activate(factorId, now);
  await factors.setDefault(accountId, factorId);
  return factorId;
}

/**
 * From the provider's username page the browser is on, signs in with username, password, the
 * emailed code and "Stay signed in? No".
 */
export async function completeSignIn(
  running: RunningTestPortal,
  browser: Browser,
  person: Pick<Person, 'username' | 'email' | 'password'>,
): Promise<void> {
  expect(browser.html, `the sign-in page at ${browser.url}`).to.contain('name="username"');
  await browser.submit({ username: person.username });
  await browser.submit({ password: person.password });
  const code = await emailedCode(running, person.email);
  await browser.submit({ action: 'verify', code });
  await browser.submit({ stay_signed_in: 'no' });
}

/** Signs in to the Portal from a new browser (through /portal/sign-in); ends at the Portal home. */
export async function signInToPortal(
  running: RunningTestPortal,
  person: Pick<Person, 'username' | 'email' | 'password'>,
): Promise<Browser> {
  const browser = new Browser(running.url);
  await browser.open('/portal/sign-in?as=appointee');
  await completeSignIn(running, browser, person);
  expect(new URL(browser.url).pathname, pageText(browser.html).slice(0, 800)).to.equal('/portal');
  return browser;
}

/** The CSRF token the browser's Portal pages carry (every page has the sign-out form). */
export async function csrfTokenOf(browser: Browser): Promise<string> {
  await browser.open('/portal');
  const token = browser.forms().find((f) => f.hidden._csrf)?.hidden._csrf;
  if (!token) throw new Error(`no CSRF token on ${browser.url}`);
  return token;
}

/** The tables a refused support request must leave exactly as they were, with their sort keys. */
const DATA_TABLES: readonly (readonly [string, readonly string[]])[] = [
  ['accounts', ['id']],
  ['account_required_actions', ['account_id', 'action']],
  ['account_migrations', ['account_id']],
  ['legacy_credentials', ['account_id']],
  ['mfa_accounts', ['account_id']],
  ['mfa_factors', ['id']],
  ['mfa_recovery_codes', ['id']],
  ['lockouts', ['key']],
  ['one_time_tokens', ['token_hash']],
  ['oidc_models', ['id']],
];

/**
 * Every row of the data tables a support action could change, in a stable order: accounts,
 * required actions, migration records, factors, recovery codes, lockouts, tokens, provider
 * state, queued mail, application sessions, and the audit log apart from refusals.
 */
export async function snapshot(running: RunningTestPortal): Promise<Record<string, unknown[]>> {
  const db = running.portal.db;
  const out: Record<string, unknown[]> = {};
  for (const [table, keys] of DATA_TABLES) {
    out[table] = (await db(table)
      .select('*')
      .orderBy([...keys])) as unknown[];
  }
  out.outbox_messages = await db('outbox_messages')
    .select('id', 'recipient', 'template', 'locale', 'account_id')
    .orderBy('id');
  out.rp_sessions = await db('rp_sessions')
    .whereNotNull('account_id')
    .select('id', 'app', 'account_id')
    .orderBy('id');
  out.audit_events = await db('audit_events')
    .whereNot('type', 'support.access_denied')
    .select('*')
    .orderBy('id');
  return out;
}

/** How many `support.access_denied` events the account has. */
export async function refusalsOf(running: RunningTestPortal, accountId: string): Promise<number> {
  const row = (await running.portal
    .db('audit_events')
    .where({ type: 'support.access_denied', account_id: accountId })
    .count({ n: '*' })
    .first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

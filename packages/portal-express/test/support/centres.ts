import { expect } from 'chai';
import { generate } from 'otplib';
import {
  Argon2PasswordHasher,
  KnexAccountRepository,
  KnexCentreRepository,
  cryptoRandom,
  defaultPermissions,
  normaliseEmail,
  randomId,
  type Account,
  type CentreMembership,
  type CentrePermission,
  type CentreRole,
  type Clock,
} from '@porth/identity-core';
import { KnexFactorRepository } from '@porth/mfa';
import type { RunningTestPortal } from './server.js';
import { Browser } from './rp.js';
import { emailedCode, mailsTo, pageText } from './sign-in-setup.js';

/** The password of every centre person these tests make. */
export const CENTRE_PASSWORD = 'Mynydd-Eira!2026';

/** A centre user made for a test: an active account with a password and an email-code factor. */
export interface CentrePerson {
  readonly account: Account;
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

/**
 * Creates an active `centre_user` account (username = email) with a password and a confirmed
 * email-code second factor, so that signing in needs only the code from the outbox.
 */
export async function createCentrePerson(
  running: RunningTestPortal,
  person: { given: string; family: string; email: string; locale?: 'en' | 'cy' },
): Promise<CentrePerson> {
  const { db, clock, random } = running.portal.services;
  const accounts = new KnexAccountRepository(db, clock, random);
  const account = await accounts.createActive({
    kind: 'centre_user',
    username: normaliseEmail(person.email),
    email: person.email,
    emailVerified: true,
    givenName: person.given,
    familyName: person.family,
    locale: person.locale ?? 'en',
  });
  await accounts.setPasswordHash(
    account.id,
    await new Argon2PasswordHasher({ random: cryptoRandom }).hash(CENTRE_PASSWORD),
  );
  const factors = new KnexFactorRepository(db);
  const now = clock.now();
  const factorId = randomId(cryptoRandom);
  await factors.lockAccount(account.id, now);
  await factors.insertPending({
    id: factorId,
    accountId: account.id,
    kind: 'email',
    destination: person.email,
    phoneType: null,
    secretSealed: null,
    riskAcknowledgedAt: now,
    createdAt: now,
  });
  await factors.activate(factorId, now);
  await factors.setDefault(account.id, factorId);
  return {
    account,
    email: person.email,
    password: CENTRE_PASSWORD,
    name: `${person.given} ${person.family}`,
  };
}

/** Creates a centre whose Exams Officer is `eo`. */
export async function createCentre(
  running: RunningTestPortal,
  number: string,
  name: string,
  eo: CentrePerson,
): Promise<CentreMembership> {
  const { db, clock, random } = running.portal.services;
  await new KnexCentreRepository(db, clock, random).createCentre(number, name);
  return addToCentre(running, number, eo, 'exams_officer');
}

/** Makes `person` an active member of the centre (test set-up, no email). */
export async function addToCentre(
  running: RunningTestPortal,
  number: string,
  person: CentrePerson,
  role: CentreRole,
  permissions: readonly CentrePermission[] = defaultPermissions(role),
): Promise<CentreMembership> {
  const { db, clock, random } = running.portal.services;
  const [given = '', family = ''] = person.name.split(' ');
  return new KnexCentreRepository(db, clock, random).insertMembership({
    centreNumber: number,
    accountId: person.account.id,
    role,
    permissions,
    email: person.email,
    givenName: given,
    familyName: family,
    locale: person.account.locale,
    invitedBy: null,
    invitationExpiresAt: null,
  });
}

/**
 * Signs in to the Portal as a centre user from a new browser: "Sign in as a centre user",
 * username (email), password, the emailed code, "Stay signed in? No". Ends at the Portal home.
 */
export async function signInToPortal(
  running: RunningTestPortal,
  person: { readonly email: string; readonly password: string },
  browser = new Browser(running.url),
): Promise<Browser> {
  await browser.open('/portal/sign-in?as=centre_user');
  await completeSignIn(running, browser, person);
  return browser;
}

/**
 * Signs in at the provider from its username page (username, password, the emailed code, "Stay
 * signed in? No"), for any client; the browser ends wherever the client's redirect leads.
 */
export async function completeSignInAtClient(
  running: RunningTestPortal,
  browser: Browser,
  person: { readonly email: string; readonly password: string },
): Promise<void> {
  expect(browser.html, `the sign-in page at ${browser.url}`).to.contain('name="username"');
  await browser.submit({ username: person.email });
  await browser.submit({ password: person.password });
  const code = await emailedCode(running, person.email);
  await browser.submit({ action: 'verify', code });
  await browser.submit({ stay_signed_in: 'no' });
}

/** Finishes a sign-in at the provider from its username page, with an emailed code. */
export async function completeSignIn(
  running: RunningTestPortal,
  browser: Browser,
  person: { readonly email: string; readonly password: string },
): Promise<void> {
  await completeSignInAtClient(running, browser, person);
  expect(new URL(browser.url).pathname, pageText(browser.html).slice(0, 800)).to.equal('/portal');
}

/** The tables a refused centre request must leave exactly as they were. */
export const DATA_TABLES: readonly (readonly [string, string])[] = [
  ['centres', 'number'],
  ['centre_memberships', 'id'],
  ['accounts', 'id'],
  ['account_required_actions', 'account_id'],
  ['one_time_tokens', 'token_hash'],
  ['mfa_factors', 'id'],
  ['oidc_models', 'id'],
];

/** Every row of the data tables, in a stable order, for before/after comparison. */
export async function snapshot(running: RunningTestPortal): Promise<Record<string, unknown[]>> {
  const db = running.portal.db;
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of DATA_TABLES) {
    out[table] = (await db(table).select('*').orderBy(key)) as unknown[];
  }
  // Mail: which messages were queued (the dispatcher marks them sent in the background).
  out.outbox_messages = await db('outbox_messages')
    .select('id', 'recipient', 'template', 'locale', 'account_id')
    .orderBy('id');
  // Sessions: only which exist and for whom (their sealed contents change as tokens renew).
  out.rp_sessions = await db('rp_sessions')
    .whereNotNull('account_id')
    .select('id', 'app', 'account_id')
    .orderBy('id');
  return out;
}

/** The link in the newest invitation email to `to`, and that email. */
export async function invitationLink(
  running: RunningTestPortal,
  to: string,
): Promise<{ url: string; subject: string; text: string }> {
  const [mail] = await mailsTo(running, to, 'invitation');
  const url = /(https?:\/\/\S+\/invitation\/[A-Za-z0-9_-]+\?lang=(?:en|cy))/.exec(
    mail?.text ?? '',
  )?.[1];
  if (!mail || !url) throw new Error(`no invitation email to ${to}`);
  return { url, subject: mail.subject, text: mail.text };
}

/**
 * Sets up an authenticator app at the sign-in's MFA set-up page the browser is on (as a new
 * account's first sign-in shows it), reading the key from the page, at `clock`'s time.
 */
export async function setUpAuthenticator(browser: Browser, clock: Clock): Promise<string> {
  await browser.submit({ action: 'choose', method: 'totp' });
  const secret = /<p class="secret" id="secret">([^<]+)<\/p>/
    .exec(browser.html)?.[1]
    ?.replace(/\s+/g, '');
  expect(secret, `an authenticator key on ${browser.url}`).to.be.a('string');
  const code = await generate({
    secret: secret ?? '',
    epoch: Math.floor(clock.now().getTime() / 1000),
  });
  await browser.submit({ action: 'verify', code });
  return secret ?? '';
}

/** The text of the page's error summary ('' when there is none). */
export function errorText(html: string): string {
  return pageText(/<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '');
}

/** The page's words as a person reads them: tags dropped, entities decoded, spaces collapsed. */
export function visibleText(html: string): string {
  return pageText(
    html
      .replace(/<(script|style|head)\b[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<br\s*\/?>/gi, ' ')
      .replace(/<[^>]+>/g, ''),
  )
    .replace(/\s+/g, ' ')
    .trim();
}

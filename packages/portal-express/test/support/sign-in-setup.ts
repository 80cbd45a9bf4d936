import { hash as bcryptHash } from 'bcryptjs';
import * as oidc from 'openid-client';
import {
  KnexAccountRepository,
  KnexOutboxRepository,
  PayloadCipher,
  type Account,
} from '@porth/identity-core';
import {
  HttpBrowser,
  authorizationRequest,
  type RunningTestPortal,
  type TestClient,
} from './server.js';

/** What a legacy AMP record is made of in these tests. */
export interface LegacyPerson {
  readonly legacyUsername: string;
  readonly password: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly email: string | null;
  readonly phone?: string | null;
  readonly teachingCentre?: string | null;
  readonly locale?: 'en' | 'cy';
}

/** Inserts a legacy AMP account whose password is stored as the old system did: bcrypt. */
export async function insertLegacyAccount(
  running: RunningTestPortal,
  person: LegacyPerson,
): Promise<Account> {
  const { db, clock, random } = running.portal.services;
  return new KnexAccountRepository(db, clock, random).insertLegacy({
    legacyUsername: person.legacyUsername,
    passwordHash: await bcryptHash(person.password, 8),
    email: person.email,
    givenName: person.givenName,
    familyName: person.familyName,
    phone: person.phone ?? null,
    teachingCentre: person.teachingCentre ?? null,
    locale: person.locale ?? 'en',
  });
}

/** The page's text with the entities Handlebars writes turned back into characters. */
export function pageText(html: string): string {
  return html
    .replace(/&#x27;/g, "'")
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The error summary of the page ('' when there is none). */
export function errorSummary(html: string): string {
  return pageText(/<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '');
}

/** Posts `fields` to the current sign-in page (its first form's action), with the page's CSRF token. */
export async function post(browser: HttpBrowser, fields: Record<string, string>): Promise<void> {
  const action = /<form[^>]*action="(\/interaction\/[^"]+)"/.exec(browser.html)?.[1];
  if (!action) throw new Error(`no sign-in form on ${browser.location}:\n${browser.html}`);
  await browser.submit(fields, action);
}

/** The interaction id of the page the browser is on. */
export function interactionId(browser: HttpBrowser): string {
  const uid = /\/interaction\/([^/"?]+)/.exec(browser.location)?.[1];
  if (!uid) throw new Error(`not on a sign-in page: ${browser.location}`);
  return uid;
}

/** Emails in the outbox to `to` with `template`, newest first. */
export async function mailsTo(
  running: RunningTestPortal,
  to: string,
  template: string,
): Promise<{ text: string; subject: string }[]> {
  const entries = await running.portal.services.outbox.listRecent({ limit: 200 });
  return entries
    .filter((e) => e.recipient === to && e.template === template && e.content !== null)
    .map((e) => ({ text: e.content?.text ?? '', subject: e.content?.subject ?? '' }));
}

/** The temporary password of the newest migration email to `to`. */
export async function temporaryPasswordFor(
  running: RunningTestPortal,
  to: string,
): Promise<string> {
  const [mail] = await mailsTo(running, to, 'migration_temporary_password');
  const found = /(?:Your temporary password|Eich cyfrinair dros dro): (\S+)/.exec(mail?.text ?? '');
  if (!found?.[1]) throw new Error(`no temporary password was emailed to ${to}`);
  return found[1];
}

/** The newest 6-digit code emailed to `to` (template `email_code`). */
export async function emailedCode(running: RunningTestPortal, to: string): Promise<string> {
  const [mail] = await mailsTo(running, to, 'email_code');
  const code = /\b(\d{6})\b/.exec(mail?.text ?? '')?.[1];
  if (!code) throw new Error(`no code was emailed to ${to}`);
  return code;
}

/** Texts or calls stored by the development provider to `e164`, newest first, decrypted. */
export async function phoneMessages(
  running: RunningTestPortal,
  channel: 'sms' | 'voice',
  e164: string,
): Promise<string[]> {
  const cipher = new PayloadCipher(running.config.secrets.secretKey);
  const records = await new KnexOutboxRepository(running.portal.services.db).listRecent({
    limit: 100,
    channel,
  });
  return records
    .filter((r) => r.recipient === e164 && r.payload !== null)
    .map((r) => cipher.open(r.id, r.payload ?? '').text);
}

/** A sign-in started at a client, with what its callback must check. */
export interface StartedSignIn {
  readonly browser: HttpBrowser;
  readonly verifier: string;
  readonly state: string;
}

/** Opens a client's authorization request in a new browser: the "Sign in" page. */
export async function startSignIn(
  running: RunningTestPortal,
  client: TestClient,
  query = '',
): Promise<StartedSignIn> {
  const { url, verifier, state } = await authorizationRequest(client);
  const browser = new HttpBrowser(running.url);
  await browser.open(url.toString());
  if (query) await browser.open(`/interaction/${interactionId(browser)}${query}`);
  return { browser, verifier, state };
}

/**
 * Walks a legacy account through migration (legacy username → password → Proceed) and the
 * first sign-in with the emailed temporary password, up to the MFA set-up page.
 */
export async function migrateAndSignIn(
  running: RunningTestPortal,
  client: TestClient,
  person: LegacyPerson,
): Promise<StartedSignIn & { newUsername: string; temporaryPassword: string }> {
  const started = await startSignIn(running, client);
  const { browser } = started;
  await browser.submit({ username: person.legacyUsername });
  await browser.submit({ password: person.password });
  const newUsername = pageText(/id="new-username">([^<]+)</.exec(browser.html)?.[1] ?? '');
  if (!newUsername) throw new Error(`not migrated:\n${browser.html}`);
  await post(browser, { action: 'proceed' });
  const temporaryPassword = await temporaryPasswordFor(running, person.email ?? '');
  await browser.submit({ username: newUsername });
  await browser.submit({ password: temporaryPassword });
  return { ...started, newUsername, temporaryPassword };
}

/** Exchanges the code the browser was redirected back with for tokens. */
export async function redeemCode(
  client: TestClient,
  signIn: StartedSignIn,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  return oidc.authorizationCodeGrant(client.config, new URL(signIn.browser.location), {
    pkceCodeVerifier: signIn.verifier,
    expectedState: signIn.state,
  });
}

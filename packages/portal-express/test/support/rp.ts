import type { Server } from 'node:http';
import { generate } from 'otplib';
import {
  Argon2PasswordHasher,
  KnexAccountRepository,
  cryptoRandom,
  type Clock,
} from '@porth/identity-core';
import { createTestDatabase } from '@porth/identity-core/testing';
import { loadPortalConfig } from '../../src/config.js';
import { allMigrations } from '../../src/db/migrations.js';
import { startPortal } from '../../src/server.js';
import {
  createSharePointApp,
  type SharePointApp,
} from '../../../../examples/sharepoint-rp/src/app.js';
import {
  formFor,
  formsOf,
  isLive,
  parseSetCookie,
  pathMatches,
  type PageForm,
  type StoredCookie,
} from './page.js';
import { freePort, type RunningTestPortal, type TestUser } from './server.js';

/** Like startTestPortal, with a clock of the test's choosing (for moving time). */
export async function startRpTestPortal(
  options: { readonly clock?: Clock; readonly env?: Record<string, string> } = {},
): Promise<RunningTestPortal> {
  const database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
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
    mailIntervalMs: 200,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    url,
    portal,
    config,
    database,
    async stop() {
      await portal.close();
      await database.destroy();
    },
  };
}

/** The last TOTP step used per secret (see freshTotpCode). */
const lastSteps = new Map<string, number>();

/**
 * Like createTestUser, but the authenticator app is confirmed with a code for the portal's own
 * clock (which a test may have moved on), and the email address is the username's local part
 * at example.org.
 */
export async function createClockedTestUser(
  running: RunningTestPortal,
  clock: Clock,
  name: { given: string; family: string; username: string },
): Promise<TestUser> {
  const { db, random, mfa } = running.portal.services;
  const password = 'Cyfrinair-Cryf-2026!';
  const accounts = new KnexAccountRepository(db, clock, random);
  const account = await accounts.createActive({
    kind: 'appointee',
    username: name.username,
    email: name.username.replace(/@.*$/, '@example.org'),
    emailVerified: true,
    givenName: name.given,
    familyName: name.family,
    locale: 'en',
  });
  await accounts.setPasswordHash(
    account.id,
    await new Argon2PasswordHasher({ random: cryptoRandom }).hash(password),
  );
  const enrolment = await mfa.startTotpEnrolment(account.id);
  const totpSecret = enrolment.secretForTyping.replace(/\s+/g, '');
  const step = Math.floor(clock.now().getTime() / 30_000);
  const confirmed = await mfa.confirmEnrolment(account.id, {
    factorId: enrolment.factorId,
    code: await generate({ secret: totpSecret, epoch: step * 30 }),
  });
  if (!('ok' in confirmed) || !confirmed.ok) throw new Error('could not confirm the TOTP factor');
  lastSteps.set(totpSecret, step);
  return { account, username: name.username, password, totpSecret };
}

/**
 * A TOTP code the provider accepts now (by `clock`, default the system clock) for a step later
 * than any this test run used (the MFA service takes each factor's steps in increasing order;
 * the enrolment used the current one). Throws when none is left: move the clock on, or use
 * another user.
 */
export async function freshTotpCode(secret: string, clock?: Clock): Promise<string> {
  const now = Math.floor((clock ? clock.now().getTime() : Date.now()) / 30_000);
  const last = lastSteps.get(secret) ?? now;
  for (const step of [now - 1, now, now + 1]) {
    if (step <= last) continue;
    lastSteps.set(secret, step);
    return generate({ secret, epoch: step * 30 });
  }
  throw new Error('every acceptable TOTP step was used already: move the clock on');
}

export type { PageForm } from './page.js';

/**
 * A small browser over HTTP for journeys across origins (portal and the SharePoint example):
 * one cookie jar keyed by host name like a real browser (cookies ignore ports), redirects
 * followed across origins, every address visited recorded, forms submitted with their hidden
 * inputs.
 */
export class Browser {
  /** The last page's HTML. */
  html = '';
  /** The last response's status. */
  status = 0;
  /** The address of the last page. */
  url = '';
  /** Every address requested since the last `open` or `submit`. */
  visited: string[] = [];
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  constructor(private readonly baseUrl: string) {}

  /** GETs an address (absolute, or a path of the portal) and follows redirects. */
  async open(url: string): Promise<this> {
    this.visited = [];
    return this.request('GET', new URL(url, this.baseUrl));
  }

  /** The forms of the current page. */
  forms(): PageForm[] {
    return formsOf(this.html);
  }

  /**
   * Submits a form with its hidden inputs and `fields`: the form whose action is `action`, or
   * else the first form that has an input, button or select for every field given.
   */
  async submit(fields: Record<string, string>, action?: string): Promise<this> {
    const form = formFor(this.html, this.url, fields, action);
    this.visited = [];
    const body = new URLSearchParams({ ...form.hidden, ...fields }).toString();
    return this.request('POST', new URL(form.action || this.url, this.url), body);
  }

  /** POSTs a form body to an address (as a forged cross-site form would), following redirects. */
  async post(url: string, fields: Record<string, string>): Promise<this> {
    this.visited = [];
    return this.request('POST', new URL(url, this.baseUrl), new URLSearchParams(fields).toString());
  }

  /** The value of a cookie the browser holds for `url`'s host, if any. */
  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).hostname)?.get(name)?.value;
  }

  /** True when some page visited since the last open/submit was a sign-in page of the provider. */
  get sawSignInPage(): boolean {
    return this.visited.some((u) => new URL(u).pathname.startsWith('/interaction/'));
  }

  private async request(method: string, start: URL, body?: string): Promise<this> {
    let url = start;
    let verb = method;
    let payload = body;
    for (let hops = 0; hops < 25; hops++) {
      this.visited.push(url.href);
      const res = await fetch(url, {
        method: verb,
        redirect: 'manual',
        headers: {
          accept: 'text/html',
          ...(this.cookieHeader(url) ? { cookie: this.cookieHeader(url) } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(payload !== undefined ? { body: payload } : {}),
      });
      this.store(url, res.headers.getSetCookie());
      this.status = res.status;
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        url = new URL(location, url);
        if (res.status !== 307 && res.status !== 308) {
          verb = 'GET';
          payload = undefined;
        }
        continue;
      }
      this.html = await res.text();
      this.url = url.href;
      return this;
    }
    throw new Error(`too many redirects from ${start.href}`);
  }

  private cookieHeader(url: URL): string {
    const now = Date.now();
    const cookies = this.jar.get(url.hostname);
    if (!cookies) return '';
    return [...cookies.entries()]
      .filter(([, c]) => isLive(c, now) && pathMatches(url.pathname, c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, headers: readonly string[]): void {
    let cookies = this.jar.get(url.hostname);
    if (!cookies) {
      cookies = new Map();
      this.jar.set(url.hostname, cookies);
    }
    for (const header of headers) {
      const parsed = parseSetCookie(url, header);
      if (!parsed) continue;
      if (isLive(parsed.cookie)) cookies.set(parsed.name, parsed.cookie);
      else cookies.delete(parsed.name);
    }
  }
}

/**
 * Signs in at the provider's pages, from the username page the browser is on: username, password,
 * authenticator code, "Stay signed in? No"; the browser ends back at the application.
 */
export async function signInAtProvider(
  browser: Browser,
  user: TestUser,
  code: string,
): Promise<void> {
  if (!browser.html.includes('name="username"')) {
    throw new Error(`not on the sign-in page: ${browser.url}\n${browser.html.slice(0, 2000)}`);
  }
  await browser.submit({ username: user.username });
  await browser.submit({ password: user.password });
  await browser.submit({ action: 'verify', code });
  await browser.submit({ stay_signed_in: 'no' });
}

/** The SharePoint example listening on a free port of 127.0.0.1. */
export interface RunningSharePoint extends SharePointApp {
  readonly url: string;
  readonly clientId: string;
  stop(): Promise<void>;
}

/** Registers the SharePoint example as a client of `running` and starts it (on `clock`'s time, if given). */
export async function startSharePoint(
  running: RunningTestPortal,
  clock?: Clock,
): Promise<RunningSharePoint> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const clientId = 'sharepoint';
  const clientSecret = 'sharepoint-test-secret-0123456789abcdef';
  await running.portal.services.clients.save({
    id: clientId,
    secret: clientSecret,
    redirectUris: [`${url}/callback`],
    postLogoutRedirectUris: [`${url}/`],
    backchannelLogoutUri: `${url}/backchannel-logout`,
    firstParty: true,
  });
  const example = createSharePointApp({
    issuer: running.url,
    clientId,
    clientSecret,
    baseUrl: url,
    ...(clock ? { now: () => clock.now().getTime() } : {}),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = example.app.listen(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  return {
    ...example,
    url,
    clientId,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

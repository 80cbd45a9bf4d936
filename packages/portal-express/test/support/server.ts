import { createServer } from 'node:net';
import request from 'supertest';
import { generate } from 'otplib';
import * as oidc from 'openid-client';
import {
  Argon2PasswordHasher,
  KnexAccountRepository,
  cryptoRandom,
  type Account,
} from '@porth/identity-core';
import { createTestDatabase, type TestDatabase } from '@porth/identity-core/testing';
import { loadPortalConfig, type PortalConfig } from '../../src/config.js';
import { allMigrations } from '../../src/db/migrations.js';
import { startPortal, type RunningPortal } from '../../src/server.js';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A portal listening on 127.0.0.1 over a fresh test database (SQLite, or MariaDB per DATABASE_URL). */
export interface RunningTestPortal {
  readonly url: string;
  readonly portal: RunningPortal;
  readonly config: PortalConfig;
  readonly database: TestDatabase;
  stop(): Promise<void>;
}

/** Starts a real portal for HTTP and browser tests; `env` adds or overrides settings. */
export async function startTestPortal(
  env: Record<string, string> = {},
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
    ...env,
  });
  const portal = await startPortal(config, { host: '127.0.0.1', mailIntervalMs: 200 });
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

/** An active account with a password and a confirmed authenticator app, ready to sign in. */
export interface TestUser {
  readonly account: Account;
  readonly username: string;
  readonly password: string;
  /** The TOTP secret (base32), to compute codes as the user's phone would. */
  readonly totpSecret: string;
}

/** Creates an active account with a password and a confirmed authenticator app. */
export async function createTestUser(
  running: RunningTestPortal,
  name: { given: string; family: string; username: string } = {
    given: 'Megan',
    family: 'Lloyd',
    username: 'megan.lloyd@wjec-appointees.co.uk',
  },
): Promise<TestUser> {
  const { db, clock, random, mfa } = running.portal.services;
  const password = 'Cyfrinair-Cryf-2026!';
  const accounts = new KnexAccountRepository(db, clock, random);
  const account = await accounts.createActive({
    kind: 'appointee',
    username: name.username,
    email: `${name.given.toLowerCase()}@example.org`,
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
  const confirmed = await mfa.confirmEnrolment(account.id, {
    factorId: enrolment.factorId,
    // At the portal's own clock, which a test may have moved.
    code: await generate({ secret: totpSecret, epoch: Math.floor(clock.now().getTime() / 1000) }),
  });
  if (!('ok' in confirmed) || !confirmed.ok)
    throw new Error('could not confirm the test TOTP factor');
  return { account, username: name.username, password, totpSecret };
}

/** A TOTP code for the next time-step, so it is never one the test already used. */
export async function nextTotpCode(secret: string): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
}

/** Follows a browser journey over HTTP with a cookie jar, reading CSRF tokens from each page. */
export class HttpBrowser {
  readonly agent: ReturnType<typeof request.agent>;
  /** The last page's HTML. */
  html = '';
  /** The last response's status. */
  status = 0;
  /** Where the last redirect chain ended. */
  location = '';

  constructor(readonly baseUrl: string) {
    this.agent = request.agent(baseUrl);
  }

  /** GETs a URL (absolute or a path) and follows same-origin redirects; stops at another origin. */
  async open(url: string): Promise<this> {
    let next = url;
    for (let hops = 0; hops < 15; hops++) {
      const target = new URL(next, this.baseUrl);
      if (target.origin !== new URL(this.baseUrl).origin) {
        this.location = target.toString();
        return this;
      }
      const res = await this.agent.get(target.pathname + target.search);
      this.status = res.status;
      if (res.status >= 300 && res.status < 400 && res.headers.location) {
        next = res.headers.location;
        continue;
      }
      this.html = res.text;
      this.location = target.toString();
      return this;
    }
    throw new Error('too many redirects');
  }

  /** Submits the page's form whose action is `action` (or the first form) with `fields`, following redirects. */
  async submit(fields: Record<string, string>, action?: string): Promise<this> {
    const forms = [...this.html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = action
      ? forms.find((f) => f[1] === action)
      : forms.find((f) => !/name="action" value="change_username"/.test(f[2] ?? ''));
    if (!form)
      throw new Error(
        `no form${action ? ` for ${action}` : ''} on ${this.location}:\n${this.html.slice(0, 2000)}`,
      );
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form[2] ?? '')?.[1] ?? '';
    const formAction = (form[1] ?? '').replace(/&amp;/g, '&');
    const res = await this.agent
      .post(formAction)
      .type('form')
      .send({ _csrf: csrf, ...fields });
    this.status = res.status;
    if (res.status >= 300 && res.status < 400 && res.headers.location)
      return this.open(res.headers.location);
    this.html = res.text;
    return this;
  }
}

/** A public client registered for a test, and its openid-client configuration. */
export interface TestClient {
  readonly id: string;
  readonly redirectUri: string;
  readonly config: oidc.Configuration;
}

/** Registers a public (PKCE) first-party client and discovers the provider with openid-client. */
export async function registerTestClient(
  running: RunningTestPortal,
  id = 'test-app',
): Promise<TestClient> {
  const redirectUri = `${running.url}/test-callback`;
  await running.portal.services.clients.save({
    id,
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [`${running.url}/test-signed-out`],
    firstParty: true,
  });
  const config = await oidc.discovery(new URL(running.url), id, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  return { id, redirectUri, config };
}

/** Starts an authorization request; returns the URL to open and what the callback must check. */
export async function authorizationRequest(client: TestClient, scope = 'openid profile email') {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(client.config, {
    redirect_uri: client.redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  return { url, verifier, state };
}

import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { generate } from 'otplib';
import * as oidc from 'openid-client';
import {
  createManualClock,
  createTestDatabase,
  type ManualClock,
  type TestDatabase,
} from '@porth/identity-core/testing';
import { loadPortalConfig, type PortalConfig } from '../../src/config.js';
import { allMigrations } from '../../src/db/migrations.js';
import { startPortal, type RunningPortal } from '../../src/server.js';
import {
  HttpBrowser,
  authorizationRequest,
  freePort,
  type RunningTestPortal,
  type TestClient,
  type TestUser,
} from './server.js';

/** A test portal whose clock the test moves (the provider's own expiry checks follow it through the adapter). */
export interface ClockedTestPortal extends RunningTestPortal {
  readonly clock: ManualClock;
}

function testConfig(databaseUrl: string, port: number, publicUrl: string, env = {}): PortalConfig {
  return loadPortalConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    DATABASE_URL: databaseUrl,
    MFA_ALLOW_FICTIONAL_NUMBERS: 'true',
    ...env,
  });
}

/** Starts a real portal over a fresh test database with a manual clock that starts at the real time. */
export async function startClockedTestPortal(
  env: Record<string, string> = {},
): Promise<ClockedTestPortal> {
  const database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
  const clock = createManualClock(Date.now());
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const config = testConfig(database.url, port, url, env);
    const portal = await startPortal(config, { host: '127.0.0.1', mailIntervalMs: 200, clock });
    return {
      url,
      portal,
      config,
      database,
      clock,
      async stop() {
        await portal.close();
        await database.destroy();
      },
    };
  } catch (err) {
    await database.destroy();
    throw err;
  }
}

/** What a finished sign-in left: the browser (with its provider session) and the callback. */
export interface SignedIn {
  readonly browser: HttpBrowser;
  /** The redirect URI with `code`, `state` and `iss`, as the client received it. */
  readonly callbackUrl: URL;
  readonly verifier: string;
  readonly state: string;
}

/**
 * Signs `user` in through `client` over HTTP: username, password, authenticator code (computed
 * at the portal's clock, which is first moved on one TOTP step so no code is used twice) and
 * "Stay signed in? No". Returns the callback URL carrying the authorization code.
 */
export async function signIn(
  running: { readonly url: string; readonly clock: ManualClock },
  client: TestClient,
  user: TestUser,
  browser = new HttpBrowser(running.url),
): Promise<SignedIn> {
  running.clock.advance(30_000);
  const { url, verifier, state } = await authorizationRequest(client);
  await browser.open(url.toString());
  expect(browser.html, 'the sign-in page').to.contain('<h1>Sign in</h1>');
  await browser.submit({ username: user.username });
  await browser.submit({ password: user.password });
  const code = await generate({
    secret: user.totpSecret,
    epoch: Math.floor(running.clock.now().getTime() / 1000),
  });
  await browser.submit({ action: 'verify', code });
  expect(browser.html, 'the "Stay signed in?" page').to.contain('Stay signed in?');
  await browser.submit({ stay_signed_in: 'no' });
  const callbackUrl = new URL(browser.location);
  expect(callbackUrl.toString()).to.match(new RegExp(`^${client.redirectUri}\\?code=`));
  return { browser, callbackUrl, verifier, state };
}

/** Redeems a sign-in's code at the token endpoint, as the client would. */
export async function redeem(
  client: TestClient,
  signedIn: SignedIn,
  verifier = signedIn.verifier,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  return oidc.authorizationCodeGrant(client.config, signedIn.callbackUrl, {
    pkceCodeVerifier: verifier,
    expectedState: signedIn.state,
  });
}

/** The OAuth error code of a refused openid-client call: from the body, the callback or a WWW-Authenticate challenge. */
export async function oauthError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError)
      return err.error;
    if (err instanceof oidc.WWWAuthenticateChallengeError) {
      const error = err.cause.find((c) => c.parameters.error)?.parameters.error;
      if (error) return error;
    }
    throw err;
  }
  throw new Error('expected the call to be refused');
}

/**
 * RP-initiated logout in `browser`: opens the end-session URL, and on the confirmation page
 * presses "Sign out" (`logout=yes`, which ends the whole provider session). Returns where the
 * provider sent the browser afterwards.
 */
export async function confirmLogout(browser: HttpBrowser, endSessionUrl: URL): Promise<string> {
  await browser.open(endSessionUrl.toString());
  const form = /<form id="op.logoutForm"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(
    browser.html,
  );
  if (!form) throw new Error(`no logout form on ${browser.location}:\n${browser.html}`);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form[2] ?? '')?.[1] ?? '';
  const action = new URL((form[1] ?? '').replace(/&amp;/g, '&'), browser.baseUrl);
  const res = await browser.agent.post(action.pathname).type('form').send({ xsrf, logout: 'yes' });
  expect(res.status, res.text).to.be.oneOf([302, 303]);
  return String(res.headers.location);
}

/** A tiny HTTP proxy sending each request to the next target in turn. */
export interface RoundRobinProxy {
  readonly url: string;
  /** The targets, filled in once their ports are known. */
  readonly targets: string[];
  /** Which target served each request, in order (index into `targets`). */
  readonly served: number[];
  close(): Promise<void>;
}

/**
 * Starts a round-robin proxy on 127.0.0.1: request n goes to `targets[n % targets.length]`,
 * whatever connection it came on. The Host header is passed on unchanged, so the portals behind
 * it build their addresses from the proxy's.
 */
export async function startRoundRobinProxy(): Promise<RoundRobinProxy> {
  const targets: string[] = [];
  const served: number[] = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    const index = next++ % targets.length;
    served.push(index);
    const target = new URL(targets[index] ?? '');
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, connection: 'close' },
      },
      (answer) => {
        const headers = { ...answer.headers };
        delete headers.connection;
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    served,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Two portals over one database behind a round-robin proxy whose address is their PUBLIC_URL. */
export interface PortalPair {
  readonly proxy: RoundRobinProxy;
  readonly portals: readonly [RunningPortal, RunningPortal];
  /** Each portal's own address (not the public one). */
  readonly directUrls: readonly [string, string];
  readonly database: TestDatabase;
  readonly clock: ManualClock;
  /** Portal 0 as a RunningTestPortal whose `url` is the public (proxy) address, for the shared helpers. */
  readonly front: RunningTestPortal & { readonly clock: ManualClock };
  stop(): Promise<void>;
}

/** Starts two portals sharing one test database and one PUBLIC_URL (the proxy's). */
export async function startPortalPair(): Promise<PortalPair> {
  const database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
  const proxy = await startRoundRobinProxy();
  const clock = createManualClock(Date.now());
  const started: RunningPortal[] = [];
  try {
    const directUrls: string[] = [];
    let firstConfig: PortalConfig | null = null;
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const config = testConfig(database.url, port, proxy.url);
      firstConfig ??= config;
      started.push(await startPortal(config, { host: '127.0.0.1', mailIntervalMs: 200, clock }));
      directUrls.push(`http://127.0.0.1:${port}`);
      proxy.targets.push(`http://127.0.0.1:${port}`);
    }
    const [a, b] = started as [RunningPortal, RunningPortal];
    const stop = async () => {
      await proxy.close();
      for (const portal of started) await portal.close();
      await database.destroy();
    };
    return {
      proxy,
      portals: [a, b],
      directUrls: directUrls as [string, string],
      database,
      clock,
      front: {
        url: proxy.url,
        portal: a,
        config: firstConfig as PortalConfig,
        database,
        clock,
        stop,
      },
      stop,
    };
  } catch (err) {
    await proxy.close();
    for (const portal of started) await portal.close();
    await database.destroy();
    throw err;
  }
}

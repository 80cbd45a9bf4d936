import { expect } from 'chai';
import * as oidc from 'openid-client';
import {
  authorizationRequest,
  registerTestClient,
  type RunningTestPortal,
  type TestClient,
} from '../../packages/portal-express/test/support/server.js';
import {
  startClockedTestPortal,
  type ClockedTestPortal,
} from '../../packages/portal-express/test/support/provider.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { SecurityBrowser } from './support/browser.js';
import { cookieFlagProblems, cookiesSet } from './support/cookies.js';
import { completeSignIn } from './support/people.js';
import { startProductionPortal, type ProductionPortal } from './support/production.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const SESSION = 'porth_session';

/** Every cookie a browser gets from the portal in a whole journey (development names). */
const EXPECTED_COOKIES = [
  'porth_bid',
  'porth_lang',
  'porth_session',
  'porth_session.sig',
  'porth_interaction',
  'porth_interaction.sig',
  'porth_resume',
  'porth_resume.sig',
  'porth_amp',
  'porth_portal',
];

let people = 0;

/** A new appointee who signs in with a password and an emailed code. */
async function newPerson(running: RunningTestPortal, given = 'Elin'): Promise<Person> {
  people += 1;
  return createPerson(running, {
    kind: 'appointee',
    given,
    family: 'Owen',
    username: `${given.toLowerCase()}.owen${people}@wjec-appointees.co.uk`,
    email: `${given.toLowerCase()}${people}@example.org`,
  });
}

/**
 * Submits the provider's self-submitting pages (the form a browser posts by script: a logout of
 * another account's session, or a form_post response) as a browser without script would, by
 * pressing Continue.
 */
async function pressContinue(browser: SecurityBrowser): Promise<void> {
  for (let i = 0; i < 3 && browser.html.includes('<noscript>'); i++) {
    const form = browser.forms()[0];
    if (!form) return;
    await browser.submit({}, form.action);
  }
}

/**
 * The whole journey of one person in one browser: the start page in both languages, the
 * recovery pages, signing in at AMP (provider pages), AMP's pages, arriving signed in at the
 * Portal, and signing out from AMP through the provider's confirmation page.
 */
async function wholeJourney(
  running: RunningTestPortal & { readonly clock?: ClockedTestPortal['clock'] },
  person: Person,
): Promise<SecurityBrowser> {
  const browser = new SecurityBrowser(running.url);
  for (const page of ['/', '/?lang=cy', '/?lang=en', '/forgotten-username', '/forgotten-password'])
    await browser.open(page);
  await browser.open('/amp');
  await completeSignIn(running, browser, person);
  expect(new URL(browser.url).pathname).to.equal('/amp');
  for (const page of ['/amp/profile', '/amp/security', '/amp/status']) await browser.open(page);
  await browser.open('/portal/sign-in?as=appointee');
  expect(new URL(browser.url).pathname).to.equal('/portal');
  await browser.open('/amp');
  await browser.submit({}, '/amp/sign-out');
  const confirm = browser.forms().find((f) => f.hidden.xsrf !== undefined);
  if (!confirm) throw new Error(`no sign-out confirmation on ${browser.url}:\n${browser.html}`);
  await browser.submit({ logout: 'yes' }, confirm.action);
  expect(new URL(browser.url).pathname).to.equal('/amp/signed-out');
  return browser;
}

describe(`sessions and cookies (${DB})`, function () {
  this.timeout(120_000);
  let running: ClockedTestPortal;
  let client: TestClient;

  before(async () => {
    running = await startClockedTestPortal();
    client = await registerTestClient(running);
  });
  after(async () => {
    await running?.stop();
  });

  /** Signs in through the test client in `browser` (prompt=login when asked) and returns the ID token's subject. */
  async function signInThroughClient(
    browser: SecurityBrowser,
    person: Person,
    prompt?: 'login',
  ): Promise<string> {
    const { url, verifier, state } = await authorizationRequest(client);
    if (prompt) url.searchParams.set('prompt', prompt);
    await browser.open(url.toString());
    await completeSignIn(running, browser, person);
    await pressContinue(browser);
    const tokens = await oidc.authorizationCodeGrant(client.config, new URL(browser.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    return tokens.claims()?.sub ?? '';
  }

  /** The provider session cookie and its signature, as a browser holds them. */
  function sessionCookies(browser: SecurityBrowser): { value: string; sig: string } {
    const value = browser.cookie(running.url, SESSION);
    const sig = browser.cookie(running.url, `${SESSION}.sig`);
    if (!value || !sig) throw new Error('the browser has no provider session cookie');
    return { value, sig };
  }

  /** Whom a browser holding only these session cookies is signed in as at the provider ('' for nobody). */
  async function whoIs(cookies: { value: string; sig: string }): Promise<string> {
    const browser = new SecurityBrowser(running.url);
    browser.setCookie(running.url, SESSION, cookies.value);
    browser.setCookie(running.url, `${SESSION}.sig`, cookies.sig);
    const { url, verifier, state } = await authorizationRequest(client);
    url.searchParams.set('prompt', 'none');
    await browser.open(url.toString(), false);
    const callback = new URL(browser.location, running.url);
    expect(`${callback.origin}${callback.pathname}`).to.equal(client.redirectUri);
    if (callback.searchParams.get('error') === 'login_required') return '';
    const tokens = await oidc.authorizationCodeGrant(client.config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    return tokens.claims()?.sub ?? '';
  }

  it('sets no provider session cookie before the sign-in, and a new session id at every sign-in; the old id then signs nobody in', async () => {
    const person = await newPerson(running);
    const browser = new SecurityBrowser(running.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    expect(browser.cookie(running.url, SESSION), 'before signing in').to.equal(undefined);

    expect(await signInThroughClient(browser, person)).to.equal(person.account.id);
    const first = sessionCookies(browser);
    expect(await whoIs(first)).to.equal(person.account.id);

    // Signing in again in the same browser (prompt=login) rotates the id.
    expect(await signInThroughClient(browser, person, 'login')).to.equal(person.account.id);
    const second = sessionCookies(browser);
    expect(second.value).to.not.equal(first.value);
    expect(await whoIs(first), 'the id from before the sign-in').to.equal('');
    expect(await whoIs(second)).to.equal(person.account.id);
  });

  it('never keeps a session id planted in the browser before the sign-in, forged or stolen', async () => {
    const victim = await newPerson(running, 'Gwenno');
    const attacker = await newPerson(running, 'Mallt');

    // A made-up id (its signature cannot be made without the cookie keys).
    const forged = new SecurityBrowser(running.url);
    forged.setCookie(running.url, SESSION, 'planted-by-the-attacker-0123456789abcdefghi');
    forged.setCookie(running.url, `${SESSION}.sig`, 'c2lnbmF0dXJlLW1hZGUtdXA');
    expect(await signInThroughClient(forged, victim)).to.equal(victim.account.id);
    expect(sessionCookies(forged).value).to.not.equal(
      'planted-by-the-attacker-0123456789abcdefghi',
    );

    // The attacker's own, valid session cookie put in the victim's browser: the victim's sign-in
    // ends the attacker's session and starts a new one.
    const attackers = new SecurityBrowser(running.url);
    expect(await signInThroughClient(attackers, attacker)).to.equal(attacker.account.id);
    const stolen = sessionCookies(attackers);
    const planted = new SecurityBrowser(running.url);
    planted.setCookie(running.url, SESSION, stolen.value);
    planted.setCookie(running.url, `${SESSION}.sig`, stolen.sig);
    expect(await signInThroughClient(planted, victim, 'login')).to.equal(victim.account.id);
    const after = sessionCookies(planted);
    expect(after.value).to.not.equal(stolen.value);
    expect(await whoIs(after)).to.equal(victim.account.id);
    expect(await whoIs(stolen), 'the planted id after the victim signed in').to.equal('');
  });

  it("gives AMP's own session a new id at sign-in; the id from before no longer works", async () => {
    const person = await newPerson(running);
    const browser = new SecurityBrowser(running.url);
    await browser.open('/amp');
    const pending = browser.cookie(running.url, 'porth_amp');
    expect(pending, 'the AMP cookie of the sign-in under way').to.be.a('string');
    await completeSignIn(running, browser, person);
    expect(new URL(browser.url).pathname).to.equal('/amp');
    const signedIn = browser.cookie(running.url, 'porth_amp');
    expect(signedIn).to.be.a('string').and.not.equal(pending);

    const withOld = new SecurityBrowser(running.url);
    withOld.setCookie(running.url, 'porth_amp', pending ?? '', '/amp');
    await withOld.open('/amp', false);
    expect(withOld.status, 'the id from before the sign-in').to.equal(303);
    expect(new URL(withOld.location, running.url).pathname).to.equal('/auth');
    const withNew = new SecurityBrowser(running.url);
    withNew.setCookie(running.url, 'porth_amp', signedIn ?? '', '/amp');
    await withNew.open('/amp', false);
    expect(withNew.status).to.equal(200);
  });

  it('sets every cookie of a whole journey HttpOnly and SameSite=Lax (and not Secure over plain http)', async () => {
    const browser = await wholeJourney(running, await newPerson(running));
    const cookies = cookiesSet(browser.responses);
    const names = new Set(cookies.map((c) => c.name));
    expect([...names].sort()).to.include.members([...EXPECTED_COOKIES, 'porth_csrf']);
    expect(cookies.flatMap((c) => cookieFlagProblems(c, false))).to.deep.equal([]);
  });
});

describe(`sessions and cookies in production, behind a TLS proxy (${DB})`, function () {
  this.timeout(120_000);
  let running: ProductionPortal;

  before(async () => {
    running = await startProductionPortal();
  });
  after(async () => {
    await running?.stop();
  });

  it('sets every cookie of a whole journey Secure, HttpOnly and SameSite=Lax, the CSRF cookie with the __Host- prefix', async () => {
    const person = await newPerson(running);
    const browser = await wholeJourney(running, person);
    const cookies = cookiesSet(browser.responses);
    const names = new Set(cookies.map((c) => c.name));
    expect([...names].sort()).to.include.members([...EXPECTED_COOKIES, '__Host-porth.csrf']);
    expect(names.has('porth_csrf'), 'the CSRF cookie without its prefix').to.equal(false);
    expect(cookies.flatMap((c) => cookieFlagProblems(c, true))).to.deep.equal([]);
    for (const c of cookies.filter((c) => c.name.startsWith('__Host-'))) {
      expect(c.attributes.path, c.line).to.equal('/');
      expect(c.attributes, c.line).to.not.have.property('domain');
    }
  });

  it('tells browsers to use https only (Strict-Transport-Security) on every page', async () => {
    const browser = new SecurityBrowser(running.url);
    for (const page of ['/', '/forgotten-password', '/amp', '/.well-known/openid-configuration'])
      await browser.open(page);
    for (const r of browser.responses) {
      expect(r.headers.get('strict-transport-security'), r.url).to.match(/max-age=\d{7,}/);
    }
  });

  it('publishes https endpoints only, from the proxy’s address', async () => {
    const res = await fetch(new URL('/.well-known/openid-configuration', running.url));
    const metadata = (await res.json()) as Record<string, unknown>;
    expect(metadata.issuer).to.equal(running.url);
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value === 'string' && value.startsWith('http')) {
        expect(value, key).to.match(/^https:\/\//);
      }
    }
  });
});

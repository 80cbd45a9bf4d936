import { expect } from 'chai';
import * as oidc from 'openid-client';
import {
  createTestUser,
  registerTestClient,
  type TestClient,
} from '../../packages/portal-express/test/support/server.js';
import {
  redeem,
  signIn,
  startClockedTestPortal,
  type ClockedTestPortal,
} from '../../packages/portal-express/test/support/provider.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import type { SecurityBrowser } from './support/browser.js';
import { decodeEntities } from './support/browser.js';
import { signedInBrowser } from './support/people.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/**
 * Addresses that look like `registered` but are not it: each must be refused. Some point
 * elsewhere (another host, port or scheme, through userinfo or a backslash); others are the same
 * server at another path or with more on it, which an exact match refuses as well.
 */
function nearMisses(registered: string): string[] {
  const u = new URL(registered);
  const hostPort = u.host;
  const otherPort = `${u.hostname}:${Number(u.port) + 1}`;
  const path = u.pathname;
  return [
    `${registered}/`,
    `${registered}/more`,
    `${registered}x`,
    `${registered}?x=1`,
    `${registered}?next=https://attacker.example`,
    `${registered}#fragment`,
    `${registered}%20`,
    `${registered}/../evil`,
    `${u.protocol}//${hostPort}${path.toUpperCase()}`,
    `${u.protocol}//${hostPort}/.${path}`,
    `${u.protocol}//${hostPort}/${path}`,
    `${u.protocol}//${hostPort}${path.replace('-', '%2D')}`,
    `${u.protocol}//${otherPort}${path}`,
    `${u.protocol}//${u.hostname}${path}`,
    `https://${hostPort}${path}`,
    `${u.protocol}//localhost:${u.port}${path}`,
    `${u.protocol}//attacker.example@${hostPort}${path}`,
    `${u.protocol}//${hostPort}@attacker.example${path}`,
    `${u.protocol}//${hostPort}\\@attacker.example${path}`,
    `${u.protocol}//${hostPort}${path}@attacker.example`,
    `${u.protocol}//${u.hostname}.attacker.example:${u.port}${path}`,
    `${u.protocol}//attacker.example/${hostPort}${path}`,
    `//attacker.example${path}`,
    path,
  ];
}

/**
 * The hosts every link, form and refresh of a page points at (a page's own links, such as the
 * language switch, may carry the request's parameters in their query: they stay on its host).
 */
function hostsLinkedFrom(body: string, base: string): string[] {
  return [...body.matchAll(/\s(?:href|action|content)="([^"]*)"/gi)].map((m) => {
    const value = decodeEntities(m[1] ?? '').replace(/^\d+;\s*url=/i, '');
    try {
      return new URL(value, base).hostname;
    } catch {
      return '';
    }
  });
}

/** No Location header, and no link, form or refresh on the page leading to attacker.example. */
function expectNowhere(res: Response, body: string, base: string, label: string): void {
  expect(res.headers.get('location'), label).to.equal(null);
  expect(
    hostsLinkedFrom(body, base).filter((h) => h.includes('attacker')),
    label,
  ).to.deep.equal([]);
}

describe(`redirect and post-logout addresses are matched exactly, with no open redirect (${DB})`, function () {
  this.timeout(120_000);
  let running: ClockedTestPortal;
  let client: TestClient;
  const signedOut = () => `${running.url}/test-signed-out`;

  before(async () => {
    running = await startClockedTestPortal();
    client = await registerTestClient(running);
  });
  after(async () => {
    await running?.stop();
  });

  /** An authorization request of the test client (with PKCE) but for `redirectUri`. */
  async function authorizeFor(redirectUri: string): Promise<URL> {
    const url = oidc.buildAuthorizationUrl(client.config, {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
    });
    return url;
  }

  it('refuses every near miss of the registered redirect URI with an error page, redirecting nowhere', async () => {
    const misses = nearMisses(client.redirectUri);
    expect(misses.length).to.be.greaterThan(20);
    for (const redirect of misses) {
      const url = await authorizeFor(redirect);
      const res = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
      const body = await res.text();
      expect(res.status, redirect).to.equal(400);
      expectNowhere(res, body, running.url, redirect);
    }
    // The control: the registered address itself starts a sign-in.
    const res = await fetch(await authorizeFor(client.redirectUri), { redirect: 'manual' });
    expect(res.status).to.be.oneOf([302, 303]);
    expect(new URL(res.headers.get('location') ?? '', running.url).pathname).to.match(
      /^\/interaction\//,
    );
  });

  it('refuses a second redirect_uri parameter added after the registered one, answering only the registered address', async () => {
    const url = await authorizeFor(client.redirectUri);
    url.search += `&redirect_uri=${encodeURIComponent('https://attacker.example/callback')}`;
    const res = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
    const body = await res.text();
    if (res.status === 400) {
      expectNowhere(res, body, running.url, 'two redirect_uri parameters');
      return;
    }
    // Or the error goes to the client's own registered address, with no code.
    expect(res.status).to.be.oneOf([302, 303]);
    const where = new URL(res.headers.get('location') ?? '', running.url);
    expect(`${where.origin}${where.pathname}`).to.equal(client.redirectUri);
    expect(where.searchParams.get('error')).to.equal('invalid_request');
    expect(where.searchParams.has('code')).to.equal(false);
  });

  it('refuses every near miss of the registered post-logout address, by client_id and by ID token, redirecting nowhere', async () => {
    const user = await createTestUser(running);
    const signedIn = await signIn(running, client, user);
    const tokens = await redeem(client, signedIn);
    const misses = nearMisses(signedOut());
    for (const hint of [{ client_id: client.id }, { id_token_hint: tokens.id_token ?? '' }]) {
      const kind = Object.keys(hint)[0] ?? '';
      for (const redirect of misses) {
        const url = new URL('/session/end', running.url);
        for (const [k, v] of Object.entries(hint)) url.searchParams.set(k, v);
        url.searchParams.set('post_logout_redirect_uri', redirect);
        const res = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
        const body = await res.text();
        expect(res.status, `${kind}: ${redirect}`).to.equal(400);
        expectNowhere(res, body, running.url, `${kind}: ${redirect}`);
      }
      // The control: the registered address is accepted (the confirmation page is shown).
      const url = new URL('/session/end', running.url);
      for (const [k, v] of Object.entries(hint)) url.searchParams.set(k, v);
      url.searchParams.set('post_logout_redirect_uri', signedOut());
      const res = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(res.status, kind).to.equal(200);
      expect(await res.text()).to.contain('name="xsrf"');
    }
  });

  describe("the applications' own return addresses", () => {
    let person: Person;
    let browser: SecurityBrowser;

    before(async () => {
      person = await createPerson(running, {
        kind: 'appointee',
        given: 'Mererid',
        family: 'Hopwood',
        username: 'mererid.hopwood@wjec-appointees.co.uk',
        email: 'mererid@example.org',
      });
      browser = await signedInBrowser(running, person, '/amp');
    });

    const offSite = [
      'https://attacker.example/',
      '//attacker.example/amp',
      '/\\attacker.example/amp',
      '/amp//attacker.example',
      '/amp/\\attacker.example',
      '/amp/%0d%0aLocation:%20https://attacker.example',
      'javascript:alert(1)',
      `${'/amp/'}${'a'.repeat(600)}`,
    ];

    /** True when every response the browser received since `from` stayed on the portal's origin. */
    function stayedHome(from: number): string[] {
      return browser.responses
        .slice(from)
        .map((r) => r.headers.get('location'))
        .filter((l): l is string => l !== null)
        .filter((l) => new URL(l, running.url).origin !== new URL(running.url).origin)
        .filter((l) => !l.startsWith(`${running.url}/`));
    }

    it('sends AMP sign-in back to an AMP page only, whatever `return` says', async () => {
      for (const target of offSite) {
        const from = browser.responses.length;
        await browser.open(`/amp/sign-in?return=${encodeURIComponent(target)}`);
        expect(stayedHome(from), target).to.deep.equal([]);
        expect(new URL(browser.url).origin, target).to.equal(new URL(running.url).origin);
        expect(new URL(browser.url).pathname, target).to.match(/^\/amp(\/|$)/);
      }
    });

    it("goes on after AMP's password check to an AMP page only, whatever `next` says", async () => {
      for (const target of offSite) {
        await browser.open(`/amp/confirm-password?next=${encodeURIComponent(target)}`);
        const next = browser.forms().find((f) => f.action === '/amp/confirm-password')?.hidden.next;
        expect(next, target).to.match(/^\/amp(\/|$)/);
        expect(
          hostsLinkedFrom(browser.html, browser.url).filter((h) => h.includes('attacker')),
          target,
        ).to.deep.equal([]);
        const csrf = browser.csrfToken();
        await browser.post(
          '/amp/confirm-password',
          { _csrf: csrf, password: person.password, next: target },
          false,
        );
        expect(browser.status, target).to.equal(303);
        const where = new URL(browser.location, running.url);
        expect(where.origin, target).to.equal(new URL(running.url).origin);
        expect(where.pathname, target).to.match(/^\/amp(\/|$)/);
        expect(browser.location, target).to.not.match(/^\/\//);
      }
    });
  });
});

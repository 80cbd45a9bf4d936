import { expect } from 'chai';
import {
  authorizationRequest,
  registerTestClient,
  type TestClient,
} from '../../packages/portal-express/test/support/server.js';
import {
  startClockedTestPortal,
  type ClockedTestPortal,
} from '../../packages/portal-express/test/support/provider.js';
import {
  addToCentre,
  createCentre,
  createCentrePerson,
} from '../../packages/portal-express/test/support/centres.js';
import { createPerson } from '../../packages/portal-express/test/support/support-console.js';
import {
  insertLegacyAccount,
  temporaryPasswordFor,
} from '../../packages/portal-express/test/support/sign-in-setup.js';
import { SecurityBrowser, decodeEntities } from './support/browser.js';
import { htmlPages, policyProblems } from './support/csp.js';
import { completeSignIn, signedInBrowser } from './support/people.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** Links a crawl must not follow: they start or end sign-ins, or are not pages. */
function skipped(url: URL): boolean {
  return (
    /\/(sign-in|sign-out|callback|backchannel-logout)$/.test(url.pathname) ||
    /^\/(auth|session|interaction|assets|token|me|jwks)(\/|$)/.test(url.pathname) ||
    url.pathname.startsWith('/.well-known/') ||
    url.searchParams.has('lang')
  );
}

/**
 * Visits every page reachable by links from `starts` in `browser` (same origin, GET, at most
 * `limit` pages), as a person clicking through would.
 */
async function crawl(browser: SecurityBrowser, starts: readonly string[], limit = 150) {
  const origin = new URL(browser.baseUrl).origin;
  const seen = new Set<string>();
  const queue = [...starts];
  while (queue.length > 0 && seen.size < limit) {
    const next = queue.shift() ?? '';
    if (seen.has(next)) continue;
    seen.add(next);
    await browser.open(next);
    if (new URL(browser.url).origin !== origin) continue;
    for (const m of browser.html.matchAll(/<a\b[^>]*\shref="([^"#]+)/gi)) {
      const url = new URL(decodeEntities(m[1] ?? ''), browser.url);
      if (url.origin !== origin || skipped(url)) continue;
      const path = `${url.pathname}${url.search}`;
      if (!seen.has(path)) queue.push(path);
    }
  }
  return seen;
}

describe(`Content-Security-Policy on every HTML page (${DB})`, function () {
  this.timeout(180_000);
  let running: ClockedTestPortal;
  let client: TestClient;
  const browsers: SecurityBrowser[] = [];

  before(async () => {
    running = await startClockedTestPortal();
    client = await registerTestClient(running);
  });
  after(async () => {
    await running?.stop();
  });

  it('sends a policy without inline script on every page an appointee, a centre admin and a support person reach', async () => {
    const appointee = await createPerson(running, {
      kind: 'appointee',
      given: 'Cadi',
      family: 'Rhys',
      username: 'cadi.rhys@wjec-appointees.co.uk',
      email: 'cadi@example.org',
    });
    const ampBrowser = await signedInBrowser(running, appointee, '/amp');
    browsers.push(ampBrowser);
    await ampBrowser.open('/portal/sign-in?as=appointee');
    await crawl(ampBrowser, ['/amp', '/portal', '/amp/security/add', '/amp/security/password']);

    const eo = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol-a.example.org',
    });
    await createCentre(running, '68101', 'Ysgol Gyfun Enghraifft', eo);
    const member = await createCentrePerson(running, {
      given: 'Ffion',
      family: 'Hughes',
      email: 'ffion@ysgol-a.example.org',
    });
    await addToCentre(running, '68101', member, 'user', ['resources']);
    const eoBrowser = await signedInBrowser(
      running,
      { username: eo.email, email: eo.email, password: eo.password },
      '/portal/sign-in?as=centre_user',
    );
    browsers.push(eoBrowser);
    await crawl(eoBrowser, ['/portal', '/portal/centres/68101/users/invite?type=admin']);

    const staff = await createPerson(running, {
      kind: 'staff',
      given: 'Nia',
      family: 'Thomas',
      username: 'nia.thomas@support.example.org',
      email: 'nia.thomas@support.example.org',
    });
    const staffBrowser = await signedInBrowser(running, staff, '/portal/sign-in?as=appointee');
    browsers.push(staffBrowser);
    await crawl(staffBrowser, [
      '/portal/support',
      `/portal/support?q=${encodeURIComponent(appointee.username)}`,
      `/portal/support/accounts/${appointee.account.id}`,
    ]);

    const pages = browsers.flatMap((b) => htmlPages(b.responses));
    const paths = new Set(pages.map((p) => new URL(p.url).pathname));
    expect(paths.size, [...paths].join('\n')).to.be.greaterThan(20);
    expect(pages.flatMap(policyProblems)).to.deep.equal([]);
  });

  it('sends it on the sign-in, migration, recovery, error and sign-out pages too', async () => {
    const browser = new SecurityBrowser(running.url);
    browsers.push(browser);

    // Migration and a first sign-in, up to the authenticator app's QR code.
    await insertLegacyAccount(running, {
      legacyUsername: 'gwen.evans',
      password: 'Hen-Gyfrinair-AMP-1!',
      givenName: 'Gwen',
      familyName: 'Evans',
      email: 'gwen@example.org',
    });
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    await browser.submit({ username: 'gwen.evans' });
    await browser.submit({ password: 'wrong-password' });
    expect(browser.status).to.equal(400);
    await browser.submit({ password: 'Hen-Gyfrinair-AMP-1!' });
    const newUsername = /id="new-username">([^<]+)</.exec(browser.html)?.[1] ?? '';
    expect(newUsername).to.not.equal('');
    await browser.submit({ action: 'proceed' });
    await browser.submit({ username: decodeEntities(newUsername) });
    await browser.submit({ password: await temporaryPasswordFor(running, 'gwen@example.org') });
    await browser.submit({ action: 'choose', method: 'totp' });
    expect(browser.html).to.contain('<img');

    // Recovery pages, and what they answer.
    const visitor = new SecurityBrowser(running.url);
    browsers.push(visitor);
    for (const page of [
      '/',
      '/portal',
      '/forgotten-username',
      '/forgotten-username/sent',
      '/forgotten-password',
      '/forgotten-password/sent',
      '/forgotten-password/reset/not-a-real-token-at-all-0000000000000000',
      '/forgotten-password/legacy/not-a-real-token-at-all-0000000000000000',
      '/invitation/not-a-real-token-at-all-0000000000000000',
      '/amp/signed-out',
      '/portal/signed-out',
      '/no-such-page',
      '/interaction/no-such-sign-in',
      '/auth?client_id=no-such-client&response_type=code&scope=openid',
      '/session/end',
      '/dev/outbox',
    ])
      await visitor.open(page);
    await visitor.open('/forgotten-username');
    await visitor.submit({ email: '' }, '/forgotten-username');
    expect(visitor.status).to.equal(400);
    await visitor.post('/forgotten-username', { email: 'nobody@example.org' });
    expect(visitor.status).to.equal(403);
    await visitor.post('/forgotten-username', { email: 'x'.repeat(40_000) });
    expect(visitor.status).to.equal(413);
    const mail = (await running.portal.services.outbox.listRecent({ limit: 1 }))[0];
    if (mail) await visitor.open(`/dev/outbox/${mail.id}`);

    // Signing out at the provider: its confirmation page, then the page after it.
    const person = await createPerson(running, {
      kind: 'appointee',
      given: 'Llinos',
      family: 'Wyn',
      username: 'llinos.wyn@wjec-appointees.co.uk',
      email: 'llinos@example.org',
    });
    const leaving = new SecurityBrowser(running.url);
    browsers.push(leaving);
    await leaving.open('/amp');
    await completeSignIn(running, leaving, person);
    await leaving.open('/session/end');
    const confirm = leaving.forms().find((f) => f.hidden.xsrf !== undefined);
    if (!confirm) throw new Error(`no sign-out confirmation:\n${leaving.html}`);
    await leaving.submit({ logout: 'yes' }, confirm.action);

    const pages = [browser, visitor, leaving].flatMap((b) => htmlPages(b.responses));
    const statuses = new Set(pages.map((p) => p.status));
    for (const status of [200, 400, 403, 404, 410, 413]) expect([...statuses]).to.include(status);
    expect(pages.flatMap(policyProblems)).to.deep.equal([]);
  });
});

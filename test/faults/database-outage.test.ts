import { expect } from 'chai';
import request from 'supertest';
import { generate } from 'otplib';
import { createManualClock, type ManualClock } from '@porth/identity-core/testing';
import {
  HttpBrowser,
  authorizationRequest,
  createTestUser,
  registerTestClient,
  type RunningTestPortal,
  type TestClient,
  type TestUser,
} from '../../packages/portal-express/test/support/server.js';
import {
  emailedCode,
  insertLegacyAccount,
  pageText,
  post,
  redeemCode,
  temporaryPasswordFor,
} from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  createCentre,
  createCentrePerson,
} from '../../packages/portal-express/test/support/centres.js';
import {
  countRows,
  expectMigratedOnce,
  expectNotMigrated,
  migrationFacts,
} from './support/facts.js';
import {
  DATABASE_LABEL,
  ON_MARIADB,
  createOutageDatabase,
  muteConsole,
  outageUnavailableReason,
  type OutageDatabase,
} from './support/outage.js';
import { startPortalOver } from './support/portal.js';

/** The heading of the "temporarily unavailable" page in Welsh. */
const UNAVAILABLE_CY = "Mae'n ddrwg gennym, nid yw'r gwasanaeth ar gael ar hyn o bryd";
/** How long the provider host trusts its signing keys before it reads them again (provider-host.ts). */
const PROVIDER_RECHECK_MS = 31_000;

/** A browser that asked for Welsh once (the portal remembers it in a cookie). */
async function welshBrowser(url: string): Promise<HttpBrowser> {
  const browser = new HttpBrowser(url);
  await browser.open('/?lang=cy');
  expect(browser.status).to.equal(200);
  return browser;
}

function expectUnavailableInWelsh(browser: HttpBrowser): void {
  expect(browser.status, pageText(browser.html).slice(0, 500)).to.equal(503);
  expect(pageText(browser.html)).to.contain(UNAVAILABLE_CY);
  expect(browser.html).to.match(/<html[^>]*lang="cy"/);
}

/** The TOTP code of the portal clock's current step. */
function codeAt(clock: ManualClock, user: TestUser): Promise<string> {
  return generate({ secret: user.totpSecret, epoch: Math.floor(clock.now().getTime() / 1000) });
}

describe(`the database stops in the middle of a journey and comes back (${DATABASE_LABEL})`, function () {
  this.timeout(120_000);
  let outage: OutageDatabase;
  let running: RunningTestPortal;
  let clock: ManualClock;
  let client: TestClient;
  let user: TestUser;

  before(async function () {
    const reason = outageUnavailableReason();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    outage = await createOutageDatabase();
    clock = createManualClock(Date.now());
    running = await startPortalOver(outage.database, { clock });
    client = await registerTestClient(running);
    user = await createTestUser(running);
  });

  after(async () => {
    try {
      await running?.stop();
    } finally {
      await outage?.destroy();
    }
  });

  /** What the portal printed while the database was away (shown when a test fails). */
  let muted: { restore(): string[] } | null = null;
  let printed: string[] = [];

  afterEach(function () {
    printed.push(...(muted?.restore() ?? []));
    muted = null;
    if (this.currentTest?.state === 'failed' && printed.length > 0) {
      console.log(`      printed during the outage:\n${printed.slice(0, 40).join('\n')}`);
    }
    printed = [];
  });

  /** Takes the database away and checks that /healthz says so. */
  async function stopDatabase(): Promise<void> {
    muted = muteConsole();
    await outage.stop(running.portal.db);
    const health = await request(running.url).get('/healthz');
    expect(health.status).to.equal(503);
    expect(health.body).to.deep.equal({ status: 'unavailable', database: 'down' });
  }

  async function startDatabase(): Promise<void> {
    await outage.start(running.portal.db);
    const health = await request(running.url).get('/healthz');
    expect(health.status).to.equal(200);
    expect(health.body).to.deep.equal({ status: 'ok', database: 'up' });
    // Connections the server closed are noticed (and reported) as the pool next uses them.
    await new Promise((r) => setTimeout(r, 300));
    printed.push(...(muted?.restore() ?? []));
    muted = null;
  }

  it('answers a sign-in with a Welsh "temporarily unavailable" page, then completes the same sign-in', async () => {
    clock.advance(30_000);
    const browser = await welshBrowser(running.url);
    const { url, verifier, state } = await authorizationRequest(client);
    await browser.open(url.toString());
    const uid = /\/interaction\/([^/?]+)/.exec(browser.location)?.[1] ?? '';
    expect(uid, browser.location).to.not.equal('');
    await browser.submit({ username: user.username });
    await browser.submit({ password: user.password });
    expect(browser.html, 'the second-step page').to.contain(`/interaction/${uid}/second_factor`);
    const eventsBefore = await countRows(running.portal.db, 'audit_events');

    await stopDatabase();
    // The code is posted while the database is away; so is every other page of the journey.
    await browser.submit({ action: 'verify', code: await codeAt(clock, user) });
    expectUnavailableInWelsh(browser);
    const page = await browser.agent.get(`/interaction/${uid}`);
    expect(page.status).to.equal(503);
    expect(page.headers['retry-after']).to.equal('30');
    // The provider's own endpoints answer the same way: first the provider itself finds no
    // database, then (once its keys are due to be checked again) the host that holds it.
    await browser.open(url.toString());
    expectUnavailableInWelsh(browser);
    clock.advance(PROVIDER_RECHECK_MS);
    await browser.open(url.toString());
    expectUnavailableInWelsh(browser);

    await startDatabase();
    expect(await countRows(running.portal.db, 'audit_events'), 'nothing was written').to.equal(
      eventsBefore,
    );
    // The same sign-in carries on where it was: the second step, then "Stay signed in?".
    await browser.open(`/interaction/${uid}`);
    expect(browser.status).to.equal(200);
    expect(browser.html).to.contain(`/interaction/${uid}/second_factor`);
    await browser.submit({ action: 'verify', code: await codeAt(clock, user) });
    expect(browser.html, pageText(browser.html).slice(0, 500)).to.contain(
      `/interaction/${uid}/stay_signed_in`,
    );
    await browser.submit({ stay_signed_in: 'no' });
    expect(browser.location).to.match(new RegExp(`^${client.redirectUri}\\?code=`));
    const tokens = await redeemCode(client, { browser, verifier, state });
    expect(tokens.claims()?.sub).to.equal(user.account.id);
  });

  it('answers the migration page with a Welsh "temporarily unavailable" page, migrates nothing, then migrates once', async () => {
    const person = {
      legacyUsername: 'ceri.outage',
      password: 'Hen-Gyfrinair-1',
      givenName: 'Ceri',
      familyName: 'Huws',
      email: 'ceri.huws@example.org',
      locale: 'cy' as const,
    };
    const legacy = await insertLegacyAccount(running, person);
    const browser = await welshBrowser(running.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    const uid = /\/interaction\/([^/?]+)/.exec(browser.location)?.[1] ?? '';
    await browser.submit({ username: person.legacyUsername });
    expect(browser.html, 'the migration page').to.contain(`/interaction/${uid}/migrate`);

    await stopDatabase();
    await browser.submit({ password: person.password });
    expectUnavailableInWelsh(browser);

    await startDatabase();
    expectNotMigrated(await migrationFacts(running.portal.db, legacy.id));
    await browser.open(`/interaction/${uid}`);
    expect(browser.html, 'still the migration page').to.contain(`/interaction/${uid}/migrate`);
    await browser.submit({ password: person.password });
    const newUsername = pageText(/id="new-username">([^<]+)</.exec(browser.html)?.[1] ?? '');
    expect(newUsername, pageText(browser.html).slice(0, 800)).to.match(/^ceri\.huws@/);
    expectMigratedOnce(await migrationFacts(running.portal.db, legacy.id));

    // The journey goes on: Proceed, the new username and the emailed temporary password.
    await post(browser, { action: 'proceed' });
    await browser.submit({ username: newUsername });
    await browser.submit({ password: await temporaryPasswordFor(running, person.email) });
    expect(browser.html, pageText(browser.html).slice(0, 500)).to.contain(
      `/interaction/${uid}/mfa_setup`,
    );
  });

  it('answers every page that needs the database with the same Welsh 503 page, and serves them again after with the sessions intact', async () => {
    // Signed in at AMP (authenticator app) and at the Portal (a centre's Exams Officer).
    clock.advance(30_000);
    const amp = await welshBrowser(running.url);
    await amp.open('/amp/sign-in');
    await amp.submit({ username: user.username });
    await amp.submit({ password: user.password });
    await amp.submit({ action: 'verify', code: await codeAt(clock, user) });
    await amp.submit({ stay_signed_in: 'no' });
    expect(new URL(amp.location).pathname).to.equal('/amp');
    const officer = await createCentrePerson(running, {
      given: 'Elin',
      family: 'Puw',
      email: 'elin.puw@example.org',
    });
    await createCentre(running, '68177', 'Ysgol y Storm', officer);
    const portal = await welshBrowser(running.url);
    await portal.open('/portal/sign-in?as=centre_user');
    await portal.submit({ username: officer.email });
    await portal.submit({ password: officer.password });
    await portal.submit({ action: 'verify', code: await emailedCode(running, officer.email) });
    await portal.submit({ stay_signed_in: 'no' });
    expect(new URL(portal.location).pathname).to.equal('/portal');
    await amp.open('/amp/profile');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(amp.html)?.[1] ?? '';
    const token = 'A'.repeat(43);
    const pages: readonly (readonly [HttpBrowser, string])[] = [
      [amp, '/amp'],
      [amp, '/amp/profile'],
      [amp, '/amp/security'],
      [amp, '/amp/status'],
      [amp, '/amp/sign-in'],
      [amp, '/forgotten-password'],
      [amp, `/forgotten-password/reset/${token}`],
      [amp, `/forgotten-password/legacy/${token}`],
      [amp, `/invitation/${token}`],
      [portal, '/portal'],
      [portal, '/portal/services'],
      [portal, '/portal/centres/68177/users'],
    ];

    await stopDatabase();
    for (const [browser, path] of pages) {
      await browser.open(path);
      expect(browser.status, path).to.equal(503);
      expect(pageText(browser.html), path).to.contain(UNAVAILABLE_CY);
    }
    for (const path of ['/amp/profile', '/forgotten-username', '/amp/sign-out']) {
      const res = await amp.agent
        .post(path)
        .type('form')
        .send({ _csrf: csrf, email: 'rhywun@example.org' });
      expect(res.status, `POST ${path}`).to.equal(503);
      expect(pageText(res.text), `POST ${path}`).to.contain(UNAVAILABLE_CY);
    }

    await startDatabase();
    for (const [browser, path] of pages) {
      await browser.open(path);
      expect(browser.status, path).to.be.oneOf([200, 410]);
      expect(pageText(browser.html), path).to.not.contain(UNAVAILABLE_CY);
    }
    // Still signed in at both applications: their sessions were never lost.
    await amp.open('/amp/profile');
    expect(new URL(amp.location).pathname).to.equal('/amp/profile');
    await portal.open('/portal/centres/68177/users');
    expect(new URL(portal.location).pathname).to.equal('/portal/centres/68177/users');
    expect(pageText(portal.html)).to.contain('elin.puw@example.org');
  });

  it('rolls back a migration whose database crashed half-way through it, and migrates once after (MariaDB)', async function () {
    const server = outage.mariadb;
    if (!ON_MARIADB || !server) {
      // SQLite is a file inside the portal's own process: it has no server to crash mid-statement.
      this.skip();
    }
    const person = {
      legacyUsername: 'dafydd.crash',
      password: 'Hen-Gyfrinair-2',
      givenName: 'Dafydd',
      familyName: 'Crash',
      email: 'dafydd.crash@example.org',
      locale: 'cy' as const,
    };
    const legacy = await insertLegacyAccount(running, person);
    const browser = await welshBrowser(running.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    const uid = /\/interaction\/([^/?]+)/.exec(browser.location)?.[1] ?? '';
    await browser.submit({ username: person.legacyUsername });
    expect(browser.html, 'the migration page').to.contain(`/interaction/${uid}/migrate`);

    // The server dies at the moment the migration's transaction queues the email: the new
    // username, password, migration record and tokens are written but not committed.
    let crashedAt = '';
    const crashOnMail = (query: { sql?: string }) => {
      if (!crashedAt && /insert into `outbox_messages`/i.test(query.sql ?? '')) {
        crashedAt = query.sql ?? '';
        server.crashNow();
      }
    };
    muted = muteConsole();
    running.portal.db.on('query', crashOnMail);
    try {
      await browser.submit({ password: person.password });
    } finally {
      running.portal.db.off('query', crashOnMail);
    }
    expect(crashedAt, 'the crash happened inside the migration').to.not.equal('');
    expectUnavailableInWelsh(browser);

    await server.crash();
    await startDatabase();
    expectNotMigrated(await migrationFacts(running.portal.db, legacy.id));
    await browser.open(`/interaction/${uid}`);
    expect(browser.html, 'still the migration page').to.contain(`/interaction/${uid}/migrate`);
    await browser.submit({ password: person.password });
    expect(pageText(browser.html)).to.match(/dafydd\.crash@/);
    expectMigratedOnce(await migrationFacts(running.portal.db, legacy.id));
  });
});

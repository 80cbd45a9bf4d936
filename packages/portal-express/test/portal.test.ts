import { expect } from 'chai';
import request from 'supertest';
import { connectDatabase, cryptoRandom } from '@porth/identity-core';
import { DevelopmentTextProvider } from '@porth/mfa';
import { createApp } from '../src/app.js';
import { loadPortalConfig } from '../src/config.js';
import { createTestPortal, type TestPortal } from './support/portal.js';

describe(`portal (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, () => {
  let portal: TestPortal;
  before(async () => {
    portal = await createTestPortal();
  });
  after(async () => {
    await portal?.destroy();
  });

  it('reports the database as up at /healthz', async () => {
    const res = await request(portal.app).get('/healthz').expect(200);
    expect(res.body).to.deep.equal({ status: 'ok', database: 'up' });
  });

  it('answers 503 at /healthz when the database cannot be reached', async () => {
    const config = loadPortalConfig({ NODE_ENV: 'test' });
    const unreachable = connectDatabase('mysql://nobody:x@127.0.0.1:1/none');
    try {
      const app = await createApp({
        config,
        db: unreachable,
        clock: portal.clock,
        random: cryptoRandom,
        logError: () => undefined,
      });
      const res = await request(app).get('/healthz').expect(503);
      expect(res.body).to.deep.equal({ status: 'unavailable', database: 'down' });
    } finally {
      await unreachable.destroy();
    }
  });

  it('speaks English by default and Welsh to a browser that prefers it', async () => {
    const en = await request(portal.app).get('/').expect(200);
    expect(en.text).to.contain('<html lang="en">').and.contain('One account for every service');
    const cy = await request(portal.app).get('/').set('Accept-Language', 'cy-GB,cy;q=0.9,en;q=0.5');
    expect(cy.text).to.contain('<html lang="cy">').and.contain('Un cyfrif ar gyfer pob gwasanaeth');
    expect(cy.headers['content-language']).to.equal('cy');
  });

  it('offers the other language on every page and remembers the choice', async () => {
    const agent = request.agent(portal.app);
    const first = await agent.get('/').expect(200);
    expect(first.text).to.match(/href="\/\?lang&#x3D;cy"[^>]*lang="cy">Cymraeg</);
    await agent.get('/?lang=cy').expect(200);
    const later = await agent.get('/').set('Accept-Language', 'en');
    expect(later.text).to.contain('<html lang="cy">');
    const missing = await agent.get('/no-such-page').expect(404);
    expect(missing.text).to.contain("Heb ddod o hyd i'r dudalen".replace("'", '&#x27;'));
  });

  it('sends a Content-Security-Policy without inline script or style', async () => {
    const res = await request(portal.app).get('/').expect(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).to.contain("script-src 'self'").and.contain("style-src 'self'");
    expect(csp).not.to.contain('unsafe-inline');
    expect(res.headers['x-powered-by']).to.equal(undefined);
  });

  it('shows queued mail in the development outbox, readable as text and as sandboxed HTML', async () => {
    const id = await portal.services.outbox.enqueue(portal.database.db, {
      to: 'rhys.evans@example.org',
      template: 'forgotten_username',
      locale: 'en',
      data: {
        name: 'Rhys',
        usernames: ['rhys.evans@wjec-appointees.co.uk'],
        signInUrl: 'http://localhost:3000/',
      },
    });
    const page = await request(portal.app).get('/dev/outbox').expect(200);
    expect(page.text)
      .to.contain('rhys.evans@example.org')
      .and.contain('rhys.evans@wjec-appointees.co.uk');
    const html = await request(portal.app).get(`/dev/outbox/${id}`).expect(200);
    expect(String(html.headers['content-security-policy'])).to.match(/^sandbox/);
    await request(portal.app).get('/dev/outbox/not-a-message').expect(404);
  });

  it('shows text messages and phone calls from the development SMS provider beside the mail', async () => {
    const phone = new DevelopmentTextProvider({
      db: portal.database.db,
      clock: portal.clock,
      random: cryptoRandom,
      secretKey: portal.config.secrets.secretKey,
    });
    await phone.sendText({
      to: '+447700900123',
      body: 'Your Porth code is 482913',
      locale: 'en',
      accountId: null,
    });
    const page = await request(portal.app).get('/dev/outbox').expect(200);
    expect(page.text).to.contain('Text message').and.contain('+447700900123').and.contain('482913');
  });

  it('has no outbox page in production', async () => {
    const production = loadPortalConfig({
      NODE_ENV: 'production',
      DATABASE_URL: portal.database.url,
      PUBLIC_URL: 'https://id.example.org',
      SMTP_URL: 'smtp://127.0.0.1:1',
      SECRET_KEY: 's'.repeat(40),
      COOKIE_KEYS: 'k'.repeat(40),
      MFA_SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
      TWILIO_AUTH_TOKEN: 'test-token',
      TWILIO_FROM: '+447700900000',
    });
    const app = await createApp({
      config: production,
      db: portal.database.db,
      clock: portal.clock,
      random: cryptoRandom,
      logError: () => undefined,
    });
    await request(app).get('/dev/outbox').expect(404);
  });
});

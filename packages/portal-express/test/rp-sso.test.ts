import { expect } from 'chai';
import * as jose from 'jose';
import { createManualClock, type ManualClock } from '@porth/identity-core/testing';
import { destroyOidcStateOfAccount } from '../src/oidc/knex-adapter.js';
import { createTestUser, type RunningTestPortal, type TestUser } from './support/server.js';
import {
  Browser,
  createClockedTestUser,
  freshTotpCode,
  signInAtProvider,
  startRpTestPortal,
  startSharePoint,
  type RunningSharePoint,
} from './support/rp.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

async function rpSessionCount(running: RunningTestPortal, app: string): Promise<number> {
  const row = (await running.portal
    .db('rp_sessions')
    .where({ app })
    .whereNotNull('account_id')
    .count({ n: '*' })
    .first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

describe(`AMP, Portal and the SharePoint example: single sign-on and logout (${DB})`, function () {
  this.timeout(60_000);
  let running: RunningTestPortal;
  let sharepoint: RunningSharePoint;
  let user: TestUser;

  before(async () => {
    running = await startRpTestPortal();
    sharepoint = await startSharePoint(running);
    user = await createTestUser(running);
  });
  after(async () => {
    await sharepoint?.stop();
    await running?.stop();
  });

  it('signs in at AMP, then arrives signed in at the Portal and SharePoint without a prompt, and one sign-out ends them all', async () => {
    const browser = new Browser(running.url);
    await browser.open('/');
    expect(browser.html).to.contain('Sign in to AMP');
    expect(browser.html).to.contain('Go to the Portal');

    await browser.open('/amp');
    expect(browser.sawSignInPage).to.equal(true);
    await signInAtProvider(browser, user, await freshTotpCode(user.totpSecret));
    expect(browser.url).to.equal(`${running.url}/amp`);
    expect(browser.html).to.contain('Welcome, Megan Lloyd');

    await browser.open('/amp/profile');
    expect(browser.status).to.equal(200);
    expect(browser.html).to.contain('value="Megan"');
    expect(browser.html).to.contain('value="megan@example.org"');

    // The Portal's start page, then "Sign in as an Appointee": no sign-in page on the way.
    await browser.open('/portal');
    expect(browser.html).to.contain('Sign in as an Appointee');
    expect(browser.html).to.contain('Sign in as a centre user');
    await browser.open('/portal/sign-in?as=appointee');
    expect(browser.sawSignInPage).to.equal(false);
    expect(browser.url).to.equal(`${running.url}/portal`);
    expect(browser.html).to.contain('Welcome, Megan Lloyd');
    expect(browser.html).to.contain('You signed in as an appointee.');
    await browser.open('/portal/services');
    expect(browser.html).to.contain('All Services');
    expect(browser.html).to.contain('Examinations &amp; Assessments');
    expect(browser.html).to.contain('Electronic Mark Input (EMI)');
    await browser.open('/portal/services/iamis-mark-input');
    expect(browser.status).to.equal(200);
    expect(browser.html).to.contain('Mark Input (IAMIS)');
    expect(browser.html).to.contain('Appointee');
    expect(browser.html).to.contain('The IAMIS permission');

    // SharePoint, on another origin, signs in without a prompt too.
    await browser.open(`${sharepoint.url}/login`);
    expect(browser.sawSignInPage).to.equal(false);
    expect(browser.url).to.equal(`${sharepoint.url}/`);
    expect(browser.html).to.contain('Welcome, Megan Lloyd');
    expect(sharepoint.sessionCount()).to.equal(1);
    expect(await rpSessionCount(running, 'portal')).to.equal(1);

    // Sign out at AMP: the provider asks to confirm, then tells every other application.
    await browser.open('/amp');
    await browser.submit({}, '/amp/sign-out');
    expect(browser.html).to.contain('Sign out');
    const confirm = browser.forms().find((f) => f.action.endsWith('/session/end/confirm'));
    expect(confirm, 'the provider asks to confirm').to.not.equal(undefined);
    await browser.submit({ logout: 'yes' }, confirm?.action);
    expect(browser.url).to.equal(`${running.url}/amp/signed-out`);
    expect(browser.html).to.contain('You have signed out');

    expect(sharepoint.logouts).to.have.length(1);
    expect(sharepoint.sessionCount()).to.equal(0);
    expect(await rpSessionCount(running, 'portal')).to.equal(0);
    expect(await rpSessionCount(running, 'amp')).to.equal(0);

    // A new visit anywhere asks to sign in again.
    await browser.open('/portal');
    expect(browser.html).to.contain('Sign in as an Appointee');
    await browser.open('/portal/sign-in?as=appointee');
    expect(browser.sawSignInPage).to.equal(true);
    await browser.open(`${sharepoint.url}/`);
    expect(browser.html).to.contain('href="/login"');
    await browser.open(`${sharepoint.url}/login`);
    expect(browser.sawSignInPage).to.equal(true);
    await browser.open('/amp');
    expect(browser.sawSignInPage).to.equal(true);
  });

  it('refuses forged, unsigned and replayed logout tokens (400) and keeps the sessions', async () => {
    const user = await createTestUser(running, {
      given: 'Rhys',
      family: 'Evans',
      username: 'rhys.evans@wjec-appointees.co.uk',
    });
    const browser = new Browser(running.url);
    await browser.open('/amp');
    await signInAtProvider(browser, user, await freshTotpCode(user.totpSecret));
    await browser.open('/portal/sign-in?as=appointee');
    await browser.open(`${sharepoint.url}/login`);
    expect(await rpSessionCount(running, 'portal')).to.equal(1);
    expect(sharepoint.sessionCount()).to.equal(1);
    const sid = String(
      (
        (await running.portal
          .db('rp_sessions')
          .where({ app: 'portal' })
          .whereNotNull('sid')
          .first()) as {
          sid: string;
        }
      ).sid,
    );

    const claims = {
      iss: running.url,
      sub: user.account.id,
      sid,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    };
    const unsigned = new jose.UnsecuredJWT(claims)
      .setAudience('portal')
      .setIssuedAt()
      .setJti('unsigned-1')
      .setExpirationTime('2m')
      .encode();
    const { privateKey } = await jose.generateKeyPair('ES256');
    const forged = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'logout+jwt', kid: 'forged' })
      .setAudience('portal')
      .setIssuedAt()
      .setJti('forged-1')
      .setExpirationTime('2m')
      .sign(privateKey);

    for (const token of [unsigned, forged, 'not-a-jwt']) {
      for (const target of [
        `${running.url}/portal/backchannel-logout`,
        `${sharepoint.url}/backchannel-logout`,
      ]) {
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: token }).toString(),
        });
        expect(res.status, target).to.equal(400);
      }
    }
    expect(await rpSessionCount(running, 'portal')).to.equal(1);
    expect(sharepoint.sessionCount()).to.equal(1);

    // A genuine token, signed with the provider's current key, works once only.
    const [key] = await running.portal.services.signingKeys.ensure();
    const signing = await jose.importJWK(key as jose.JWK, 'ES256');
    const genuine = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'logout+jwt', kid: String(key?.kid) })
      .setAudience('portal')
      .setIssuedAt()
      .setJti('genuine-1')
      .setExpirationTime('2m')
      .sign(signing);
    const send = () =>
      fetch(`${running.url}/portal/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: genuine }).toString(),
      });
    expect((await send()).status).to.equal(200);
    expect(await rpSessionCount(running, 'portal')).to.equal(0);
    expect((await send()).status).to.equal(400);
    // AMP's session (another application) is untouched.
    expect(await rpSessionCount(running, 'amp')).to.equal(1);
  });

  it('tells SharePoint by back-channel logout when the person signs out everywhere, and when support disables the account', async () => {
    const person = async (given: string) =>
      createTestUser(running, {
        given,
        family: 'Price',
        username: `${given.toLowerCase()}.price@wjec-appointees.co.uk`,
      });
    const signInEverywhere = async (who: TestUser): Promise<Browser> => {
      const browser = new Browser(running.url);
      await browser.open('/amp');
      await signInAtProvider(browser, who, await freshTotpCode(who.totpSecret));
      await browser.open(`${sharepoint.url}/login`);
      expect(browser.sawSignInPage).to.equal(false);
      expect(browser.html).to.contain(`Welcome, ${who.account.givenName} Price`);
      return browser;
    };
    const logoutsOf = (who: TestUser) => sharepoint.logouts.filter((l) => l.sub === who.account.id);

    // "Sign out everywhere" in AMP, with no sign-out at SharePoint itself.
    const elen = await person('Elen');
    const browser = await signInEverywhere(elen);
    const sessionsBefore = sharepoint.sessionCount();
    await browser.open('/amp/security');
    await browser.submit({}, '/amp/security/sign-out-everywhere');
    expect(browser.html).to.contain('You have been signed out everywhere');
    expect(logoutsOf(elen), 'one logout token, for that session').to.have.length(1);
    expect(logoutsOf(elen)[0]?.sid).to.be.a('string');
    expect(sharepoint.sessionCount()).to.equal(sessionsBefore - 1);
    await browser.open(`${sharepoint.url}/`);
    expect(browser.html).to.contain('href="/login"');

    // Disabled by the support team: the same.
    const ffion = await person('Ffion');
    await signInEverywhere(ffion);
    const staff = await createTestUser(running, {
      given: 'Nia',
      family: 'Thomas',
      username: 'nia.thomas@wjec.co.uk',
    });
    await running.portal.db('accounts').where({ id: staff.account.id }).update({ kind: 'staff' });
    const desk = new Browser(running.url);
    await desk.open('/portal/support');
    await signInAtProvider(desk, staff, await freshTotpCode(staff.totpSecret));
    const path = `/portal/support/accounts/${ffion.account.id}/disable`;
    await desk.open(path);
    await desk.submit({ reason: '' }, path);
    expect(desk.status).to.equal(200);
    expect(logoutsOf(ffion)).to.have.length(1);
    expect(sharepoint.sessionCount()).to.equal(sessionsBefore - 1);
  });
});

describe(`the SharePoint example: refresh and the end of the provider session (${DB})`, function () {
  this.timeout(60_000);
  let running: RunningTestPortal;
  let sharepoint: RunningSharePoint;
  let clock: ManualClock;

  before(async () => {
    clock = createManualClock(Date.now());
    running = await startRpTestPortal({ clock });
    sharepoint = await startSharePoint(running, clock);
  });
  after(async () => {
    await sharepoint?.stop();
    await running?.stop();
  });

  it('refreshes its access token with the refresh token, and signs out once Porth refuses the refresh', async () => {
    const user = await createClockedTestUser(running, clock, {
      given: 'Alaw',
      family: 'Prys',
      username: 'alaw.prys@wjec-appointees.co.uk',
    });
    const browser = new Browser(running.url);
    await browser.open(`${sharepoint.url}/login`);
    await signInAtProvider(browser, user, await freshTotpCode(user.totpSecret, clock));
    expect(browser.url).to.equal(`${sharepoint.url}/`);
    expect(browser.html).to.contain('Welcome, Alaw Prys');

    clock.advance(11 * 60_000);
    await browser.open(`${sharepoint.url}/`);
    expect(browser.html).to.contain('Welcome, Alaw Prys');
    expect(sharepoint.sessionCount()).to.equal(1);

    await destroyOidcStateOfAccount(running.portal.db, user.account.id);
    clock.advance(11 * 60_000);
    await browser.open(`${sharepoint.url}/`);
    expect(browser.html).to.contain('href="/login"');
    expect(sharepoint.sessionCount()).to.equal(0);
  });
});

import { expect } from 'chai';
import { KnexAccountRepository, KnexAuditLog } from '@porth/identity-core';
import { createManualClock, type ManualClock } from '@porth/identity-core/testing';
import { destroyOidcStateOfAccount } from '../src/oidc/knex-adapter.js';
import type { RunningTestPortal, TestUser } from './support/server.js';
import { pageText } from './support/sign-in-setup.js';
import {
  Browser,
  createClockedTestUser,
  freshTotpCode,
  signInAtProvider,
  startRpTestPortal,
} from './support/rp.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const MINUTE = 60_000;

describe(`AMP: profile, security and application status (${DB})`, function () {
  this.timeout(60_000);
  let running: RunningTestPortal;
  let clock: ManualClock;
  let users = 0;

  before(async () => {
    clock = createManualClock(Date.now());
    running = await startRpTestPortal({ clock });
  });
  after(async () => {
    await running?.stop();
  });

  /** A new user (each test its own, so TOTP steps never clash) signed in at AMP. */
  async function signedInUser(): Promise<{ user: TestUser; browser: Browser }> {
    users += 1;
    const user = await createClockedTestUser(running, clock, {
      given: 'Megan',
      family: 'Lloyd',
      username: `megan.lloyd${users}@wjec-appointees.co.uk`,
    });
    const browser = new Browser(running.url);
    await browser.open('/amp');
    await signInAtProvider(browser, user, await freshTotpCode(user.totpSecret, clock));
    expect(browser.url).to.equal(`${running.url}/amp`);
    return { user, browser };
  }

  async function account(id: string) {
    const { db, random } = running.portal.services;
    const found = await new KnexAccountRepository(db, clock, random).findById(id);
    if (!found) throw new Error('no account');
    return found;
  }

  async function mailsTo(address: string, since: number) {
    return (await running.portal.services.outbox.listRecent({ limit: 200 })).filter(
      (m) => m.recipient === address && m.createdAt.getTime() >= since,
    );
  }

  it('refuses profile changes that are not valid with 400 and clear messages, in English and in Welsh', async () => {
    const { user, browser } = await signedInUser();
    const bad = {
      given_name: '  ',
      family_name: 'Lloyd',
      email: 'not-an-email',
      phone: '12',
      teaching_centre: '',
      locale: 'en',
    };
    await browser.open('/amp/profile');
    await browser.submit(bad, '/amp/profile');
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('<a href="#given_name">Enter your first name</a>');
    expect(browser.html).to.contain('Enter an email address in the correct format');
    expect(browser.html).to.contain('Enter a telephone number');

    await browser.open('/amp/profile?lang=cy');
    expect(browser.html).to.contain('<html lang="cy">');
    await browser.submit(bad, '/amp/profile');
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('Rhowch eich enw cyntaf');
    expect(browser.html).to.contain('Rhowch gyfeiriad e-bost yn y fformat cywir');

    await browser.submit(
      { ...bad, given_name: 'Megan', email: 'megan@example.org', phone: '', locale: 'fr' },
      '/amp/profile',
    );
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('Dewiswch Saesneg neu Gymraeg');

    const unchanged = await account(user.account.id);
    expect(unchanged.givenName).to.equal('Megan');
    expect(unchanged.email).to.equal(user.account.email);
    expect(unchanged.version).to.equal(user.account.version);
  });

  it('saves the profile, audits it, emails the old and new address about the change, and speaks the chosen language', async () => {
    const { user, browser } = await signedInUser();
    const oldAddress = String(user.account.email);
    clock.advance(1000);
    const since = clock.now().getTime();
    await browser.open('/amp/profile');
    await browser.submit(
      {
        given_name: 'Megan',
        family_name: 'Lloyd-Jones',
        email: 'megan.new@example.org',
        phone: '07700 900982',
        teaching_centre: 'Ysgol Gyfun Aberaeron',
        locale: 'cy',
      },
      '/amp/profile',
    );
    expect(browser.url).to.equal(`${running.url}/amp/profile?saved=1`);
    expect(browser.html).to.contain('<html lang="cy">');
    expect(browser.html).to.contain('Mae eich manylion wedi&#x27;u cadw.');
    expect(browser.html).to.contain('value="Ysgol Gyfun Aberaeron"');

    const after = await account(user.account.id);
    expect(after).to.include({
      familyName: 'Lloyd-Jones',
      email: 'megan.new@example.org',
      phone: '07700 900982',
      teachingCentre: 'Ysgol Gyfun Aberaeron',
      locale: 'cy',
    });
    const [event] = await new KnexAuditLog(running.portal.db, clock).list({
      accountId: user.account.id,
      type: 'account.profile_updated',
    });
    expect(event?.details?.fields).to.have.members([
      'familyName',
      'email',
      'phone',
      'teachingCentre',
      'locale',
    ]);
    const toOld = await mailsTo(oldAddress, since);
    const toNew = await mailsTo('megan.new@example.org', since);
    expect(toOld.map((m) => m.template)).to.deep.equal(['security_change', 'security_change']);
    expect(toNew.map((m) => m.template)).to.deep.equal(['security_change', 'security_change']);
    expect(toNew[0]?.locale).to.equal('cy');
  });

  it('asks for the password again before changing a factor or the email address when the sign-in is older than 15 minutes', async () => {
    const { user, browser } = await signedInUser();
    await browser.open('/amp/security/add');
    expect(browser.url).to.equal(`${running.url}/amp/security/add`);
    expect(browser.html).to.contain('Add an MFA method');

    clock.advance(16 * MINUTE);

    await browser.open('/amp/profile');
    expect(browser.html).to.contain('name="password"');
    await browser.submit(
      {
        given_name: 'Megan',
        family_name: 'Lloyd',
        email: 'someone.else@example.org',
        phone: '',
        teaching_centre: '',
        locale: 'en',
      },
      '/amp/profile',
    );
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('Enter your password to change your email address');
    expect((await account(user.account.id)).email).to.equal(user.account.email);

    await browser.open('/amp/security/add');
    expect(browser.url).to.equal(
      `${running.url}/amp/confirm-password?next=${encodeURIComponent('/amp/security/add')}`,
    );
    await browser.submit({ password: 'Not-Her-Password-1!' }, '/amp/confirm-password');
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('The password is not right');
    await browser.submit({ password: user.password }, '/amp/confirm-password');
    expect(browser.url).to.equal(`${running.url}/amp/security/add`);

    // Now add an authenticator app: QR code and the key to type, then its first code.
    await browser.submit({ method: 'app' }, '/amp/security/add');
    expect(browser.url).to.equal(`${running.url}/amp/security/add/confirm`);
    expect(browser.html).to.match(/<img class="qr" src="data:image\/png;base64,/);
    const secret = (/id="secret">([^<]+)</.exec(browser.html)?.[1] ?? '').replace(/\s+/g, '');
    expect(secret).to.match(/^[A-Z2-7]{16,}$/);
    await browser.submit({ code: '000000' }, '/amp/security/add/confirm');
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('That code is not right');
    await browser.submit({ code: await freshTotpCode(secret, clock) }, '/amp/security/add/confirm');
    expect(browser.url).to.equal(`${running.url}/amp/security?done=factor_added`);
    expect(browser.html).to.contain('Your new MFA method is ready to use.');
    expect(await running.portal.services.mfa.listFactors(user.account.id)).to.have.length(2);

    // Remove one; the last one can never be removed.
    await browser.submit({}, '/amp/security/remove');
    expect(browser.url).to.equal(`${running.url}/amp/security?done=factor_removed`);
    const left = await running.portal.services.mfa.listFactors(user.account.id);
    expect(left).to.have.length(1);
    expect(browser.forms().some((f) => f.action === '/amp/security/remove')).to.equal(false);
    const csrf = browser.forms()[0]?.hidden._csrf ?? '';
    await browser.post('/amp/security/remove', { _csrf: csrf, factor_id: left[0]?.id ?? '' });
    expect(browser.status).to.equal(409);
    expect(browser.html).to.contain('You cannot remove your only MFA method');
    expect(await running.portal.services.mfa.listFactors(user.account.id)).to.have.length(1);

    // The password confirmation counts as a recent sign-in for the next 15 minutes.
    clock.advance(10 * MINUTE);
    await browser.open('/amp/security/add');
    expect(browser.url).to.equal(`${running.url}/amp/security/add`);
  });

  it('refuses a phone number that is not one, and adds email codes only after the risk statement is ticked', async () => {
    const { user, browser } = await signedInUser();
    await browser.open('/amp/security/add');
    await browser.submit({}, '/amp/security/add');
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('Choose how you want to get your codes');
    await browser.submit({ method: 'sms' }, '/amp/security/add');
    expect(browser.url).to.equal(`${running.url}/amp/security/add/phone?delivery=sms`);
    expect(browser.html).to.contain('Text me a code');
    await browser.submit({ phone: 'not a number' }, '/amp/security/add/phone');
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('Enter a valid phone number');
    await browser.open('/amp/security/add');
    await browser.submit({ method: 'email' }, '/amp/security/add');
    expect(browser.url).to.equal(`${running.url}/amp/security/add/email`);
    expect(browser.html).to.contain(
      'I confirm that I am aware of the risks of using only email MFA',
    );
    await browser.submit({}, '/amp/security/add/email');
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('Tick the box to confirm');
    expect(await running.portal.services.mfa.listFactors(user.account.id)).to.have.length(1);

    await browser.submit({ risks: 'yes' }, '/amp/security/add/email');
    expect(browser.url).to.equal(`${running.url}/amp/security/add/confirm`);
    expect(browser.html).to.contain('We have emailed a 6-digit code');
    const [mail] = (await running.portal.services.outbox.listRecent({ limit: 200 })).filter(
      (m) => m.recipient === user.account.email && m.template === 'email_code',
    );
    const code = /\b(\d{6})\b/.exec(mail?.content?.text ?? '')?.[1] ?? '';
    expect(code).to.match(/^\d{6}$/);
    await browser.submit({ code }, '/amp/security/add/confirm');
    expect(browser.url).to.equal(`${running.url}/amp/security?done=factor_added`);
    const factors = await running.portal.services.mfa.listFactors(user.account.id);
    expect(factors.map((f) => f.kind)).to.have.members(['totp', 'email']);
    expect(browser.html).to.contain('least secure');
  });

  it('changes the password only with the current one and a password the policy accepts, and emails the user', async () => {
    const { user, browser } = await signedInUser();
    clock.advance(1000);
    const since = clock.now().getTime();
    await browser.open('/amp/security/password');
    await browser.submit(
      {
        current_password: 'Wrong-Password-1!',
        new_password: 'Gwell-Cyfrinair-99!',
        confirm_password: 'Gwell-Cyfrinair-99!',
      },
      '/amp/security/password',
    );
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('Your current password is not right');

    await browser.submit(
      { current_password: user.password, new_password: 'password', confirm_password: 'different' },
      '/amp/security/password',
    );
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('upper case letter');
    expect(browser.html).to.contain('The two new passwords are not the same');

    await browser.submit(
      {
        current_password: user.password,
        new_password: 'Gwell-Cyfrinair-99!',
        confirm_password: 'Gwell-Cyfrinair-99!',
      },
      '/amp/security/password',
    );
    expect(browser.url).to.equal(`${running.url}/amp/security?done=password_changed`);
    // The page that says so offers to end every other session too (ASVS 7.4.3).
    expect(pageText(browser.html)).to.contain(
      'If someone else may have known your old password, use “Sign out everywhere” below',
    );
    expect(browser.html).to.contain('action="/amp/security/sign-out-everywhere"');
    const check = await running.portal.services.authenticator.check({
      username: user.username,
      password: 'Gwell-Cyfrinair-99!',
    });
    expect(check.outcome).to.equal('success');
    const mails = await mailsTo(String(user.account.email), since);
    expect(mails.map((m) => m.template)).to.include('security_change');
    const [event] = await new KnexAuditLog(running.portal.db, clock).list({
      accountId: user.account.id,
      type: 'password.changed',
    });
    expect(event?.outcome).to.equal('success');
  });

  it('makes a new set of recovery codes and shows it once', async () => {
    const { user, browser } = await signedInUser();
    await browser.open('/amp/security');
    expect(browser.html).to.contain('Unused recovery codes: 0');
    await browser.submit({}, '/amp/security/recovery-codes');
    expect(browser.status).to.equal(200);
    const codes = [...browser.html.matchAll(/<li>([0-9a-z]{5}-[0-9a-z]{5})<\/li>/g)].map(
      (m) => m[1],
    );
    expect(codes).to.have.length(10);
    expect(await running.portal.services.mfa.recoveryCodesRemaining(user.account.id)).to.equal(10);
    await browser.open('/amp/security');
    expect(browser.html).to.contain('Unused recovery codes: 10');
    expect(browser.html).to.not.contain(String(codes[0]));
  });

  it('shows the application status with the account kind', async () => {
    const { browser } = await signedInUser();
    await browser.open('/amp/status');
    expect(browser.status).to.equal(200);
    expect(browser.html).to.contain('Application status');
    expect(browser.html).to.contain('Appointee');
    expect(browser.html).to.contain('will be assessed in due course');
  });

  it('"Sign out everywhere" ends every provider session and every application session of the account', async () => {
    const { user, browser } = await signedInUser();
    await browser.open('/portal/sign-in?as=appointee');
    expect(browser.sawSignInPage).to.equal(false);
    const other = new Browser(running.url);
    clock.advance(30_000);
    await other.open('/amp');
    await signInAtProvider(other, user, await freshTotpCode(user.totpSecret, clock));

    await browser.open('/amp/security');
    await browser.submit({}, '/amp/security/sign-out-everywhere');
    expect(browser.status).to.equal(200);
    expect(browser.html).to.contain('You have been signed out everywhere');

    const sessions = await running.portal.db('rp_sessions').where({ account_id: user.account.id });
    expect(sessions).to.have.length(0);
    const provider = await running.portal
      .db('oidc_models')
      .where({ account_id: user.account.id })
      .whereIn('model', ['Session', 'Grant']);
    expect(provider).to.have.length(0);
    for (const b of [browser, other]) {
      await b.open('/portal/sign-in?as=appointee');
      expect(b.sawSignInPage).to.equal(true);
    }
    const [event] = await new KnexAuditLog(running.portal.db, clock).list({
      accountId: user.account.id,
      type: 'account.signed_out_everywhere',
    });
    expect(event?.outcome).to.equal('success');
  });

  it('refreshes an expired access token, and sends the person to sign in again once the provider session has ended', async () => {
    const { user, browser } = await signedInUser();
    const sealed = async () =>
      (
        (await running.portal
          .db('rp_sessions')
          .where({ app: 'amp', account_id: user.account.id })
          .first()) as { sealed: string } | undefined
      )?.sealed;
    const before = await sealed();
    clock.advance(11 * MINUTE);
    await browser.open('/amp');
    expect(browser.sawSignInPage).to.equal(false);
    expect(browser.html).to.contain('Welcome, Megan Lloyd');
    const after = await sealed();
    expect(after).to.be.a('string').and.not.equal(before);

    await destroyOidcStateOfAccount(running.portal.db, user.account.id);
    clock.advance(11 * MINUTE);
    await browser.open('/amp/profile');
    expect(browser.sawSignInPage).to.equal(true);
    expect(await sealed()).to.equal(undefined);
  });

  it('spends a refresh token once when two requests find the access token expired at the same time', async () => {
    const { user, browser } = await signedInUser();
    const cookie = `porth_amp=${browser.cookie(running.url, 'porth_amp')}`;
    clock.advance(11 * MINUTE);
    const answers = await Promise.all(
      [1, 2, 3].map(() => fetch(`${running.url}/amp`, { headers: { cookie }, redirect: 'manual' })),
    );
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200]);
    // The grant was not revoked by a reused refresh token: later refreshes still work.
    clock.advance(11 * MINUTE);
    await browser.open('/amp');
    expect(browser.sawSignInPage).to.equal(false);
    expect(browser.html).to.contain('Welcome, Megan Lloyd');
    expect(
      await running.portal.db('rp_sessions').where({ app: 'amp', account_id: user.account.id }),
    ).to.have.length(1);
  });

  it('answers a sign-in callback that nobody started with 400 and a way to start again, without signing anyone out', async () => {
    const { browser } = await signedInUser();
    await browser.open('/amp/callback?code=abc&state=def&iss=x');
    expect(browser.status).to.equal(400);
    expect(browser.html).to.contain('Your sign-in has expired');
    expect(browser.html).to.contain('href="/amp/sign-in"');
    await browser.open('/amp');
    expect(browser.sawSignInPage).to.equal(false);
    expect(browser.html).to.contain('Welcome, Megan Lloyd');

    const stranger = new Browser(running.url);
    await stranger.open('/amp/callback?code=abc&state=def&iss=x');
    expect(stranger.status).to.equal(400);
    await stranger.open('/portal/services');
    expect(stranger.url).to.equal(`${running.url}/portal`);
    expect(stranger.html).to.contain('Sign in as an Appointee');
  });
});

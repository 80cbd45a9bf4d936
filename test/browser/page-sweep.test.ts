import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Browser, BrowserContext } from 'playwright-core';
import { Argon2PasswordHasher, KnexAccountRepository, cryptoRandom } from '@porth/identity-core';
import { seedDemoMarks } from '../../packages/portal-express/src/demo/marks-seed.js';
import {
  startTestPortal,
  type RunningTestPortal,
} from '../../packages/portal-express/test/support/server.js';
import {
  emailedCode,
  insertLegacyAccount,
} from '../../packages/portal-express/test/support/sign-in-setup.js';
import { answerOn } from '../../packages/portal-express/test/support/recovery.js';
import {
  addToCentre,
  createCentre,
  createCentrePerson,
  invitationLink,
  type CentrePerson,
} from '../../packages/portal-express/test/support/centres.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { launchChromium, newContext } from './support/chromium.js';
import { createAccountWithoutFactor } from './support/journey.js';
import {
  NEW_PASSWORD,
  Sweep,
  SweepLog,
  addPhoneFactor,
  addTotpFactor,
  otherLang,
  pageViews,
  requestResetLink,
  signInWithEmailCode,
  type Lang,
} from './support/sweep.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** Pages no browser test can bring up, and why. */
const NOT_SWEPT: Readonly<Record<string, string>> = {
  'errors/unavailable':
    'shown only when the database cannot be reached (test/faults covers it over HTTP)',
  'errors/server-error': 'shown only when a request fails unexpectedly; no page fails on purpose',
};

describe(`page sweep: every page in English and Welsh (${DB})`, function () {
  let running: RunningTestPortal;
  let browser: Browser;
  const log = new SweepLog();
  const contexts: BrowserContext[] = [];
  const domain = () => running.config.usernames.domain;

  // The people of the sweep, one signed-in browser profile per role.
  let megan: { username: string; email: string; password: string }; // appointee: MFA set-up, AMP, EMI, IAMIS
  let nia: Person & {
    smsFactorId: string;
    voiceFactorId: string;
    emailFactorId: string;
    recoveryCode: string;
  }; // staff: every second factor, support
  let eleri: CentrePerson; // Exams Officer of 68101, Admin of 68102
  let gwen: Person; // the support console's subject
  let asMegan: Sweep;
  let asNia: Sweep;
  let asEleri: Sweep;
  let anonymous: Sweep;

  /** A new browser profile at phone width, and a sweep over it. */
  async function newSweep(lang: Lang = 'en'): Promise<Sweep> {
    const context = await newContext(browser);
    contexts.push(context);
    return Sweep.open(context, running.url, log, lang);
  }

  before(async () => {
    running = await startTestPortal();
    browser = await launchChromium();
    const { db, clock, random } = running.portal.services;
    const accounts = new KnexAccountRepository(db, clock, random);
    const hasher = new Argon2PasswordHasher({ random: cryptoRandom });

    // Megan: no second factor yet, a password to change and details to fill in at first sign-in.
    megan = {
      username: `megan.lloyd@${domain()}`,
      email: 'megan.lloyd@example.org',
      password: 'Cyfrinair-Cychwyn-2026!',
    };
    const account = await accounts.createActive({
      kind: 'appointee',
      username: megan.username,
      email: megan.email,
      emailVerified: true,
      givenName: 'Megan',
      familyName: 'Lloyd',
      locale: 'en',
      requiredActions: ['configure_mfa', 'update_password', 'update_profile'],
    });
    await accounts.setPasswordHash(account.id, await hasher.hash(megan.password));

    // Legacy AMP accounts: one to migrate (and reset later), one to reset while still legacy.
    await insertLegacyAccount(running, {
      legacyUsername: 'rhys.evans',
      password: 'Hen-Gyfrinair-Rhys',
      givenName: 'Rhys',
      familyName: 'Evans',
      email: 'rhys.evans@example.org',
      phone: '07700 900123',
      teachingCentre: 'Ysgol Gyfun Aberystwyth',
    });
    await insertLegacyAccount(running, {
      legacyUsername: 'sian.jones',
      password: 'Hen-Gyfrinair-Sian',
      givenName: 'Siân',
      familyName: 'Jones',
      email: 'sian.jones@example.org',
      locale: 'cy',
    });
    await seedDemoMarks({ db, clock, random, domain: domain() });

    // Nia: support staff with every kind of second factor and recovery codes.
    const staff = await createPerson(running, {
      kind: 'staff',
      given: 'Nia',
      family: 'Thomas',
      username: 'nia.thomas@wjec.co.uk',
      email: 'nia.thomas@example.org',
    });
    const emailFactorId =
      (await running.portal.services.mfa.listFactors(staff.account.id))[0]?.id ?? '';
    await addTotpFactor(running, staff.account.id);
    const smsFactorId = await addPhoneFactor(
      running,
      staff.account.id,
      'sms',
      '+447700900111',
      'MOBILE',
    );
    const voiceFactorId = await addPhoneFactor(
      running,
      staff.account.id,
      'voice',
      '+441970123456',
      'FIXED_LINE',
    );
    const { codes } = await running.portal.services.mfa.regenerateRecoveryCodes(staff.account.id);
    nia = { ...staff, smsFactorId, voiceFactorId, emailFactorId, recoveryCode: codes[0] ?? '' };

    gwen = await createPerson(running, {
      kind: 'appointee',
      given: 'Gwen',
      family: 'Parry',
      username: `gwen.parry@${domain()}`,
      email: 'gwen.parry@example.org',
    });

    // Centres: Eleri is the Exams Officer of 68101 and an Admin of 68102; Ffion a User of 68101.
    eleri = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol.example.org',
    });
    await createCentre(running, '68101', 'Ysgol Gyfun Enghraifft', eleri);
    const gareth = await createCentrePerson(running, {
      given: 'Gareth',
      family: 'Price',
      email: 'gareth@coleg.example.org',
    });
    await createCentre(running, '68102', 'Coleg Enghraifft', gareth);
    await addToCentre(running, '68102', eleri, 'admin');
    const ffion = await createCentrePerson(running, {
      given: 'Ffion',
      family: 'Hughes',
      email: 'ffion@ysgol.example.org',
    });
    await addToCentre(running, '68101', ffion, 'user');

    // An application that is not the exam board's own: it must ask for consent.
    await running.portal.services.clients.save({
      id: 'partner-app',
      redirectUris: [`${running.url}/partner/callback`],
      firstParty: false,
    });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await running?.stop();
  });

  it('shows the public pages and the error pages', async () => {
    anonymous = await newSweep();
    const s = anonymous;
    await s.open('/');
    await s.both('home', { view: 'home', siteTitle: true });
    await s.open('/portal');
    await s.both('portal-start', { view: 'portal/start' });
    await s.open('/no-such-page');
    await s.both('not-found', { view: 'errors/not-found', status: 404 });
    await s.open('/interaction/no-such-sign-in');
    await s.both('sign-in-expired', { view: 'sign-in/expired', status: 400 });
    await s.open(
      `/auth?client_id=no-such-client&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://example.org/cb')}`,
    );
    await s.both('provider-error', { view: 'errors/oidc', status: 400 });
    await s.open('/forgotten-password/reset/%E0%A4%A');
    await s.both('bad-request', { view: 'errors/bad-request', status: 400 });
    await s.each('form-expired', { view: 'errors/form-expired', status: 403 }, async (lang) => {
      await s.openIn(lang, '/forgotten-username');
      await s.page.locator('#email').fill('someone@example.org');
      await s.page.evaluate(
        "document.querySelector('main input[name=\"_csrf\"]').value = 'not-the-token'",
      );
      await s.submitFormWith('#email');
    });
    await s.each('too-large', { view: 'errors/too-large', status: 413 }, async (lang) => {
      await s.openIn(lang, '/forgotten-username');
      await s.page.evaluate(
        "document.querySelector('#email').value = 'a'.repeat(40000) + '@example.org'",
      );
      await s.submitFormWith('#email');
    });
    await s.open('/amp/signed-out');
    await s.both('amp-signed-out', { view: 'amp/signed-out' });
    await s.open('/portal/signed-out');
    await s.both('portal-signed-out', { view: 'amp/signed-out' });
    await s.open('/invitation/no-such-invitation');
    await s.both('invitation-expired', { view: 'invitations/expired', status: 410 });

    // Coming back to an application without a sign-in it was waiting for; after "cancel"; with a bad answer.
    await s.open('/amp/callback?code=abc&state=def');
    await s.both('sign-in-problem-expired', { view: 'amp/sign-in-problem', status: 400 });
    const callbackAfter = async (lang: Lang, query: (state: string) => string) => {
      const response = await s.page.goto(`${running.url}/amp/sign-in?lang=${lang}`);
      let request = response?.request() ?? null;
      let state = '';
      while (request && !state) {
        const url = new URL(request.url());
        if (url.pathname === '/auth') state = url.searchParams.get('state') ?? '';
        request = request.redirectedFrom();
      }
      expect(state, 'the state of the sign-in request').to.not.equal('');
      await s.open(`/amp/callback?${query(state)}`);
    };
    await s.each('sign-in-problem-denied', { view: 'amp/sign-in-problem' }, (lang) =>
      callbackAfter(
        lang,
        (state) => `error=access_denied&state=${state}&iss=${encodeURIComponent(running.url)}`,
      ),
    );
    await s.each('sign-in-problem-failed', { view: 'amp/sign-in-problem', status: 400 }, (lang) =>
      callbackAfter(
        lang,
        (state) => `code=not-a-code&state=${state}&iss=${encodeURIComponent(running.url)}`,
      ),
    );
  });
  it('shows the migration pages and the sign-in username page', async () => {
    const s = anonymous;
    await s.open('/amp');
    expect(new URL(s.page.url()).pathname).to.match(/^\/interaction\//);
    await s.both('sign-in-username', { view: 'sign-in/username' });
    const blankUsername = () => s.submitFormWith('#username');
    await blankUsername();
    await s.both(
      'sign-in-username-error',
      { view: 'sign-in/username', status: 400 },
      blankUsername,
    );
    await s.page.locator('#username').fill('rhys.evans');
    await s.submitFormWith('#username');
    await s.both('migrate', { view: 'sign-in/migrate' });
    const blankPassword = () => s.submitFormWith('#password');
    await blankPassword();
    await s.both('migrate-error', { view: 'sign-in/migrate', status: 400 }, blankPassword);
    await s.page.locator('#password').fill('Hen-Gyfrinair-Rhys');
    await s.submitFormWith('#password');
    await s.both('migrated', { view: 'sign-in/migrated' });
    expect((await s.page.locator('#new-username').innerText()).trim()).to.equal(
      `rhys.evans@${domain()}`,
    );
  });

  it('shows forgotten username, forgotten password and the reset pages', async () => {
    const s = anonymous;
    await s.open('/forgotten-username');
    await s.both('forgotten-username', { view: 'recovery/forgotten-username' });
    const blankEmail = () => s.submitFormWith('#email');
    await blankEmail();
    await s.both(
      'forgotten-username-error',
      { view: 'recovery/forgotten-username', status: 400 },
      blankEmail,
    );
    await s.page.locator('#email').fill('rhys.evans@example.org');
    await s.submitFormWith('#email');
    await s.both('forgotten-username-sent', { view: 'recovery/forgotten-username-sent' });

    await s.open('/forgotten-password');
    await s.both('forgotten-password', { view: 'recovery/forgotten-password' });
    const wrongAnswer = async () => {
      await s.page.locator('#username').fill(`rhys.evans@${domain()}`);
      const right = answerOn(await s.page.locator('label[for="answer"]').innerText());
      await s.page.locator('#answer').fill(String(Number(right) + 1));
      await s.submitFormWith('#answer');
    };
    await wrongAnswer();
    await s.both(
      'forgotten-password-wrong-answer',
      { view: 'recovery/forgotten-password', status: 400 },
      wrongAnswer,
    );

    // A migrated account's reset link: the form, its errors, done (once per language), used.
    const migrated = {
      username: `rhys.evans@${domain()}`,
      email: 'rhys.evans@example.org',
      legacy: false,
    };
    let link = await requestResetLink(s, running, s.lang, migrated);
    await s.both('forgotten-password-sent', { view: 'recovery/forgotten-password-sent' });
    await s.open(link);
    await s.both('reset-password', { view: 'recovery/reset-password' });
    const weakPassword = async () => {
      await s.page.locator('#new_password').fill('byr');
      await s.page.locator('#confirm_password').fill('byr');
      await s.submitFormWith('#new_password');
    };
    await weakPassword();
    await s.both(
      'reset-password-error',
      { view: 'recovery/reset-password', status: 400 },
      weakPassword,
    );
    const first = s.lang;
    let round = 0;
    await s.each('reset-done', { view: 'recovery/reset-done' }, async (lang) => {
      if (lang !== first) link = await requestResetLink(s, running, lang, migrated);
      await s.openIn(lang, link);
      round += 1;
      await s.page.locator('#new_password').fill(`${NEW_PASSWORD}${round}`);
      await s.page.locator('#confirm_password').fill(`${NEW_PASSWORD}${round}`);
      await s.submitFormWith('#new_password');
    });
    await s.open(link);
    await s.both('reset-link-used', { view: 'recovery/link-expired', status: 410 });

    // A legacy account's reset link.
    const legacy = { username: 'sian.jones', email: 'sian.jones@example.org', legacy: true };
    let legacyLink = await requestResetLink(s, running, s.lang, legacy);
    await s.open(legacyLink);
    await s.both('legacy-reset-password', { view: 'recovery/reset-password' });
    const firstLegacy = s.lang;
    await s.each('legacy-reset-done', { view: 'recovery/reset-done' }, async (lang) => {
      if (lang !== firstLegacy) legacyLink = await requestResetLink(s, running, lang, legacy);
      await s.openIn(lang, legacyLink);
      round += 1;
      await s.page.locator('#new_password').fill(`${NEW_PASSWORD}${round}`);
      await s.page.locator('#confirm_password').fill(`${NEW_PASSWORD}${round}`);
      await s.submitFormWith('#new_password');
    });
  });

  it('shows every state of the sign-in with each kind of second factor', async () => {
    asNia = await newSweep();
    const s = asNia;
    const { page } = s;
    await s.open('/amp');
    await page.locator('#username').fill(nia.username);
    await s.submitFormWith('#username');
    await s.both('sign-in-password', { view: 'sign-in/password' });
    const blank = (field: string) => () => s.submitFormWith(field);
    await blank('#password')();
    await s.both(
      'sign-in-password-error',
      { view: 'sign-in/password', status: 400 },
      blank('#password'),
    );
    await page.locator('#password').fill(nia.password);
    await s.submitFormWith('#password');

    // The default factor (the authenticator app), then each of the others from "use another method".
    await s.both('second-factor-app', { view: 'sign-in/second-factor' });
    await blank('#code')();
    await s.both(
      'second-factor-app-error',
      { view: 'sign-in/second-factor', status: 400 },
      blank('#code'),
    );
    const chooseAnother = () => s.click(page.locator('main a[href$="?method=choose"]'));
    await chooseAnother();
    await s.both('second-factor-choose', { view: 'sign-in/second-factor' });
    for (const [name, factorId] of [
      ['text', nia.smsFactorId],
      ['call', nia.voiceFactorId],
      ['email', nia.emailFactorId],
    ] as const) {
      await s.click(
        page.locator(`main form:has(input[name="factor_id"][value="${factorId}"]) button`),
      );
      await s.both(`second-factor-${name}`, { view: 'sign-in/second-factor' });
      await chooseAnother();
    }
    await s.click(page.locator('main form:has(input[name="action"][value="use_recovery"]) button'));
    await s.both('second-factor-recovery-code', { view: 'sign-in/second-factor' });
    await blank('#code')();
    await s.both(
      'second-factor-recovery-code-error',
      { view: 'sign-in/second-factor', status: 400 },
      blank('#code'),
    );
    await page.locator('#code').fill(nia.recoveryCode);
    await s.submitFormWith('#code');

    await s.both('stay-signed-in', { view: 'sign-in/stay-signed-in' });
    const noAnswer = blank('input[name="stay_signed_in"]');
    await noAnswer();
    await s.both('stay-signed-in-error', { view: 'sign-in/stay-signed-in', status: 400 }, noAnswer);
    await page.locator('input[name="stay_signed_in"][value="no"]').check();
    await s.submitFormWith('input[name="stay_signed_in"]');
    expect(new URL(page.url()).pathname).to.equal('/amp');
  });

  it('shows every page of setting up a second factor and the required actions', async () => {
    asMegan = await newSweep();
    const s = asMegan;
    const { page } = s;
    const blank = (field: string) => () => s.submitFormWith(field);
    const restart = () => s.click(page.locator('main button[value="restart"]'));
    const choose = async (method: string) => {
      await page.locator(`input[name="method"][value="${method}"]`).check();
      await s.submitFormWith('input[name="method"]');
    };
    await s.open('/amp');
    await page.locator('#username').fill(megan.username);
    await s.submitFormWith('#username');
    await page.locator('#password').fill(megan.password);
    await s.submitFormWith('#password');

    await s.both('mfa-choose', { view: 'sign-in/mfa-setup' });
    await blank('input[name="method"]')();
    await s.both(
      'mfa-choose-error',
      { view: 'sign-in/mfa-setup', status: 400 },
      blank('input[name="method"]'),
    );

    await choose('totp');
    await s.both('mfa-app', { view: 'sign-in/mfa-setup-app' });
    await blank('#code')();
    await s.both('mfa-app-error', { view: 'sign-in/mfa-setup-app', status: 400 }, blank('#code'));
    await restart();

    await choose('phone');
    await s.both('mfa-phone', { view: 'sign-in/mfa-setup-phone' });
    const badNumber = async () => {
      await page.locator('#phone').fill('12345');
      await s.submitFormWith('#phone');
    };
    await badNumber();
    await s.both('mfa-phone-error', { view: 'sign-in/mfa-setup-phone', status: 400 }, badNumber);
    await page.locator('#phone').fill('01970 123456');
    await s.submitFormWith('#phone');
    await s.both('mfa-delivery-call-only', { view: 'sign-in/mfa-setup-delivery' });
    await s.submitFormWith('input[name="delivery"]');
    await s.both('mfa-code-call', { view: 'sign-in/mfa-setup-code' });
    await s.click(page.locator('main button[value="change_number"]'));
    await page.locator('#phone').fill('07700 900456');
    await s.submitFormWith('#phone');
    await s.both('mfa-delivery', { view: 'sign-in/mfa-setup-delivery' });
    await s.submitFormWith('input[name="delivery"]');
    await s.both('mfa-code-text', { view: 'sign-in/mfa-setup-code' });
    await blank('#code')();
    await s.both('mfa-code-error', { view: 'sign-in/mfa-setup-code', status: 400 }, blank('#code'));
    await restart();

    await choose('email');
    await s.both('mfa-email', { view: 'sign-in/mfa-setup-email' });
    await blank('#risks')();
    await s.both(
      'mfa-email-error',
      { view: 'sign-in/mfa-setup-email', status: 400 },
      blank('#risks'),
    );
    await page.locator('#risks').check();
    await s.submitFormWith('#risks');
    await s.both('mfa-code-email', { view: 'sign-in/mfa-setup-code' });
    await page.locator('#code').fill(await emailedCode(running, megan.email));
    await s.submitFormWith('#code');

    // The recovery codes are shown once: a reload (here, the language switch) says so.
    await s.check('recovery-codes', { view: 'sign-in/recovery-codes' });
    expect(await page.locator('#recovery-codes li').count()).to.equal(10);
    await s.switchLanguage();
    await s.check('recovery-codes-shown', { view: 'sign-in/recovery-codes' });
    await s.switchLanguage();
    await s.check('recovery-codes-shown', { view: 'sign-in/recovery-codes' });
    await s.submitFormWith('button');

    await s.both('update-password', { view: 'sign-in/update-password' });
    const weakPassword = async () => {
      await page.locator('#new_password').fill('byr');
      await page.locator('#confirm_password').fill('byr');
      await s.submitFormWith('#new_password');
    };
    await weakPassword();
    await s.both(
      'update-password-error',
      { view: 'sign-in/update-password', status: 400 },
      weakPassword,
    );
    await page.locator('#new_password').fill(NEW_PASSWORD);
    await page.locator('#confirm_password').fill(NEW_PASSWORD);
    await s.submitFormWith('#new_password');

    await s.both('update-profile', { view: 'sign-in/update-profile' });
    const noName = async () => {
      await page.locator('#given_name').fill('');
      await s.submitFormWith('#given_name');
    };
    await noName();
    await s.both('update-profile-error', { view: 'sign-in/update-profile', status: 400 }, noName);
    await page.locator('#given_name').fill('Megan');
    await page.locator('#phone').fill('07700 900456');
    await page.locator('#teaching_centre').fill('Ysgol Bro Teifi');
    await s.submitFormWith('#given_name');
    await page.locator('input[name="stay_signed_in"][value="no"]').check();
    await s.submitFormWith('input[name="stay_signed_in"]');
    expect(new URL(page.url()).pathname).to.equal('/amp');
    megan.password = NEW_PASSWORD;
  });

  it('shows the recovery codes of a first sign-in in the other language too', async () => {
    const lang = otherLang(log.find('recovery-codes', 'en') ? 'en' : 'cy');
    await createAccountWithoutFactor(running, {
      given: 'Bethan',
      family: 'Hughes',
      username: `bethan.hughes@${domain()}`,
      email: 'bethan@example.org',
      password: NEW_PASSWORD,
    });
    const s = await newSweep();
    const { page } = s;
    await s.openIn(lang, '/amp');
    await page.locator('#username').fill(`bethan.hughes@${domain()}`);
    await s.submitFormWith('#username');
    await page.locator('#password').fill(NEW_PASSWORD);
    await s.submitFormWith('#password');
    await page.locator('input[name="method"][value="email"]').check();
    await s.submitFormWith('input[name="method"]');
    await page.locator('#risks').check();
    await s.submitFormWith('#risks');
    await page.locator('#code').fill(await emailedCode(running, 'bethan@example.org'));
    await s.submitFormWith('#code');
    await s.check('recovery-codes', { view: 'sign-in/recovery-codes' });
    expect(await page.locator('#recovery-codes li').count()).to.equal(10);
  });
  it('shows the account pages of AMP, and adding each kind of second factor', async () => {
    const s = asMegan;
    const { page } = s;
    const blank = (field: string) => () => s.submitFormWith(field);
    await s.open('/amp');
    await s.both('amp-home', { view: 'amp/home' });
    await s.open('/amp/status');
    await s.both('amp-status', { view: 'amp/status' });
    await s.open('/amp/profile');
    await s.both('amp-profile', { view: 'amp/profile' });
    const noName = async () => {
      await page.locator('#given_name').fill('');
      await s.submitFormWith('#given_name');
    };
    await noName();
    await s.both('amp-profile-error', { view: 'amp/profile', status: 400 }, noName);
    await s.open('/amp/security');
    await s.both('amp-security', { view: 'amp/security' });
    await s.open('/amp/security/password');
    await s.both('amp-password', { view: 'amp/password' });
    await blank('#current_password')();
    await s.both(
      'amp-password-error',
      { view: 'amp/password', status: 400 },
      blank('#current_password'),
    );
    await s.open('/amp/confirm-password?next=/amp/security');
    await s.both('amp-confirm-password', { view: 'amp/confirm-password' });
    await blank('#password')();
    await s.both(
      'amp-confirm-password-error',
      { view: 'amp/confirm-password', status: 400 },
      blank('#password'),
    );

    await s.open('/amp/security/add');
    await s.both('amp-add', { view: 'amp/add-factor' });
    await blank('input[name="method"]')();
    await s.both(
      'amp-add-error',
      { view: 'amp/add-factor', status: 400 },
      blank('input[name="method"]'),
    );
    await s.open('/amp/security/add/phone?delivery=sms');
    await s.both('amp-add-phone', { view: 'amp/add-phone' });
    await blank('#phone')();
    await s.both('amp-add-phone-error', { view: 'amp/add-phone', status: 400 }, blank('#phone'));
    await s.open('/amp/security/add/email');
    await s.both('amp-add-email', { view: 'amp/add-email' });
    await blank('#risks')();
    await s.both('amp-add-email-error', { view: 'amp/add-email', status: 400 }, blank('#risks'));
    await s.open('/amp/security/add');
    await page.locator('input[name="method"][value="app"]').check();
    await s.submitFormWith('input[name="method"]');
    await s.both('amp-confirm-app', { view: 'amp/confirm-factor' });
    await blank('#code')();
    await s.both(
      'amp-confirm-app-error',
      { view: 'amp/confirm-factor', status: 400 },
      blank('#code'),
    );

    await s.each('amp-recovery-codes', { view: 'amp/recovery-codes' }, async (lang) => {
      await s.openIn(lang, '/amp/security');
      await s.click(s.page.locator('main form[action="/amp/security/recovery-codes"] button'));
    });
  });

  it('shows the Portal, its services, EMI and IAMIS', async () => {
    const s = asMegan;
    const { page } = s;
    await s.open('/portal');
    await s.click(page.locator('main a[href="/portal/sign-in?as=appointee"]'));
    expect(new URL(page.url()).pathname).to.equal('/portal');
    await s.both('portal-home', { view: 'portal/home' });
    await s.open('/portal/services');
    await s.both('portal-services', { view: 'portal/services' });
    await s.open('/portal/services/emi');
    await s.both('portal-service', { view: 'portal/service' });

    const unit = ['GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01)'];
    const moderated = ['GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)'];
    await s.open('/portal/emi');
    await s.both('emi', { view: 'portal/marks/emi', english: unit });
    await s.click(page.locator('main a[href*="/portal/emi/units/"]').first());
    await s.both('emi-sheet', { view: 'portal/marks/sheet', sameHeading: true, english: unit });
    const badMark = async () => {
      await page.locator('main input[name^="mark_"]').first().fill('999');
      await s.submitFormWith('input[name^="mark_"]');
    };
    await badMark();
    await s.both(
      'emi-sheet-error',
      { view: 'portal/marks/sheet', status: 400, sameHeading: true, english: unit },
      badMark,
    );
    await page.locator('main input[name^="mark_"]').first().fill('12');
    await s.click(page.locator('main button[value="submit"]'));
    await s.both('emi-submit', { view: 'portal/marks/submit', english: unit });
    await s.open(`/portal/emi/units/${'0'.repeat(32)}`);
    await s.both('marks-forbidden', { view: 'portal/marks/forbidden', status: 403 });

    await s.open('/portal/iamis');
    await s.both('iamis', { view: 'portal/marks/iamis', english: moderated });
    await s.click(page.locator('main a[href*="/portal/iamis/moderation/"]').first());
    await s.both('iamis-moderation', {
      view: 'portal/marks/moderation',
      sameHeading: true,
      english: moderated,
    });
    await s.open('/portal/iamis/team?as=principal_moderator');
    await s.both('iamis-team', { view: 'portal/marks/team' });
  });

  it('shows the centre pages to an Exams Officer, and the invitation to the invitee', async () => {
    asEleri = await newSweep();
    const s = asEleri;
    const { page } = s;
    const users = '/portal/centres/68101/users';
    await s.open('/portal/sign-in?as=centre_user');
    await signInWithEmailCode(s, running, { ...eleri, username: eleri.email });
    expect(new URL(page.url()).pathname).to.equal('/portal');
    await s.both('portal-home-centre', { view: 'portal/home' });
    await s.open(users);
    await s.both('manage-users', { view: 'portal/centres/users' });
    await s.open(`${users}?search=ffion`);
    await s.both('manage-users-search', { view: 'portal/centres/users' });
    await s.open(`${users}/invite`);
    await s.both('invite-user', { view: 'portal/centres/invite' });
    const blankInvite = () => s.submitFormWith('#given_name');
    await blankInvite();
    await s.both('invite-error', { view: 'portal/centres/invite', status: 400 }, blankInvite);
    await s.open(`${users}/invite?type=admin`);
    await s.both('invite-admin', { view: 'portal/centres/invite' });
    await page.locator('#given_name').fill('Tomos');
    await page.locator('#family_name').fill('Rees');
    await page.locator('#email').fill('tomos@ysgol.example.org');
    await s.submitFormWith('#given_name');
    expect(new URL(page.url()).pathname).to.equal(users);

    const rowAction = async (action: string) => {
      const row = page.getByRole('row', { name: /Ffion Hughes/ });
      await row.locator('summary').click();
      await s.click(row.locator(`a[href$="/${action}"]`));
    };
    await s.open(users);
    await rowAction('access');
    await s.both('manage-access', { view: 'portal/centres/access' });
    await s.click(page.getByRole('link', { name: /Change the account type|Newid math y cyfrif/ }));
    await s.both('manage-access-role', { view: 'portal/centres/access' });
    await s.open(users);
    await rowAction('delete');
    await s.both('delete-user', { view: 'portal/centres/delete' });
    await s.open(`${users}/no-such-member/access`);
    await s.both('member-not-found', { view: 'portal/centres/not-found', status: 404 });
    await s.open('/portal/centres/68999/users');
    await s.both('centre-forbidden', { view: 'portal/centres/forbidden', status: 403 });
    await s.open('/portal/profile');
    await s.both('centre-profile', { view: 'portal/centres/profile' });
    const noName = async () => {
      await page.locator('#given_name').fill('');
      await s.submitFormWith('#given_name');
    };
    await noName();
    await s.both('centre-profile-error', { view: 'portal/centres/profile', status: 400 }, noName);
    await s.open('/portal/centres');
    await s.both('switch-centre', { view: 'portal/centres/centres' });
    await s.open('/portal/iamis/centres/68101');
    await s.both('iamis-centre', { view: 'portal/marks/centre' });

    // The invitation Tomos was sent, opened by him.
    const invitee = await newSweep();
    await invitee.open((await invitationLink(running, 'tomos@ysgol.example.org')).url);
    await invitee.both('invitation', { view: 'invitations/accept' });
    const weak = async () => {
      await invitee.page.locator('#new_password').fill('byr');
      await invitee.page.locator('#confirm_password').fill('byr');
      await invitee.click(invitee.page.locator('#accept'));
    };
    await weak();
    await invitee.both('invitation-error', { view: 'invitations/accept', status: 400 }, weak);
  });

  it('shows the support console to the support team, and its refusal to anyone else', async () => {
    const s = asNia;
    const { page } = s;
    await s.open('/portal/support');
    expect(new URL(page.url()).pathname).to.equal('/portal/support');
    await s.both('support-search', { view: 'portal/support/search' });
    const blankSearch = () => s.submitFormWith('#q');
    await blankSearch();
    await s.both(
      'support-search-error',
      { view: 'portal/support/search', status: 400 },
      blankSearch,
    );
    const search = (q: string) => async () => {
      await page.locator('#q').fill(q);
      await s.submitFormWith('#q');
    };
    await search('nobody@example.org')();
    await s.both(
      'support-no-results',
      { view: 'portal/support/search' },
      search('nobody@example.org'),
    );
    await search(gwen.email)();
    await s.both('support-results', { view: 'portal/support/search' }, search(gwen.email));
    await s.click(page.locator('main a[href*="/portal/support/accounts/"]').first());
    await s.both('support-account', { view: 'portal/support/account', sameHeading: true });
    await s.click(page.locator('main a[href$="/reset-mfa"]'));
    await s.both('support-confirm', { view: 'portal/support/confirm' });
    await s.open('/portal/support/accounts/no-such-account');
    await s.both('support-not-found', { view: 'portal/support/not-found', status: 404 });

    await asMegan.open('/portal/support');
    await asMegan.both('support-forbidden', { view: 'portal/support/forbidden', status: 403 });
  });

  it('asks for consent for an application that is not the exam board’s own', async () => {
    const s = asNia;
    const verifier = 'a-code-verifier-long-enough-for-pkce-0123456789';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const query = new URLSearchParams({
      client_id: 'partner-app',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${running.url}/partner/callback`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'sweep',
    });
    await s.open(`/auth?${query.toString()}`);
    expect(new URL(s.page.url()).pathname).to.match(/^\/interaction\//);
    await s.both('consent', { view: 'sign-in/consent' });
  });

  it('shows the development outbox and every sign-out page', async () => {
    const s = anonymous;
    await s.open('/dev/outbox');
    await s.both('dev-outbox', {
      view: 'dev/outbox',
      mixedLanguages: 'each message is shown in the language it was sent in',
    });

    // Signing out at the provider, not signed in and without an application: just the answer.
    await s.open('/session/end');
    expect(new URL(s.page.url()).pathname).to.equal('/session/end/success');
    await s.both('sign-out-done', { view: 'sign-out/done' });

    // "Sign out everywhere" in AMP, once in each language (it ends the session it is asked in).
    for (const [sweep, lang] of [
      [asMegan, 'en'],
      [asNia, 'cy'],
    ] as const) {
      await sweep.openIn(lang, '/amp/security');
      await sweep.click(
        sweep.page.locator('main form[action="/amp/security/sign-out-everywhere"] button'),
      );
      await sweep.check('amp-signed-out-everywhere', { view: 'amp/signed-out-everywhere' });
    }

    // The Portal's own sign-out button, confirmed at the provider.
    const e = asEleri;
    await e.open('/portal');
    await e.click(e.page.locator('form[action="/portal/sign-out"] button'));
    await e.both('sign-out-confirm', { view: 'sign-out/confirm' });
    await e.click(e.page.locator('button[name="logout"]'));
    expect(new URL(e.page.url()).pathname).to.equal('/portal/signed-out');
  });

  it('has checked every page view of the portal in English and in Welsh', () => {
    const missing = pageViews().filter(
      (view) => !NOT_SWEPT[view] && (!log.views('en').has(view) || !log.views('cy').has(view)),
    );
    expect(missing, 'page views no sweep checked in both languages').to.deep.equal([]);
    const sweptAnyway = Object.keys(NOT_SWEPT).filter(
      (view) => log.views('en').has(view) || log.views('cy').has(view),
    );
    expect(sweptAnyway, 'pages listed as not swept that were').to.deep.equal([]);
    const unpaired = log.names().filter((name) => !log.find(name, 'en') || !log.find(name, 'cy'));
    expect(unpaired, 'pages checked in one language only').to.deep.equal([]);
  });
});

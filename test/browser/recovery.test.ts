import { expect } from 'chai';
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import {
  createTestUser,
  nextTotpCode,
  startTestPortal,
  type RunningTestPortal,
  type TestUser,
} from '../../packages/portal-express/test/support/server.js';
import { insertLegacyAccount } from '../../packages/portal-express/test/support/sign-in-setup.js';
import { linkIn, mailTo } from '../../packages/portal-express/test/support/recovery.js';
import { launchChromium, newContext } from './support/chromium.js';
import { Journey, answerToQuestion } from './support/journey.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`forgotten username and forgotten password in a real browser (${DB})`, function () {
  let running: RunningTestPortal;
  let browser: Browser;

  before(async () => {
    running = await startTestPortal();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await running?.stop();
  });

  /** From the sign-in page: username, password, authenticator code, "Stay signed in? No", AMP. */
  async function signIn(j: Journey, page: Page, user: TestUser, password: string) {
    await page.getByLabel('Username').fill(user.username);
    await j.click(page.getByRole('button', { name: 'Next' }));
    await j.arrive('Enter your password', 'password');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await j.click(page.getByRole('button', { name: 'Sign in', exact: true }));
    await j.arrive('Enter the code from your authenticator app', 'authenticator-code');
    await page.getByLabel('Code', { exact: true }).fill(await nextTotpCode(user.totpSecret));
    await j.click(page.getByRole('button', { name: 'Verify' }));
    await j.arrive('Stay signed in?', 'stay-signed-in');
    await page.getByRole('radio', { name: 'No', exact: true }).check();
    await j.click(page.getByRole('button', { name: 'Continue' }));
    await j.arrive(`Welcome, ${user.account.givenName} ${user.account.familyName}`, 'amp-home');
  }

  /** On the forgotten-password page: the username and the question's answer → Submit. */
  async function askForResetLink(j: Journey, page: Page, username: string) {
    await page.getByLabel('Username').fill(username);
    await page
      .getByRole('textbox', { name: /^What is \w+ plus \w+\?/ })
      .fill(await answerToQuestion(page));
    await j.click(page.getByRole('button', { name: 'Submit' }));
    await j.arrive('Check your email', 'forgotten-password-sent');
  }

  it('emails a forgotten username, and the person signs in with it', async () => {
    const user = await createTestUser(running, {
      given: 'Megan',
      family: 'Lloyd',
      username: 'megan.lloyd@wjec-appointees.co.uk',
    });
    const context = await newContext(browser);
    const page = await context.newPage();
    const j = new Journey(page, 'forgotten-username');

    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in');
    await j.click(page.getByRole('link', { name: 'Forgotten username' }));
    await j.arrive('Forgotten username', 'forgotten-username');
    await page.getByLabel('Email address').fill('megan@example.org');
    await j.click(page.getByRole('button', { name: 'Submit' }));
    await j.arrive('Check your email', 'forgotten-username-sent');

    const [mail] = await mailTo(running, 'megan@example.org', 'forgotten_username');
    const username = /\S+@wjec-appointees\.co\.uk/.exec(mail?.content?.text ?? '')?.[0];
    expect(username).to.equal(user.username);

    await j.click(page.getByRole('link', { name: 'Back to sign in' }));
    await j.arrive('Sign in', 'sign-in');
    await signIn(j, page, { ...user, username: username ?? '' }, user.password);
    await context.close();
  });

  it('resets a forgotten password of a migrated account with the emailed link, and the person signs in with the new password', async () => {
    // Migrated earlier (the migration page's work), but the temporary password email was lost.
    await insertLegacyAccount(running, {
      legacyUsername: 'rhys.evans',
      password: 'hen-gyfrinair-Rhys',
      givenName: 'Rhys',
      familyName: 'Evans',
      email: 'rhys@example.org',
      phone: '01970 123456',
      teachingCentre: 'Ysgol Penglais',
    });
    const migrated = await running.portal.services.migration.migrate({
      legacyUsername: 'rhys.evans',
      password: 'hen-gyfrinair-Rhys',
    });
    expect(migrated.outcome).to.equal('migrated');
    const username = 'rhys.evans@wjec-appointees.co.uk';

    const context = await newContext(browser);
    const page = await context.newPage();
    const j = new Journey(page, 'forgotten-password');

    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in');
    await page.getByLabel('Username').fill(username);
    await j.click(page.getByRole('button', { name: 'Next' }));
    await j.arrive('Enter your password', 'password');
    await j.click(page.getByRole('link', { name: 'Forgotten password' }));
    await j.arrive('Forgotten password', 'forgotten-password');

    // A wrong answer: the page says so, with a new question.
    await page.getByLabel('Username').fill(username);
    const wrong = String(Number(await answerToQuestion(page)) + 1);
    await page.getByRole('textbox', { name: /^What is \w+ plus \w+\?/ }).fill(wrong);
    await j.click(page.getByRole('button', { name: 'Submit' }));
    await j.arrive('Forgotten password', 'forgotten-password-wrong-answer');
    expect(await page.getByRole('alert').innerText()).to.contain('That answer is not right');
    expect(await mailTo(running, 'rhys@example.org', 'password_reset')).to.have.length(0);

    await askForResetLink(j, page, username);
    const [mail] = await mailTo(running, 'rhys@example.org', 'password_reset');
    const link = linkIn(mail, '/forgotten-password/reset/');

    await j.open(`${running.url}${link}`);
    await j.arrive('Choose a new password', 'reset-password');
    expect(await page.locator('main').innerText()).to.contain(username);
    await page.getByLabel('New password', { exact: true }).fill('Newydd-Cyfrinair-77!');
    await page.getByLabel('Confirm new password').fill('Newydd-Cyfrinair-77!');
    await j.click(page.getByRole('button', { name: 'Change password' }));
    await j.arrive('Your password has been changed', 'reset-done');

    // The link works once only.
    await j.open(`${running.url}${link}`);
    await j.arrive('This link has expired or been used', 'link-used');

    // Signing in with the new password goes on with the set-up the migration asked for.
    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in');
    await page.getByLabel('Username').fill(username);
    await j.click(page.getByRole('button', { name: 'Next' }));
    await j.arrive('Enter your password', 'password');
    await page.getByLabel('Password', { exact: true }).fill('Newydd-Cyfrinair-77!');
    await j.click(page.getByRole('button', { name: 'Sign in', exact: true }));
    await j.arrive('Configure multi-factor authentication (MFA)', 'mfa-choose');
    await page.getByRole('radio', { name: /Authenticator app/ }).check();
    await j.click(page.getByRole('button', { name: 'Continue' }));
    await j.arrive('Set up your authenticator app', 'mfa-app');
    const secret = (await page.locator('#secret').innerText()).replace(/\s+/g, '');
    await page.getByLabel('Code from the app').fill(await generate({ secret }));
    await j.click(page.getByRole('button', { name: 'Verify' }));
    await j.arrive('Save your recovery codes', 'recovery-codes');
    await j.click(page.getByRole('button', { name: 'Continue' }));
    await j.arrive('Stay signed in?', 'stay-signed-in');
    await page.getByRole('radio', { name: 'No', exact: true }).check();
    await j.click(page.getByRole('button', { name: 'Continue' }));
    await j.arrive('Welcome, Rhys Evans', 'amp-home');
    await context.close();
  });

  it('resets a forgotten password of a legacy account, and the person then migrates with it', async () => {
    await insertLegacyAccount(running, {
      legacyUsername: 'dai.morgan',
      password: 'wedi-anghofio-hwn',
      givenName: 'Dai',
      familyName: 'Morgan',
      email: 'dai.morgan@example.org',
    });
    const context = await newContext(browser);
    const page = await context.newPage();
    const j = new Journey(page, 'legacy-forgotten-password');

    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in');
    await page.getByLabel('Username').fill('dai.morgan');
    await j.click(page.getByRole('button', { name: 'Next' }));
    await j.arrive('Migrate your AMP account', 'migrate');
    await j.click(page.getByRole('link', { name: 'Forgotten password' }));
    await j.arrive('Forgotten password', 'forgotten-password');
    await askForResetLink(j, page, 'dai.morgan');

    const [mail] = await mailTo(running, 'dai.morgan@example.org', 'password_reset');
    await j.open(`${running.url}${linkIn(mail, '/forgotten-password/legacy/')}`);
    await j.arrive('Choose a new password', 'reset-password');
    expect(await page.locator('main').innerText()).to.contain('original AMP account');
    await page.getByLabel('New password', { exact: true }).fill('Mynydd-Du-Newydd-31!');
    await page.getByLabel('Confirm new password').fill('Mynydd-Du-Newydd-31!');
    await j.click(page.getByRole('button', { name: 'Change password' }));
    await j.arrive('Your password has been changed', 'reset-done');
    expect(await page.locator('main').innerText()).to.contain('dai.morgan');

    await j.click(page.getByRole('link', { name: 'Sign in' }));
    await j.arrive('Sign in', 'sign-in');
    await page.getByLabel('Username').fill('dai.morgan');
    await j.click(page.getByRole('button', { name: 'Next' }));
    await j.arrive('Migrate your AMP account', 'migrate');
    await page.getByLabel('Password', { exact: true }).fill('Mynydd-Du-Newydd-31!');
    await j.click(page.getByRole('button', { name: 'Submit' }));
    await j.arrive('Your account has been migrated', 'migrated');
    expect((await page.locator('#new-username').innerText()).trim()).to.equal(
      'dai.morgan@wjec-appointees.co.uk',
    );
    await context.close();
  });
});

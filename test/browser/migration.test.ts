import { expect } from 'chai';
import { generate } from 'otplib';
import type { Browser } from 'playwright-core';
import {
  startTestPortal,
  type RunningTestPortal,
} from '../../packages/portal-express/test/support/server.js';
import {
  startSharePoint,
  type RunningSharePoint,
} from '../../packages/portal-express/test/support/rp.js';
import { insertLegacyAccount } from '../../packages/portal-express/test/support/sign-in-setup.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { launchChromium, newContext } from './support/chromium.js';
import { Journey, temporaryPasswordBySmtp } from './support/journey.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`the whole migration journey in a real browser (${DB})`, function () {
  let smtp: SmtpTestServer;
  let running: RunningTestPortal;
  let sharepoint: RunningSharePoint;
  let browser: Browser;

  before(async () => {
    smtp = await SmtpTestServer.start();
    running = await startTestPortal({ SMTP_URL: smtp.url });
    sharepoint = await startSharePoint(running);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await sharepoint?.stop();
    await running?.stop();
    await smtp?.stop();
  });

  it('moves a legacy account to a new username, sets up the app and a new password, signs in everywhere at once, and one sign-out ends every session', async () => {
    // A legacy AMP record: bcrypt hash, no phone or teaching centre (so details are asked for).
    await insertLegacyAccount(running, {
      legacyUsername: 'gwen.parry',
      password: 'hen-gyfrinair-AMP-1',
      givenName: 'Gwen',
      familyName: 'Parry',
      email: 'gwen.parry@example.org',
    });

    const context = await newContext(browser);
    const page = await context.newPage();
    const j = new Journey(page, 'migration');

    // AMP sends the browser to the provider's sign-in page.
    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in');
    expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);
    await page.getByLabel('Username').fill('gwen.parry');
    await j.click(page.getByRole('button', { name: 'Next' }));

    // The legacy username leads to the migration page: current password → Submit.
    await j.arrive('Migrate your AMP account', 'migrate');
    expect(await page.getByText('gwen.parry', { exact: true }).isVisible()).to.equal(true);
    await page.getByLabel('Password', { exact: true }).fill('hen-gyfrinair-AMP-1');
    await j.click(page.getByRole('button', { name: 'Submit' }));

    // The confirmation shows the new username and says a temporary password was emailed.
    await j.arrive('Your account has been migrated', 'migrated');
    const newUsername = (await page.locator('#new-username').innerText()).trim();
    expect(newUsername).to.equal('gwen.parry@wjec-appointees.co.uk');
    expect(await page.locator('main').innerText()).to.contain(
      'A new temporary password has been emailed to you',
    );
    await j.click(page.getByRole('button', { name: 'Proceed' }));

    // The temporary password arrives at a real SMTP server.
    const temporaryPassword = await temporaryPasswordBySmtp(smtp, 'gwen.parry@example.org');
    expect(temporaryPassword.length).to.be.at.least(8);

    await j.arrive('Sign in', 'sign-in-new-username');
    await page.getByLabel('Username').fill(newUsername);
    await j.click(page.getByRole('button', { name: 'Next' }));
    await j.arrive('Enter your password', 'password');
    await page.getByLabel('Password', { exact: true }).fill(temporaryPassword);
    await j.click(page.getByRole('button', { name: 'Sign in', exact: true }));

    // MFA set-up: the authenticator app, with the key typed from the page.
    await j.arrive('Configure multi-factor authentication (MFA)', 'mfa-choose');
    await page.getByRole('radio', { name: /Authenticator app \(recommended\)/ }).check();
    await j.click(page.getByRole('button', { name: 'Continue' }));
    await j.arrive('Set up your authenticator app', 'mfa-app');
    expect(
      await page.getByRole('img', { name: /QR code that adds your account/ }).isVisible(),
    ).to.equal(true);
    const secret = (await page.locator('#secret').innerText()).replace(/\s+/g, '');
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    await page.getByLabel('Code from the app').fill(await generate({ secret }));
    await j.click(page.getByRole('button', { name: 'Verify' }));

    // Recovery codes, shown once.
    await j.arrive('Save your recovery codes', 'recovery-codes');
    const codes = await page
      .getByRole('list', { name: 'Recovery codes' })
      .getByRole('listitem')
      .allInnerTexts();
    expect(codes).to.have.length(10);
    await j.click(page.getByRole('button', { name: 'Continue' }));

    // The temporary password goes.
    await j.arrive('Change your temporary password', 'new-password');
    await page.getByLabel('New password', { exact: true }).fill('Glas-Mynydd-Tywyll-48!');
    await page.getByLabel('Confirm new password').fill('Glas-Mynydd-Tywyll-48!');
    await j.click(page.getByRole('button', { name: 'Change password' }));

    // The missing details.
    await j.arrive('Check your details', 'details');
    expect(await page.getByLabel('First name').inputValue()).to.equal('Gwen');
    await page.getByLabel('Phone number').fill('07700 900456');
    await page.getByLabel('Teaching centre').fill('Ysgol Bro Teifi');
    await j.click(page.getByRole('button', { name: 'Save and continue' }));

    await j.arrive('Stay signed in?', 'stay-signed-in');
    await page.getByRole('radio', { name: 'No', exact: true }).check();
    await j.click(page.getByRole('button', { name: 'Continue' }));

    // Signed in at AMP.
    await j.arrive('Welcome, Gwen Parry', 'amp-home');
    expect(new URL(page.url()).pathname).to.equal('/amp');

    // The Portal: "Sign in as an Appointee" goes straight in.
    await j.click(page.getByRole('link', { name: 'Go to the Portal' }).first());
    await j.arrive('WJEC Portal', 'portal-start');
    j.forgetVisited();
    await j.click(page.getByRole('link', { name: 'Sign in as an Appointee' }));
    await j.arrive('Welcome, Gwen Parry', 'portal-home');
    expect(j.sawSignInPage, 'the Portal signed in without a prompt').to.equal(false);
    expect(
      j.visited.some((u) => u.startsWith(`${running.url}/auth?`)),
      'it went through the provider',
    ).to.equal(true);
    expect(await page.getByText('You signed in as an appointee.').isVisible()).to.equal(true);

    // The SharePoint example, on another port, goes straight in too.
    await j.open(`${sharepoint.url}/`);
    await j.arrive('WJEC SharePoint', 'sharepoint-start');
    j.forgetVisited();
    await j.click(page.getByRole('link', { name: 'Sign in' }));
    await j.arrive('Welcome, Gwen Parry', 'sharepoint-home');
    expect(j.sawSignInPage, 'SharePoint signed in without a prompt').to.equal(false);
    expect(new URL(page.url()).origin).to.equal(sharepoint.url);
    expect(sharepoint.sessionCount()).to.equal(1);

    // Sign out at AMP, confirmed on the provider's page.
    await j.open(`${running.url}/amp`);
    await j.arrive('Welcome, Gwen Parry', 'amp-home');
    await j.click(page.getByRole('button', { name: 'Sign out' }));
    await j.arrive('Sign out', 'provider-sign-out');
    await j.click(page.getByRole('button', { name: 'Sign out' }));
    await j.arrive('You have signed out', 'amp-signed-out');
    expect(new URL(page.url()).pathname).to.equal('/amp/signed-out');

    // The others ended too: their next page asks to sign in.
    expect(sharepoint.logouts).to.have.length(1);
    await j.open(`${sharepoint.url}/`);
    await j.arrive('WJEC SharePoint', 'sharepoint-start');
    expect(await page.getByRole('link', { name: 'Sign in' }).isVisible()).to.equal(true);
    j.forgetVisited();
    await j.click(page.getByRole('link', { name: 'Sign in' }));
    await j.arrive('Sign in', 'sign-in');
    expect(j.sawSignInPage).to.equal(true);

    await j.open(`${running.url}/portal/services`);
    await j.arrive('WJEC Portal', 'portal-start');
    expect(new URL(page.url()).pathname).to.equal('/portal');
    await j.click(page.getByRole('link', { name: 'Sign in as an Appointee' }));
    await j.arrive('Sign in', 'sign-in');
    expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);

    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in');
    expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);
    await context.close();
  });
});

import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import {
  startTestPortal,
  type RunningTestPortal,
} from '../../packages/portal-express/test/support/server.js';
import {
  emailedCode,
  insertLegacyAccount,
  temporaryPasswordFor,
} from '../../packages/portal-express/test/support/sign-in-setup.js';
import { launchChromium, newContext } from './support/chromium.js';
import { Journey } from './support/journey.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`the migration journey in Welsh in a real browser (${DB})`, function () {
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

  it('switches to Cymraeg on the first page and migrates, sets up email codes and signs in and out, every page in Welsh', async () => {
    await insertLegacyAccount(running, {
      legacyUsername: 'sian.jones',
      password: 'hen-gyfrinair-AMP',
      givenName: 'Siân',
      familyName: 'Jones',
      email: 'sian.jones@example.org',
      locale: 'cy',
    });
    const context = await newContext(browser);
    const page = await context.newPage();
    const j = new Journey(page, 'welsh');

    // The first page comes in English (the browser asks for en-GB); the switch is on it.
    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in-en');
    await j.click(page.getByRole('link', { name: 'Cymraeg' }));
    j.lang = 'cy';
    await j.arrive('Mewngofnodi', 'sign-in');
    expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);
    expect(await page.getByRole('link', { name: 'English' }).getAttribute('lang')).to.equal('en');

    await page.getByLabel('Enw defnyddiwr').fill('sian.jones');
    await j.click(page.getByRole('button', { name: 'Nesaf' }));
    await j.arrive('Mudo eich cyfrif AMP', 'migrate');
    await page.getByLabel('Cyfrinair', { exact: true }).fill('hen-gyfrinair-AMP');
    await j.click(page.getByRole('button', { name: 'Cyflwyno' }));

    await j.arrive('Mae eich cyfrif wedi cael ei fudo', 'migrated');
    expect(await page.locator('main').innerText()).to.contain('GWYBODAETH BWYSIG');
    const newUsername = (await page.locator('#new-username').innerText()).trim();
    expect(newUsername).to.equal('sian.jones@wjec-appointees.co.uk');
    await j.click(page.getByRole('button', { name: 'Parhau' }));

    const temporaryPassword = await temporaryPasswordFor(running, 'sian.jones@example.org');
    await j.arrive('Mewngofnodi', 'sign-in-new-username');
    await page.getByLabel('Enw defnyddiwr').fill(newUsername);
    await j.click(page.getByRole('button', { name: 'Nesaf' }));
    await j.arrive('Rhowch eich cyfrinair', 'password');
    await page.getByLabel('Cyfrinair', { exact: true }).fill(temporaryPassword);
    await j.click(page.getByRole('button', { name: 'Mewngofnodi', exact: true }));

    // MFA: first "Continue" without a choice (the error summary in Welsh), then email codes.
    await j.arrive('Ffurfweddu dilysu aml-ffactor (MFA)', 'mfa-choose');
    await j.click(page.getByRole('button', { name: 'Parhau' }));
    await j.arrive('Ffurfweddu dilysu aml-ffactor (MFA)', 'mfa-choose-error');
    expect(await page.getByRole('alert').innerText()).to.contain(
      'Dewiswch sut rydych chi eisiau cael eich codau',
    );
    await page.getByRole('radio', { name: /E-bost \(lleiaf diogel\)/ }).check();
    await j.click(page.getByRole('button', { name: 'Parhau' }));
    await j.arrive('Cael eich codau drwy e-bost', 'mfa-email');
    await page
      .getByRole('checkbox', { name: /Rwy'n cadarnhau fy mod yn ymwybodol o'r risgiau/ })
      .check();
    await j.click(page.getByRole('button', { name: 'Anfon cod' }));
    await j.arrive('Rhowch y cod a e-bostion ni atoch chi', 'mfa-email-code');
    await page.getByLabel('Cod dilysu').fill(await emailedCode(running, 'sian.jones@example.org'));
    await j.click(page.getByRole('button', { name: 'Dilysu' }));

    await j.arrive('Cadw eich codau adfer', 'recovery-codes');
    await j.click(page.getByRole('button', { name: 'Parhau' }));

    await j.arrive('Newid eich cyfrinair dros dro', 'new-password');
    await page.getByLabel('Cyfrinair newydd', { exact: true }).fill('Glas-Mynydd-Tywyll-48!');
    await page.getByLabel("Cadarnhau'r cyfrinair newydd").fill('Glas-Mynydd-Tywyll-48!');
    await j.click(page.getByRole('button', { name: 'Newid cyfrinair' }));

    await j.arrive('Gwirio eich manylion', 'details');
    await page.getByLabel('Rhif ffôn').fill('07700 900789');
    await page.getByLabel('Canolfan addysgu').fill('Ysgol Gymraeg Aberystwyth');
    await j.click(page.getByRole('button', { name: 'Cadw a pharhau' }));

    await j.arrive('Aros wedi mewngofnodi?', 'stay-signed-in');
    await page.getByRole('radio', { name: 'Nac ydw', exact: true }).check();
    await j.click(page.getByRole('button', { name: 'Parhau' }));

    await j.arrive('Croeso, Siân Jones', 'amp-home');
    expect(new URL(page.url()).pathname).to.equal('/amp');

    // The Portal, in Welsh, without a prompt.
    await j.click(page.getByRole('link', { name: "Mynd i'r Porth" }).first());
    await j.arrive('Porth CBAC', 'portal-start');
    j.forgetVisited();
    await j.click(page.getByRole('link', { name: 'Mewngofnodi fel Penodai' }));
    await j.arrive('Croeso, Siân Jones', 'portal-home');
    expect(j.sawSignInPage).to.equal(false);

    // Sign out, confirmed on the provider's page.
    await j.click(page.getByRole('button', { name: 'Allgofnodi' }));
    await j.arrive('Allgofnodi', 'provider-sign-out');
    await j.click(page.getByRole('button', { name: 'Allgofnodi' }));
    await j.arrive('Rydych wedi allgofnodi', 'portal-signed-out');
    await context.close();
  });
});

import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import {
  startTestPortal,
  type RunningTestPortal,
} from '../../packages/portal-express/test/support/server.js';
import { phoneMessages } from '../../packages/portal-express/test/support/sign-in-setup.js';
import { launchChromium, newContext } from './support/chromium.js';
import { Journey, createAccountWithoutFactor } from './support/journey.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`setting up text messages in a real browser (${DB})`, function () {
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

  it('sets up text-message codes at the first sign-in, the code read from the development provider', async () => {
    await createAccountWithoutFactor(running, {
      given: 'Bethan',
      family: 'Hughes',
      username: 'bethan.hughes@wjec-appointees.co.uk',
      email: 'bethan@example.org',
      password: 'Afon-Teifi-Glas-2026!',
    });
    const context = await newContext(browser);
    const page = await context.newPage();
    const j = new Journey(page, 'sms');

    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in');
    // Trailing spaces never matter.
    await page.getByLabel('Username').fill('bethan.hughes@wjec-appointees.co.uk  ');
    await j.click(page.getByRole('button', { name: 'Next' }));
    await j.arrive('Enter your password', 'password');
    await page.getByLabel('Password', { exact: true }).fill('Afon-Teifi-Glas-2026!');
    await j.click(page.getByRole('button', { name: 'Sign in', exact: true }));

    await j.arrive('Configure multi-factor authentication (MFA)', 'mfa-choose');
    await page.getByRole('radio', { name: /Text message or phone call/ }).check();
    await j.click(page.getByRole('button', { name: 'Continue' }));

    await j.arrive('Enter your phone number', 'phone-number');
    await page.getByLabel('Phone number').fill('07700 900123');
    await j.click(page.getByRole('button', { name: 'Continue' }));

    await j.arrive('How should we send your code?', 'delivery');
    expect(await page.getByRole('radio', { name: 'Text me a code' }).isChecked()).to.equal(true);
    await j.click(page.getByRole('button', { name: 'Send a code' }));

    await j.arrive('Enter the code we texted you', 'sms-code');
    expect(await page.locator('main').innerText()).to.contain('07700 900123');
    const [text] = await phoneMessages(running, 'sms', '+447700900123');
    const code = /\b(\d{6})\b/.exec(text ?? '')?.[1];
    expect(code, `a 6-digit code in the text message: ${text}`).to.match(/^\d{6}$/);
    await page.getByLabel('Verification code').fill(code ?? '');
    await j.click(page.getByRole('button', { name: 'Verify' }));

    await j.arrive('Save your recovery codes', 'recovery-codes');
    await j.click(page.getByRole('button', { name: 'Continue' }));

    await j.arrive('Stay signed in?', 'stay-signed-in');
    await page.getByRole('radio', { name: 'No', exact: true }).check();
    await j.click(page.getByRole('button', { name: 'Continue' }));

    await j.arrive('Welcome, Bethan Hughes', 'amp-home');
    await j.click(page.getByRole('link', { name: 'Security' }).first());
    await j.arrive('Security', 'amp-security');
    // The new factor is listed (its number masked) and is the default.
    const row = page.getByRole('row', { name: /Text message/ });
    expect(await row.innerText()).to.match(/•+ •+ 123\s+Default/);
    await context.close();
  });
});

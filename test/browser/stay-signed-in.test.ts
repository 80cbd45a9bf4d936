import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import {
  createTestUser,
  nextTotpCode,
  startTestPortal,
  type RunningTestPortal,
  type TestUser,
} from '../../packages/portal-express/test/support/server.js';
import { launchChromium, newContext } from './support/chromium.js';
import { Journey, cookiesAfterRestart } from './support/journey.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`"Stay signed in?" across a browser restart (${DB})`, function () {
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

  /** Signs `user` in at AMP in a new browser profile, answering "Stay signed in?" with `answer`. */
  async function signInAtAmp(user: TestUser, answer: 'Yes' | 'No', prefix: string) {
    const context = await newContext(browser);
    const page = await context.newPage();
    const j = new Journey(page, prefix);
    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in');
    await page.getByLabel('Username').fill(user.username);
    await j.click(page.getByRole('button', { name: 'Next' }));
    await j.arrive('Enter your password', 'password');
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await j.click(page.getByRole('button', { name: 'Sign in', exact: true }));
    await j.arrive('Enter the code from your authenticator app', 'authenticator-code');
    // The enrolment used this time-step's code; a phone would show the next one soon.
    await page.getByLabel('Code', { exact: true }).fill(await nextTotpCode(user.totpSecret));
    await j.click(page.getByRole('button', { name: 'Verify' }));
    await j.arrive('Stay signed in?', 'stay-signed-in');
    await page.getByRole('radio', { name: answer, exact: true }).check();
    await j.click(page.getByRole('button', { name: 'Continue' }));
    await j.arrive(`Welcome, ${user.account.givenName} ${user.account.familyName}`, 'amp-home');
    return { context, j };
  }

  it('with "Yes", arrives at AMP signed in after the browser is closed and opened again', async () => {
    const user = await createTestUser(running, {
      given: 'Megan',
      family: 'Lloyd',
      username: 'megan.lloyd@wjec-appointees.co.uk',
    });
    const { context } = await signInAtAmp(user, 'Yes', 'stay-yes');
    const kept = await cookiesAfterRestart(context);
    expect(
      kept.cookies.map((c) => c.name),
      'the provider session cookie is persistent',
    ).to.include('porth_session');
    await context.close();

    const reopened = await newContext(browser, { storageState: kept });
    const page = await reopened.newPage();
    const j = new Journey(page, 'stay-yes-restarted');
    await j.open(`${running.url}/amp`);
    await j.arrive('Welcome, Megan Lloyd', 'amp-home');
    expect(j.sawSignInPage, 'no sign-in page after the restart').to.equal(false);
    expect(
      j.visited.some((u) => new URL(u).pathname === '/auth'),
      'through the provider',
    ).to.equal(true);
    await reopened.close();
  });

  it('with "No", asks to sign in again after the browser is closed and opened again', async () => {
    const user = await createTestUser(running, {
      given: 'Rhys',
      family: 'Evans',
      username: 'rhys.evans@wjec-appointees.co.uk',
    });
    const { context, j: before } = await signInAtAmp(user, 'No', 'stay-no');
    // Before the restart, the same browser is still signed in.
    await before.open(`${running.url}/amp`);
    await before.arrive('Welcome, Rhys Evans', 'amp-home');
    const all = (await context.storageState()).cookies.map((c) => c.name);
    expect(all, 'a provider session cookie while the browser is open').to.include('porth_session');
    const kept = await cookiesAfterRestart(context);
    expect(
      kept.cookies.map((c) => c.name),
      'it ends with the browser',
    ).not.to.include('porth_session');
    await context.close();

    const reopened = await newContext(browser, { storageState: kept });
    const page = await reopened.newPage();
    const j = new Journey(page, 'stay-no-restarted');
    await j.open(`${running.url}/amp`);
    await j.arrive('Sign in', 'sign-in');
    expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);
    await reopened.close();
  });
});

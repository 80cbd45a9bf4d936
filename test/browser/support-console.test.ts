import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { KnexAccountRepository } from '@porth/identity-core';
import {
  startTestPortal,
  type RunningTestPortal,
} from '../../packages/portal-express/test/support/server.js';
import {
  emailedCode,
  insertLegacyAccount,
  mailsTo,
} from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  addEmailFactor,
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { checkPage, launchChromium, newContext } from './support/chromium.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`support console in a real browser (${DB})`, function () {
  let running: RunningTestPortal;
  let browser: Browser;
  let staff: Person;
  let target: { id: string; legacyUsername: string; email: string };

  before(async () => {
    running = await startTestPortal();
    browser = await launchChromium();
    staff = await createPerson(running, {
      kind: 'staff',
      given: 'Nia',
      family: 'Thomas',
      username: 'nia.thomas@wjec.co.uk',
      email: 'nia.thomas@example.org',
    });
    // A migrated appointee who has set up MFA: the one who "changed their phone".
    const account = await insertLegacyAccount(running, {
      legacyUsername: 'rhodri.lewis',
      password: 'Hen-Gyfrinair-1',
      givenName: 'Rhodri',
      familyName: 'Lewis',
      email: 'rhodri.lewis@example.org',
      phone: '07700 900321',
      teachingCentre: 'Ysgol Bro Teifi',
    });
    const migrated = await running.portal.services.migration.migrate({
      legacyUsername: 'rhodri.lewis',
      password: 'Hen-Gyfrinair-1',
    });
    if (migrated.outcome !== 'migrated') throw new Error(`not migrated: ${migrated.outcome}`);
    await addEmailFactor(running, account.id, 'rhodri.lewis@example.org');
    target = { id: account.id, legacyUsername: 'rhodri.lewis', email: 'rhodri.lewis@example.org' };
  });
  after(async () => {
    await browser?.close();
    await running?.stop();
  });

  /** Clicks something that loads a new page and waits for it. */
  async function click(page: Page, name: string, role: 'button' | 'link' = 'button') {
    const loaded = page.waitForEvent('load');
    await page.getByRole(role, { name, exact: true }).click();
    await loaded;
  }

  async function heading(page: Page): Promise<string> {
    return (await page.locator('h1').innerText()).trim();
  }

  it('finds an account by its legacy username and resets its MFA, in English and Welsh', async () => {
    const context = await newContext(browser, { width: 1280 });
    const page = await context.newPage();

    // Signing in straight from the console's address comes back to it.
    await page.goto(`${running.url}/portal/support`);
    await page.getByLabel('Username').fill(staff.username);
    await click(page, 'Next');
    await page.getByLabel('Password', { exact: true }).fill(staff.password);
    await click(page, 'Sign in');
    await page.getByLabel('Code', { exact: true }).fill(await emailedCode(running, staff.email));
    await click(page, 'Verify');
    await page.getByRole('radio', { name: 'No', exact: true }).check();
    await click(page, 'Continue');
    expect(new URL(page.url()).pathname).to.equal('/portal/support');
    expect(await heading(page)).to.equal('Support console');
    await checkPage(page, 'support-01-search-en');

    // A search with nothing in it says what to do.
    await click(page, 'Find account');
    expect(await page.locator('.error-summary').innerText()).to.contain(
      'Enter a username or an email address',
    );
    await checkPage(page, 'support-02-search-error-en');

    // The legacy username, typed as people type it.
    await page.getByLabel('Username or email address').fill(' Rhodri.Lewis ');
    await click(page, 'Find account');
    expect(await page.locator('table').innerText()).to.contain('Found by legacy username');
    await checkPage(page, 'support-03-results-en');

    await click(page, 'Rhodri Lewis', 'link');
    expect(await heading(page)).to.equal('Rhodri Lewis');
    const details = await page.locator('main').innerText();
    expect(details).to.contain('rhodri.lewis');
    expect(details).to.contain('Email code');
    await checkPage(page, 'support-04-account-en');

    await click(page, 'Reset MFA', 'link');
    expect(await heading(page)).to.equal('Reset MFA for Rhodri Lewis?');
    await checkPage(page, 'support-05-reset-mfa-en');
    await page
      .getByLabel('Note for the record (optional)')
      .fill('Phoned: changed phone. Checked name and AMP email address.');
    await click(page, 'Reset MFA');
    expect(await page.locator('[role="status"]').first().innerText()).to.contain(
      'MFA has been reset.',
    );
    const after = await page.locator('main').innerText();
    expect(after).to.contain('No second factor is set up.');
    expect(after).to.contain('Set up Multi-Factor Authentication (MFA)');
    expect(after).to.contain('MFA reset by the support team');
    await checkPage(page, 'support-06-done-en');

    const { db, clock, random } = running.portal.services;
    expect(await running.portal.services.mfa.listFactors(target.id)).to.deep.equal([]);
    expect(
      await new KnexAccountRepository(db, clock, random).listRequiredActions(target.id),
    ).to.include('configure_mfa');
    expect(await mailsTo(running, target.email, 'mfa_reset')).to.have.length(1);

    // A second reset is not offered while there is nothing to reset …
    expect(await page.getByRole('link', { name: 'Reset MFA', exact: true }).count()).to.equal(0);
    // … and is again once Rhodri has set up a new factor.
    await addEmailFactor(running, target.id, target.email);
    await page.reload();

    // The same pages in Welsh.
    await click(page, 'Cymraeg', 'link');
    expect(await page.getAttribute('html', 'lang')).to.equal('cy');
    expect(await page.locator('[role="status"]').first().innerText()).to.contain(
      'Mae MFA wedi cael ei ailosod.',
    );
    await checkPage(page, 'support-07-done-cy');
    await click(page, 'Yn ôl i chwilio am gyfrif', 'link');
    expect(await heading(page)).to.equal('Consol cymorth');
    await checkPage(page, 'support-08-search-cy');
    await page.getByLabel('Enw defnyddiwr neu gyfeiriad e-bost').fill('neb@example.org');
    await click(page, 'Chwilio am gyfrif');
    expect(await page.locator('main').innerText()).to.contain('Dim cyfrif wedi');
    await checkPage(page, 'support-09-none-cy');
    await page.getByLabel('Enw defnyddiwr neu gyfeiriad e-bost').fill(target.legacyUsername);
    await click(page, 'Chwilio am gyfrif');
    await checkPage(page, 'support-10-results-cy');
    await click(page, 'Rhodri Lewis', 'link');
    expect(await page.locator('main').innerText()).to.contain('Manylion y cyfrif');
    await checkPage(page, 'support-11-account-cy');
    await click(page, 'Ailosod MFA', 'link');
    expect(await heading(page)).to.equal('Ailosod MFA ar gyfer Rhodri Lewis?');
    await page.getByLabel('Nodyn ar gyfer y cofnod (dewisol)').fill('x'.repeat(501));
    await click(page, 'Ailosod MFA');
    expect(await page.locator('.error-summary').innerText()).to.contain(
      'Ysgrifennwch ddim mwy na 500 nod',
    );
    await checkPage(page, 'support-12-reset-mfa-error-cy');
    await context.close();
  });

  it('shows anyone else a page that says the console is for the support team, in English and Welsh', async () => {
    const outsider = await createPerson(running, {
      kind: 'appointee',
      given: 'Megan',
      family: 'Lloyd',
      username: 'megan.lloyd@wjec-appointees.co.uk',
      email: 'megan@example.org',
    });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${running.url}/portal/support`);
    await page.getByLabel('Username').fill(outsider.username);
    await click(page, 'Next');
    await page.getByLabel('Password', { exact: true }).fill(outsider.password);
    await click(page, 'Sign in');
    await page.getByLabel('Code', { exact: true }).fill(await emailedCode(running, outsider.email));
    await click(page, 'Verify');
    await page.getByRole('radio', { name: 'No', exact: true }).check();
    const response = page.waitForResponse((r) => new URL(r.url()).pathname === '/portal/support');
    await click(page, 'Continue');
    expect((await response).status()).to.equal(403);
    expect(await heading(page)).to.equal('You cannot use the support console');
    await checkPage(page, 'support-13-forbidden-en');
    await click(page, 'Cymraeg', 'link');
    expect(await heading(page)).to.equal("Allwch chi ddim defnyddio'r consol cymorth");
    await checkPage(page, 'support-14-forbidden-cy');
    await context.close();
  });
});

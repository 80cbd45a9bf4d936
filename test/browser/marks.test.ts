import { expect } from 'chai';
import { generate } from 'otplib';
import type { Browser, Locator, Page } from 'playwright-core';
import { seedDemoMarks } from '../../packages/portal-express/src/demo/marks-seed.js';
import {
  createTestUser,
  startTestPortal,
  type RunningTestPortal,
  type TestUser,
} from '../../packages/portal-express/test/support/server.js';
import { checkPage as checkWithAxe, launchChromium, newContext } from './support/chromium.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** Clicks something that loads a new page and waits for it. */
async function go(page: Page, target: Locator): Promise<void> {
  const loaded = page.waitForEvent('load');
  await target.click();
  await loaded;
}

/**
 * checkPage (axe, screenshots at both widths), and the page reflows at phone width: nothing
 * wider than the 390-pixel screen (WCAG 1.4.10), mark sheets included.
 */
async function checkPage(page: Page, name: string): Promise<void> {
  await checkWithAxe(page, name);
  const original = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
  if (original) await page.setViewportSize(original);
  expect(width, `${name} fits a 390-pixel screen`).to.be.at.most(390);
}

/** The figure in the summary table row headed `heading`. */
async function figure(page: Page, heading: string): Promise<string> {
  return (
    await page.locator('tr', { has: page.getByRole('rowheader', { name: heading, exact: true }) })
  )
    .locator('td')
    .first()
    .innerText();
}

describe(`mark input in a real browser (${DB})`, function () {
  let running: RunningTestPortal;
  let browser: Browser;
  let examiner: TestUser;

  before(async () => {
    running = await startTestPortal();
    examiner = await createTestUser(running);
    const { db, clock, random } = running.portal.services;
    await seedDemoMarks({ db, clock, random, domain: running.config.usernames.domain });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await running?.stop();
  });

  /** The TOTP time-step each user last signed in with (each step is accepted once). */
  const lastStep = new Map<TestUser, number>();

  /** A code for a time-step the provider accepts now and this user has not used (waits if needed). */
  async function unusedTotpCode(user: TestUser): Promise<string> {
    // The enrolment used the step of its own moment; a phone would show the next one soon.
    const used = lastStep.get(user) ?? Math.floor(Date.now() / 30_000);
    for (;;) {
      const now = Math.floor(Date.now() / 30_000);
      const step = [now - 1, now, now + 1].find((s) => s > used);
      if (step !== undefined) {
        lastStep.set(user, step);
        return generate({ secret: user.totpSecret, epoch: step * 30 });
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  async function signIn(page: Page, user: TestUser): Promise<void> {
    await page.goto(`${running.url}/portal`);
    await go(page, page.getByRole('link', { name: 'Sign in as an Appointee' }));
    await page.getByLabel('Username').fill(user.username);
    await go(page, page.getByRole('button', { name: 'Next' }));
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await go(page, page.getByRole('button', { name: 'Sign in', exact: true }));
    await page.getByLabel('Code', { exact: true }).fill(await unusedTotpCode(user));
    await go(page, page.getByRole('button', { name: 'Verify' }));
    await page.getByRole('radio', { name: 'No', exact: true }).check();
    await go(page, page.getByRole('button', { name: 'Continue' }));
    expect(await page.locator('h1').innerText()).to.equal('Welcome, Megan Lloyd');
  }

  it('an examiner enters marks in EMI, saves a draft and submits, then opens the IAMIS summary — in English and Welsh', async () => {
    const context = await newContext(browser, { width: 1280 });
    const page = await context.newPage();
    await signIn(page, examiner);

    // All Services → Electronic Mark Input (EMI)
    await go(page, page.getByRole('link', { name: 'All Services' }).first());
    await go(page, page.getByRole('link', { name: 'Electronic Mark Input (EMI)' }));
    expect(await page.locator('h1').innerText()).to.equal('Electronic Mark Input');
    await expect(await page.locator('main').innerText()).to.contain(
      'GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01)',
    );
    expect(await page.locator('main').innerText()).to.contain('No marks to submit (0 submitted)');
    await checkPage(page, 'marks-emi-en');

    await go(page, page.getByRole('link', { name: /Enter marks \(290 left\)/ }));
    expect(await page.locator('h1').innerText()).to.equal(
      'GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01)',
    );
    await checkPage(page, 'marks-sheet-en');

    // A mark over the maximum is refused with its row named; nothing is saved.
    await page.getByLabel(/^Mark for candidate 0001,/).fill('45');
    await page.getByLabel(/^Mark for candidate 0002,/).fill('0');
    await page.getByLabel(/^Mark for candidate 0003,/).fill('A');
    await page.getByLabel(/^Mark for candidate 0004,/).fill('75');
    await go(page, page.getByRole('button', { name: 'Save as draft' }));
    const summary = page.locator('.error-summary');
    expect(await summary.innerText()).to.match(
      /Row 4 \(0004 [^)]+\): enter a whole number from 0 to 60, or A if the candidate was absent/,
    );
    await checkPage(page, 'marks-sheet-error-en');
    // The error links to the box, which keeps what was typed.
    await summary.getByRole('link').first().click();
    expect(String(await page.evaluate("document.activeElement?.getAttribute('name')"))).to.match(
      /^mark_/,
    );
    expect(await page.getByLabel(/^Mark for candidate 0001,/).inputValue()).to.equal('45');

    await page.getByLabel(/^Mark for candidate 0004,/).fill('12');
    await go(page, page.getByRole('button', { name: 'Save as draft' }));
    expect(await page.locator('main').innerText()).to.contain(
      'Your marks have been saved as a draft.',
    );
    expect(await page.getByLabel(/^Mark for candidate 0003,/).inputValue()).to.equal('A');

    await go(page, page.getByRole('button', { name: 'Submit marks' }));
    expect(await page.locator('h1').innerText()).to.equal('Submit marks');
    expect(await page.locator('main').innerText()).to.contain('Marks ready to submit: 4.');
    await checkPage(page, 'marks-submit-en');
    await go(page, page.getByRole('button', { name: 'Submit marks' }));
    expect(await page.locator('h1').innerText()).to.equal('Electronic Mark Input');
    const after = await page.locator('main').innerText();
    expect(after).to.contain(
      'Marks submitted for GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01): 4.',
    );
    expect(after).to.contain('Enter marks (286 left)');
    expect(after).to.contain('No marks to submit (4 submitted)');
    await checkPage(page, 'marks-emi-submitted-en');

    // The submitted marks are no longer boxes.
    await go(page, page.getByRole('link', { name: /Enter marks \(286 left\)/ }));
    expect(await page.getByLabel(/^Mark for candidate 0001,/).count()).to.equal(0);

    // All Services → Examinations & Assessments → Mark Input (IAMIS): the principal's summary.
    await go(page, page.getByRole('link', { name: 'All Services' }).first());
    await go(page, page.getByRole('link', { name: 'Mark Input', exact: true }));
    expect(await page.locator('h1').innerText()).to.equal('Mark Input');
    expect(await page.locator('h3').first().innerText()).to.equal(
      'GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)',
    );
    expect(await figure(page, 'Total Centres')).to.equal('6');
    expect(await figure(page, 'Total Sample Cands')).to.equal('74');
    expect(await figure(page, 'Total Reports Completed')).to.equal('0');
    expect(await figure(page, 'Total Entered')).to.equal('506');
    expect(await figure(page, 'Total CF/Abs')).to.equal('0');
    expect(await figure(page, 'Total with new marks')).to.equal('506');
    expect(await page.getByLabel('Work as').inputValue()).to.equal('principal_moderator');
    await checkPage(page, 'marks-iamis-en');

    await go(page, page.getByRole('link', { name: /Review marks \(74 remaining\)/ }));
    expect(await page.locator('h1').innerText()).to.equal(
      'GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)',
    );
    await checkPage(page, 'marks-moderation-en');
    await go(page, page.getByRole('link', { name: /^68101/ }));
    await checkPage(page, 'marks-sample-en');
    await page.goto(`${running.url}/portal/iamis/team?as=principal_moderator`);
    expect(await page.locator('h1').innerText()).to.equal('View Team');
    await checkPage(page, 'marks-team-en');

    // The same in Welsh.
    await page.goto(`${running.url}/portal/emi`);
    await go(page, page.getByRole('link', { name: 'Cymraeg' }));
    expect(await page.getAttribute('html', 'lang')).to.equal('cy');
    expect(await page.locator('h1').innerText()).to.equal('Mewnbynnu Marciau Electronig');
    await checkPage(page, 'marks-emi-cy');
    await go(page, page.getByRole('link', { name: /Rhoi marciau \(286 ar ôl\)/ }));
    await checkPage(page, 'marks-sheet-cy');
    await page.getByLabel(/^Marc ymgeisydd 0005,/).fill('33');
    await page.getByLabel(/^Marc ymgeisydd 0006,/).fill('deg');
    await go(page, page.getByRole('button', { name: 'Cadw fel drafft' }));
    expect(await page.locator('.error-summary').innerText()).to.match(
      /Rhes 6 \(0006 [^)]+\): rhowch rif cyfan o 0 i 60, neu A os oedd yr ymgeisydd yn absennol/,
    );
    await checkPage(page, 'marks-sheet-error-cy');
    await page.getByLabel(/^Marc ymgeisydd 0006,/).fill('10');
    await go(page, page.getByRole('button', { name: 'Cadw fel drafft' }));
    expect(await page.locator('main').innerText()).to.contain(
      'Mae eich marciau wedi’u cadw fel drafft.',
    );
    await go(page, page.getByRole('button', { name: 'Cyflwyno marciau' }));
    expect(await page.locator('main').innerText()).to.contain('Marciau’n barod i’w cyflwyno: 2.');
    await checkPage(page, 'marks-submit-cy');
    await go(page, page.getByRole('button', { name: 'Cyflwyno marciau' }));
    expect(await page.locator('main').innerText()).to.contain(
      'Dim marciau i’w cyflwyno (6 wedi’u cyflwyno)',
    );
    await checkPage(page, 'marks-emi-submitted-cy');

    await page.goto(`${running.url}/portal/iamis`);
    expect(await page.locator('h1').innerText()).to.equal('Mewnbynnu Marciau');
    expect(await figure(page, 'Cyfanswm Canolfannau')).to.equal('6');
    expect(await page.locator('main').innerText()).to.contain('Adolygu marciau (74 ar ôl)');
    await checkPage(page, 'marks-iamis-cy');
    await go(page, page.getByRole('link', { name: /Adolygu marciau \(74 ar ôl\)/ }));
    await checkPage(page, 'marks-moderation-cy');
    await go(page, page.getByRole('link', { name: /^68101/ }));
    await checkPage(page, 'marks-sample-cy');
    await page.goto(`${running.url}/portal/iamis/team?as=principal_moderator`);
    expect(await page.locator('h1').innerText()).to.equal('Gweld y Tîm');
    await checkPage(page, 'marks-team-cy');

    // A unit that is not hers: 403, in Welsh and English.
    const response = await page.goto(`${running.url}/portal/emi/units/${'0'.repeat(32)}`);
    expect(response?.status()).to.equal(403);
    await checkPage(page, 'marks-forbidden-cy');
    await page.goto(`${running.url}/portal/emi/units/${'0'.repeat(32)}?lang=en`);
    expect(await page.locator('h1').innerText()).to.equal('You cannot use this page');
    await checkPage(page, 'marks-forbidden-en');
    await context.close();
  });

  it('works without JavaScript: a draft saved and shown again', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    await signIn(page, examiner);
    await page.goto(`${running.url}/portal/emi`);
    await go(page, page.getByRole('link', { name: /Enter marks \(\d+ left\)/ }));
    await page.getByLabel(/^Mark for candidate 0007,/).fill('21');
    await go(page, page.getByRole('button', { name: 'Save as draft' }));
    expect(await page.getByLabel(/^Mark for candidate 0007,/).inputValue()).to.equal('21');
    await context.close();
  });
});

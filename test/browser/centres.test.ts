import { expect } from 'chai';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { createManualClock, type ManualClock } from '@porth/identity-core/testing';
import type { RunningTestPortal } from '../../packages/portal-express/test/support/server.js';
import { startRpTestPortal } from '../../packages/portal-express/test/support/rp.js';
import { emailedCode } from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  createCentre,
  createCentrePerson,
  invitationLink,
  type CentrePerson,
} from '../../packages/portal-express/test/support/centres.js';
import { checkPage, launchChromium, newContext } from './support/chromium.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const CENTRE = '68101';
const USERS = `/portal/centres/${CENTRE}/users`;
const NEW_PASSWORD = 'Afon-Teifi-Glas-2026!';

/**
 * One person's pages in the browser: every page is checked for its single h1 and its language,
 * and each distinct page (by name and language) once with axe and photographed at both widths
 * as `centres-<name>-<lang>-<width>.png`.
 */
class Walk {
  private static readonly checked = new Set<string>();

  constructor(
    readonly page: Page,
    public lang: 'en' | 'cy' = 'en',
  ) {}

  /** Clicks something that loads a new page, and waits for it. */
  async click(target: Locator): Promise<void> {
    const loaded = this.page.waitForEvent('load');
    await target.click();
    await loaded;
  }

  /** Checks the page the browser is on; axe and screenshots the first time this page is seen. */
  async arrive(heading: string | RegExp, name: string, check = true): Promise<void> {
    const h1 = this.page.locator('h1');
    await h1.first().waitFor();
    expect(await h1.count(), `one h1 on ${name} (${this.page.url()})`).to.equal(1);
    const text = (await h1.innerText()).trim();
    if (typeof heading === 'string') expect(text, `the heading of ${name}`).to.equal(heading);
    else expect(text, `the heading of ${name}`).to.match(heading);
    expect(await this.page.getAttribute('html', 'lang'), `<html lang> on ${name}`).to.equal(
      this.lang,
    );
    const key = `${name}-${this.lang}`;
    if (!check || Walk.checked.has(key)) return;
    Walk.checked.add(key);
    await checkPage(this.page, `centres-${key}`);
  }

  /** The main content's text. */
  async mainText(): Promise<string> {
    return this.page.locator('main').innerText();
  }
}

describe(`centre accounts in a real browser (${DB})`, function () {
  let running: RunningTestPortal;
  let clock: ManualClock;
  let browser: Browser;
  let eo: CentrePerson;
  let eoContext: BrowserContext;
  let asEo: Walk;
  let userContext: BrowserContext;
  let asUser: Walk;

  before(async () => {
    clock = createManualClock(Date.now());
    running = await startRpTestPortal({ clock });
    browser = await launchChromium();
    eo = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol.example.org',
    });
    await createCentre(running, CENTRE, 'Ysgol Gyfun Enghraifft', eo);
    eoContext = await newContext(browser, { width: 1280 });
    asEo = new Walk(await eoContext.newPage());
  });
  after(async () => {
    await eoContext?.close();
    await userContext?.close();
    await browser?.close();
    await running?.stop();
  });

  /** Signs in at the provider's pages from the username page, with the emailed code. */
  async function signInWithEmailCode(walk: Walk, person: { email: string; password: string }) {
    const { page } = walk;
    await page.locator('#username').fill(person.email);
    await walk.click(page.locator('form button[type="submit"]').first());
    await page.locator('#password').fill(person.password);
    await walk.click(page.locator('form:has(#password) button[type="submit"]'));
    await page.locator('#code').fill(await emailedCode(running, person.email));
    await walk.click(page.locator('form:has(#code) button[type="submit"]'));
    await page.locator('input[name="stay_signed_in"][value="no"]').check();
    await walk.click(page.locator('form button[type="submit"]').first());
  }

  /** The invitee's side: from the emailed link to the Portal, setting up an authenticator app. */
  async function acceptInvitation(
    walk: Walk,
    email: string,
    heading: string,
    homeHeading: RegExp,
  ): Promise<void> {
    const { page } = walk;
    const { url } = await invitationLink(running, email);
    await page.goto(url);
    await walk.arrive(heading, 'invitation');
    expect(await walk.mainText()).to.contain(email);
    await page.locator('#new_password').fill(NEW_PASSWORD);
    await page.locator('#confirm_password').fill(NEW_PASSWORD);
    await walk.click(page.locator('#accept'));
    // The provider's sign-in: username (the email), the new password, then MFA set-up.
    expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);
    await page.locator('#username').fill(email);
    await walk.click(page.locator('form button[type="submit"]').first());
    await page.locator('#password').fill(NEW_PASSWORD);
    await walk.click(page.locator('form:has(#password) button[type="submit"]'));
    await page.locator('input[name="method"][value="totp"]').check();
    await walk.click(page.locator('form:has(input[name="method"]) button[type="submit"]'));
    const secret = (await page.locator('#secret').innerText()).replace(/\s+/g, '');
    const code = await generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) });
    await page.locator('#code').fill(code);
    await walk.click(page.locator('form:has(#code) button[type="submit"]'));
    await walk.click(page.locator('form button[type="submit"]').first()); // recovery codes: Continue
    await page.locator('input[name="stay_signed_in"][value="no"]').check();
    await walk.click(page.locator('form button[type="submit"]').first());
    expect(new URL(page.url()).pathname).to.equal('/portal');
    await walk.arrive(homeHeading, 'portal-home-invitee');
  }

  /** Opens a row's "Options" menu on Manage Users and follows one of its links. */
  async function rowAction(walk: Walk, name: string, action: RegExp): Promise<void> {
    const row = walk.page.getByRole('row', { name: new RegExp(name) });
    await row.locator('summary').click();
    await walk.click(row.getByRole('link', { name: action }));
  }

  it('lets the Exams Officer invite an Admin and a User from the profile menu', async () => {
    const { page } = asEo;
    await page.goto(`${running.url}/portal/sign-in?as=centre_user`);
    await signInWithEmailCode(asEo, eo);
    await asEo.arrive('Welcome, Eleri Morgan', 'portal-home');
    expect(await asEo.mainText()).to.contain('Centre 68101: Ysgol Gyfun Enghraifft');

    // Profile menu → Manage Users (a disclosure: works without JavaScript).
    await page.locator('summary', { hasText: 'Profile' }).click();
    await asEo.click(page.getByRole('link', { name: 'Manage Users' }).first());
    await asEo.arrive('Manage Users', 'manage-users');
    expect(await asEo.mainText()).to.contain('eleri@ysgol.example.org');

    // Invite User → an Admin, in Welsh.
    await asEo.click(page.getByRole('main').getByRole('link', { name: 'Invite User' }));
    await asEo.arrive('Invite User', 'invite-user');
    expect(await page.locator('input[value="a2c_keys"]').count()).to.equal(0);
    await asEo.click(page.getByRole('link', { name: 'Invite an Admin instead' }));
    await asEo.arrive('Invite User', 'invite-admin');
    expect(await page.getByRole('checkbox', { name: /A2C Keys/ }).isChecked()).to.equal(true);
    await page.getByLabel('First name').fill('Siân');
    await page.getByLabel('Last name').fill('Prys');
    await page.getByLabel('Email address').fill('sian.prys@ysgol.example.org');
    await page.getByLabel('Language preference').selectOption('cy');
    await asEo.click(page.getByRole('button', { name: 'Send invite' }));
    await asEo.arrive('Manage Users', 'manage-users');
    expect(await asEo.mainText()).to.contain('The invitation has been sent.');

    // Invite User → a User with IAMIS as well as the usual access.
    await asEo.click(page.getByRole('main').getByRole('link', { name: 'Invite User' }));
    await page.getByLabel('First name').fill('Ffion');
    await page.getByLabel('Last name').fill('Hughes');
    await page.getByLabel('Email address').fill('ffion@ysgol.example.org');
    await page.getByRole('checkbox', { name: /^IAMIS/ }).check();
    await asEo.click(page.getByRole('button', { name: 'Send invite' }));
    await asEo.arrive('Manage Users', 'manage-users');
    const row = await page.getByRole('row', { name: /Ffion Hughes/ }).innerText();
    expect(row).to.contain('User').and.contain('IAMIS').and.contain('Invitation sent');
  });

  it('lets each invitee accept from the email, set up MFA and arrive signed in at the Portal', async () => {
    const adminContext = await newContext(browser);
    const asAdmin = new Walk(await adminContext.newPage(), 'cy');
    await acceptInvitation(
      asAdmin,
      'sian.prys@ysgol.example.org',
      'Derbyn eich gwahoddiad',
      /^Croeso, Siân Prys$/,
    );
    expect(await asAdmin.mainText()).to.contain('Canolfan 68101: Ysgol Gyfun Enghraifft');
    expect(await asAdmin.mainText()).to.contain('Gweinyddwr');
    await adminContext.close();

    userContext = await newContext(browser);
    asUser = new Walk(await userContext.newPage());
    await acceptInvitation(
      asUser,
      'ffion@ysgol.example.org',
      'Accept your invitation',
      /^Welcome, Ffion Hughes$/,
    );
    const home = await asUser.mainText();
    expect(home).to.contain('Your account type: User');
    expect(home).to.contain('IAMIS');
    expect(home).to.not.contain('View Scripts');
    // A User has no centre-admin pages, and is refused them.
    await asUser.page.goto(`${running.url}${USERS}`);
    await asUser.arrive('You cannot use this page', 'forbidden');
    expect(await asUser.mainText()).to.contain('Only the Exams Officer and Admin accounts');
  });

  it("shows a change of access at the User's next page view", async () => {
    const { page } = asEo;
    await page.goto(`${running.url}${USERS}`);
    await rowAction(asEo, 'Ffion Hughes', /Manage Access/);
    await asEo.arrive('Manage Access', 'manage-access');
    expect(await asEo.mainText()).to.contain('Grants access to view candidate scripts');
    await page.getByRole('checkbox', { name: /^IAMIS/ }).uncheck();
    await page.getByRole('checkbox', { name: /^View Scripts/ }).check();
    await asEo.click(page.getByRole('button', { name: 'Confirm access permissions' }));
    await asEo.arrive('Manage Users', 'manage-users');
    expect(await asEo.mainText()).to.contain('The access has been changed');

    await asUser.page.goto(`${running.url}/portal`);
    await asUser.arrive('Welcome, Ffion Hughes', 'portal-home-invitee');
    const home = await asUser.mainText();
    expect(home).to.contain('View Scripts');
    expect(home).to.not.contain('IAMIS');
  });

  it('deletes the User, whose session then ends', async () => {
    const { page } = asEo;
    await page.goto(`${running.url}${USERS}`);
    await rowAction(asEo, 'Ffion Hughes', /Delete User/);
    await asEo.arrive('Delete User', 'delete-user');
    expect(await asEo.mainText()).to.contain(
      'Are you sure you want to delete Ffion Hughes (ffion@ysgol.example.org) from centre 68101?',
    );
    await asEo.click(page.getByRole('button', { name: 'Delete User' }));
    await asEo.arrive('Manage Users', 'manage-users');
    expect(await asEo.mainText()).to.contain('The user has been deleted');
    expect(await asEo.mainText()).to.not.contain('ffion@ysgol.example.org');

    // The deleted User's next page asks them to sign in.
    await asUser.page.goto(`${running.url}/portal`);
    await asUser.arrive('WJEC Portal', 'portal-start', false);
    expect(await asUser.mainText()).to.contain('Sign in as a centre user');
    await asUser.page.goto(`${running.url}${USERS}`);
    expect(new URL(asUser.page.url()).pathname).to.equal('/portal');
  });

  it('refuses a fourth Admin with the reason, in English and Welsh', async () => {
    const { page } = asEo;
    for (const name of ['Tomos', 'Lowri']) {
      await page.goto(`${running.url}${USERS}/invite?type=admin`);
      await page.getByLabel('First name').fill(name);
      await page.getByLabel('Last name').fill('Admin');
      await page.getByLabel('Email address').fill(`${name.toLowerCase()}@ysgol.example.org`);
      await asEo.click(page.getByRole('button', { name: 'Send invite' }));
      expect(await asEo.mainText()).to.contain('The invitation has been sent.');
    }
    await page.goto(`${running.url}${USERS}/invite?type=admin`);
    await page.getByLabel('First name').fill('Pedwerydd');
    await page.getByLabel('Last name').fill('Admin');
    await page.getByLabel('Email address').fill('pedwerydd@ysgol.example.org');
    await asEo.click(page.getByRole('button', { name: 'Send invite' }));
    await asEo.arrive('Invite User', 'invite-refused');
    const summary = await page.locator('.error-summary').innerText();
    expect(summary).to.contain('already has 3 Admin accounts');

    // The same refusal in Welsh.
    await page.goto(`${running.url}${USERS}/invite?type=admin&lang=cy`);
    asEo.lang = 'cy';
    await page.getByLabel('Enw cyntaf').fill('Pedwerydd');
    await page.getByLabel('Cyfenw').fill('Admin');
    await page.getByLabel('Cyfeiriad e-bost').fill('pedwerydd@ysgol.example.org');
    await asEo.click(page.getByRole('button', { name: 'Anfon gwahoddiad' }));
    await asEo.arrive('Gwahodd Defnyddiwr', 'invite-refused');
    expect(await page.locator('.error-summary').innerText()).to.contain(
      '3 chyfrif Gweinyddwr yn barod',
    );
  });

  it('has accessible centre pages in Welsh and English', async () => {
    const { page } = asEo;
    const visit = async (path: string, heading: string, name: string) => {
      await page.goto(`${running.url}${path}`);
      await asEo.arrive(heading, name);
    };
    const adminRow = /Siân Prys/;
    for (const lang of ['cy', 'en'] as const) {
      await page.goto(`${running.url}/portal?lang=${lang}`);
      asEo.lang = lang;
      const cy = lang === 'cy';
      await asEo.arrive(cy ? 'Croeso, Eleri Morgan' : 'Welcome, Eleri Morgan', 'portal-home');
      await visit(USERS, cy ? 'Rheoli Defnyddwyr' : 'Manage Users', 'manage-users');
      await visit(`${USERS}?search=sian`, cy ? 'Rheoli Defnyddwyr' : 'Manage Users', 'search');
      expect(await asEo.mainText()).to.contain('sian.prys@ysgol.example.org');
      expect(await asEo.mainText()).to.not.contain('tomos@ysgol.example.org');
      await visit(`${USERS}/invite`, cy ? 'Gwahodd Defnyddiwr' : 'Invite User', 'invite-user');
      await visit(
        `${USERS}/invite?type=admin`,
        cy ? 'Gwahodd Defnyddiwr' : 'Invite User',
        'invite-admin',
      );
      await page.goto(`${running.url}${USERS}`);
      await rowAction(asEo, adminRow.source, cy ? /Rheoli Mynediad/ : /Manage Access/);
      await asEo.arrive(cy ? 'Rheoli Mynediad' : 'Manage Access', 'manage-access');
      await asEo.click(
        page.getByRole('link', { name: cy ? /Newid math y cyfrif/ : /Change the account type/ }),
      );
      await asEo.arrive(cy ? 'Rheoli Mynediad' : 'Manage Access', 'manage-access-role');
      await page.goto(`${running.url}${USERS}`);
      await rowAction(asEo, adminRow.source, cy ? /Dileu Defnyddiwr/ : /Delete User/);
      await asEo.arrive(cy ? 'Dileu Defnyddiwr' : 'Delete User', 'delete-user');
      await visit('/portal/profile', cy ? 'Golygu eich proffil' : 'Edit your profile', 'profile');
      await visit('/portal/centres', cy ? 'Eich canolfannau' : 'Your centres', 'centres');
      await visit(
        '/portal/centres/68999/users',
        cy ? 'Does dim modd i chi ddefnyddio’r dudalen hon' : 'You cannot use this page',
        'forbidden',
      );
      await visit(
        '/invitation/no-such-link',
        cy
          ? 'Does dim modd defnyddio’r ddolen wahoddiad hon'
          : 'This invitation link cannot be used',
        'invitation-expired',
      );
    }
    // The invitation page in English and Welsh (the Welsh one was seen by the Admin invitee).
    await page.goto(`${running.url}${USERS}`);
    const { url } = await invitationLink(running, 'tomos@ysgol.example.org');
    const invitee = new Walk(await (await newContext(browser)).newPage(), 'en');
    await invitee.page.goto(url);
    await invitee.arrive('Accept your invitation', 'invitation');
    await invitee.page.locator('#new_password').fill('byr');
    await invitee.page.locator('#confirm_password').fill('byr');
    await invitee.click(invitee.page.locator('#accept'));
    await invitee.arrive('Accept your invitation', 'invitation-refused');
    expect(await invitee.page.locator('.error-summary li').count()).to.be.at.least(3);
    await invitee.page.context().close();
  });
});

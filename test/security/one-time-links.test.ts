import { expect } from 'chai';
import {
  DEFAULT_INVITATION_LIFETIME_MS,
  DEFAULT_PASSWORD_RESET_LIFETIME_MS,
} from '@porth/identity-core';
import {
  startClockedTestPortal,
  type ClockedTestPortal,
} from '../../packages/portal-express/test/support/provider.js';
import { insertLegacyAccount } from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  createCentre,
  createCentrePerson,
  invitationLink,
  type CentrePerson,
} from '../../packages/portal-express/test/support/centres.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { answerOn, linkIn, mailTo } from '../../packages/portal-express/test/support/recovery.js';
import { SecurityBrowser } from './support/browser.js';
import { signedInBrowser } from './support/people.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const A = '68101';
const MINUTE = 60_000;
const FIRST_CHOICE = 'Afon-Teifi-Glas-2026!';
const SECOND_CHOICE = 'Mallory-Was-Here-2026!';
const LINK_USED = 'This link has expired or been used';
const INVITATION_UNUSABLE = 'This invitation link cannot be used';

describe(`reset and invitation links are single-use and expire (${DB})`, function () {
  this.timeout(180_000);
  let running: ClockedTestPortal;
  let eo: CentrePerson;
  let people = 0;

  before(async () => {
    running = await startClockedTestPortal();
    eo = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol-a.example.org',
    });
    await createCentre(running, A, 'Ysgol Gyfun Enghraifft', eo);
  });
  after(async () => {
    await running?.stop();
  });

  /** The rows a used or expired link must leave as they were. */
  async function rows(): Promise<Record<string, unknown[]>> {
    const db = running.portal.db;
    return {
      accounts: await db('accounts').select('*').orderBy('id'),
      legacy_credentials: await db('legacy_credentials').select('*').orderBy('account_id'),
      centre_memberships: await db('centre_memberships').select('*').orderBy('id'),
      account_required_actions: await db('account_required_actions')
        .select('*')
        .orderBy(['account_id', 'action']),
      mfa_factors: await db('mfa_factors').select('*').orderBy('id'),
    };
  }

  async function signsInWith(username: string, password: string): Promise<boolean> {
    const result = await running.portal.services.authenticator.check({ username, password });
    return result.outcome === 'success';
  }

  /**
   * Sends an invitation as the Exams Officer (signed in afresh: the tests move the clock on by
   * days); returns the emailed link (with `?lang=en`).
   */
  async function invite(given: string, email: string): Promise<string> {
    const asEo = await signedInBrowser(
      running,
      { username: eo.email, email: eo.email, password: eo.password },
      '/portal/sign-in?as=centre_user',
    );
    await asEo.open(`/portal/centres/${A}/users/invite`);
    await asEo.submit(
      { given_name: given, family_name: 'Jones', email, locale: 'en', permissions: 'resources' },
      `/portal/centres/${A}/users/invite`,
    );
    expect(asEo.status, asEo.html.slice(0, 1000)).to.equal(200);
    return (await invitationLink(running, email)).url;
  }

  /** Asks for a password reset link over HTTP; returns the path of the emailed link. */
  async function resetLink(username: string, to: string, prefix: string): Promise<string> {
    running.clock.advance(1000);
    await running.portal.db('throttle_counters').delete();
    const browser = new SecurityBrowser(running.url);
    await browser.open('/forgotten-password');
    await browser.submit({ username, answer: answerOn(browser.html) }, '/forgotten-password');
    expect(new URL(browser.url).pathname).to.equal('/forgotten-password/sent');
    const [mail] = (await mailTo(running, to, 'password_reset')).slice(-1);
    return linkIn(mail, prefix);
  }

  async function newPerson(): Promise<Person> {
    people += 1;
    return createPerson(running, {
      kind: 'appointee',
      given: 'Nest',
      family: 'Parry',
      username: `nest.parry${people}@wjec-appointees.co.uk`,
      email: `nest${people}@example.org`,
    });
  }

  /** Two browsers with the link's form open, as two tabs (or a victim and an attacker) would have. */
  async function openTwice(link: string): Promise<[SecurityBrowser, SecurityBrowser]> {
    const out: SecurityBrowser[] = [];
    for (let i = 0; i < 2; i++) {
      const browser = new SecurityBrowser(running.url);
      await browser.open(link);
      expect(browser.status, `tab ${i + 1}`).to.equal(200);
      expect(browser.html).to.contain('name="new_password"');
      out.push(browser);
    }
    return out as [SecurityBrowser, SecurityBrowser];
  }

  /** Posts a new password on the form the browser has open, without following the answer. */
  async function choose(browser: SecurityBrowser, password: string): Promise<void> {
    await browser.submit({ new_password: password, confirm_password: password }, undefined, false);
  }

  describe('an invitation link', () => {
    it('is used once: a second form of the same link, opened before, is refused (410), nothing changed', async () => {
      const email = 'aled@ysgol-a.example.org';
      const link = await invite('Aled', email);
      const [first, second] = await openTwice(link);
      await choose(first, FIRST_CHOICE);
      expect(first.status).to.equal(303);
      expect(await signsInWith(email, FIRST_CHOICE)).to.equal(true);

      const before = await rows();
      await choose(second, SECOND_CHOICE);
      expect(second.status).to.equal(410);
      expect(second.location).to.equal('');
      expect(await rows()).to.deep.equal(before);
      expect(await signsInWith(email, SECOND_CHOICE)).to.equal(false);
      await second.open(link);
      expect(second.status).to.equal(410);
      expect(second.html).to.contain(INVITATION_UNUSABLE);
    });

    it('expires: a form opened while valid is refused once the lifetime has passed (410), nothing changed', async () => {
      const email = 'nia@ysgol-a.example.org';
      const link = await invite('Nia', email);
      const [browser] = await openTwice(link);
      running.clock.advance(DEFAULT_INVITATION_LIFETIME_MS + MINUTE);
      const before = await rows();
      await choose(browser, FIRST_CHOICE);
      expect(browser.status).to.equal(410);
      expect(browser.location).to.equal('');
      expect(await rows()).to.deep.equal(before);
      expect(await signsInWith(email, FIRST_CHOICE)).to.equal(false);
      await browser.open(link);
      expect(browser.status).to.equal(410);
      expect(browser.html).to.contain(INVITATION_UNUSABLE);
    });

    it('still works a minute before the end of its lifetime (the control)', async () => {
      const email = 'rhys@ysgol-a.example.org';
      const link = await invite('Rhys', email);
      running.clock.advance(DEFAULT_INVITATION_LIFETIME_MS - MINUTE);
      const [browser] = await openTwice(link);
      await choose(browser, FIRST_CHOICE);
      expect(browser.status).to.equal(303);
      expect(await signsInWith(email, FIRST_CHOICE)).to.equal(true);
    });
  });

  describe('a password reset link', () => {
    it('is used once: a second form of the same link, opened before, is refused (410), the first choice kept', async () => {
      const person = await newPerson();
      const link = await resetLink(person.username, person.email, '/forgotten-password/reset/');
      const [first, second] = await openTwice(link);
      await choose(first, FIRST_CHOICE);
      expect(first.status).to.be.oneOf([200, 303]);
      expect(await signsInWith(person.username, FIRST_CHOICE)).to.equal(true);
      const before = await rows();
      await choose(second, SECOND_CHOICE);
      expect(second.status).to.equal(410);
      expect(second.html).to.contain(LINK_USED);
      expect(await rows()).to.deep.equal(before);
      expect(await signsInWith(person.username, SECOND_CHOICE)).to.equal(false);
    });

    it('expires: a form opened while valid is refused once the lifetime has passed (410), the password unchanged', async () => {
      const person = await newPerson();
      const link = await resetLink(person.username, person.email, '/forgotten-password/reset/');
      const [browser] = await openTwice(link);
      running.clock.advance(DEFAULT_PASSWORD_RESET_LIFETIME_MS + MINUTE);
      const before = await rows();
      await choose(browser, FIRST_CHOICE);
      expect(browser.status).to.equal(410);
      expect(browser.html).to.contain(LINK_USED);
      expect(await rows()).to.deep.equal(before);
      expect(await signsInWith(person.username, person.password)).to.equal(true);
      expect(await signsInWith(person.username, FIRST_CHOICE)).to.equal(false);
      await browser.open(link);
      expect(browser.status).to.equal(410);
    });

    it('still works a minute before the end of its lifetime (the control)', async () => {
      const person = await newPerson();
      const link = await resetLink(person.username, person.email, '/forgotten-password/reset/');
      running.clock.advance(DEFAULT_PASSWORD_RESET_LIFETIME_MS - MINUTE);
      const [browser] = await openTwice(link);
      await choose(browser, FIRST_CHOICE);
      expect(browser.status).to.be.oneOf([200, 303]);
      expect(await signsInWith(person.username, FIRST_CHOICE)).to.equal(true);
    });

    it("of a legacy account is used once and expires too, the account's original password unchanged", async () => {
      for (const [n, used] of [
        [1, true],
        [2, false],
      ] as const) {
        const legacyUsername = `gwen.evans${n}`;
        const email = `gwen${n}@example.org`;
        await insertLegacyAccount(running, {
          legacyUsername,
          password: 'Hen-Gyfrinair-AMP-1!',
          givenName: 'Gwen',
          familyName: 'Evans',
          email,
        });
        const link = await resetLink(legacyUsername, email, '/forgotten-password/legacy/');
        const [first, second] = await openTwice(link);
        if (used) {
          await choose(first, FIRST_CHOICE);
          expect(first.status, 'the first use').to.be.oneOf([200, 303]);
        } else {
          running.clock.advance(DEFAULT_PASSWORD_RESET_LIFETIME_MS + MINUTE);
        }
        const before = await rows();
        await choose(second, SECOND_CHOICE);
        expect(second.status, used ? 'used' : 'expired').to.equal(410);
        expect(second.html).to.contain(LINK_USED);
        expect(await rows(), used ? 'used' : 'expired').to.deep.equal(before);
      }
    });
  });
});

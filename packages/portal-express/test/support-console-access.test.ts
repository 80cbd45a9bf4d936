import { expect } from 'chai';
import { KnexAccountRepository } from '@porth/identity-core';
import type { RunningTestPortal } from './support/server.js';
import { Browser, startRpTestPortal } from './support/rp.js';
import { insertLegacyAccount, pageText } from './support/sign-in-setup.js';
import {
  addEmailFactor,
  createPerson,
  csrfTokenOf,
  refusalsOf,
  signInToPortal,
  snapshot,
  type Person,
} from './support/support-console.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const ACTIONS = ['reset-mfa', 'unlock', 'resend-password', 'disable', 'enable'] as const;

/** Every support page (GET) and action (POST), against accounts where each action would apply. */
function endpoints(targets: { migrated: string; disabled: string }) {
  const pages = [
    '/portal/support',
    '/portal/support?q=sian.jones',
    `/portal/support/accounts/${targets.migrated}`,
    ...ACTIONS.map(
      (a) =>
        `/portal/support/accounts/${a === 'enable' ? targets.disabled : targets.migrated}/${a}`,
    ),
  ];
  const actions = ACTIONS.map(
    (a) => `/portal/support/accounts/${a === 'enable' ? targets.disabled : targets.migrated}/${a}`,
  );
  return { pages, actions };
}

describe(`support console: staff only (${DB})`, function () {
  this.timeout(120_000);
  let running: RunningTestPortal;
  let targets: { migrated: string; disabled: string };
  let staffBrowser: Browser;
  const outsiders: { label: string; person: Person; browser: Browser; csrf: string }[] = [];

  before(async () => {
    running = await startRpTestPortal({ env: { LOCKOUT_THRESHOLD: '3' } });
    const { db, clock, random, migration, throttle } = running.portal.services;
    const accounts = new KnexAccountRepository(db, clock, random);

    // A migrated account (temporary password unused) with a second factor, locked: reset, unlock,
    // resend and disable apply.
    const sian = await insertLegacyAccount(running, {
      legacyUsername: 'sian.jones',
      password: 'Hen-Gyfrinair-1',
      givenName: 'Siân',
      familyName: 'Jones',
      email: 'sian.jones@example.org',
    });
    const migrated = await migration.migrate({
      legacyUsername: 'sian.jones',
      password: 'Hen-Gyfrinair-1',
    });
    if (migrated.outcome !== 'migrated') throw new Error('not migrated');
    await addEmailFactor(running, sian.id, 'sian.jones@example.org');
    for (let i = 0; i < 3; i++) {
      await throttle.failed({ accountKey: `username:${migrated.newUsername}` });
    }
    // A disabled account: enable applies.
    const gwen = await createPerson(running, {
      kind: 'appointee',
      given: 'Gwen',
      family: 'Parry',
      username: 'gwen.parry@wjec-appointees.co.uk',
      email: 'gwen@example.org',
    });
    await accounts.changeStatus(gwen.account.id, 'active', 'disabled');
    targets = { migrated: sian.id, disabled: gwen.account.id };

    const staff = await createPerson(running, {
      kind: 'staff',
      given: 'Nia',
      family: 'Thomas',
      username: 'nia.thomas@wjec.co.uk',
      email: 'nia.thomas@example.org',
    });
    staffBrowser = await signInToPortal(running, staff);

    const centreUser = await createPerson(running, {
      kind: 'centre_user',
      given: 'Eleri',
      family: 'Morgan',
      username: 'eleri@ysgol.example.org',
      email: 'eleri@ysgol.example.org',
    });
    const appointee = await createPerson(running, {
      kind: 'appointee',
      given: 'Rhys',
      family: 'Evans',
      username: 'rhys.evans@wjec-appointees.co.uk',
      email: 'rhys@example.org',
    });
    const formerStaff = await createPerson(running, {
      kind: 'staff',
      given: 'Dafydd',
      family: 'Owen',
      username: 'dafydd.owen@wjec.co.uk',
      email: 'dafydd@example.org',
    });
    for (const [label, person] of [
      ['a centre user', centreUser],
      ['an appointee', appointee],
      ['a disabled staff account', formerStaff],
    ] as const) {
      const browser = await signInToPortal(running, person);
      outsiders.push({ label, person, browser, csrf: await csrfTokenOf(browser) });
    }
    // Disabled after signing in, without ending the session: only the live check stops it.
    await accounts.changeStatus(formerStaff.account.id, 'active', 'disabled');
  });
  after(async () => {
    await running?.stop();
  });

  it('lets the staff member see every page (the targets are ones each action applies to)', async () => {
    for (const url of endpoints(targets).pages) {
      await staffBrowser.open(url);
      expect(staffBrowser.status, url).to.equal(200);
    }
  });

  for (const who of ['a centre user', 'an appointee']) {
    it(`answers 403 to ${who} on every support page and action, and changes nothing`, async () => {
      const outsider = outsiders.find((o) => o.label === who);
      if (!outsider) throw new Error(`no ${who}`);
      const { browser, person, csrf } = outsider;
      const { pages, actions } = endpoints(targets);
      const before = await snapshot(running);
      const refusedBefore = await refusalsOf(running, person.account.id);

      for (const url of pages) {
        await browser.open(url);
        expect(browser.status, `GET ${url}`).to.equal(403);
        expect(pageText(browser.html), `GET ${url}`).to.contain(
          'You cannot use the support console',
        );
        expect(browser.html, `GET ${url}`).not.to.contain('sian.jones@example.org');
      }
      for (const url of actions) {
        await browser.post(url, { _csrf: csrf, reason: 'trying' });
        expect(browser.status, `POST ${url}`).to.equal(403);
        expect(pageText(browser.html), `POST ${url}`).to.contain(
          'You cannot use the support console',
        );
      }

      expect(await snapshot(running)).to.deep.equal(before);
      expect(await refusalsOf(running, person.account.id)).to.equal(
        refusedBefore + pages.length + actions.length,
      );
    });
  }

  it('answers 403 to a disabled staff account on every support action, shows it no page, and changes nothing', async () => {
    const outsider = outsiders.find((o) => o.label === 'a disabled staff account');
    if (!outsider) throw new Error('no disabled staff account');
    const { browser, person, csrf } = outsider;
    const { pages, actions } = endpoints(targets);
    const before = await snapshot(running);
    const refusedBefore = await refusalsOf(running, person.account.id);

    // Still holding the session it had before it was disabled: the live check refuses it.
    for (const url of actions) {
      await browser.post(url, { _csrf: csrf, reason: 'trying' });
      expect(browser.status, `POST ${url}`).to.equal(403);
      expect(pageText(browser.html), `POST ${url}`).to.contain(
        'You cannot use the support console',
      );
    }
    expect(await refusalsOf(running, person.account.id)).to.equal(refusedBefore + actions.length);
    expect(await snapshot(running)).to.deep.equal(before);

    // A page: refused (403), or — where the Portal ends a disabled account's session on sight —
    // sent to sign in, where a disabled account cannot. Never the console.
    for (const url of pages) {
      await browser.open(url);
      const text = pageText(browser.html);
      expect(text, `GET ${url}`).not.to.contain('Support console');
      expect(text, `GET ${url}`).not.to.contain('sian.jones@example.org');
      if (browser.status === 403) {
        expect(text, `GET ${url}`).to.contain('You cannot use the support console');
      } else {
        expect(browser.sawSignInPage, `GET ${url}`).to.equal(true);
      }
    }
    const after = await snapshot(running);
    // Being sent to sign in touches only this person's own session state (the Portal session
    // ended, the provider's interaction records); every other row is as it was.
    const withoutSessionsOf = (snap: Record<string, unknown[]>) => ({
      ...snap,
      oidc_models: undefined,
      rp_sessions: snap.rp_sessions?.filter(
        (row) => (row as { account_id: string }).account_id !== person.account.id,
      ),
    });
    expect(withoutSessionsOf(after)).to.deep.equal(withoutSessionsOf(before));
    await browser.submit({ username: person.username });
    await browser.submit({ password: person.password });
    expect(pageText(browser.html)).to.contain('Your account has been disabled.');
  });

  it('shows the console link on the Portal home of staff only', async () => {
    await staffBrowser.open('/portal');
    expect(staffBrowser.html).to.contain('href="/portal/support"');
    for (const { label, browser } of outsiders.slice(0, 2)) {
      await browser.open('/portal');
      expect(browser.status, label).to.equal(200);
      expect(browser.html, label).not.to.contain('href="/portal/support"');
    }
  });

  it('sends a signed-out visitor to sign in, and refuses a signed-out form (403), changing nothing', async () => {
    const stranger = new Browser(running.url);
    await stranger.open(`/portal/support/accounts/${targets.migrated}`);
    expect(stranger.sawSignInPage).to.equal(true);
    const before = await snapshot(running);
    for (const url of endpoints(targets).actions) {
      await stranger.post(url, { reason: '' });
      expect(stranger.status, url).to.equal(403);
    }
    expect(await snapshot(running)).to.deep.equal(before);
  });
});

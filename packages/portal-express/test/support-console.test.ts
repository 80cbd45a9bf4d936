import { expect } from 'chai';
import {
  KnexAccountRepository,
  KnexAuditLog,
  KnexCentreRepository,
  KnexLockouts,
  type AuditEvent,
} from '@porth/identity-core';
import { MfaThrottle } from '@porth/mfa';
import type { RunningTestPortal } from './support/server.js';
import { Browser, startRpTestPortal } from './support/rp.js';
import { insertLegacyAccount, mailsTo, pageText } from './support/sign-in-setup.js';
import {
  completeSignIn,
  createPerson,
  signInToPortal,
  type Person,
} from './support/support-console.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** The text of the page's error summary ('' when there is none). */
function problemOn(html: string): string {
  return pageText(/<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The page's text without tags, spaces collapsed. */
function textOf(html: string): string {
  return pageText(html.replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

describe(`support console: finding and fixing accounts (${DB})`, function () {
  this.timeout(120_000);
  let running: RunningTestPortal;
  let staff: Person;
  let desk: Browser;
  let people = 0;

  before(async () => {
    running = await startRpTestPortal({ env: { LOCKOUT_THRESHOLD: '3' } });
    staff = await createPerson(running, {
      kind: 'staff',
      given: 'Nia',
      family: 'Thomas',
      username: 'nia.thomas@wjec.co.uk',
      email: 'nia.thomas@example.org',
    });
    // Straight to the console: it sends the browser to sign in, then back.
    desk = new Browser(running.url);
    await desk.open('/portal/support');
    expect(desk.sawSignInPage).to.equal(true);
    await completeSignIn(running, desk, staff);
    expect(new URL(desk.url).pathname).to.equal('/portal/support');
  });
  after(async () => {
    await running?.stop();
  });

  /** A new appointee with a password and an email-code factor. */
  async function appointee(locale: 'en' | 'cy' = 'en'): Promise<Person> {
    people += 1;
    return createPerson(running, {
      kind: 'appointee',
      given: `Aled${people}`,
      family: 'Roberts',
      username: `aled${people}.roberts@wjec-appointees.co.uk`,
      email: `aled${people}@example.org`,
      locale,
    });
  }

  /** A legacy account migrated through the migration flow; its temporary password is unused. */
  async function migrated(locale: 'en' | 'cy' = 'en') {
    people += 1;
    const legacyUsername = `sian${people}.jones`;
    const email = `sian${people}@example.org`;
    const account = await insertLegacyAccount(running, {
      legacyUsername,
      password: 'Hen-Gyfrinair-1',
      givenName: 'Siân',
      familyName: `Jones${people}`,
      email,
      phone: '07700 900123',
      teachingCentre: 'Ysgol Gyfun Aberystwyth',
      locale,
    });
    const result = await running.portal.services.migration.migrate({
      legacyUsername,
      password: 'Hen-Gyfrinair-1',
    });
    if (result.outcome !== 'migrated') throw new Error(`not migrated: ${result.outcome}`);
    const [mail] = await mailsTo(running, email, 'migration_temporary_password');
    const temporaryPassword = /temporary password: (\S+)/i.exec(mail?.text ?? '')?.[1] ?? '';
    return { account, legacyUsername, email, newUsername: result.newUsername, temporaryPassword };
  }

  /** Opens an action's confirmation page and confirms it, with a note. */
  async function confirm(accountId: string, action: string, reason = '') {
    await desk.open(`/portal/support/accounts/${accountId}/${action}`);
    expect(desk.status, `the ${action} confirmation page`).to.equal(200);
    await desk.submit({ reason }, `/portal/support/accounts/${accountId}/${action}`);
  }

  async function eventsOf(accountId: string, type: string): Promise<AuditEvent[]> {
    return new KnexAuditLog(running.portal.db, running.portal.services.clock).list({
      accountId,
      type,
    });
  }

  async function passwordCheck(username: string, password: string) {
    return (await running.portal.services.authenticator.check({ username, password })).outcome;
  }

  async function portalSessions(accountId: string): Promise<number> {
    const row = (await running.portal
      .db('rp_sessions')
      .where({ account_id: accountId })
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  async function providerSessions(accountId: string): Promise<number> {
    const row = (await running.portal
      .db('oidc_models')
      .where({ account_id: accountId, model: 'Session' })
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  describe('finding an account', () => {
    it('links the console from a staff member’s Portal home', async () => {
      await desk.open('/portal');
      expect(desk.html).to.contain('href="/portal/support"');
      expect(desk.html).to.contain('Support console');
    });

    it('finds an account by new username, legacy username and email, however they are typed', async () => {
      const sian = await migrated();
      for (const q of [
        sian.newUsername.toUpperCase(),
        `  ${sian.legacyUsername.toUpperCase()} `,
        ` ${sian.email.replace('sian', 'SIAN')}`,
      ]) {
        await desk.open(`/portal/support?q=${encodeURIComponent(q)}`);
        expect(desk.status, q).to.equal(200);
        expect(desk.html, q).to.contain(`href="/portal/support/accounts/${sian.account.id}"`);
      }
      expect(textOf(desk.html)).to.contain('Found by email address');
      await desk.open(`/portal/support?q=${encodeURIComponent(sian.legacyUsername)}`);
      expect(textOf(desk.html)).to.contain('Found by legacy username');
      expect(textOf(desk.html)).to.contain(`Legacy: ${sian.legacyUsername}`);
      expect(textOf(desk.html)).to.contain('Migrated');
    });

    it('lists every account that shares an email address', async () => {
      const { db, clock, random } = running.portal.services;
      const accounts = new KnexAccountRepository(db, clock, random);
      const first = await accounts.createActive({
        kind: 'appointee',
        username: 'rhys.evans@wjec-appointees.co.uk',
        email: 'teulu.evans@example.org',
        givenName: 'Rhys',
        familyName: 'Evans',
      });
      const second = await accounts.createActive({
        kind: 'centre_user',
        username: 'rhian.evans@ysgol.example.org',
        email: 'Teulu.Evans@example.org',
        givenName: 'Rhian',
        familyName: 'Evans',
      });
      await desk.open('/portal/support?q=teulu.evans%40EXAMPLE.org');
      expect(desk.html).to.contain(`/portal/support/accounts/${first.id}"`);
      expect(desk.html).to.contain(`/portal/support/accounts/${second.id}"`);
      expect(textOf(desk.html)).to.contain('Accounts found for “teulu.evans@EXAMPLE.org”: 2');
    });

    it('says clearly when no account is found, and asks for something to search for', async () => {
      await desk.open('/portal/support?q=nobody.here%40example.org');
      expect(desk.status).to.equal(200);
      expect(textOf(desk.html)).to.contain('No account found');
      expect(textOf(desk.html)).to.contain('“nobody.here@example.org”');

      await desk.open('/portal/support?q=+++');
      expect(desk.status).to.equal(400);
      expect(problemOn(desk.html)).to.contain('Enter a username or an email address');
      await desk.open(`/portal/support?q=${'a'.repeat(400)}`);
      expect(desk.status).to.equal(400);
      expect(problemOn(desk.html)).to.contain('Enter no more than 320 characters');
    });

    it('answers 404 for an account that does not exist, and for an address that is not an account', async () => {
      await desk.open(`/portal/support/accounts/${'0'.repeat(32)}`);
      expect(desk.status).to.equal(404);
      expect(textOf(desk.html)).to.contain('No account found');
      await desk.open('/portal/support/accounts/not-an-id/unlock');
      expect(desk.status).to.equal(404);
      await desk.open(`/portal/support/accounts/${staff.account.id}/explode`);
      expect(desk.status).to.equal(404);
    });
  });

  describe('the account page', () => {
    it('shows a migrated account: names, usernames, status, migration record and required actions', async () => {
      const sian = await migrated();
      await desk.open(`/portal/support/accounts/${sian.account.id}`);
      expect(desk.status).to.equal(200);
      const text = textOf(desk.html);
      for (const expected of [
        'Account type Appointee',
        'Status Migrated',
        `Username ${sian.newUsername}`,
        `Legacy (original AMP) username ${sian.legacyUsername}`,
        'First name Siân',
        `Email address ${sian.email}`,
        'Phone number 07700 900123',
        'Teaching centre Ysgol Gyfun Aberystwyth',
        'Language English',
        'Stage Migrated; the temporary password has not been used',
        'Set up Multi-Factor Authentication (MFA)',
        'Change the temporary password',
        'No second factor is set up.',
        'Not linked to any exam centre.',
        'Migrated from the original AMP; new username and temporary password emailed',
      ]) {
        expect(text).to.contain(expected);
      }
      expect(text).to.contain('Temporary password, works until');
      // A migrated account with an unused temporary password can be sent a new one.
      expect(desk.html).to.contain(
        `href="/portal/support/accounts/${sian.account.id}/resend-password"`,
      );
      expect(desk.html).not.to.contain(`/portal/support/accounts/${sian.account.id}/enable"`);
    });

    it('shows factors, centres, lockouts and recent events newest first, raw types as they are', async () => {
      const aled = await appointee();
      const { db, clock, random } = running.portal.services;
      await new KnexCentreRepository(db, clock, random).createCentre('68101', 'Ysgol Glan Môr');
      await new KnexCentreRepository(db, clock, random).insertMembership({
        centreNumber: '68101',
        accountId: aled.account.id,
        role: 'admin',
        permissions: ['iamis', 'resources'],
        email: aled.email,
        givenName: 'Aled',
        familyName: 'Roberts',
        locale: 'en',
        invitedBy: null,
        invitationExpiresAt: null,
      });
      const audit = new KnexAuditLog(db, clock);
      await audit.append({
        type: 'password.changed',
        outcome: 'success',
        accountId: aled.account.id,
      });
      await audit.append({
        type: 'custom.imported_note',
        outcome: 'success',
        accountId: aled.account.id,
      });
      await desk.open(`/portal/support/accounts/${aled.account.id}`);
      const text = textOf(desk.html);
      expect(text).to.contain('Status Active');
      expect(text).to.contain('Email code');
      expect(text).to.contain('a•••@example.org');
      expect(text).to.match(/Email code a•••@example\.org Yes Never/);
      expect(text).to.contain('68101 Ysgol Glan Môr Admin');
      expect(text).to.contain('IAMIS');
      expect(text).to.contain(`Username: ${aled.username} Not locked`);
      expect(text).to.contain('Second-factor codes Not locked');
      expect(desk.html).to.contain('<code>custom.imported_note</code>');
      expect(text.indexOf('custom.imported_note')).to.be.lessThan(text.indexOf('Password changed'));
      expect(desk.html).not.to.contain(`/portal/support/accounts/${aled.account.id}/unlock"`);
    });

    it('offers nothing on the staff member’s own account', async () => {
      await desk.open(`/portal/support/accounts/${staff.account.id}`);
      expect(textOf(desk.html)).to.contain('This is your own account.');
      expect(desk.html).not.to.contain(`/portal/support/accounts/${staff.account.id}/disable"`);
      await desk.open(`/portal/support/accounts/${staff.account.id}/disable`);
      expect(desk.status).to.equal(409);
      expect(problemOn(desk.html)).to.contain('You cannot change your own account here.');
    });
  });

  describe('Reset MFA', () => {
    it('removes the factors, signs the user out everywhere, emails them, and their next sign-in sets up MFA', async () => {
      const aled = await appointee();
      const asAled = await signInToPortal(running, aled);
      expect(await portalSessions(aled.account.id)).to.equal(1);
      expect(await providerSessions(aled.account.id)).to.equal(1);

      await desk.open(`/portal/support/accounts/${aled.account.id}/reset-mfa`);
      const page = textOf(desk.html);
      expect(page).to.contain(`Reset MFA for Aled${people} Roberts?`);
      expect(page).to.contain(`The user is told by email, at ${aled.email}, in their language.`);
      await desk.submit(
        { reason: 'Phoned: new phone, checked date of birth' },
        `/portal/support/accounts/${aled.account.id}/reset-mfa`,
      );
      expect(desk.status).to.equal(200);
      expect(new URL(desk.url).search).to.equal('?done=reset-mfa');
      expect(textOf(desk.html)).to.contain('MFA has been reset.');

      expect(await running.portal.services.mfa.listFactors(aled.account.id)).to.deep.equal([]);
      const { db, clock, random } = running.portal.services;
      expect(
        await new KnexAccountRepository(db, clock, random).listRequiredActions(aled.account.id),
      ).to.deep.equal(['configure_mfa']);
      const [reset] = await eventsOf(aled.account.id, 'mfa.reset');
      expect(reset).to.deep.include({ actorId: staff.account.id, outcome: 'success' });
      expect(reset?.details).to.include({ reason: 'Phoned: new phone, checked date of birth' });
      const [ended] = await eventsOf(aled.account.id, 'account.sessions_ended');
      expect(ended?.actorId).to.equal(staff.account.id);
      expect(ended?.details).to.include({ reason: 'mfa_reset' });
      const [mail] = await mailsTo(running, aled.email, 'mfa_reset');
      expect(mail?.subject).to.equal('Your multi-factor authentication (MFA) has been reset');

      // The user's sessions have ended: the Portal asks them to sign in again.
      expect(await portalSessions(aled.account.id)).to.equal(0);
      expect(await providerSessions(aled.account.id)).to.equal(0);
      await asAled.open('/portal');
      expect(textOf(asAled.html)).to.contain('Sign in as an Appointee');

      // Their next sign-in goes to setting up MFA, with no second-factor question first.
      const again = new Browser(running.url);
      await again.open('/portal/sign-in?as=appointee');
      await again.submit({ username: aled.username });
      await again.submit({ password: aled.password });
      expect(textOf(again.html)).to.contain('Configure multi-factor authentication (MFA)');

      // The account page now records it, by the staff member, with the note.
      await desk.open(`/portal/support/accounts/${aled.account.id}`);
      const text = textOf(desk.html);
      expect(text).to.contain('MFA reset by the support team');
      expect(text).to.contain('Note: Phoned: new phone, checked date of birth');
      expect(text).to.contain('Nia Thomas (nia.thomas@wjec.co.uk)');

      // A second reset would change nothing: it is not offered, and refused with the reason.
      expect(desk.html).not.to.contain(`/portal/support/accounts/${aled.account.id}/reset-mfa"`);
      await desk.open(`/portal/support/accounts/${aled.account.id}/reset-mfa`);
      expect(desk.status).to.equal(409);
      expect(problemOn(desk.html)).to.contain(
        'This account has no second factor or recovery code left, and will set one up at its next sign-in.',
      );
      expect(await eventsOf(aled.account.id, 'mfa.reset')).to.have.length(1);
      expect(await mailsTo(running, aled.email, 'mfa_reset')).to.have.length(1);
    });
  });

  describe('Unlock', () => {
    it('lifts the lockouts of the username, the legacy username and second-factor codes; the user can sign in', async () => {
      const sian = await migrated();
      const { throttle } = running.portal.services;
      for (let i = 0; i < 3; i++) {
        await passwordCheck(sian.newUsername, 'wrong-password');
        await running.portal.services.migration.migrate({
          legacyUsername: sian.legacyUsername,
          password: 'wrong-password',
        });
      }
      const mfaThrottle = new MfaThrottle(
        running.portal.services.rateLimiter,
        new KnexLockouts(running.portal.db, running.portal.services.clock),
      );
      for (let i = 0; i < 100; i++) await mfaThrottle.recordFailure(sian.account.id);
      expect(await passwordCheck(sian.newUsername, sian.temporaryPassword)).to.equal('throttled');
      expect(
        (await throttle.check({ accountKey: `username:${sian.legacyUsername}` })).allowed,
      ).to.equal(false);

      await desk.open(`/portal/support/accounts/${sian.account.id}`);
      const before = textOf(desk.html);
      expect(before).to.match(
        new RegExp(`Username: ${sian.newUsername} Locked until .+ \\(UK time\\)`),
      );
      expect(before).to.contain(`Legacy username: ${sian.legacyUsername} Locked until`);
      expect(before).to.contain('Second-factor codes Locked until someone unlocks it');

      await confirm(sian.account.id, 'unlock');
      expect(textOf(desk.html)).to.contain('The account has been unlocked.');
      expect(textOf(desk.html)).to.contain('Second-factor codes Not locked');
      expect(await mfaThrottle.isLocked(sian.account.id)).to.equal(false);
      expect(await passwordCheck(sian.newUsername, sian.temporaryPassword)).to.equal('success');
      expect(
        (await throttle.check({ accountKey: `username:${sian.legacyUsername}` })).allowed,
      ).to.equal(true);

      const [event] = await eventsOf(sian.account.id, 'account.unlocked');
      expect(event).to.deep.include({ actorId: staff.account.id });
      expect(event?.details).to.deep.include({
        usernames: ['new', 'legacy'],
        mfaLockLifted: true,
        emailed: true,
      });
      const [mail] = await mailsTo(running, sian.email, 'support_change');
      expect(mail?.subject).to.equal('Your account has been unlocked');
    });

    it('refuses when nothing is locked, and changes nothing', async () => {
      const aled = await appointee();
      await desk.open(`/portal/support/accounts/${aled.account.id}/unlock`);
      expect(desk.status).to.equal(409);
      expect(problemOn(desk.html)).to.contain('Nothing is locked on this account.');
      expect(await eventsOf(aled.account.id, 'account.unlocked')).to.deep.equal([]);
    });
  });

  describe('Resend the temporary password', () => {
    it('emails a new temporary password; the old one stops working and the new one signs in', async () => {
      const sian = await migrated();
      await confirm(sian.account.id, 'resend-password', 'Email went to spam and was deleted');
      expect(textOf(desk.html)).to.contain('A new temporary password has been emailed');
      const mails = await mailsTo(running, sian.email, 'migration_temporary_password');
      expect(mails).to.have.length(2);
      const fresh = /temporary password: (\S+)/i.exec(mails[0]?.text ?? '')?.[1] ?? '';
      expect(fresh).not.to.equal(sian.temporaryPassword);
      expect(await passwordCheck(sian.newUsername, sian.temporaryPassword)).to.equal('invalid');
      expect(await passwordCheck(sian.newUsername, fresh)).to.equal('success');
      const [event] = await eventsOf(sian.account.id, 'migration.temporary_password_resent');
      expect(event).to.deep.include({ actorId: staff.account.id, outcome: 'success' });
      expect(JSON.stringify(event)).not.to.contain(fresh);
    });

    it('is not offered once the temporary password has been used', async () => {
      const sian = await migrated();
      const browser = new Browser(running.url);
      await browser.open('/portal/sign-in?as=appointee');
      await browser.submit({ username: sian.newUsername });
      await browser.submit({ password: sian.temporaryPassword });
      expect(textOf(browser.html)).to.contain('Configure multi-factor authentication (MFA)');
      await running.portal.services.migration.recordSignIn(sian.account.id);

      await desk.open(`/portal/support/accounts/${sian.account.id}`);
      expect(desk.html).not.to.contain('/resend-password"');
      await desk.open(`/portal/support/accounts/${sian.account.id}/resend-password`);
      expect(desk.status).to.equal(409);
      expect(problemOn(desk.html)).to.contain('A temporary password can only be sent');
    });
  });

  describe('Disable and Enable', () => {
    it('disabling ends the user’s sessions at once and sign-in says the account is disabled; enabling lets them back', async () => {
      const aled = await appointee();
      const asAled = await signInToPortal(running, aled);
      expect(await portalSessions(aled.account.id)).to.equal(1);

      await confirm(aled.account.id, 'disable', 'Left the panel');
      expect(textOf(desk.html)).to.contain('The account has been disabled');
      expect(textOf(desk.html)).to.contain('Status Disabled');
      expect(await portalSessions(aled.account.id)).to.equal(0);
      expect(await providerSessions(aled.account.id)).to.equal(0);
      await asAled.open('/portal');
      expect(textOf(asAled.html)).to.contain('Sign in as an Appointee');

      const retry = new Browser(running.url);
      await retry.open('/portal/sign-in?as=appointee');
      await retry.submit({ username: aled.username });
      await retry.submit({ password: aled.password });
      expect(retry.status).to.equal(403);
      expect(problemOn(retry.html)).to.contain('Your account has been disabled.');

      const [changed] = await eventsOf(aled.account.id, 'account.status_changed');
      expect(changed).to.deep.include({ actorId: staff.account.id });
      expect(changed?.details).to.deep.equal({
        from: 'active',
        to: 'disabled',
        reason: 'Left the panel',
      });
      const [ended] = await eventsOf(aled.account.id, 'account.sessions_ended');
      expect(ended?.details).to.include({ reason: 'disabled' });
      const [disabledMail] = await mailsTo(running, aled.email, 'support_change');
      expect(disabledMail?.subject).to.equal('Your account has been disabled');

      // Disabling again is refused: the page says why and nothing changes.
      await desk.open(`/portal/support/accounts/${aled.account.id}/disable`);
      expect(desk.status).to.equal(409);
      expect(problemOn(desk.html)).to.contain('Only an active account can be disabled.');

      await confirm(aled.account.id, 'enable');
      expect(textOf(desk.html)).to.contain('The account has been enabled.');
      const [enabledMail] = await mailsTo(running, aled.email, 'support_change');
      expect(enabledMail?.subject).to.equal('Your account has been enabled again');
      // (A second emailed code within a minute would be refused, so the password check stands in.)
      expect(await passwordCheck(aled.username, aled.password)).to.equal('success');
    });

    it('refuses a status that changed while the page was open (409), and changes nothing more', async () => {
      const aled = await appointee();
      await desk.open(`/portal/support/accounts/${aled.account.id}/disable`);
      const { db, clock, random } = running.portal.services;
      await new KnexAccountRepository(db, clock, random).changeStatus(
        aled.account.id,
        'active',
        'disabled',
      );
      await desk.submit({ reason: '' }, `/portal/support/accounts/${aled.account.id}/disable`);
      expect(desk.status).to.equal(409);
      expect(await mailsTo(running, aled.email, 'support_change')).to.deep.equal([]);
      expect(await eventsOf(aled.account.id, 'account.status_changed')).to.deep.equal([]);
    });
  });

  describe('forms', () => {
    it('refuses a note longer than 500 characters, keeping what was typed', async () => {
      const aled = await appointee();
      await desk.open(`/portal/support/accounts/${aled.account.id}/disable`);
      await desk.submit(
        { reason: 'x'.repeat(501) },
        `/portal/support/accounts/${aled.account.id}/disable`,
      );
      expect(desk.status).to.equal(400);
      expect(problemOn(desk.html)).to.contain('Write no more than 500 characters');
      expect(desk.html).to.contain('x'.repeat(501));
      const account = await new KnexAccountRepository(
        running.portal.db,
        running.portal.services.clock,
        running.portal.services.random,
      ).findById(aled.account.id);
      expect(account?.status).to.equal('active');
    });

    it('refuses a form without its CSRF token (403), and changes nothing', async () => {
      const aled = await appointee();
      await desk.post(`/portal/support/accounts/${aled.account.id}/disable`, { reason: '' });
      expect(desk.status).to.equal(403);
      const account = await new KnexAccountRepository(
        running.portal.db,
        running.portal.services.clock,
        running.portal.services.random,
      ).findById(aled.account.id);
      expect(account?.status).to.equal('active');
      expect(await eventsOf(aled.account.id, 'account.status_changed')).to.deep.equal([]);
    });
  });

  describe('in Welsh', () => {
    it('speaks Welsh on every console page, and emails a Welsh-speaking user in Welsh', async () => {
      const ffion = await appointee('cy');
      await desk.open('/portal/support?lang=cy');
      expect(desk.html).to.contain('<html lang="cy">');
      expect(textOf(desk.html)).to.contain('Consol cymorth');
      await desk.open(`/portal/support?q=${encodeURIComponent(ffion.username)}`);
      expect(textOf(desk.html)).to.contain("Wedi'i ganfod drwy enw defnyddiwr");
      await desk.open('/portal/support?q=neb%40example.org');
      expect(textOf(desk.html)).to.contain("Dim cyfrif wedi'i ganfod");
      await desk.open(`/portal/support/accounts/${ffion.account.id}`);
      const text = textOf(desk.html);
      expect(text).to.contain('Manylion y cyfrif');
      expect(text).to.contain('Iaith Cymraeg');
      expect(text).to.contain('Gweithredol');
      await desk.open(`/portal/support/accounts/${ffion.account.id}/disable`);
      expect(textOf(desk.html)).to.contain('Analluogi cyfrif');
      await desk.submit({ reason: '' }, `/portal/support/accounts/${ffion.account.id}/disable`);
      expect(textOf(desk.html)).to.contain("Mae'r cyfrif wedi cael ei analluogi");
      const [mail] = await mailsTo(running, ffion.email, 'support_change');
      expect(mail?.subject).to.equal('Mae eich cyfrif wedi cael ei analluogi');
      await desk.open('/portal/support?lang=en');
    });
  });
});

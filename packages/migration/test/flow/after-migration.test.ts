import { expect } from 'chai';
import { KnexAuditLog, createManualClock, type ManualClock } from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import {
  DATABASE_LABEL,
  clearTables,
  createMigrationTestDatabase,
  migrationKit,
  outboxMessages,
  resetTokenIn,
  seedLegacy,
  temporaryPasswordIn,
  vector,
  type MigrationKit,
} from '../support/migration-test-kit.js';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const md5 = vector('md5-crypt');
const NEW_USERNAME = 'sian.jones@wjec-appointees.co.uk';
const context = { ip: '198.51.100.4', userAgent: 'mocha' };

describe(`MigrationFlow: after the migration page (${DATABASE_LABEL})`, () => {
  let t: TestDatabase;
  let clock: ManualClock;
  let kit: MigrationKit;

  before(async () => {
    t = await createMigrationTestDatabase();
  });
  after(async () => {
    await t?.destroy();
  });
  beforeEach(async () => {
    await clearTables(t.db);
    clock = createManualClock(Date.UTC(2026, 10, 24, 9));
    kit = migrationKit(t.db, clock);
  });

  async function legacy(overrides: object = {}) {
    return seedLegacy(t.db, clock, {
      legacyUsername: 'sian.jones',
      passwordHash: md5.hash,
      ...overrides,
    });
  }

  async function migrated(overrides: object = {}) {
    const account = await legacy(overrides);
    const result = await kit.flow.migrate({
      legacyUsername: 'sian.jones',
      password: md5.password,
      ...context,
    });
    if (result.outcome !== 'migrated') throw new Error(`not migrated: ${result.outcome}`);
    return { accountId: account.id, resendToken: result.resendToken ?? '' };
  }

  async function temporaryPasswords(): Promise<string[]> {
    return (await outboxMessages(kit.outbox))
      .filter((m) => m.template === 'migration_temporary_password')
      .map((m) => temporaryPasswordIn(m.content?.text ?? ''));
  }

  async function signIn(password: string) {
    return (await kit.authenticator.check({ username: NEW_USERNAME, password })).outcome;
  }

  describe('resending the temporary password', () => {
    it('emails a new temporary password and voids the old one', async () => {
      const { accountId, resendToken } = await migrated();
      clock.advance(1000);
      const result = await kit.flow.resendTemporaryPassword({ resendToken, ...context });
      expect(result).to.deep.include({ outcome: 'sent', emailedTo: 's***@example.org' });
      const [first, second] = await temporaryPasswords();
      expect(second).to.be.a('string').and.not.equal(first);
      expect(await signIn(first ?? '')).to.equal('invalid');
      expect(await signIn(second ?? '')).to.equal('success');
      expect(await kit.records.find(accountId)).to.include({
        state: 'migrated',
        temporaryPasswordResends: 1,
      });
      const events = await new KnexAuditLog(t.db, clock).list({
        type: 'migration.temporary_password_resent',
      });
      expect(events.map((e) => e.outcome)).to.deep.equal(['success']);
    });

    it('accepts each resend token once', async () => {
      const { resendToken } = await migrated();
      expect((await kit.flow.resendTemporaryPassword({ resendToken })).outcome).to.equal('sent');
      expect(await kit.flow.resendTemporaryPassword({ resendToken })).to.deep.equal({
        outcome: 'invalid',
      });
      expect(await kit.flow.resendTemporaryPassword({ resendToken: 'x'.repeat(43) })).to.deep.equal(
        {
          outcome: 'invalid',
        },
      );
    });

    it('offers a resend when the legacy password shows the username again', async () => {
      await migrated();
      const again = await kit.flow.migrate({
        legacyUsername: 'sian.jones',
        password: md5.password,
      });
      expect(again.outcome).to.equal('already_migrated');
      const token = again.outcome === 'already_migrated' ? again.resendToken : null;
      expect(token).to.be.a('string');
      expect(
        (await kit.flow.resendTemporaryPassword({ resendToken: token ?? '' })).outcome,
      ).to.equal('sent');
    });

    it('gives a new temporary password after the old one expired', async () => {
      const { resendToken } = await migrated();
      clock.advance(20 * DAY);
      const again = await kit.flow.migrate({
        legacyUsername: 'sian.jones',
        password: md5.password,
      });
      const token = again.outcome === 'already_migrated' ? again.resendToken : null;
      expect(token).to.be.a('string');
      // The first resend token has expired by now (30 minutes).
      expect((await kit.flow.resendTemporaryPassword({ resendToken })).outcome).to.equal('invalid');
      const result = await kit.flow.resendTemporaryPassword({ resendToken: token ?? '' });
      expect(result.outcome === 'sent' && result.temporaryPasswordExpiresAt.getTime()).to.equal(
        clock.now().getTime() + 14 * DAY,
      );
      expect(await signIn((await temporaryPasswords())[1] ?? '')).to.equal('success');
    });

    it('limits resends per account', async () => {
      let { resendToken } = await migrated();
      for (let i = 0; i < 3; i++) {
        clock.advance(1000);
        const sent = await kit.flow.resendTemporaryPassword({ resendToken });
        if (sent.outcome !== 'sent') throw new Error(sent.outcome);
        resendToken = sent.resendToken;
      }
      const limited = await kit.flow.resendTemporaryPassword({ resendToken });
      expect(limited.outcome).to.equal('rate_limited');
      expect(await temporaryPasswords()).to.have.length(4);
      clock.advance(DAY);
      const again = await kit.flow.migrate({
        legacyUsername: 'sian.jones',
        password: md5.password,
      });
      const fresh = again.outcome === 'already_migrated' ? again.resendToken : null;
      expect(
        (await kit.flow.resendTemporaryPassword({ resendToken: fresh ?? '' })).outcome,
      ).to.equal('sent');
    });

    it('stops offering a resend once the temporary password has been used', async () => {
      const { accountId, resendToken } = await migrated();
      expect(await kit.flow.recordSignIn(accountId, context)).to.equal('required_actions');
      expect(await kit.flow.resendTemporaryPassword({ resendToken })).to.deep.equal({
        outcome: 'not_available',
      });
      const again = await kit.flow.migrate({
        legacyUsername: 'sian.jones',
        password: md5.password,
      });
      expect(again).to.include({ outcome: 'already_migrated', resendToken: null });
    });
  });

  describe('forgotten original password', () => {
    async function requestLink(legacyUsername = 'sian.jones') {
      await kit.flow.requestLegacyPasswordReset({ legacyUsername, ...context });
      const mails = (await outboxMessages(kit.outbox)).filter(
        (m) => m.template === 'password_reset',
      );
      return mails.map((m) => ({ to: m.recipient, token: resetTokenIn(m.content?.text ?? '') }));
    }

    it('emails a single-use link to the legacy email address', async () => {
      const account = await legacy();
      const links = await requestLink(' SIAN.jones ');
      expect(links).to.have.length(1);
      expect(links[0]?.to).to.equal('sian.jones@example.org');
      expect(await kit.flow.checkLegacyPasswordResetToken(links[0]?.token ?? '')).to.deep.equal({
        legacyUsername: 'sian.jones',
      });
      const [event] = await new KnexAuditLog(t.db, clock).list({ accountId: account.id });
      expect(event).to.include({
        type: 'migration.legacy_password_reset_requested',
        outcome: 'success',
      });
    });

    it('answers the same for an unknown username, a migrated account and one without email', async () => {
      await legacy({ legacyUsername: 'no.email', email: null });
      const answers = await Promise.all([
        kit.flow.requestLegacyPasswordReset({ legacyUsername: 'nobody.here', ...context }),
        kit.flow.requestLegacyPasswordReset({ legacyUsername: 'no.email', ...context }),
        kit.flow.requestLegacyPasswordReset({ legacyUsername: '', ...context }),
      ]);
      expect(answers).to.deep.equal([undefined, undefined, undefined]);
      await migrated();
      expect(await kit.flow.requestLegacyPasswordReset({ legacyUsername: 'sian.jones' })).to.equal(
        undefined,
      );
      expect(await outboxMessages(kit.outbox)).to.have.length(1); // the temporary password only
      const refused = await new KnexAuditLog(t.db, clock).list({
        type: 'migration.legacy_password_reset_requested',
      });
      expect(refused.map((e) => e.details?.reason).sort()).to.deep.equal([
        'already_migrated',
        'no_usable_email',
        'unknown_legacy_username',
        'unknown_legacy_username',
      ]);
    });

    it('lets the user choose a new password that passes the policy, then migrate with it', async () => {
      const account = await legacy();
      const [link] = await requestLink();
      const token = link?.token ?? '';
      const weak = await kit.flow.completeLegacyPasswordReset({ token, newPassword: 'password' });
      expect(weak.outcome).to.equal('rejected');
      expect(weak.outcome === 'rejected' && weak.violations.map((v) => v.code)).to.include(
        'TOO_COMMON',
      );
      const named = await kit.flow.completeLegacyPasswordReset({
        token,
        newPassword: 'Sian.Jones#2026',
      });
      expect(named.outcome).to.equal('rejected');

      const reset = await kit.flow.completeLegacyPasswordReset({
        token,
        newPassword: 'Mynydd-Gwyn#42',
        ...context,
      });
      expect(reset).to.deep.equal({ outcome: 'reset', legacyUsername: 'sian.jones' });
      expect(await kit.accounts.getPasswordHash(account.id)).to.match(/^\$argon2id\$/);
      expect(await kit.accounts.findById(account.id)).to.include({ status: 'legacy' });
      const told = (await outboxMessages(kit.outbox)).filter(
        (m) => m.template === 'security_change',
      );
      expect(told).to.have.length(1);

      expect(
        (await kit.flow.migrate({ legacyUsername: 'sian.jones', password: md5.password })).outcome,
      ).to.equal('invalid');
      const result = await kit.flow.migrate({
        legacyUsername: 'sian.jones',
        password: 'Mynydd-Gwyn#42',
      });
      expect(result.outcome).to.equal('migrated');
    });

    it('accepts a link once only', async () => {
      await legacy();
      const [link] = await requestLink();
      const token = link?.token ?? '';
      expect(
        (await kit.flow.completeLegacyPasswordReset({ token, newPassword: 'Mynydd-Gwyn#42' }))
          .outcome,
      ).to.equal('reset');
      expect(
        await kit.flow.completeLegacyPasswordReset({ token, newPassword: 'Afon-Taf#2027' }),
      ).to.deep.equal({
        outcome: 'invalid_token',
      });
      expect(await kit.flow.checkLegacyPasswordResetToken(token)).to.equal(null);
    });

    it('lets a link work for 24 hours and no longer', async () => {
      await legacy();
      const [link] = await requestLink();
      clock.advance(24 * HOUR - 1);
      expect(await kit.flow.checkLegacyPasswordResetToken(link?.token ?? '')).to.not.equal(null);
      clock.advance(1);
      expect(
        await kit.flow.completeLegacyPasswordReset({
          token: link?.token ?? '',
          newPassword: 'Mynydd-Gwyn#42',
        }),
      ).to.deep.equal({ outcome: 'invalid_token' });
    });

    it('voids the older link when a new one is requested', async () => {
      await legacy();
      await requestLink();
      clock.advance(1000);
      const [older, newer] = await requestLink();
      expect(await kit.flow.checkLegacyPasswordResetToken(older?.token ?? '')).to.equal(null);
      expect(await kit.flow.checkLegacyPasswordResetToken(newer?.token ?? '')).to.not.equal(null);
    });

    it('limits links per legacy username', async () => {
      await legacy();
      for (let i = 0; i < 5; i++) await requestLink();
      expect(await requestLink()).to.have.length(3);
    });

    it('lifts a lockout caused by wrong legacy passwords', async () => {
      await legacy();
      for (let i = 0; i < 3; i++) {
        await kit.flow.migrate({ legacyUsername: 'sian.jones', password: md5.wrongPassword });
      }
      expect(
        (await kit.flow.migrate({ legacyUsername: 'sian.jones', password: md5.password })).outcome,
      ).to.equal('throttled');
      const [link] = await requestLink();
      await kit.flow.completeLegacyPasswordReset({
        token: link?.token ?? '',
        newPassword: 'Mynydd-Gwyn#42',
      });
      expect(
        (await kit.flow.migrate({ legacyUsername: 'sian.jones', password: 'Mynydd-Gwyn#42' }))
          .outcome,
      ).to.equal('migrated');
    });
  });

  describe('first sign-in and required actions', () => {
    it('moves migrated → required_actions → active as the actions are completed', async () => {
      const { accountId } = await migrated();
      expect(await kit.flow.recordSignIn(accountId, context)).to.equal('required_actions');
      expect(await kit.flow.recordSignIn(accountId, context)).to.equal('required_actions');
      const first = await kit.flow.completeRequiredAction(accountId, 'configure_mfa', context);
      expect(first).to.deep.equal({ remaining: ['update_password'], state: 'required_actions' });
      clock.advance(60_000);
      const last = await kit.flow.completeRequiredAction(accountId, 'update_password', context);
      expect(last).to.deep.equal({ remaining: [], state: 'active' });
      const record = await kit.records.find(accountId);
      expect(record?.completedAt?.getTime()).to.equal(clock.now().getTime());
      expect(record?.firstSignInAt?.getTime()).to.equal(clock.now().getTime() - 60_000);
      const types = (await new KnexAuditLog(t.db, clock).list({ accountId })).map((e) => e.type);
      expect(types).to.include.members(['migration.first_sign_in', 'migration.completed']);
    });

    it('includes the profile review when details were missing', async () => {
      const { accountId } = await migrated({ phone: null });
      await kit.flow.completeRequiredAction(accountId, 'configure_mfa');
      const progress = await kit.flow.completeRequiredAction(accountId, 'update_password');
      expect(progress).to.deep.equal({ remaining: ['update_profile'], state: 'required_actions' });
      expect(await kit.flow.completeRequiredAction(accountId, 'update_profile')).to.deep.equal({
        remaining: [],
        state: 'active',
      });
    });

    it('completes the migration when the last two actions finish at the same moment', async () => {
      const { accountId } = await migrated();
      const other = migrationKit(t.dialect === 'mysql' ? t.connectAgain() : t.db, clock);
      await Promise.all([
        kit.flow.completeRequiredAction(accountId, 'configure_mfa'),
        other.flow.completeRequiredAction(accountId, 'update_password'),
      ]);
      expect(await kit.records.find(accountId)).to.include({ state: 'active' });
    });

    it('changes nothing for an account that was never a legacy account', async () => {
      const account = await kit.accounts.createActive({
        kind: 'staff',
        username: 'staff@example.org',
        requiredActions: ['configure_mfa'],
      });
      expect(await kit.flow.recordSignIn(account.id)).to.equal(null);
      expect(await kit.flow.completeRequiredAction(account.id, 'configure_mfa')).to.deep.equal({
        remaining: [],
        state: null,
      });
    });
  });
});

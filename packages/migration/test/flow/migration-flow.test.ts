import { expect } from 'chai';
import {
  KnexAuditLog,
  KnexTokenRepository,
  cryptoRandom,
  createManualClock,
  type ManualClock,
} from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import { KnexLegacyCredentialRepository } from '../../src/flow/knex-legacy-credential-repository.js';
import {
  DATABASE_LABEL,
  clearTables,
  createMigrationTestDatabase,
  migrationKit,
  outboxMessages,
  seedLegacy,
  resetTokenIn,
  temporaryPasswordIn,
  vector,
  type MigrationKit,
} from '../support/migration-test-kit.js';

const DAY = 24 * 60 * 60 * 1000;
const md5 = vector('md5-crypt');
const context = { ip: '203.0.113.7', userAgent: 'mocha' };

describe(`MigrationFlow: the migration page (${DATABASE_LABEL})`, () => {
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

  async function legacy(overrides: Parameters<typeof seedLegacy>[2] | object = {}) {
    return seedLegacy(t.db, clock, {
      legacyUsername: 'sian.jones',
      passwordHash: md5.hash,
      ...overrides,
    });
  }

  function migrate(legacyUsername: string, password: string) {
    return kit.flow.migrate({ legacyUsername, password, ...context });
  }

  it('migrates a legacy account whose legacy username and password are right', async () => {
    const account = await legacy();
    const result = await migrate(' Sian.Jones ', md5.password);
    expect(result.outcome).to.equal('migrated');
    if (result.outcome !== 'migrated') return;
    expect(result.accountId).to.equal(account.id);
    expect(result.newUsername).to.equal('sian.jones@wjec-appointees.co.uk');
    expect(result.emailedTo).to.equal('s***@example.org');
    expect(result.requiredActions).to.deep.equal(['configure_mfa', 'update_password']);
    expect(result.missingDetails).to.deep.equal([]);
    expect(result.temporaryPasswordExpiresAt.getTime()).to.equal(clock.now().getTime() + 14 * DAY);

    const after = await kit.accounts.findById(account.id);
    expect(after).to.include({
      status: 'active',
      username: 'sian.jones@wjec-appointees.co.uk',
      passwordTemporary: true,
    });
    expect(after?.passwordExpiresAt?.getTime()).to.equal(clock.now().getTime() + 14 * DAY);
    expect(await kit.accounts.listRequiredActions(account.id)).to.deep.equal([
      'configure_mfa',
      'update_password',
    ]);
    const record = await kit.records.find(account.id);
    expect(record).to.include({ state: 'migrated', temporaryPasswordResends: 0 });
    expect(record?.migratedAt?.getTime()).to.equal(clock.now().getTime());
  });

  it('emails the temporary password once, and it is an argon2id password that signs in', async () => {
    const account = await legacy();
    await migrate('sian.jones', md5.password);
    const mails = await outboxMessages(kit.outbox);
    expect(mails).to.have.length(1);
    expect(mails[0]).to.include({
      recipient: 'sian.jones@example.org',
      template: 'migration_temporary_password',
      accountId: account.id,
    });
    const text = mails[0]?.content?.text ?? '';
    expect(text).to.include('sian.jones@wjec-appointees.co.uk');
    const temporary = temporaryPasswordIn(text);
    const hash = await kit.accounts.getPasswordHash(account.id);
    expect(hash).to.match(/^\$argon2id\$/);
    const signIn = await kit.authenticator.check({
      username: 'sian.jones@wjec-appointees.co.uk',
      password: temporary,
    });
    expect(signIn.outcome).to.equal('success');
  });

  it('emails in Welsh to a legacy account whose language is Welsh', async () => {
    await legacy({ locale: 'cy' });
    await migrate('sian.jones', md5.password);
    const [mail] = await outboxMessages(kit.outbox);
    expect(mail?.locale).to.equal('cy');
    expect(temporaryPasswordIn(mail?.content?.text ?? '')).to.have.length(15);
  });

  it('numbers the new username when firstname.surname is taken', async () => {
    await kit.accounts.createActive({
      kind: 'staff',
      username: 'sian.jones@wjec-appointees.co.uk',
    });
    await legacy();
    const result = await migrate('sian.jones', md5.password);
    expect(result).to.include({
      outcome: 'migrated',
      newUsername: 'sian.jones2@wjec-appointees.co.uk',
    });
  });

  it('asks for missing details as a required action and reports which are empty', async () => {
    const account = await legacy({ phone: null, teachingCentre: '  ' });
    const result = await migrate('sian.jones', md5.password);
    expect(result).to.deep.include({
      outcome: 'migrated',
      requiredActions: ['configure_mfa', 'update_password', 'update_profile'],
      missingDetails: ['phone', 'teachingCentre'],
    });
    expect(await kit.flow.missingDetails(account.id)).to.deep.equal(['phone', 'teachingCentre']);
  });

  it('audits the migration once, without any password in the details', async () => {
    const account = await legacy();
    await migrate('sian.jones', md5.password);
    const events = await new KnexAuditLog(t.db, clock).list({ accountId: account.id });
    const migrated = events.filter((e) => e.type === 'account.migrated');
    expect(migrated).to.have.length(1);
    expect(migrated[0]).to.include({ outcome: 'success', ip: context.ip });
    expect(migrated[0]?.details).to.deep.include({
      legacyUsername: 'sian.jones',
      newUsername: 'sian.jones@wjec-appointees.co.uk',
    });
    const [mail] = await outboxMessages(kit.outbox);
    const temporary = temporaryPasswordIn(mail?.content?.text ?? '');
    const everything = JSON.stringify(events);
    expect(everything).to.not.include(temporary);
    expect(everything).to.not.include(md5.password);
    expect(everything).to.not.include(md5.hash);
  });

  it('answers a wrong password and an unknown username the same way, changing nothing', async () => {
    const account = await legacy();
    const wrong = await migrate('sian.jones', md5.wrongPassword);
    const unknown = await migrate('nobody.here', md5.password);
    expect(wrong).to.deep.equal({ outcome: 'invalid' });
    expect(unknown).to.deep.equal({ outcome: 'invalid' });
    expect(await kit.accounts.findById(account.id)).to.include({
      status: 'legacy',
      username: null,
    });
    expect(await outboxMessages(kit.outbox)).to.have.length(0);
    const failures = await new KnexAuditLog(t.db, clock).list({
      type: 'migration.legacy_password',
    });
    expect(failures.map((e) => e.outcome)).to.deep.equal(['failure', 'failure']);
  });

  it('throttles wrong legacy passwords like sign-ins, sharing the count with the sign-in page', async () => {
    await legacy();
    await migrate('sian.jones', md5.wrongPassword);
    await migrate('sian.jones', md5.wrongPassword);
    // The third failure comes through the sign-in page, with the same legacy username.
    expect(
      (await kit.authenticator.check({ username: 'SIAN.JONES', password: 'nope' })).outcome,
    ).to.equal('invalid');
    const locked = await migrate('sian.jones', md5.password);
    expect(locked).to.deep.include({ outcome: 'throttled', reason: 'account_locked' });
    clock.advance(15 * 60_000 + 1);
    expect((await migrate('sian.jones', md5.password)).outcome).to.equal('migrated');
  });

  it('tells a user with no usable email to contact support, and migrates nothing', async () => {
    const noEmail = await legacy({ legacyUsername: 'no.email', email: null });
    const badEmail = await legacy({ legacyUsername: 'bad.email', email: 'sian at example' });
    expect(await migrate('no.email', md5.password)).to.deep.equal({
      outcome: 'contact_support',
      reason: 'no_usable_email',
    });
    expect((await migrate('bad.email', md5.password)).outcome).to.equal('contact_support');
    expect((await migrate('no.email', md5.wrongPassword)).outcome).to.equal('invalid');
    for (const account of [noEmail, badEmail]) {
      expect(await kit.accounts.findById(account.id)).to.include({ status: 'legacy' });
    }
    expect(await outboxMessages(kit.outbox)).to.have.length(0);
  });

  describe('after migration', () => {
    let accountId: string;
    let temporary: string;

    beforeEach(async () => {
      accountId = (await legacy()).id;
      await migrate('sian.jones', md5.password);
      const [mail] = await outboxMessages(kit.outbox);
      temporary = temporaryPasswordIn(mail?.content?.text ?? '');
    });

    it('shows the new username again for the right legacy username and password', async () => {
      const again = await migrate('sian.jones', md5.password);
      expect(again).to.include({
        outcome: 'already_migrated',
        accountId,
        newUsername: 'sian.jones@wjec-appointees.co.uk',
      });
      expect(await outboxMessages(kit.outbox)).to.have.length(1);
      const shown = await new KnexAuditLog(t.db, clock).list({ type: 'migration.username_shown' });
      expect(shown).to.have.length(1);
    });

    it('does not show the new username for a wrong legacy password', async () => {
      expect(await migrate('sian.jones', md5.wrongPassword)).to.deep.equal({ outcome: 'invalid' });
      expect(await migrate('sian.jones', temporary)).to.deep.equal({ outcome: 'invalid' });
    });

    it('keeps the legacy password only in legacy_credentials, as argon2id: it signs nobody in', async () => {
      const kept = await new KnexLegacyCredentialRepository(t.db, clock).find(accountId);
      expect(kept).to.match(/^\$argon2id\$/);
      expect((await kit.hasher.verify(kept ?? '', md5.password)).valid).to.equal(true);
      expect(await kit.accounts.getPasswordHash(accountId)).to.not.equal(kept);
      const everywhere = JSON.stringify([
        await t.db('accounts').select(),
        await t.db('legacy_credentials').select(),
      ]);
      expect(everywhere).to.not.include(md5.hash);
      for (const username of ['sian.jones', 'sian.jones@wjec-appointees.co.uk']) {
        const attempt = await kit.authenticator.check({ username, password: md5.password });
        expect(attempt.outcome, username).to.equal('invalid');
      }
      const hint = await kit.authenticator.check({ username: 'sian.jones', password: temporary });
      expect(hint).to.deep.equal({
        outcome: 'use_new_username',
        newUsername: 'sian.jones@wjec-appointees.co.uk',
      });
    });

    it('lets the temporary password expire after the configured days', async () => {
      clock.advance(14 * DAY);
      const attempt = await kit.authenticator.check({
        username: 'sian.jones@wjec-appointees.co.uk',
        password: temporary,
      });
      expect(attempt.outcome).to.equal('temporary_password_expired');
    });
  });

  it('voids an outstanding forgotten-original-password link when the account migrates', async () => {
    await legacy();
    await kit.flow.requestLegacyPasswordReset({ legacyUsername: 'sian.jones', ...context });
    const [resetMail] = await outboxMessages(kit.outbox);
    const token = resetTokenIn(resetMail?.content?.text ?? '');
    const tokens = new KnexTokenRepository(t.db, clock, cryptoRandom);
    expect(await tokens.peek('legacy_password_reset', token)).to.not.equal(null);
    await migrate('sian.jones', md5.password);
    expect(await tokens.peek('legacy_password_reset', token)).to.equal(null);
  });

  it('honours a configured temporary password lifetime', async () => {
    kit = migrationKit(t.db, clock, { temporaryPasswordLifetimeMs: 3 * DAY });
    await legacy();
    const result = await migrate('sian.jones', md5.password);
    expect(result.outcome === 'migrated' && result.temporaryPasswordExpiresAt.getTime()).to.equal(
      clock.now().getTime() + 3 * DAY,
    );
  });

  it('treats a stored legacy hash nobody can read as a failure and audits why', async () => {
    const account = await legacy({ passwordHash: '$1$broken' });
    expect(await migrate('sian.jones', 'anything')).to.deep.equal({ outcome: 'invalid' });
    const [event] = await new KnexAuditLog(t.db, clock).list({ accountId: account.id });
    expect(event?.details).to.deep.include({ reason: 'legacy_hash_unreadable' });
  });
});

import { expect } from 'chai';
import {
  KnexAccountRepository,
  KnexAuditLog,
  cryptoRandom,
  createManualClock,
  type ManualClock,
} from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import { resendTemporaryPasswordForSupport, type SupportResendDependencies } from '../src/index.js';
import {
  DATABASE_LABEL,
  SIGN_IN_URL,
  clearTables,
  createMigrationTestDatabase,
  migrationKit,
  outboxMessages,
  seedLegacy,
  temporaryPasswordIn,
  vector,
  type MigrationKit,
} from './support/migration-test-kit.js';

const DAY = 24 * 60 * 60 * 1000;
const md5 = vector('md5-crypt');
const NEW_USERNAME = 'sian.jones@wjec-appointees.co.uk';
const context = { ip: '192.0.2.44', userAgent: 'mocha' };

describe(`resendTemporaryPasswordForSupport (${DATABASE_LABEL})`, () => {
  let t: TestDatabase;
  let clock: ManualClock;
  let kit: MigrationKit;
  let deps: SupportResendDependencies;
  let staffId: string;

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
    deps = {
      db: t.db,
      clock,
      random: cryptoRandom,
      hasher: kit.hasher,
      outbox: kit.outbox,
      settings: { signInUrl: SIGN_IN_URL, temporaryPasswordLifetimeMs: 7 * DAY },
    };
    staffId = (
      await kit.accounts.createActive({ kind: 'staff', username: 'nia.thomas@wjec.co.uk' })
    ).id;
  });

  async function migrated(overrides: object = {}): Promise<string> {
    const account = await seedLegacy(t.db, clock, {
      legacyUsername: 'sian.jones',
      passwordHash: md5.hash,
      ...overrides,
    });
    const result = await kit.flow.migrate({
      legacyUsername: 'sian.jones',
      password: md5.password,
      ...context,
    });
    if (result.outcome !== 'migrated') throw new Error(`not migrated: ${result.outcome}`);
    return account.id;
  }

  async function temporaryPasswords(): Promise<string[]> {
    return (await outboxMessages(kit.outbox))
      .filter((m) => m.template === 'migration_temporary_password')
      .map((m) => temporaryPasswordIn(m.content?.text ?? ''));
  }

  async function signIn(password: string) {
    return (await kit.authenticator.check({ username: NEW_USERNAME, password })).outcome;
  }

  it('emails a new temporary password that signs in, and the old one no longer does', async () => {
    const accountId = await migrated();
    clock.advance(60_000);
    const result = await resendTemporaryPasswordForSupport(deps, {
      accountId,
      actorId: staffId,
      ...context,
    });
    expect(result).to.deep.equal({
      outcome: 'sent',
      emailedTo: 's***@example.org',
      temporaryPasswordExpiresAt: new Date(clock.now().getTime() + 7 * DAY),
    });
    const [first, second] = await temporaryPasswords();
    expect(second).to.be.a('string').and.not.equal(first);
    expect(await signIn(first ?? '')).to.equal('invalid');
    expect(await signIn(second ?? '')).to.equal('success');
    const account = await kit.accounts.findById(accountId);
    expect(account?.passwordTemporary).to.equal(true);
    expect(account?.passwordExpiresAt?.getTime()).to.equal(clock.now().getTime() + 7 * DAY);
    expect(await kit.records.find(accountId)).to.include({
      state: 'migrated',
      temporaryPasswordResends: 1,
    });
  });

  it('audits the resend with the support person as actor, and no password in the details', async () => {
    const accountId = await migrated();
    await resendTemporaryPasswordForSupport(deps, {
      accountId,
      actorId: staffId,
      reason: 'Phoned: the first email never arrived',
      ...context,
    });
    const [event] = await new KnexAuditLog(t.db, clock).list({
      accountId,
      type: 'migration.temporary_password_resent',
    });
    expect(event).to.deep.include({
      outcome: 'success',
      actorId: staffId,
      ip: context.ip,
      details: { by: 'support', resends: 1, reason: 'Phoned: the first email never arrived' },
    });
    const [, second] = await temporaryPasswords();
    expect(JSON.stringify(event)).not.to.include(second ?? 'no password');
  });

  it('writes the email in the language of the account', async () => {
    const accountId = await migrated({ locale: 'cy' });
    await resendTemporaryPasswordForSupport(deps, { accountId, actorId: staffId });
    const mails = await outboxMessages(kit.outbox);
    expect(mails.map((m) => m.locale)).to.deep.equal(['cy', 'cy']);
    expect(mails[1]?.content?.subject).to.equal(
      "Eich enw defnyddiwr newydd a'ch cyfrinair dros dro",
    );
  });

  it('works after the temporary password expired', async () => {
    const accountId = await migrated();
    clock.advance(15 * DAY);
    const [first] = await temporaryPasswords();
    expect(await signIn(first ?? '')).to.equal('temporary_password_expired');
    const result = await resendTemporaryPasswordForSupport(deps, { accountId, actorId: staffId });
    expect(result.outcome).to.equal('sent');
    const [, second] = await temporaryPasswords();
    expect(await signIn(second ?? '')).to.equal('success');
  });

  it('refuses once the user has signed in with the temporary password, and changes nothing', async () => {
    const accountId = await migrated();
    await kit.flow.recordSignIn(accountId, context);
    const hash = await kit.accounts.getPasswordHash(accountId);
    const result = await resendTemporaryPasswordForSupport(deps, { accountId, actorId: staffId });
    expect(result).to.deep.equal({ outcome: 'not_available' });
    expect(await kit.accounts.getPasswordHash(accountId)).to.equal(hash);
    expect(await temporaryPasswords()).to.have.length(1);
  });

  it('refuses a legacy account that has not migrated, a disabled one, and an unknown id', async () => {
    const legacy = await seedLegacy(t.db, clock, {
      legacyUsername: 'rhys.evans',
      passwordHash: md5.hash,
      email: 'rhys@example.org',
    });
    const accountId = await migrated();
    await kit.accounts.changeStatus(accountId, 'active', 'disabled');
    for (const id of [legacy.id, accountId, 'f'.repeat(32)]) {
      expect(
        await resendTemporaryPasswordForSupport(deps, { accountId: id, actorId: staffId }),
        id,
      ).to.deep.equal({ outcome: 'not_available' });
    }
    expect(await temporaryPasswords()).to.have.length(1);
  });

  it('refuses an account that never migrated (no migration record)', async () => {
    const account = await kit.accounts.createActive({
      kind: 'appointee',
      username: 'megan.lloyd@wjec-appointees.co.uk',
      email: 'megan@example.org',
    });
    await kit.accounts.setPasswordHash(account.id, await kit.hasher.hash('Temp-Pass-2026!'), {
      temporary: true,
    });
    expect(
      await resendTemporaryPasswordForSupport(deps, { accountId: account.id, actorId: staffId }),
    ).to.deep.equal({ outcome: 'not_available' });
  });

  it('refuses an actor who is not an active staff account, and changes nothing', async () => {
    const accountId = await migrated();
    const accounts = new KnexAccountRepository(t.db, clock, cryptoRandom);
    const appointee = await accounts.createActive({
      kind: 'appointee',
      username: 'aled.roberts@wjec-appointees.co.uk',
    });
    const centreUser = await accounts.createActive({
      kind: 'centre_user',
      username: 'eleri@ysgol.example.org',
    });
    const disabledStaff = await accounts.createActive({
      kind: 'staff',
      username: 'former.staff@wjec.co.uk',
    });
    await accounts.changeStatus(disabledStaff.id, 'active', 'disabled');
    const hash = await kit.accounts.getPasswordHash(accountId);
    for (const actorId of [appointee.id, centreUser.id, disabledStaff.id, accountId, '']) {
      expect(
        await resendTemporaryPasswordForSupport(deps, { accountId, actorId }),
        actorId,
      ).to.deep.equal({ outcome: 'not_allowed' });
    }
    expect(await kit.accounts.getPasswordHash(accountId)).to.equal(hash);
    expect(await temporaryPasswords()).to.have.length(1);
    expect(
      await new KnexAuditLog(t.db, clock).list({
        accountId,
        type: 'migration.temporary_password_resent',
      }),
    ).to.deep.equal([]);
  });

  it('does not count against the user’s own resend limit', async () => {
    await seedLegacy(t.db, clock, { legacyUsername: 'sian.jones', passwordHash: md5.hash });
    const result = await kit.flow.migrate({ legacyUsername: 'sian.jones', password: md5.password });
    if (result.outcome !== 'migrated') throw new Error(`not migrated: ${result.outcome}`);
    for (let i = 0; i < 4; i++) {
      expect(
        (
          await resendTemporaryPasswordForSupport(deps, {
            accountId: result.accountId,
            actorId: staffId,
          })
        ).outcome,
      ).to.equal('sent');
    }
    const own = await kit.flow.resendTemporaryPassword({ resendToken: result.resendToken ?? '' });
    expect(own.outcome).to.equal('sent');
    expect(await kit.records.find(result.accountId)).to.include({ temporaryPasswordResends: 5 });
  });
});

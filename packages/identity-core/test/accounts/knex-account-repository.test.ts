import { expect } from 'chai';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { transaction } from '../../src/db/transaction.js';
import { ConcurrentUpdateError } from '../../src/errors.js';
import { cryptoRandom } from '../../src/random.js';
import type { Account } from '../../src/accounts/account.js';
import {
  AccountNotActiveError,
  AccountNotFoundError,
  InvalidProfileError,
  InvalidStatusChangeError,
  LegacyUsernameTakenError,
  UsernameInvalidError,
  UsernameTakenError,
} from '../../src/errors.js';
import type { LegacyAccountInput } from '../../src/accounts/account-repository.js';
import { KnexAccountRepository } from '../../src/accounts/knex-account-repository.js';

const DATABASE = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** Settles every promise and splits the outcomes. */
async function settle<T>(promises: Promise<T>[]): Promise<{ values: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    values: results.filter((r) => r.status === 'fulfilled').map((r) => r.value),
    errors: results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown),
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to be rejected');
}

describe(`KnexAccountRepository (${DATABASE})`, () => {
  let t: TestDatabase;
  let clock: ManualClock;
  let repo: KnexAccountRepository;
  /** Independent connection pools to the same database, for real concurrency on SQLite too. */
  let pools: Knex[];
  let counter = 0;
  const unique = (prefix: string) => `${prefix}${++counter}`;

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
    clock = createManualClock(Date.UTC(2026, 10, 23, 9, 0, 0));
    repo = new KnexAccountRepository(t.db, clock, cryptoRandom);
    pools = [t.db, t.connectAgain(), t.connectAgain(), t.connectAgain()];
  });
  after(async () => {
    await t?.destroy();
  });

  const repoOn = (i: number) =>
    new KnexAccountRepository(pools[i % pools.length] ?? t.db, clock, cryptoRandom);

  const legacy = (overrides: Partial<LegacyAccountInput> = {}): LegacyAccountInput => ({
    legacyUsername: unique('legacy.user'),
    passwordHash: '$2b$10$abcdefghijklmnopqrstuuJ6S1YSWQkPz1Bf0qFv6aKdOtEl4nGbu',
    givenName: 'Siân',
    familyName: 'Jones',
    email: 'sian.jones@example.org',
    ...overrides,
  });

  const active = (overrides: Partial<Parameters<KnexAccountRepository['createActive']>[0]> = {}) =>
    repo.createActive({
      kind: 'appointee',
      username: `${unique('active.user')}@example.org`,
      givenName: 'Llŷr',
      familyName: 'Williams',
      email: 'llyr@example.org',
      ...overrides,
    });

  describe('creating and finding accounts', () => {
    it('creates an active account and reads it back by id', async () => {
      const created = await repo.createActive({
        kind: 'centre_user',
        username: '  Gwen.Evans@Example.ORG ',
        givenName: 'Gwen',
        familyName: 'Evans',
        email: 'Gwen.Evans@Example.org',
        phone: '01632 960001',
        teachingCentre: 'Ysgol Gyfun',
        locale: 'cy',
        profileExtra: { centreNumber: '68101' },
      });
      expect(created.id).to.match(/^[0-9a-f]{32}$/);
      const found = await repo.findById(created.id);
      expect(found).to.deep.equal(created);
      expect(found).to.include({
        kind: 'centre_user',
        status: 'active',
        username: 'gwen.evans@example.org',
        legacyUsername: null,
        email: 'Gwen.Evans@Example.org',
        emailVerified: false,
        locale: 'cy',
        hasPassword: false,
        passwordTemporary: false,
        version: 1,
      });
      expect(found?.profileExtra).to.deep.equal({ centreNumber: '68101' });
      expect(found?.createdAt.getTime()).to.equal(clock.now().getTime());
      expect(found?.deletedAt).to.equal(null);
    });

    it('finds an account by username whatever the case, spaces, invisible characters or accent form', async () => {
      const created = await active({ username: 'siân.morgan@example.org' });
      for (const typed of [
        'siân.morgan@example.org',
        '  SIÂN.Morgan@EXAMPLE.org  ',
        'sia\u0302n.morgan@example.org',
        '\uFEFFsiân.morgan@example.org\u200B',
      ]) {
        expect((await repo.findByUsername(typed))?.id, typed).to.equal(created.id);
      }
      expect(await repo.findByUsername('sian.morgan@example.org')).to.equal(null);
      expect(await repo.findByUsername('')).to.equal(null);
    });

    it('refuses a second account with the same normalised username', async () => {
      await active({ username: 'taken.name@example.org' });
      expect(await rejection(active({ username: ' Taken.Name@example.org' }))).to.be.instanceOf(
        UsernameTakenError,
      );
    });

    it('refuses an empty username or one with spaces inside', async () => {
      expect(await rejection(active({ username: '   ' }))).to.be.instanceOf(UsernameInvalidError);
      expect(await rejection(active({ username: 'sian jones@example.org' }))).to.be.instanceOf(
        UsernameInvalidError,
      );
    });

    it('refuses fields longer than their columns on every database', async () => {
      const err = await rejection(active({ givenName: 'a'.repeat(101), phone: '1'.repeat(33) }));
      expect(err).to.be.instanceOf(InvalidProfileError);
      expect((err as InvalidProfileError).issues.map((i) => i.field)).to.deep.equal([
        'givenName',
        'phone',
      ]);
    });

    it('creates an account with its required actions in one step', async () => {
      const created = await active({
        requiredActions: ['verify_email', 'configure_mfa', 'verify_email'],
      });
      expect(await repo.listRequiredActions(created.id)).to.deep.equal([
        'configure_mfa',
        'verify_email',
      ]);
    });

    it('returns every live account sharing an email, oldest first', async () => {
      const email = `${unique('shared')}@example.org`;
      const first = await active({ email });
      clock.advance(1000);
      const second = await active({ email: `  ${email.toUpperCase()} ` });
      clock.advance(1000);
      const third = await repo.insertLegacy(legacy({ email }));
      const found = await repo.findByEmail(` ${email.toUpperCase()}`);
      expect(found.map((a) => a.id)).to.deep.equal([first.id, second.id, third.id]);
      expect(await repo.findByEmail('nobody@example.org')).to.deep.equal([]);
    });

    it('returns null for an unknown or malformed id', async () => {
      expect(await repo.findById('0'.repeat(32))).to.equal(null);
      expect(await repo.findById('x'.repeat(300))).to.equal(null);
    });

    it('never puts the password hash on an account, only behind getPasswordHash', async () => {
      const hash = '$2b$10$SECRETHASHSECRETHASHSECRETHASHSECRETHASHSECRETHASHSEC';
      const account = await repo.insertLegacy(legacy({ passwordHash: hash }));
      const found = await repo.findById(account.id);
      expect(found?.hasPassword).to.equal(true);
      expect(JSON.stringify(found)).to.not.include('SECRETHASH');
      expect(JSON.stringify(account)).to.not.include('SECRETHASH');
      expect(await repo.getPasswordHash(account.id)).to.equal(hash);
    });
  });

  describe('legacy accounts', () => {
    it('imports a legacy record with its hash and no new username', async () => {
      const account = await repo.insertLegacy(legacy({ legacyUsername: '  Rhian.Price ' }));
      expect(account).to.include({
        status: 'legacy',
        kind: 'appointee',
        username: null,
        legacyUsername: 'Rhian.Price',
        hasPassword: true,
      });
      expect((await repo.findByLegacyUsername('rhian.price'))?.id).to.equal(account.id);
      expect((await repo.findByLegacyUsername(' RHIAN.PRICE\u200B'))?.id).to.equal(account.id);
      expect(await repo.findByUsername('rhian.price')).to.equal(null);
    });

    it('refuses to import the same legacy username twice', async () => {
      await repo.insertLegacy(legacy({ legacyUsername: 'dup.legacy' }));
      expect(
        await rejection(repo.insertLegacy(legacy({ legacyUsername: 'Dup.Legacy ' }))),
      ).to.be.instanceOf(LegacyUsernameTakenError);
    });

    it('bulk-imports rows, skipping those already present, repeated or invalid, and says which', async () => {
      const prefix = unique('bulk');
      await repo.insertLegacy(legacy({ legacyUsername: `${prefix}.existing` }));
      const rows: LegacyAccountInput[] = [
        legacy({ legacyUsername: `${prefix}.a` }),
        legacy({ legacyUsername: `${prefix}.existing` }),
        legacy({
          legacyUsername: `${prefix}.b`,
          locale: 'cy',
          profileExtra: { subject: 'Cymraeg' },
        }),
        legacy({ legacyUsername: ` ${prefix.toUpperCase()}.A` }),
        legacy({ legacyUsername: '   ' }),
        legacy({ legacyUsername: `${prefix}.c`, email: `${'e'.repeat(250)}@x.org` }),
        legacy({ legacyUsername: `${prefix}.d`, passwordHash: '' }),
        legacy({ legacyUsername: `${prefix}.e` }),
      ];
      const result = await repo.insertLegacyMany(rows, { batchSize: 3 });
      expect(result.inserted.map((r) => [r.index, r.legacyUsername])).to.deep.equal([
        [0, `${prefix}.a`],
        [2, `${prefix}.b`],
        [7, `${prefix}.e`],
      ]);
      expect(result.skipped.map((r) => [r.index, r.reason])).to.deep.equal([
        [1, 'already_imported'],
        [3, 'duplicate_in_input'],
        [4, 'invalid'],
        [5, 'invalid'],
        [6, 'invalid'],
      ]);
      expect(result.skipped.find((s) => s.index === 5)?.detail).to.match(/email longer than 254/);
      for (const { id, legacyUsername } of result.inserted) {
        const account = await repo.findById(id);
        expect(account?.legacyUsername).to.equal(legacyUsername);
        expect(account?.status).to.equal('legacy');
      }
      const b = await repo.findByLegacyUsername(`${prefix}.b`);
      expect(b?.locale).to.equal('cy');
      expect(b?.profileExtra).to.deep.equal({ subject: 'Cymraeg' });
      expect(await repo.getPasswordHash(b?.id ?? '')).to.equal(rows[2]?.passwordHash);
    });

    it('imports nothing the second time the same rows are imported', async () => {
      const prefix = unique('again');
      const rows = Array.from({ length: 30 }, (_, i) =>
        legacy({ legacyUsername: `${prefix}.${i}` }),
      );
      const first = await repo.insertLegacyMany(rows, { batchSize: 7 });
      const second = await repo.insertLegacyMany(rows, { batchSize: 7 });
      expect(first.inserted).to.have.length(30);
      expect(second.inserted).to.deep.equal([]);
      expect(second.skipped.every((s) => s.reason === 'already_imported')).to.equal(true);
      expect(second.skipped).to.have.length(30);
    });

    it('imports thousands of rows in large batches', async function () {
      this.timeout(60_000);
      const prefix = unique('many');
      const rows = Array.from({ length: 3000 }, (_, i) =>
        legacy({ legacyUsername: `${prefix}.${i}`, givenName: `Given${i}`, phone: '01632 960001' }),
      );
      const started = performance.now();
      const result = await repo.insertLegacyMany(rows, { batchSize: 1000 });
      const elapsed = performance.now() - started;
      expect(result.inserted).to.have.length(3000);
      expect(result.skipped).to.deep.equal([]);
      const count = await t
        .db('accounts')
        .where('legacy_username_key', 'like', `${prefix}.%`)
        .count({ n: '*' });
      expect(Number(count[0]?.n)).to.equal(3000);
      expect(elapsed, `${Math.round(elapsed)} ms`).to.be.below(20_000);
    });

    it('imports each legacy username exactly once when imports of overlapping rows race', async () => {
      const prefix = unique('race');
      const all = Array.from({ length: 120 }, (_, i) =>
        legacy({ legacyUsername: `${prefix}.${i}` }),
      );
      // Four importers, each with an overlapping, differently ordered slice.
      const slices = [all.slice(0, 80), all.slice(40, 120).reverse(), all.slice(20, 100), all];
      const results = await Promise.all(
        slices.map((rows, i) => repoOn(i).insertLegacyMany(rows, { batchSize: 25 })),
      );
      const insertedNames = results.flatMap((r) => r.inserted.map((x) => x.legacyUsername));
      expect(insertedNames).to.have.length(120);
      expect(new Set(insertedNames).size).to.equal(120);
      results.forEach((r, i) => {
        expect(r.inserted.length + r.skipped.length).to.equal(slices[i]?.length);
        expect(r.skipped.every((s) => s.reason === 'already_imported')).to.equal(true);
      });
      const stored = (await t
        .db('accounts')
        .where('legacy_username_key', 'like', `${prefix}.%`)
        .select('id', 'legacy_username')) as { id: string; legacy_username: string }[];
      expect(stored).to.have.length(120);
      const reportedIds = new Set(results.flatMap((r) => r.inserted.map((x) => x.id)));
      expect(stored.every((row) => reportedIds.has(row.id))).to.equal(true);
    });
  });

  describe('profile updates', () => {
    it('changes only the given fields and bumps the version', async () => {
      const account = await active({ phone: '01632 960001' });
      clock.advance(60_000);
      const updated = await repo.updateProfile(account.id, account.version, {
        givenName: 'Llywelyn',
        teachingCentre: 'Coleg Gwent',
        locale: 'cy',
      });
      expect(updated).to.include({
        givenName: 'Llywelyn',
        familyName: 'Williams',
        phone: '01632 960001',
        teachingCentre: 'Coleg Gwent',
        locale: 'cy',
        version: account.version + 1,
      });
      expect(updated.updatedAt.getTime()).to.equal(account.updatedAt.getTime() + 60_000);
      expect(await repo.findById(account.id)).to.deep.equal(updated);
    });

    it('clears optional fields given as null', async () => {
      const account = await active({ phone: '01632 960001', teachingCentre: 'Ysgol' });
      const updated = await repo.updateProfile(account.id, account.version, {
        phone: null,
        teachingCentre: '',
      });
      expect(updated.phone).to.equal(null);
      expect(updated.teachingCentre).to.equal(null);
    });

    it('refuses an update made from a stale version', async () => {
      const account = await active();
      await repo.updateProfile(account.id, account.version, { givenName: 'First' });
      const err = await rejection(
        repo.updateProfile(account.id, account.version, { givenName: 'Second' }),
      );
      expect(err).to.be.instanceOf(ConcurrentUpdateError);
      expect((await repo.findById(account.id))?.givenName).to.equal('First');
    });

    it('lets exactly one of many simultaneous updates from the same version win', async () => {
      const account = await active();
      const { values, errors } = await settle(
        Array.from({ length: 10 }, (_, i) =>
          repoOn(i).updateProfile(account.id, account.version, { familyName: `Name${i}` }),
        ),
      );
      expect(values).to.have.length(1);
      expect(errors).to.have.length(9);
      expect(errors.every((e) => e instanceof ConcurrentUpdateError)).to.equal(true);
      const stored = await repo.findById(account.id);
      expect(stored?.familyName).to.equal(values[0]?.familyName);
      expect(stored?.version).to.equal(account.version + 1);
    });

    it('marks a changed email unverified but keeps verification when only its case changes', async () => {
      const account = await active({ email: 'verified@example.org', emailVerified: true });
      const sameAddress = await repo.updateProfile(account.id, account.version, {
        email: 'Verified@Example.org',
      });
      expect(sameAddress.emailVerified).to.equal(true);
      expect(sameAddress.email).to.equal('Verified@Example.org');
      const changed = await repo.updateProfile(account.id, sameAddress.version, {
        email: 'new@example.org',
      });
      expect(changed.emailVerified).to.equal(false);
      expect((await repo.findByEmail('new@example.org')).map((a) => a.id)).to.deep.equal([
        account.id,
      ]);
      expect(await repo.findByEmail('verified@example.org')).to.deep.equal([]);
    });

    it('verifies an email only while it is still the account’s email', async () => {
      const account = await active({ email: 'check@example.org' });
      expect(await repo.markEmailVerified(account.id, 'other@example.org')).to.equal(false);
      expect(await repo.markEmailVerified(account.id, ' CHECK@example.org')).to.equal(true);
      expect((await repo.findById(account.id))?.emailVerified).to.equal(true);
    });

    it('reports an unknown account as not found', async () => {
      expect(
        await rejection(repo.updateProfile('0'.repeat(32), 1, { givenName: 'X' })),
      ).to.be.instanceOf(AccountNotFoundError);
    });

    it('stores and replaces the extra profile record', async () => {
      const account = await active({ profileExtra: { a: 1 } });
      const updated = await repo.updateProfile(account.id, account.version, {
        profileExtra: { subjects: ['Maths', 'Cymraeg'], marker: true },
      });
      expect((await repo.findById(updated.id))?.profileExtra).to.deep.equal({
        subjects: ['Maths', 'Cymraeg'],
        marker: true,
      });
    });
  });

  describe('status changes', () => {
    it('activates a legacy account once it has a username', async () => {
      const account = await repo.insertLegacy(legacy());
      const err = await rejection(repo.changeStatus(account.id, 'legacy', 'active'));
      expect(err).to.be.instanceOf(InvalidStatusChangeError);
      expect((await repo.findById(account.id))?.status).to.equal('legacy');
      await repo.issueUsername(account.id, 'Siân', 'Activated', 'example.org');
      const activated = await repo.changeStatus(account.id, 'legacy', 'active');
      expect(activated.status).to.equal('active');
      expect(activated.username).to.equal('sian.activated@example.org');
      expect(activated.legacyUsername).to.equal(account.legacyUsername);
    });

    it('disables and enables an active account', async () => {
      const account = await active();
      const disabled = await repo.changeStatus(account.id, 'active', 'disabled');
      expect(disabled.status).to.equal('disabled');
      expect(disabled.version).to.equal(account.version + 1);
      expect((await repo.changeStatus(account.id, 'disabled', 'active')).status).to.equal('active');
    });

    it('refuses every change the transition table does not list', async () => {
      const account = await active();
      for (const [from, to] of [
        ['active', 'legacy'],
        ['legacy', 'disabled'],
        ['disabled', 'legacy'],
        ['deleted', 'active'],
        ['active', 'active'],
      ] as const) {
        expect(
          await rejection(repo.changeStatus(account.id, from, to)),
          `${from}→${to}`,
        ).to.be.instanceOf(InvalidStatusChangeError);
      }
      expect((await repo.findById(account.id))?.status).to.equal('active');
    });

    it('refuses a change when the status is no longer the expected one', async () => {
      const account = await active();
      await repo.changeStatus(account.id, 'active', 'disabled');
      expect(await rejection(repo.changeStatus(account.id, 'active', 'disabled'))).to.be.instanceOf(
        ConcurrentUpdateError,
      );
      expect(
        await rejection(repo.changeStatus('0'.repeat(32), 'active', 'disabled')),
      ).to.be.instanceOf(AccountNotFoundError);
    });

    it('lets exactly one of many simultaneous identical status changes happen', async () => {
      const account = await active();
      const { values, errors } = await settle(
        Array.from({ length: 10 }, (_, i) =>
          repoOn(i).changeStatus(account.id, 'active', 'disabled'),
        ),
      );
      expect(values).to.have.length(1);
      expect(errors.every((e) => e instanceof ConcurrentUpdateError)).to.equal(true);
      expect((await repo.findById(account.id))?.version).to.equal(account.version + 1);
    });
  });

  describe('soft delete', () => {
    it('keeps the record but hides it from every lookup except by id and erases the password', async () => {
      const account = await active({ email: 'leaver@example.org', username: 'leaver@example.org' });
      await repo.setPasswordHash(account.id, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA');
      clock.advance(5000);
      const deleted = await repo.softDelete(account.id, 'active');
      expect(deleted).to.include({
        status: 'deleted',
        username: 'leaver@example.org',
        email: 'leaver@example.org',
      });
      expect(deleted.hasPassword).to.equal(false);
      expect(deleted.deletedAt?.getTime()).to.equal(clock.now().getTime());
      expect(await repo.findByUsername('leaver@example.org')).to.equal(null);
      expect(await repo.findByEmail('leaver@example.org')).to.deep.equal([]);
      expect(await repo.getPasswordHash(account.id)).to.equal(null);
      expect((await repo.findById(account.id))?.status).to.equal('deleted');
    });

    it('does not block a new account with the same username and email', async () => {
      const first = await active({ email: 'again@example.org', username: 'again@example.org' });
      await repo.softDelete(first.id, 'active');
      const second = await active({ email: 'again@example.org', username: 'again@example.org' });
      expect((await repo.findByUsername('again@example.org'))?.id).to.equal(second.id);
      expect((await repo.findByEmail('again@example.org')).map((a) => a.id)).to.deep.equal([
        second.id,
      ]);
    });

    it('never signs in, changes or takes a password again', async () => {
      const account = await active();
      await repo.softDelete(account.id, 'active');
      expect(await rejection(repo.recordSignIn(account.id))).to.be.instanceOf(AccountNotFoundError);
      expect(await rejection(repo.setPasswordHash(account.id, 'x'))).to.be.instanceOf(
        AccountNotFoundError,
      );
      expect(
        await rejection(repo.updateProfile(account.id, 2, { givenName: 'Back' })),
      ).to.be.instanceOf(AccountNotFoundError);
      expect(await rejection(repo.changeStatus(account.id, 'deleted', 'active'))).to.be.instanceOf(
        InvalidStatusChangeError,
      );
      expect(await repo.upgradePasswordHash(account.id, 'x', 'y')).to.equal(false);
    });

    it('keeps a deleted legacy username reserved so that a re-import does not bring it back', async () => {
      const row = legacy();
      const account = await repo.insertLegacy(row);
      await repo.softDelete(account.id, 'legacy');
      expect(await repo.findByLegacyUsername(row.legacyUsername)).to.equal(null);
      const again = await repo.insertLegacyMany([row]);
      expect(again.inserted).to.deep.equal([]);
      expect(again.skipped.map((s) => s.reason)).to.deep.equal(['already_imported']);
    });

    it('deletes a disabled account and refuses a stale expected status', async () => {
      const account = await active();
      await repo.changeStatus(account.id, 'active', 'disabled');
      expect(await rejection(repo.softDelete(account.id, 'active'))).to.be.instanceOf(
        ConcurrentUpdateError,
      );
      expect((await repo.softDelete(account.id, 'disabled')).status).to.equal('deleted');
    });
  });

  describe('passwords and sign-in', () => {
    it('stores a temporary password with its expiry and records when it changed', async () => {
      const account = await repo.insertLegacy(legacy());
      clock.advance(1000);
      const expiresAt = new Date(clock.now().getTime() + 14 * 86_400_000);
      await repo.setPasswordHash(account.id, '$argon2id$temporary', { temporary: true, expiresAt });
      let found = await repo.findById(account.id);
      expect(found).to.include({ passwordTemporary: true, hasPassword: true });
      expect(found?.passwordExpiresAt?.getTime()).to.equal(expiresAt.getTime());
      expect(found?.passwordChangedAt?.getTime()).to.equal(clock.now().getTime());
      expect(await repo.getPasswordHash(account.id)).to.equal('$argon2id$temporary');

      clock.advance(1000);
      await repo.setPasswordHash(account.id, '$argon2id$chosen');
      found = await repo.findById(account.id);
      expect(found).to.include({ passwordTemporary: false, passwordExpiresAt: null });
      expect(found?.passwordChangedAt?.getTime()).to.equal(clock.now().getTime());
    });

    it('upgrades a hash only while the old one is still stored, keeping the change time', async () => {
      const row = legacy();
      const account = await repo.insertLegacy(row);
      expect(await repo.upgradePasswordHash(account.id, 'not-the-hash', '$argon2id$new')).to.equal(
        false,
      );
      expect(
        await repo.upgradePasswordHash(account.id, row.passwordHash, '$argon2id$new'),
      ).to.equal(true);
      expect(
        await repo.upgradePasswordHash(account.id, row.passwordHash, '$argon2id$other'),
      ).to.equal(false);
      expect(await repo.getPasswordHash(account.id)).to.equal('$argon2id$new');
      expect((await repo.findById(account.id))?.passwordChangedAt).to.equal(null);
    });

    it('refuses an empty or oversized password hash', async () => {
      const account = await active();
      expect(await rejection(repo.setPasswordHash(account.id, ''))).to.be.instanceOf(RangeError);
      expect(await rejection(repo.setPasswordHash(account.id, 'h'.repeat(513)))).to.be.instanceOf(
        RangeError,
      );
    });

    it('records the time of a sign-in of an active account but not of a disabled one', async () => {
      const account = await active();
      clock.advance(42_000);
      await repo.recordSignIn(account.id);
      expect((await repo.findById(account.id))?.lastSignInAt?.getTime()).to.equal(
        clock.now().getTime(),
      );
      await repo.changeStatus(account.id, 'active', 'disabled');
      const err = await rejection(repo.recordSignIn(account.id));
      expect(err).to.be.instanceOf(AccountNotActiveError);
      expect((err as AccountNotActiveError).status).to.equal('disabled');
    });
  });

  describe('required actions', () => {
    it('adds, lists in sign-in order and removes required actions idempotently', async () => {
      const account = await active();
      await repo.addRequiredAction(account.id, 'update_profile');
      await repo.addRequiredAction(account.id, 'configure_mfa');
      await repo.addRequiredAction(account.id, 'update_profile');
      expect(await repo.listRequiredActions(account.id)).to.deep.equal([
        'configure_mfa',
        'update_profile',
      ]);
      expect(await repo.removeRequiredAction(account.id, 'configure_mfa')).to.equal(true);
      expect(await repo.removeRequiredAction(account.id, 'configure_mfa')).to.equal(false);
      expect(await repo.listRequiredActions(account.id)).to.deep.equal(['update_profile']);
    });

    it('stores one row when the same action is added many times at once', async () => {
      const account = await active();
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          repoOn(i).addRequiredAction(account.id, 'update_password'),
        ),
      );
      const rows = await t.db('account_required_actions').where({ account_id: account.id });
      expect(rows).to.have.length(1);
    });

    it('refuses a required action for an unknown account', async () => {
      expect(
        await rejection(repo.addRequiredAction('0'.repeat(32), 'verify_email')),
      ).to.be.instanceOf(AccountNotFoundError);
    });
  });

  describe('issuing usernames', () => {
    it('numbers collisions: sian.jones, then sian.jones2, then sian.jones3', async () => {
      const domain = `${unique('numbers')}.example.org`;
      const issued: string[] = [];
      for (let i = 0; i < 3; i++) {
        const account = await repo.insertLegacy(legacy());
        issued.push(await repo.issueUsername(account.id, 'Siân', 'Jones', domain));
      }
      expect(issued).to.deep.equal([
        `sian.jones@${domain}`,
        `sian.jones2@${domain}`,
        `sian.jones3@${domain}`,
      ]);
      const third = await repo.findByUsername(` SIAN.JONES3@${domain.toUpperCase()}`);
      expect(third?.username).to.equal(`sian.jones3@${domain}`);
    });

    it('skips usernames taken by accounts with other names and reuses a deleted one’s', async () => {
      const domain = `${unique('gaps')}.example.org`;
      const holder = await active({ username: `sian.jones@${domain}` });
      await active({ username: `sian.jones2@${domain}` });
      await active({ username: `sian.jones-evans@${domain}` });
      const account = await repo.insertLegacy(legacy());
      expect(await repo.issueUsername(account.id, 'Siân', 'Jones', domain)).to.equal(
        `sian.jones3@${domain}`,
      );
      await repo.softDelete(holder.id, 'active');
      const next = await repo.insertLegacy(legacy());
      expect(await repo.issueUsername(next.id, 'SIAN', 'JONES', domain)).to.equal(
        `sian.jones@${domain}`,
      );
    });

    it('uses the default domain when none is given', async () => {
      const account = await repo.insertLegacy(legacy());
      const family = unique('Defaultdomain').replace(/\d/g, (d) => 'abcdefghij'.charAt(Number(d)));
      expect(await repo.issueUsername(account.id, 'Llŷr', family)).to.equal(
        `llyr.${family.toLowerCase()}@wjec-appointees.co.uk`,
      );
    });

    it('issues a username only once per account', async () => {
      const account = await repo.insertLegacy(legacy());
      const domain = `${unique('once')}.example.org`;
      await repo.issueUsername(account.id, 'Siân', 'Jones', domain);
      expect(
        await rejection(repo.issueUsername(account.id, 'Siân', 'Jones', domain)),
      ).to.be.instanceOf(ConcurrentUpdateError);
      expect((await repo.findById(account.id))?.username).to.equal(`sian.jones@${domain}`);
      expect(
        await rejection(repo.issueUsername('0'.repeat(32), 'A', 'B', domain)),
      ).to.be.instanceOf(AccountNotFoundError);
    });

    it('gives 20 accounts of the same name 20 distinct usernames when issued at once', async () => {
      const domain = `${unique('concurrent')}.example.org`;
      const accounts = await Promise.all(
        Array.from({ length: 20 }, () => repo.insertLegacy(legacy())),
      );
      const issued = await Promise.all(
        accounts.map((a, i) => repoOn(i).issueUsername(a.id, 'Siân', 'Jones', domain)),
      );
      const expected = Array.from({ length: 20 }, (_, i) =>
        i === 0 ? `sian.jones@${domain}` : `sian.jones${i + 1}@${domain}`,
      );
      expect([...issued].sort()).to.deep.equal([...expected].sort());
      for (const [i, account] of accounts.entries()) {
        expect((await repo.findById(account.id))?.username).to.equal(issued[i]);
      }
    });

    it('issues exactly one username when the same account is issued one many times at once', async () => {
      const domain = `${unique('same')}.example.org`;
      const account = await repo.insertLegacy(legacy());
      const { values, errors } = await settle(
        Array.from({ length: 8 }, (_, i) =>
          repoOn(i).issueUsername(account.id, 'Siân', 'Jones', domain),
        ),
      );
      expect(values).to.deep.equal([`sian.jones@${domain}`]);
      expect(errors.every((e) => e instanceof ConcurrentUpdateError)).to.equal(true);
      expect(
        await t.db('accounts').where('username_key', 'like', `%@${domain}`).count({ n: '*' }),
      ).to.satisfy((r: { n: number | string }[]) => Number(r[0]?.n) === 1);
    });

    it('moves to the next number inside a caller’s transaction', async () => {
      const domain = `${unique('trx')}.example.org`;
      await active({ username: `sian.jones@${domain}` });
      const account = await repo.insertLegacy(legacy());
      const username = await transaction(t.db, async (trx) => {
        const inner = new KnexAccountRepository(trx, clock, cryptoRandom);
        const issued = await inner.issueUsername(account.id, 'Siân', 'Jones', domain);
        await inner.changeStatus(account.id, 'legacy', 'active');
        return issued;
      });
      expect(username).to.equal(`sian.jones2@${domain}`);
      expect(await repo.findById(account.id)).to.include({ status: 'active', username });
    });

    it('leaves no username behind when the caller’s transaction rolls back', async () => {
      const domain = `${unique('rollback')}.example.org`;
      const account = await repo.insertLegacy(legacy());
      const err = await rejection(
        transaction(t.db, async (trx) => {
          await new KnexAccountRepository(trx, clock, cryptoRandom).issueUsername(
            account.id,
            'A',
            'B',
            domain,
          );
          throw new Error('later step failed');
        }),
      );
      expect((err as Error).message).to.equal('later step failed');
      expect((await repo.findById(account.id))?.username).to.equal(null);
    });
  });

  it('returns accounts whose dates and flags have the right types on this database', async () => {
    const account = await active({ emailVerified: true });
    await repo.recordSignIn(account.id);
    const found = (await repo.findById(account.id)) as Account;
    expect(found.emailVerified).to.equal(true);
    expect(found.passwordTemporary).to.equal(false);
    expect(found.createdAt).to.be.instanceOf(Date);
    expect(found.lastSignInAt).to.be.instanceOf(Date);
    expect(found.version).to.be.a('number');
  });
});

import { expect } from 'chai';
import {
  KnexAccountRepository,
  createManualClock,
  cryptoRandom,
  type ManualClock,
} from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import { readMigrationStatus } from '../../src/index.js';
import {
  DATABASE_LABEL,
  clearTables,
  createMigrationTestDatabase,
  migrationKit,
  seedLegacy,
  vector,
  type MigrationKit,
} from '../support/migration-test-kit.js';

const DAY = 24 * 60 * 60 * 1000;
const md5 = vector('md5-crypt');

describe(`readMigrationStatus (${DATABASE_LABEL})`, () => {
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

  async function legacy(legacyUsername: string, overrides: object = {}) {
    return seedLegacy(t.db, clock, {
      legacyUsername,
      passwordHash: md5.hash,
      email: `${legacyUsername}@example.org`,
      givenName: 'Amp',
      familyName: legacyUsername.replace(/\W/g, ''),
      ...overrides,
    });
  }

  async function migrate(legacyUsername: string): Promise<string> {
    const result = await kit.flow.migrate({ legacyUsername, password: md5.password });
    if (result.outcome !== 'migrated') throw new Error(result.outcome);
    return result.accountId;
  }

  it('counts accounts in every state', async () => {
    await legacy('a.legacy');
    await legacy('b.migrated');
    await legacy('c.signed-in');
    await legacy('d.done');
    // Imported by another tool, without a migration record: still legacy.
    await new KnexAccountRepository(t.db, clock, cryptoRandom).insertLegacy({
      legacyUsername: 'e.orphan',
      passwordHash: md5.hash,
    });
    await migrate('b.migrated');
    await kit.flow.recordSignIn(await migrate('c.signed-in'));
    const done = await migrate('d.done');
    await kit.flow.completeRequiredAction(done, 'configure_mfa');
    await kit.flow.completeRequiredAction(done, 'update_password');
    const deleted = await legacy('f.deleted');
    await kit.accounts.softDelete(deleted.id, 'legacy');

    const report = await readMigrationStatus(t.db, clock);
    expect(report.counts).to.deep.equal({
      legacy: 2,
      migrated: 1,
      required_actions: 1,
      active: 1,
      total: 5,
    });
    expect(report.generatedAt).to.deep.equal(clock.now());
  });

  it('lists migrated accounts nobody has signed in to, and those whose temporary password expired', async () => {
    await legacy('early.bird');
    await legacy('late.comer');
    await legacy('signed.in');
    await migrate('early.bird');
    clock.advance(10 * DAY);
    await migrate('late.comer');
    await kit.flow.recordSignIn(await migrate('signed.in'));

    let report = await readMigrationStatus(t.db, clock);
    expect(report.stuck.neverSignedIn.total).to.equal(2);
    expect(report.stuck.neverSignedIn.accounts.map((a) => a.legacyUsername)).to.deep.equal([
      'early.bird',
      'late.comer',
    ]);
    expect(report.stuck.neverSignedIn.accounts[0]).to.include({
      newUsername: 'amp.earlybird@wjec-appointees.co.uk',
      email: 'early.bird@example.org',
      temporaryPasswordResends: 0,
    });
    expect(report.stuck.temporaryPasswordExpired.total).to.equal(0);

    report = await readMigrationStatus(t.db, clock, { staleAfterMs: 5 * DAY });
    expect(report.stuck.neverSignedIn.accounts.map((a) => a.legacyUsername)).to.deep.equal([
      'early.bird',
    ]);

    clock.advance(4 * DAY);
    report = await readMigrationStatus(t.db, clock);
    expect(
      report.stuck.temporaryPasswordExpired.accounts.map((a) => a.legacyUsername),
    ).to.deep.equal(['early.bird']);
    expect(report.stuck.neverSignedIn.accounts.map((a) => a.legacyUsername)).to.deep.equal([
      'late.comer',
    ]);
  });

  it('lists legacy accounts that cannot migrate by themselves, with the reason', async () => {
    await legacy('has.email');
    await legacy('no.email', { email: null });
    await legacy('bad.email', { email: 'bad.email at example' });
    const report = await readMigrationStatus(t.db, clock);
    expect(report.cannotSelfMigrate.total).to.equal(2);
    expect(
      report.cannotSelfMigrate.accounts.map((a) => `${a.legacyUsername}:${a.reason}`).sort(),
    ).to.deep.equal(['bad.email:malformed_email', 'no.email:no_email']);
  });

  it('caps each list but counts everything', async () => {
    for (let i = 0; i < 5; i++) await legacy(`user.${i}`, { email: null });
    const report = await readMigrationStatus(t.db, clock, { limit: 2 });
    expect(report.cannotSelfMigrate.total).to.equal(5);
    expect(report.cannotSelfMigrate.accounts).to.have.length(2);
  });
});

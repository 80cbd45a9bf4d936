import { expect } from 'chai';
import { Argon2PasswordHasher, KnexAccountRepository, cryptoRandom } from '@porth/identity-core';
import {
  createManualClock,
  createTestDatabase,
  type TestDatabase,
} from '@porth/identity-core/testing';
import { allMigrations } from '../src/db/migrations.js';
import { seedDemoMarks } from '../src/demo/marks-seed.js';
import { seedDemoData } from '../src/demo/seed.js';
import { KnexClientRegistry } from '../src/oidc/clients.js';
import { KnexMarksRepository } from '../src/rp/portal/marks/knex-marks-repository.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const DOMAIN = 'wjec-appointees.co.uk';

describe(`mark-input demo data (${DB})`, () => {
  let database: TestDatabase;
  const clock = createManualClock(Date.UTC(2026, 10, 25, 9));

  async function tableSizes(): Promise<Record<string, number>> {
    const sizes: Record<string, number> = {};
    for (const table of [
      'mark_units',
      'mark_allocations',
      'mark_allocation_centres',
      'mark_candidates',
      'marks',
      'moderation_reports',
    ]) {
      const row = (await database.db(table).count({ n: '*' }).first()) as { n: number | string };
      sizes[table] = Number(row.n);
    }
    return sizes;
  }

  before(async () => {
    database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await database?.destroy();
  });

  it('refuses to run before the demo appointee exists', async () => {
    let refused: unknown = null;
    try {
      await seedDemoMarks({ db: database.db, clock, random: cryptoRandom, domain: DOMAIN });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(Error);
    expect((await tableSizes()).mark_units).to.equal(0);
  });

  it("gives the demo appointee seed 001's figures, and running it again changes nothing", async () => {
    await seedDemoData({
      db: database.db,
      clock,
      random: cryptoRandom,
      hasher: new Argon2PasswordHasher({ random: cryptoRandom }),
      domain: DOMAIN,
      clients: new KnexClientRegistry(database.db, clock),
    });
    const deps = { db: database.db, clock, random: cryptoRandom, domain: DOMAIN };
    await seedDemoMarks(deps);
    const sizes = await tableSizes();

    const repo = new KnexMarksRepository(database.db, clock, cryptoRandom);
    const megan = await new KnexAccountRepository(database.db, clock, cryptoRandom).findByUsername(
      `megan.lloyd@${DOMAIN}`,
    );
    if (!megan) throw new Error('no demo appointee');
    const allocations = await repo.allocationsOf(megan.id);
    expect(allocations.map((a) => `${a.unit.code} ${a.role}`)).to.have.members([
      '3000N1 principal_moderator',
      '3000N1 moderator',
      '9521/01 examiner',
    ]);

    const principal = allocations.find((a) => a.role === 'principal_moderator');
    if (!principal) throw new Error('no principal allocation');
    expect(principal.unit).to.include({
      series: 'GCSE JUNE 2017',
      title: 'WELSH LANGUAGE UNED 1 - LLAFAR',
    });
    // Seed 001: 6 | 74 | 0 | REVIEW MARKS(74) REMAINING | 506 | 0 | 506
    expect(await repo.summary(principal.unit.id, principal.scope)).to.deep.equal({
      totalCentres: 6,
      totalSampleCandidates: 74,
      totalReportsCompleted: 0,
      reviewRemaining: 74,
      totalEntered: 506,
      totalCarriedForwardOrAbsent: 0,
      totalNewMarks: 506,
    });

    const examiner = allocations.find((a) => a.role === 'examiner');
    if (!examiner) throw new Error('no examiner allocation');
    expect(examiner.unit).to.include({
      series: 'GCSE JANUARY 2017',
      title: 'LATIN LANGUAGE CORE: LEVEL 2',
      kind: 'examined',
    });
    // Seed 001: ENTER MARKS (290 LEFT) — NO MARKS TO SUBMIT (0 SUBMITTED)
    expect(
      await repo.progress(examiner.unit.id, 'examiner', examiner.scope, {
        id: megan.id,
        exclusive: true,
      }),
    ).to.deep.equal({ candidates: 290, left: 290, drafts: 0, submitted: 0 });

    const centreUnits = await repo.unitsAtCentre('68101', 'internal_assessment');
    expect(centreUnits.map((u) => u.code)).to.deep.equal(['3000N1', '3000N4']);

    await seedDemoMarks(deps);
    expect(await tableSizes()).to.deep.equal(sizes);
  });
});

import { expect } from 'chai';
import {
  KnexAccountRepository,
  cryptoRandom,
  transaction,
  type Account,
} from '@porth/identity-core';
import {
  createManualClock,
  createTestDatabase,
  type TestDatabase,
} from '@porth/identity-core/testing';
import { allMigrations } from '../src/db/migrations.js';
import { MarkLockedError } from '../src/rp/portal/marks/errors.js';
import {
  KnexMarksRepository,
  type MarkOwner,
} from '../src/rp/portal/marks/knex-marks-repository.js';
import type { Candidate, Unit } from '../src/rp/portal/marks/model.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`marks repository (${DB})`, () => {
  let database: TestDatabase;
  const clock = createManualClock(Date.UTC(2026, 10, 25, 9));
  let repo: KnexMarksRepository;
  let examiner: Account;
  let otherExaminer: Account;
  let moderator: Account;
  let accountCount = 0;

  async function account(given: string): Promise<Account> {
    accountCount += 1;
    return new KnexAccountRepository(database.db, clock, cryptoRandom).createActive({
      kind: 'appointee',
      username: `${given.toLowerCase()}.${accountCount}@wjec-appointees.co.uk`,
      email: `${given.toLowerCase()}.${accountCount}@example.org`,
      emailVerified: true,
      givenName: given,
      familyName: 'Prawf',
      locale: 'en',
    });
  }

  async function unitWith(
    code: string,
    kind: Unit['kind'],
    centres: Record<string, { candidates: number; sample?: number }>,
  ): Promise<{ unit: Unit; candidates: Candidate[] }> {
    const unit = await repo.createUnit({
      series: 'GCSE JUNE 2017',
      code,
      title: `UNIT ${code}`,
      maxMark: 60,
      kind,
    });
    const candidates: Candidate[] = [];
    for (const [centre, c] of Object.entries(centres)) {
      candidates.push(
        ...(await repo.addCandidates(
          unit.id,
          Array.from({ length: c.candidates }, (_, i) => ({
            centreNumber: centre,
            candidateNumber: String(i + 1).padStart(4, '0'),
            name: `Ymgeisydd ${i + 1}`,
            inSample: i < (c.sample ?? 0),
          })),
        )),
      );
    }
    return { unit, candidates };
  }

  async function markRow(candidateId: string, source: string) {
    return (await database.db('marks').where({ candidate_id: candidateId, source }).first()) as
      { outcome: string; mark: number | null; status: string; version: number } | undefined;
  }

  before(async () => {
    database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
    repo = new KnexMarksRepository(database.db, clock, cryptoRandom);
    examiner = await account('Gwenllian');
    otherExaminer = await account('Iolo');
    moderator = await account('Dewi');
  });
  after(async () => {
    await database?.destroy();
  });

  it('saves drafts, changes them, and clears a draft when its box is emptied', async () => {
    const { candidates } = await unitWith('1001U1', 'examined', { '68101': { candidates: 3 } });
    const [a, b] = candidates;
    if (!a || !b) throw new Error('no candidates');
    const me: MarkOwner = { id: examiner.id, exclusive: true };
    await repo.saveDrafts('examiner', me, examiner.id, [
      { candidateId: a.id, outcome: 'mark', mark: 12 },
      { candidateId: b.id, outcome: 'absent' },
    ]);
    expect(await markRow(a.id, 'examiner')).to.include({ outcome: 'mark', status: 'draft' });
    expect(Number((await markRow(a.id, 'examiner'))?.mark)).to.equal(12);
    expect(await markRow(b.id, 'examiner')).to.include({ outcome: 'absent', status: 'draft' });

    const saved = await repo.saveDrafts('examiner', me, examiner.id, [
      { candidateId: a.id, outcome: 'mark', mark: 30 },
      { candidateId: b.id, outcome: 'clear' },
    ]);
    expect(saved).to.deep.equal({ saved: 1, cleared: 1 });
    expect(Number((await markRow(a.id, 'examiner'))?.mark)).to.equal(30);
    expect(await markRow(b.id, 'examiner')).to.equal(undefined);
  });

  it('never changes a submitted mark, and saves nothing of a request that tries to', async () => {
    const { unit, candidates } = await unitWith('1001U2', 'examined', {
      '68101': { candidates: 3 },
    });
    const [a, b, c] = candidates;
    if (!a || !b || !c) throw new Error('no candidates');
    const me: MarkOwner = { id: examiner.id, exclusive: true };
    await repo.saveDrafts('examiner', me, examiner.id, [
      { candidateId: a.id, outcome: 'mark', mark: 40 },
    ]);
    expect(await repo.submitDrafts(unit.id, 'examiner', { all: true }, me, examiner.id)).to.equal(
      1,
    );

    let refused: unknown = null;
    try {
      await transaction(database.db, async (trx) => {
        await new KnexMarksRepository(trx, clock, cryptoRandom).saveDrafts(
          'examiner',
          me,
          examiner.id,
          [
            { candidateId: b.id, outcome: 'mark', mark: 5 },
            { candidateId: a.id, outcome: 'mark', mark: 41 },
            { candidateId: c.id, outcome: 'absent' },
          ],
        );
      });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(MarkLockedError);
    expect((refused as MarkLockedError).candidateIds).to.deep.equal([a.id]);
    expect(Number((await markRow(a.id, 'examiner'))?.mark)).to.equal(40);
    expect(await markRow(a.id, 'examiner')).to.include({ status: 'submitted' });
    expect(await markRow(b.id, 'examiner'), 'nothing else of the request saved').to.equal(
      undefined,
    );
    expect(await markRow(c.id, 'examiner')).to.equal(undefined);

    // Clearing a submitted mark is refused too.
    let cleared: unknown = null;
    try {
      await repo.saveDrafts('examiner', me, examiner.id, [{ candidateId: a.id, outcome: 'clear' }]);
    } catch (err) {
      cleared = err;
    }
    expect(cleared).to.be.instanceOf(MarkLockedError);
    expect(await markRow(a.id, 'examiner')).to.include({ status: 'submitted' });
  });

  it('lets an examiner change and submit only their own drafts', async () => {
    const { unit, candidates } = await unitWith('1001U3', 'examined', {
      '68101': { candidates: 2 },
    });
    const [a, b] = candidates;
    if (!a || !b) throw new Error('no candidates');
    const mine: MarkOwner = { id: examiner.id, exclusive: true };
    const theirs: MarkOwner = { id: otherExaminer.id, exclusive: true };
    await repo.saveDrafts('examiner', mine, examiner.id, [
      { candidateId: a.id, outcome: 'mark', mark: 10 },
    ]);
    await repo.saveDrafts('examiner', theirs, otherExaminer.id, [
      { candidateId: b.id, outcome: 'mark', mark: 20 },
    ]);
    let refused: unknown = null;
    try {
      await repo.saveDrafts('examiner', theirs, otherExaminer.id, [
        { candidateId: a.id, outcome: 'mark', mark: 11 },
      ]);
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(MarkLockedError);
    expect(Number((await markRow(a.id, 'examiner'))?.mark)).to.equal(10);

    expect(await repo.submitDrafts(unit.id, 'examiner', { all: true }, mine, examiner.id)).to.equal(
      1,
    );
    expect(await markRow(b.id, 'examiner')).to.include({ status: 'draft' });
    const progress = await repo.progress(unit.id, 'examiner', { all: true }, mine);
    expect(progress).to.deep.equal({ candidates: 2, left: 0, drafts: 0, submitted: 1 });
  });

  it('of two submissions at once, submits each draft once', async () => {
    const { unit, candidates } = await unitWith('1001U4', 'examined', {
      '68101': { candidates: 20 },
    });
    const me: MarkOwner = { id: examiner.id, exclusive: true };
    await repo.saveDrafts(
      'examiner',
      me,
      examiner.id,
      candidates.map((c, i) => ({ candidateId: c.id, outcome: 'mark' as const, mark: i })),
    );
    const counts = await Promise.all(
      [1, 2].map(() =>
        transaction(database.db, (trx) =>
          new KnexMarksRepository(trx, clock, cryptoRandom).submitDrafts(
            unit.id,
            'examiner',
            { all: true },
            me,
            examiner.id,
          ),
        ),
      ),
    );
    expect(counts.reduce((x, y) => x + y, 0)).to.equal(20);
  });

  it("counts the moderator's summary from the data, over the allocated centres only", async () => {
    const { unit, candidates } = await unitWith('3000N9', 'internal_assessment', {
      '68101': { candidates: 5, sample: 2 },
      '68105': { candidates: 4, sample: 2 },
      '68112': { candidates: 3, sample: 1 },
    });
    const at = (centre: string) => candidates.filter((c) => c.centreNumber === centre);
    const centre = { id: null, exclusive: false };
    // 68101: 4 new marks and 1 absent, submitted.
    const c1 = at('68101');
    await repo.saveDrafts(
      'centre',
      centre,
      'someone',
      c1.map((c, i) =>
        i === 4
          ? { candidateId: c.id, outcome: 'absent' as const }
          : { candidateId: c.id, outcome: 'mark' as const, mark: 10 + i },
      ),
    );
    await repo.submitDrafts(unit.id, 'centre', { all: false, centres: ['68101'] }, centre, 'x');
    // 68105: drafts only (not entered yet as far as the moderator is concerned).
    await repo.saveDrafts(
      'centre',
      centre,
      'someone',
      at('68105').map((c) => ({ candidateId: c.id, outcome: 'mark' as const, mark: 7 })),
    );
    // 68112: 2 new marks and 1 carried forward, submitted (imported).
    await repo.importMarks(
      at('68112').map((c, i) => ({
        candidateId: c.id,
        source: 'centre' as const,
        outcome: i === 2 ? ('carried_forward' as const) : ('mark' as const),
        mark: i === 2 ? null : 20,
        submitted: true,
        enteredBy: 'import',
      })),
    );
    // The moderator reviewed one sample candidate of 68101 and completed 68112's report.
    const [s1] = c1;
    if (!s1) throw new Error('no candidate');
    await repo.saveDrafts('moderator', { id: moderator.id, exclusive: false }, moderator.id, [
      { candidateId: s1.id, outcome: 'mark', mark: 12 },
    ]);
    expect(await repo.completeReport(unit.id, '68112', moderator.id)).to.equal(true);

    expect(await repo.summary(unit.id, { all: true })).to.deep.equal({
      totalCentres: 3,
      totalSampleCandidates: 5,
      totalReportsCompleted: 1,
      reviewRemaining: 4,
      totalEntered: 8,
      totalCarriedForwardOrAbsent: 2,
      totalNewMarks: 6,
    });
    expect(await repo.summary(unit.id, { all: false, centres: ['68101', '68105'] })).to.deep.equal({
      totalCentres: 2,
      totalSampleCandidates: 4,
      totalReportsCompleted: 0,
      reviewRemaining: 3,
      totalEntered: 5,
      totalCarriedForwardOrAbsent: 1,
      totalNewMarks: 4,
    });
    const centres = await repo.moderationCentres(unit.id, { all: false, centres: ['68112'] });
    expect(centres.map((c) => [c.centreNumber, c.sample, c.reviewed, c.entered])).to.deep.equal([
      ['68112', 1, 0, 3],
    ]);
    expect(centres[0]?.reportCompletedAt?.getTime()).to.equal(clock.now().getTime());
  });

  it('never lets a save racing a submission change a submitted mark', async () => {
    const me: MarkOwner = { id: examiner.id, exclusive: true };
    for (let round = 0; round < 5; round++) {
      const { unit, candidates } = await unitWith(`R${round}`, 'examined', {
        '68101': { candidates: 1 },
      });
      const [a] = candidates;
      if (!a) throw new Error('no candidate');
      await repo.saveDrafts('examiner', me, examiner.id, [
        { candidateId: a.id, outcome: 'mark', mark: 10 },
      ]);
      const [save] = await Promise.allSettled([
        transaction(database.db, (trx) =>
          new KnexMarksRepository(trx, clock, cryptoRandom).saveDrafts(
            'examiner',
            me,
            examiner.id,
            [{ candidateId: a.id, outcome: 'mark', mark: 20 }],
          ),
        ),
        transaction(database.db, (trx) =>
          new KnexMarksRepository(trx, clock, cryptoRandom).submitDrafts(
            unit.id,
            'examiner',
            { all: true },
            me,
            examiner.id,
          ),
        ),
      ]);
      const stored = await markRow(a.id, 'examiner');
      expect(stored?.status).to.equal('submitted');
      if (save?.status === 'fulfilled') {
        expect(Number(stored?.mark), 'saved before the submission').to.equal(20);
      } else {
        expect(save?.reason).to.be.instanceOf(MarkLockedError);
        expect(Number(stored?.mark), 'refused after the submission').to.equal(10);
      }
    }
  });

  it('completes a moderator report exactly once, however many requests race', async () => {
    const { unit } = await unitWith('3000N8', 'internal_assessment', {
      '68101': { candidates: 1, sample: 1 },
    });
    const results = await Promise.all(
      [1, 2, 3].map(() => repo.completeReport(unit.id, '68101', moderator.id)),
    );
    expect(results.filter(Boolean)).to.have.length(1);
  });

  it("keeps allocations with their role and centres, and lists a unit's team", async () => {
    const { unit } = await unitWith('3000N7', 'internal_assessment', {
      '68101': { candidates: 1 },
      '68105': { candidates: 1 },
    });
    await repo.allocate(moderator.id, unit.id, 'principal_moderator', { all: true });
    await repo.allocate(moderator.id, unit.id, 'moderator', {
      all: false,
      centres: ['68105', '68101'],
    });
    await repo.allocate(examiner.id, unit.id, 'moderator', { all: false, centres: ['68105'] });
    const mine = (await repo.allocationsOf(moderator.id)).filter((a) => a.unit.id === unit.id);
    expect(mine.map((a) => [a.role, a.scope])).to.deep.equal([
      ['moderator', { all: false, centres: ['68101', '68105'] }],
      ['principal_moderator', { all: true }],
    ]);
    expect(await repo.allocation(examiner.id, unit.id, 'principal_moderator')).to.equal(null);
    const team = await repo.team(unit.id);
    expect(team.map((m) => [m.name, m.role])).to.have.deep.members([
      ['Dewi Prawf', 'principal_moderator'],
      ['Dewi Prawf', 'moderator'],
      ['Gwenllian Prawf', 'moderator'],
    ]);
    let duplicate: unknown = null;
    try {
      await repo.allocate(moderator.id, unit.id, 'moderator', { all: true });
    } catch (err) {
      duplicate = err;
    }
    expect(duplicate, 'one allocation per role and unit').to.not.equal(null);
  });

  it('pages a big sheet in candidate order, numbering rows across pages', async () => {
    const { unit } = await unitWith('9521/09', 'examined', {
      '68105': { candidates: 70 },
      '68101': { candidates: 60 },
    });
    const second = await repo.sheet({
      unitId: unit.id,
      source: 'examiner',
      scope: { all: true },
      offset: 50,
      limit: 50,
    });
    expect(second).to.have.length(50);
    expect(second[0]).to.include({ row: 51, centreNumber: '68101', candidateNumber: '0051' });
    expect(second[10]).to.include({ row: 61, centreNumber: '68105', candidateNumber: '0001' });
    expect(await repo.candidateCount(unit.id, { all: false, centres: ['68101'] })).to.equal(60);
  });
});

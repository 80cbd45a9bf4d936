import type { Knex } from 'knex';
import {
  KnexAccountRepository,
  isUniqueViolation,
  transaction,
  type Clock,
  type RandomSource,
} from '@porth/identity-core';
import {
  KnexMarksRepository,
  type NewCandidate,
  type NewUnit,
} from '../rp/portal/marks/knex-marks-repository.js';
import type { AllocationRole, CentreScope } from '../rp/portal/marks/model.js';

/** What seedDemoMarks needs (a subset of the demo seed's dependencies). */
export interface MarksSeedDependencies {
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** The domain of new usernames (USERNAME_DOMAIN): the demo appointee is `megan.lloyd@<domain>`. */
  readonly domain: string;
}

/** Who entered the seeded centre marks (no account: the demo data itself). */
const SEEDED_BY = 'demo-seed';

const GIVEN_NAMES = [
  'Aled',
  'Bethan',
  'Carys',
  'Dafydd',
  'Elin',
  'Ffion',
  'Gethin',
  'Heledd',
  'Ioan',
  'Lowri',
  'Mared',
  'Nia',
  'Osian',
  'Rhian',
  'Siôn',
  'Tomos',
  'Alaw',
  'Cai',
  'Gwen',
  'Llŷr',
];
const FAMILY_NAMES = [
  'Jones',
  'Williams',
  'Davies',
  'Evans',
  'Thomas',
  'Roberts',
  'Hughes',
  'Lewis',
  'Morgan',
  'Griffiths',
  'Owen',
  'Price',
  'Pritchard',
  'Rees',
  'Parry',
  'Jenkins',
  'Edwards',
  'Lloyd',
  'Powell',
  'Bowen',
];

/** One centre's candidates in a demo unit. */
interface CentreCohort {
  readonly centre: string;
  readonly candidates: number;
  /** How many of them are in the moderation sample (the first ones). */
  readonly sample?: number;
  /** How many of them have a centre mark, and whether those are submitted. */
  readonly marked?: { readonly count: number; readonly submitted: boolean };
}

interface DemoUnit {
  readonly unit: NewUnit;
  readonly cohorts: readonly CentreCohort[];
}

/**
 * Seed 001's units. 3000N1: 6 centres, 506 candidates whose centre marks are submitted, 74 in
 * the moderation sample — so the principal moderator's summary reads 6, 74, 0, "Review marks
 * (74) remaining", 506, 0, 506. 9521/01: 290 candidates, none marked ("Enter marks (290
 * left)", "No marks to submit (0 submitted)"). 3000N4 (demo only): centre 68101's unit still
 * being marked, some marks saved as drafts.
 */
export const DEMO_UNITS: readonly DemoUnit[] = [
  {
    unit: {
      series: 'GCSE JUNE 2017',
      code: '3000N1',
      title: 'WELSH LANGUAGE UNED 1 - LLAFAR',
      maxMark: 60,
      kind: 'internal_assessment',
    },
    cohorts: [
      { centre: '68101', candidates: 92, sample: 13, marked: { count: 92, submitted: true } },
      { centre: '68105', candidates: 88, sample: 13, marked: { count: 88, submitted: true } },
      { centre: '68112', candidates: 85, sample: 12, marked: { count: 85, submitted: true } },
      { centre: '68120', candidates: 81, sample: 12, marked: { count: 81, submitted: true } },
      { centre: '68133', candidates: 84, sample: 12, marked: { count: 84, submitted: true } },
      { centre: '68147', candidates: 76, sample: 12, marked: { count: 76, submitted: true } },
    ],
  },
  {
    unit: {
      series: 'GCSE JANUARY 2017',
      code: '9521/01',
      title: 'LATIN LANGUAGE CORE: LEVEL 2',
      maxMark: 60,
      kind: 'examined',
    },
    cohorts: [
      { centre: '68101', candidates: 64 },
      { centre: '68105', candidates: 71 },
      { centre: '68112', candidates: 80 },
      { centre: '68120', candidates: 75 },
    ],
  },
  {
    unit: {
      series: 'GCSE JUNE 2017',
      code: '3000N4',
      title: 'WELSH LANGUAGE UNED 4 - YSGRIFENNU',
      maxMark: 40,
      kind: 'internal_assessment',
    },
    cohorts: [{ centre: '68101', candidates: 24, marked: { count: 10, submitted: false } }],
  },
];

/** The demo appointee's roles: principal moderator (and moderator of two centres) of 3000N1, examiner of 9521/01. */
const DEMO_ALLOCATIONS: readonly {
  readonly code: string;
  readonly role: AllocationRole;
  readonly scope: CentreScope;
}[] = [
  { code: '3000N1', role: 'principal_moderator', scope: { all: true } },
  { code: '3000N1', role: 'moderator', scope: { all: false, centres: ['68120', '68133'] } },
  { code: '9521/01', role: 'examiner', scope: { all: true } },
];

/** The rest of 3000N1's moderating team: the demo's legacy appointee, for "View Team". */
const DEMO_TEAM = {
  legacyUsername: 'rhys.evans',
  code: '3000N1',
  role: 'moderator',
  scope: { all: false, centres: ['68101', '68105', '68112', '68147'] },
} as const;

function candidateName(index: number, centreIndex: number): string {
  const given = GIVEN_NAMES[(index * 7 + centreIndex * 3) % GIVEN_NAMES.length] ?? 'Alaw';
  const family = FAMILY_NAMES[(index * 3 + centreIndex * 5) % FAMILY_NAMES.length] ?? 'Jones';
  return `${given} ${family}`;
}

/** A mark that looks like a real spread (deterministic, so the demo is the same every time). */
function demoMark(index: number, centreIndex: number, maxMark: number): number {
  const spread = (index * 37 + centreIndex * 11) % (maxMark + 1);
  return Math.round(maxMark * 0.35 + spread * 0.6) % (maxMark + 1);
}

/**
 * Puts the mark-input demo data in the database, once: the units of seed 001 with their
 * candidates (and the centre marks of 3000N1, submitted), a demo unit of centre 68101 being
 * marked, and the demo appointee `megan.lloyd@<domain>` allocated as principal moderator (and
 * moderator of two centres) of 3000N1 and examiner of 9521/01. Running it again changes
 * nothing. Needs the demo appointee (seedDemoData) first; centre accounts (for 68101's staff)
 * come from the centres' own seed — only the centre numbers are used here.
 */
export async function seedDemoMarks(deps: MarksSeedDependencies): Promise<void> {
  const accounts = new KnexAccountRepository(deps.db, deps.clock, deps.random);
  const megan = await accounts.findByUsername(`megan.lloyd@${deps.domain}`);
  if (!megan) throw new Error('seedDemoMarks needs the demo appointee: run seedDemoData first');

  for (const demo of DEMO_UNITS) {
    await ignoringDuplicates(() =>
      transaction(deps.db, async (trx) => {
        const repo = new KnexMarksRepository(trx, deps.clock, deps.random);
        if (await repo.findUnitByCode(demo.unit.series, demo.unit.code)) return;
        const unit = await repo.createUnit(demo.unit);
        for (const [centreIndex, cohort] of demo.cohorts.entries()) {
          const candidates: NewCandidate[] = Array.from({ length: cohort.candidates }, (_, i) => ({
            centreNumber: cohort.centre,
            candidateNumber: String(i + 1).padStart(4, '0'),
            name: candidateName(i, centreIndex),
            inSample: i < (cohort.sample ?? 0),
          }));
          const added = await repo.addCandidates(unit.id, candidates);
          const marked = cohort.marked;
          if (marked) {
            await repo.importMarks(
              added.slice(0, marked.count).map((candidate, i) => ({
                candidateId: candidate.id,
                source: 'centre',
                outcome: 'mark',
                mark: demoMark(i, centreIndex, unit.maxMark),
                submitted: marked.submitted,
                enteredBy: SEEDED_BY,
              })),
            );
          }
        }
      }),
    );
  }

  const repo = new KnexMarksRepository(deps.db, deps.clock, deps.random);
  const allocations: {
    accountId: string;
    code: string;
    role: AllocationRole;
    scope: CentreScope;
  }[] = DEMO_ALLOCATIONS.map((a) => ({ ...a, accountId: megan.id }));
  const rhys = await accounts.findByLegacyUsername(DEMO_TEAM.legacyUsername);
  if (rhys) {
    allocations.push({
      accountId: rhys.id,
      code: DEMO_TEAM.code,
      role: DEMO_TEAM.role,
      scope: { all: false, centres: [...DEMO_TEAM.scope.centres] },
    });
  }
  for (const allocation of allocations) {
    const demo = DEMO_UNITS.find((d) => d.unit.code === allocation.code);
    const unit = demo ? await repo.findUnitByCode(demo.unit.series, demo.unit.code) : null;
    if (!unit) continue;
    if (await repo.allocation(allocation.accountId, unit.id, allocation.role)) continue;
    await ignoringDuplicates(() =>
      transaction(deps.db, async (trx) => {
        await new KnexMarksRepository(trx, deps.clock, deps.random).allocate(
          allocation.accountId,
          unit.id,
          allocation.role,
          allocation.scope,
        );
      }),
    );
  }
}

/** Runs a seeding step; another process seeding at the same moment (a unique key) is not an error. */
async function ignoringDuplicates(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
}

import type { Knex } from 'knex';
import {
  isUniqueViolation,
  randomId,
  type Clock,
  type Executor,
  type RandomSource,
} from '@porth/identity-core';
import { MarkLockedError } from './errors.js';
import {
  ALLOCATION_ROLES,
  UNIT_KINDS,
  type Allocation,
  type AllocationRole,
  type Candidate,
  type CentreScope,
  type Mark,
  type MarkEntry,
  type MarkOutcome,
  type MarkSource,
  type ModerationCentre,
  type ModerationSummary,
  type SheetProgress,
  type SheetRow,
  type TeamMember,
  type Unit,
  type UnitKind,
} from './model.js';

const UNITS = 'mark_units';
const ALLOCATIONS = 'mark_allocations';
const ALLOCATION_CENTRES = 'mark_allocation_centres';
const CANDIDATES = 'mark_candidates';
const MARKS = 'marks';
const REPORTS = 'moderation_reports';

/** Rows per insert statement (well under SQLite's bound-variable limit). */
const INSERT_CHUNK = 100;

type Numberish = number | string | null;

interface UnitRow {
  id: string;
  series: string;
  code: string;
  title: string;
  max_mark: Numberish;
  kind: string;
}

interface AllocationRow extends UnitRow {
  allocation_id: string;
  account_id: string;
  role: string;
  all_centres: number | boolean | string;
}

interface SheetRowData {
  id: string;
  unit_id: string;
  centre_number: string;
  candidate_number: string;
  name: string;
  in_sample: number | boolean | string;
  m_outcome: string | null;
  m_mark: Numberish;
  m_status: string | null;
  m_owner: string | null;
  cm_outcome: string | null;
  cm_mark: Numberish;
  cm_status: string | null;
  mm_outcome: string | null;
  mm_mark: Numberish;
  mm_status: string | null;
  mm_owner: string | null;
}

/** What createUnit needs. */
export interface NewUnit {
  readonly series: string;
  readonly code: string;
  readonly title: string;
  readonly maxMark: number;
  readonly kind: UnitKind;
}

/** What addCandidates needs for each candidate. */
export interface NewCandidate {
  readonly centreNumber: string;
  readonly candidateNumber: string;
  readonly name: string;
  readonly inSample?: boolean;
}

/** A mark stored as it is, for seed data and imports (never through the pages). */
export interface StoredMark {
  readonly candidateId: string;
  readonly source: MarkSource;
  readonly outcome: MarkOutcome;
  readonly mark: number | null;
  readonly submitted: boolean;
  readonly enteredBy: string;
  readonly ownerId?: string | null;
}

/** Which rows of a mark sheet to read. */
export interface SheetQuery {
  readonly unitId: string;
  readonly source: MarkSource;
  readonly scope: CentreScope;
  /** Only the candidates in the moderation sample (the moderator's sheet). */
  readonly sampleOnly?: boolean;
  readonly offset: number;
  readonly limit: number;
}

/**
 * Whose drafts a write may touch: an examiner's marks are theirs alone (`exclusive`); a
 * moderator's marks may be changed by anyone reviewing the centre (the principal moderator
 * too); a centre's marks belong to the centre (`id` null).
 */
export interface MarkOwner {
  /** Stored as the mark's owner; null for a centre's mark. */
  readonly id: string | null;
  /** When true, only drafts owned by `id` may be changed or submitted. */
  readonly exclusive: boolean;
}

/** What saveDrafts did. */
export interface SavedDrafts {
  readonly saved: number;
  readonly cleared: number;
}

/** A completed moderator report. */
export interface ModerationReport {
  readonly moderatorId: string;
  readonly completedAt: Date;
}

function toBoolean(value: number | boolean | string): boolean {
  return value === true || value === 1 || value === '1';
}

function toUnit(row: UnitRow): Unit {
  const kind = (UNIT_KINDS as readonly string[]).includes(row.kind)
    ? (row.kind as UnitKind)
    : 'examined';
  return {
    id: row.id,
    series: row.series,
    code: row.code,
    title: row.title,
    maxMark: Number(row.max_mark),
    kind,
  };
}

function toMark(
  outcome: string | null,
  mark: Numberish,
  status: string | null,
  owner: string | null,
): Mark | null {
  if (outcome === null || status === null) return null;
  return {
    outcome: outcome === 'absent' || outcome === 'carried_forward' ? outcome : 'mark',
    mark: mark === null ? null : Number(mark),
    status: status === 'submitted' ? 'submitted' : 'draft',
    ownerId: owner,
  };
}

function toRole(role: string): AllocationRole {
  if ((ALLOCATION_ROLES as readonly string[]).includes(role)) return role as AllocationRole;
  throw new Error(`Unknown allocation role in the database: ${role}`);
}

/** Limits a query to the centres of `scope` (nothing at all for an empty list). */
function inScope<Q extends Knex.QueryBuilder>(query: Q, scope: CentreScope, column: string): Q {
  if (scope.all) return query;
  if (scope.centres.length === 0) return query.whereRaw('1 = 0') as Q;
  return query.whereIn(column, [...scope.centres]) as Q;
}

function count(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/**
 * The mark-input data of the Portal's IAMIS and EMI services: units, appointees' allocations,
 * candidates, marks and moderator reports. Marks are written only while they are drafts: every
 * change says `status = 'draft'` in its WHERE clause (an examiner's also says whose it is), and
 * a new mark is an insert that the primary key `(candidate_id, source)` refuses when a mark is
 * there already — so a submitted mark can never be changed, whatever runs at the same time.
 */
export class KnexMarksRepository {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Stores a unit; the (series, code) pair is unique. */
  async createUnit(input: NewUnit): Promise<Unit> {
    const id = randomId(this.random);
    await this.db(UNITS).insert({
      id,
      series: input.series,
      code: input.code,
      title: input.title,
      max_mark: input.maxMark,
      kind: input.kind,
      created_at: this.now(),
    });
    return { id, ...input };
  }

  /** A unit by id; null when there is none. */
  async findUnit(id: string): Promise<Unit | null> {
    const row = (await this.db(UNITS).where({ id }).first()) as UnitRow | undefined;
    return row ? toUnit(row) : null;
  }

  /** A unit by series and code; null when there is none. */
  async findUnitByCode(series: string, code: string): Promise<Unit | null> {
    const row = (await this.db(UNITS).where({ series, code }).first()) as UnitRow | undefined;
    return row ? toUnit(row) : null;
  }

  /** The units of `kind` that have candidates at a centre, in series and code order. */
  async unitsAtCentre(centreNumber: string, kind: UnitKind): Promise<Unit[]> {
    const rows = (await this.db(`${UNITS} as u`)
      .where('u.kind', kind)
      .whereExists((q) =>
        q
          .select(this.db.raw('1'))
          .from(`${CANDIDATES} as c`)
          .whereRaw('c.unit_id = u.id')
          .andWhere('c.centre_number', centreNumber),
      )
      .orderBy([{ column: 'u.series' }, { column: 'u.code' }])
      .select('u.*')) as UnitRow[];
    return rows.map(toUnit);
  }

  /** Gives an appointee a role on a unit, for every centre or those listed (unique per role). */
  async allocate(
    accountId: string,
    unitId: string,
    role: AllocationRole,
    scope: CentreScope,
  ): Promise<string> {
    const id = randomId(this.random);
    await this.db(ALLOCATIONS).insert({
      id,
      account_id: accountId,
      unit_id: unitId,
      role,
      all_centres: scope.all ? 1 : 0,
      created_at: this.now(),
    });
    if (!scope.all && scope.centres.length > 0) {
      await this.db(ALLOCATION_CENTRES).insert(
        [...new Set(scope.centres)].map((centre) => ({ allocation_id: id, centre_number: centre })),
      );
    }
    return id;
  }

  /** Every allocation of an account, in series, code and role order. */
  async allocationsOf(accountId: string): Promise<Allocation[]> {
    const rows = (await this.db(`${ALLOCATIONS} as a`)
      .join(`${UNITS} as u`, 'u.id', 'a.unit_id')
      .where('a.account_id', accountId)
      .orderBy([{ column: 'u.series' }, { column: 'u.code' }, { column: 'a.role' }])
      .select(
        'u.*',
        'a.id as allocation_id',
        'a.account_id',
        'a.role',
        'a.all_centres',
      )) as AllocationRow[];
    return this.withCentres(rows);
  }

  /** An account's allocation with `role` on a unit; null when it has none. */
  async allocation(
    accountId: string,
    unitId: string,
    role: AllocationRole,
  ): Promise<Allocation | null> {
    const rows = (await this.db(`${ALLOCATIONS} as a`)
      .join(`${UNITS} as u`, 'u.id', 'a.unit_id')
      .where({ 'a.account_id': accountId, 'a.unit_id': unitId, 'a.role': role })
      .select(
        'u.*',
        'a.id as allocation_id',
        'a.account_id',
        'a.role',
        'a.all_centres',
      )) as AllocationRow[];
    const [allocation] = await this.withCentres(rows);
    return allocation ?? null;
  }

  /** The moderating team of a unit (principal moderators and moderators), with their centres. */
  async team(unitId: string): Promise<TeamMember[]> {
    const rows = (await this.db(`${ALLOCATIONS} as a`)
      .join(`${UNITS} as u`, 'u.id', 'a.unit_id')
      .join('accounts as p', 'p.id', 'a.account_id')
      .where('a.unit_id', unitId)
      .whereIn('a.role', ['principal_moderator', 'moderator'])
      .orderBy([{ column: 'a.role', order: 'desc' }, { column: 'p.family_name' }])
      .select(
        'u.*',
        'a.id as allocation_id',
        'a.account_id',
        'a.role',
        'a.all_centres',
        'p.given_name',
        'p.family_name',
        'p.username',
      )) as (AllocationRow & {
      given_name: string | null;
      family_name: string | null;
      username: string | null;
    })[];
    const allocations = await this.withCentres(rows);
    return allocations.map((a, i) => {
      const row = rows[i];
      const name = [row?.given_name, row?.family_name].filter(Boolean).join(' ');
      return {
        accountId: a.accountId,
        name: name || row?.username || a.accountId,
        role: a.role,
        scope: a.scope,
      };
    });
  }

  /** Adds candidates to a unit (unique per unit, centre and candidate number); returns them. */
  async addCandidates(unitId: string, candidates: readonly NewCandidate[]): Promise<Candidate[]> {
    const rows = candidates.map((c) => ({
      id: randomId(this.random),
      unit_id: unitId,
      centre_number: c.centreNumber,
      candidate_number: c.candidateNumber,
      name: c.name,
      in_sample: c.inSample ? 1 : 0,
    }));
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await this.db(CANDIDATES).insert(rows.slice(i, i + INSERT_CHUNK));
    }
    return rows.map((r) => ({
      id: r.id,
      unitId,
      centreNumber: r.centre_number,
      candidateNumber: r.candidate_number,
      name: r.name,
      inSample: r.in_sample === 1,
    }));
  }

  /** How many candidates of a unit are in `scope` (only the sample's with `sampleOnly`). */
  async candidateCount(unitId: string, scope: CentreScope, sampleOnly = false): Promise<number> {
    const query = inScope(
      this.db(CANDIDATES).where('unit_id', unitId),
      scope,
      'centre_number',
    ).count({ n: '*' });
    if (sampleOnly) query.andWhere('in_sample', 1);
    const row = (await query.first()) as { n: Numberish } | undefined;
    return count(row?.n);
  }

  /**
   * One page of a mark sheet: the unit's candidates in `scope`, by centre and candidate number,
   * each with its mark of `source`, the centre's mark and the moderator's mark.
   */
  async sheet(query: SheetQuery): Promise<SheetRow[]> {
    const q = inScope(
      this.db(`${CANDIDATES} as c`)
        .leftJoin(`${MARKS} as m`, (join) => {
          join.on('m.candidate_id', '=', 'c.id').andOnVal('m.source', '=', query.source);
        })
        .leftJoin(`${MARKS} as cm`, (join) => {
          join.on('cm.candidate_id', '=', 'c.id').andOnVal('cm.source', '=', 'centre');
        })
        .leftJoin(`${MARKS} as mm`, (join) => {
          join.on('mm.candidate_id', '=', 'c.id').andOnVal('mm.source', '=', 'moderator');
        })
        .where('c.unit_id', query.unitId),
      query.scope,
      'c.centre_number',
    )
      .orderBy([
        { column: 'c.centre_number' },
        { column: 'c.candidate_number' },
        { column: 'c.id' },
      ])
      .offset(query.offset)
      .limit(query.limit)
      .select(
        'c.id',
        'c.unit_id',
        'c.centre_number',
        'c.candidate_number',
        'c.name',
        'c.in_sample',
        'm.outcome as m_outcome',
        'm.mark as m_mark',
        'm.status as m_status',
        'm.owner_id as m_owner',
        'cm.outcome as cm_outcome',
        'cm.mark as cm_mark',
        'cm.status as cm_status',
        'mm.outcome as mm_outcome',
        'mm.mark as mm_mark',
        'mm.status as mm_status',
        'mm.owner_id as mm_owner',
      );
    if (query.sampleOnly) q.andWhere('c.in_sample', 1);
    const rows = (await q) as SheetRowData[];
    return rows.map((row, i) => ({
      row: query.offset + i + 1,
      id: row.id,
      unitId: row.unit_id,
      centreNumber: row.centre_number,
      candidateNumber: row.candidate_number,
      name: row.name,
      inSample: toBoolean(row.in_sample),
      mark: toMark(row.m_outcome, row.m_mark, row.m_status, row.m_owner),
      centreMark: toMark(row.cm_outcome, row.cm_mark, row.cm_status, null),
      moderatorMark: toMark(row.mm_outcome, row.mm_mark, row.mm_status, row.mm_owner),
    }));
  }

  /**
   * Saves marks of `source` as drafts (or clears a draft), by `actorId`. Only drafts are ever
   * changed: an update says `status = 'draft'` (and, for an exclusive owner, whose mark it is);
   * when it finds nothing a new row is inserted, which the primary key refuses when a submitted
   * mark (or another examiner's) is there. Any such refusal throws MarkLockedError naming every
   * refused candidate, so the caller's transaction saves nothing of the request.
   */
  async saveDrafts(
    source: MarkSource,
    owner: MarkOwner,
    actorId: string,
    entries: readonly MarkEntry[],
  ): Promise<SavedDrafts> {
    const now = this.now();
    const locked: string[] = [];
    let saved = 0;
    let cleared = 0;
    for (const entry of entries) {
      const guard = (q: Knex.QueryBuilder) => {
        q.where({ candidate_id: entry.candidateId, source, status: 'draft' });
        if (owner.exclusive) q.andWhere('owner_id', owner.id);
        return q;
      };
      if (entry.outcome === 'clear') {
        const removed = await guard(this.db(MARKS)).del();
        if (removed > 0) {
          cleared += 1;
          continue;
        }
        const other = await this.db(MARKS)
          .where({ candidate_id: entry.candidateId, source })
          .first('status');
        if (other) locked.push(entry.candidateId);
        continue;
      }
      const mark = entry.outcome === 'mark' ? entry.mark : null;
      const changed = await guard(this.db(MARKS)).update({
        outcome: entry.outcome,
        mark,
        owner_id: owner.id,
        entered_by: actorId,
        updated_at: now,
        version: this.db.raw('?? + 1', ['version']),
      });
      if (changed > 0) {
        saved += 1;
        continue;
      }
      try {
        await this.db(MARKS).insert({
          candidate_id: entry.candidateId,
          source,
          outcome: entry.outcome,
          mark,
          status: 'draft',
          owner_id: owner.id,
          entered_by: actorId,
          created_at: now,
          updated_at: now,
          submitted_at: null,
          submitted_by: null,
          version: 1,
        });
        saved += 1;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        locked.push(entry.candidateId);
      }
    }
    if (locked.length > 0) throw new MarkLockedError(locked);
    return { saved, cleared };
  }

  /**
   * Submits every draft of `source` for the unit's candidates in `scope` (for an exclusive
   * owner, only theirs), in one guarded update; returns how many were submitted.
   */
  async submitDrafts(
    unitId: string,
    source: MarkSource,
    scope: CentreScope,
    owner: MarkOwner,
    actorId: string,
  ): Promise<number> {
    const now = this.now();
    const candidates = inScope(
      this.db(CANDIDATES).select('id').where('unit_id', unitId),
      scope,
      'centre_number',
    );
    const q = this.db(MARKS).where({ source, status: 'draft' }).whereIn('candidate_id', candidates);
    if (owner.exclusive) q.andWhere('owner_id', owner.id);
    return q.update({
      status: 'submitted',
      submitted_at: now,
      submitted_by: actorId,
      updated_at: now,
      version: this.db.raw('?? + 1', ['version']),
    });
  }

  /**
   * How far a mark sheet has got: candidates (only the sample's with `sampleOnly`), left
   * without a mark, drafts and submitted marks.
   */
  async progress(
    unitId: string,
    source: MarkSource,
    scope: CentreScope,
    owner: MarkOwner,
    sampleOnly = false,
  ): Promise<SheetProgress> {
    const mine = owner.exclusive ? ' AND m.owner_id = ?' : '';
    const ownerBinding = owner.exclusive ? [owner.id] : [];
    const row = (await inScope(
      this.db(`${CANDIDATES} as c`)
        .leftJoin(`${MARKS} as m`, (join) => {
          join.on('m.candidate_id', '=', 'c.id').andOnVal('m.source', '=', source);
        })
        .where('c.unit_id', unitId)
        .where((q) => {
          if (sampleOnly) q.where('c.in_sample', 1);
        }),
      scope,
      'c.centre_number',
    )
      .select(
        this.db.raw('COUNT(*) AS candidates'),
        this.db.raw('SUM(CASE WHEN m.candidate_id IS NULL THEN 1 ELSE 0 END) AS left_count'),
        this.db.raw(`SUM(CASE WHEN m.status = 'draft'${mine} THEN 1 ELSE 0 END) AS drafts`, [
          ...ownerBinding,
        ]),
        this.db.raw(`SUM(CASE WHEN m.status = 'submitted'${mine} THEN 1 ELSE 0 END) AS submitted`, [
          ...ownerBinding,
        ]),
      )
      .first()) as
      | { candidates: Numberish; left_count: Numberish; drafts: Numberish; submitted: Numberish }
      | undefined;
    return {
      candidates: count(row?.candidates),
      left: count(row?.left_count),
      drafts: count(row?.drafts),
      submitted: count(row?.submitted),
    };
  }

  /** IAMIS's moderator summary of a unit over the centres of `scope` (seed 001's columns). */
  async summary(unitId: string, scope: CentreScope): Promise<ModerationSummary> {
    const row = (await inScope(this.figures(unitId), scope, 'c.centre_number')
      .select(this.db.raw('COUNT(DISTINCT c.centre_number) AS centres'))
      .first()) as FigureRow | undefined;
    const reports = (await inScope(
      this.db(REPORTS).where('unit_id', unitId),
      scope,
      'centre_number',
    )
      .count({ n: '*' })
      .first()) as { n: Numberish } | undefined;
    return {
      totalCentres: count(row?.centres),
      totalSampleCandidates: count(row?.sample),
      totalReportsCompleted: count(reports?.n),
      reviewRemaining: count(row?.sample) - count(row?.reviewed),
      totalEntered: count(row?.entered),
      totalCarriedForwardOrAbsent: count(row?.cf_abs),
      totalNewMarks: count(row?.new_marks),
    };
  }

  /** The centres of a unit in `scope`, with their sample, review and report state. */
  async moderationCentres(unitId: string, scope: CentreScope): Promise<ModerationCentre[]> {
    const rows = (await inScope(this.figures(unitId), scope, 'c.centre_number')
      .select('c.centre_number', this.db.raw('COUNT(*) AS candidates'))
      .groupBy('c.centre_number')
      .orderBy('c.centre_number')) as (FigureRow & {
      centre_number: string;
      candidates: Numberish;
    })[];
    const numbers = rows.map((r) => r.centre_number);
    const reports = numbers.length
      ? ((await this.db(REPORTS)
          .where('unit_id', unitId)
          .whereIn('centre_number', numbers)
          .select('centre_number', 'completed_at')) as {
          centre_number: string;
          completed_at: Numberish;
        }[])
      : [];
    const names = numbers.length
      ? ((await this.db('centres').whereIn('number', numbers).select('number', 'name')) as {
          number: string;
          name: string;
        }[])
      : [];
    return rows.map((r) => {
      const report = reports.find((x) => x.centre_number === r.centre_number);
      return {
        centreNumber: r.centre_number,
        centreName: names.find((n) => n.number === r.centre_number)?.name ?? null,
        candidates: count(r.candidates),
        sample: count(r.sample),
        reviewed: count(r.reviewed),
        entered: count(r.entered),
        reportCompletedAt: report ? new Date(Number(report.completed_at)) : null,
      };
    });
  }

  /**
   * Records the moderator's report on a centre as completed, exactly once (the primary key
   * decides); false when it was completed already.
   */
  async completeReport(
    unitId: string,
    centreNumber: string,
    moderatorId: string,
  ): Promise<boolean> {
    try {
      await this.db(REPORTS).insert({
        unit_id: unitId,
        centre_number: centreNumber,
        moderator_id: moderatorId,
        completed_at: this.now(),
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** The moderator's report on a centre; null while it is not completed. */
  async report(unitId: string, centreNumber: string): Promise<ModerationReport | null> {
    const row = (await this.db(REPORTS)
      .where({ unit_id: unitId, centre_number: centreNumber })
      .first()) as { moderator_id: string; completed_at: Numberish } | undefined;
    return row
      ? { moderatorId: row.moderator_id, completedAt: new Date(Number(row.completed_at)) }
      : null;
  }

  /** The name of a centre the portal knows; null otherwise. */
  async centreName(centreNumber: string): Promise<string | null> {
    const row = (await this.db('centres').where({ number: centreNumber }).first('name')) as
      { name: string } | undefined;
    return row?.name ?? null;
  }

  /**
   * Stores marks as they are (draft or submitted), for seed data and imports; a candidate that
   * has a mark of that source already keeps it. Returns how many were added.
   */
  async importMarks(marks: readonly StoredMark[]): Promise<number> {
    const now = this.now();
    let added = 0;
    for (let i = 0; i < marks.length; i += INSERT_CHUNK) {
      const chunk = marks.slice(i, i + INSERT_CHUNK);
      const existing = (await this.db(MARKS)
        .whereIn(
          'candidate_id',
          chunk.map((m) => m.candidateId),
        )
        .select('candidate_id', 'source')) as { candidate_id: string; source: string }[];
      const fresh = chunk.filter(
        (m) => !existing.some((e) => e.candidate_id === m.candidateId && e.source === m.source),
      );
      if (fresh.length === 0) continue;
      await this.db(MARKS).insert(
        fresh.map((m) => ({
          candidate_id: m.candidateId,
          source: m.source,
          outcome: m.outcome,
          mark: m.outcome === 'mark' ? m.mark : null,
          status: m.submitted ? 'submitted' : 'draft',
          owner_id: m.ownerId ?? null,
          entered_by: m.enteredBy,
          created_at: now,
          updated_at: now,
          submitted_at: m.submitted ? now : null,
          submitted_by: m.submitted ? m.enteredBy : null,
          version: 1,
        })),
      );
      added += fresh.length;
    }
    return added;
  }

  /** The candidates of a unit joined with their centre's and moderator's marks, for the figures. */
  private figures(unitId: string): Knex.QueryBuilder {
    return this.db(`${CANDIDATES} as c`)
      .leftJoin(`${MARKS} as cm`, (join) => {
        join.on('cm.candidate_id', '=', 'c.id').andOnVal('cm.source', '=', 'centre');
      })
      .leftJoin(`${MARKS} as mm`, (join) => {
        join.on('mm.candidate_id', '=', 'c.id').andOnVal('mm.source', '=', 'moderator');
      })
      .where('c.unit_id', unitId)
      .select(
        this.db.raw('SUM(CASE WHEN c.in_sample = 1 THEN 1 ELSE 0 END) AS sample'),
        this.db.raw(
          'SUM(CASE WHEN c.in_sample = 1 AND mm.candidate_id IS NOT NULL THEN 1 ELSE 0 END) AS reviewed',
        ),
        this.db.raw("SUM(CASE WHEN cm.status = 'submitted' THEN 1 ELSE 0 END) AS entered"),
        this.db.raw(
          "SUM(CASE WHEN cm.status = 'submitted' AND cm.outcome <> 'mark' THEN 1 ELSE 0 END) AS cf_abs",
        ),
        this.db.raw(
          "SUM(CASE WHEN cm.status = 'submitted' AND cm.outcome = 'mark' THEN 1 ELSE 0 END) AS new_marks",
        ),
      );
  }

  private async withCentres(rows: readonly AllocationRow[]): Promise<Allocation[]> {
    const partial = rows.filter((r) => !toBoolean(r.all_centres)).map((r) => r.allocation_id);
    const centres = partial.length
      ? ((await this.db(ALLOCATION_CENTRES)
          .whereIn('allocation_id', partial)
          .orderBy('centre_number')
          .select('allocation_id', 'centre_number')) as {
          allocation_id: string;
          centre_number: string;
        }[])
      : [];
    return rows.map((r) => ({
      id: r.allocation_id,
      accountId: r.account_id,
      unit: toUnit(r),
      role: toRole(r.role),
      scope: toBoolean(r.all_centres)
        ? { all: true }
        : {
            all: false,
            centres: centres
              .filter((c) => c.allocation_id === r.allocation_id)
              .map((c) => c.centre_number),
          },
    }));
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

interface FigureRow {
  centres?: Numberish;
  sample: Numberish;
  reviewed: Numberish;
  entered: Numberish;
  cf_abs: Numberish;
  new_marks: Numberish;
}

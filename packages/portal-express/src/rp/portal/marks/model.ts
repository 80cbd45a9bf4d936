/**
 * The mark-input model of the Portal's IAMIS and EMI services (seed 001):
 *
 * - a **unit** of a series (`GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)`) has a
 *   maximum mark and is either a moderated internal assessment (the centre's staff enter the
 *   marks in IAMIS; a moderator reviews a sample) or examined (an examiner enters the marks in EMI);
 * - an **allocation** gives an appointee one role on a unit — examiner, moderator or principal
 *   moderator — for every centre of the unit or for the centres listed; someone with several
 *   moderator roles chooses which to "work as";
 * - a **mark** belongs to one candidate and one source (the centre, the examiner, the
 *   moderator). It is a draft until submitted; a submitted mark never changes:
 *
 * ```
 * (none) ──save──▶ draft ──save──▶ draft
 *                    │ └──clear──▶ (none)
 *                    └──submit──▶ submitted   (every write is guarded by status = 'draft')
 * ```
 */

/** How a unit is assessed. */
export const UNIT_KINDS = ['internal_assessment', 'examined'] as const;
/** A moderated internal assessment (IAMIS) or an examined unit (EMI). */
export type UnitKind = (typeof UNIT_KINDS)[number];

/** The roles an appointee can hold on a unit, most senior moderator role first. */
export const ALLOCATION_ROLES = ['principal_moderator', 'moderator', 'examiner'] as const;
/** An appointee's role on a unit. */
export type AllocationRole = (typeof ALLOCATION_ROLES)[number];

/** The roles whose pages are IAMIS's Moderator Mark Input ("Work as"), most senior first. */
export const MODERATOR_ROLES = ['principal_moderator', 'moderator'] as const;
/** A role a moderator can work as. */
export type ModeratorRole = (typeof MODERATOR_ROLES)[number];

/** Whose mark it is. */
export const MARK_SOURCES = ['centre', 'examiner', 'moderator'] as const;
/** The centre's mark (IAMIS), the examiner's (EMI) or the moderator's (IAMIS review). */
export type MarkSource = (typeof MARK_SOURCES)[number];

/** What a mark says: a number, absent, or a mark carried forward from an earlier series. */
export type MarkOutcome = 'mark' | 'absent' | 'carried_forward';

/** A draft can still be changed; a submitted mark cannot. */
export type MarkStatus = 'draft' | 'submitted';

/** True when `value` is one of the moderator roles. */
export function isModeratorRole(value: unknown): value is ModeratorRole {
  return (MODERATOR_ROLES as readonly unknown[]).includes(value);
}

/** A unit of a series. */
export interface Unit {
  readonly id: string;
  /** E.g. `GCSE JUNE 2017`. */
  readonly series: string;
  /** E.g. `3000N1` or `9521/01`. */
  readonly code: string;
  /** E.g. `WELSH LANGUAGE UNED 1 - LLAFAR`. */
  readonly title: string;
  readonly maxMark: number;
  readonly kind: UnitKind;
}

/** Which centres of a unit a page or an allocation covers. */
export type CentreScope =
  { readonly all: true } | { readonly all: false; readonly centres: readonly string[] };

/** An appointee's role on a unit. */
export interface Allocation {
  readonly id: string;
  readonly accountId: string;
  readonly unit: Unit;
  readonly role: AllocationRole;
  readonly scope: CentreScope;
}

/** One candidate of a unit at a centre. */
export interface Candidate {
  readonly id: string;
  readonly unitId: string;
  readonly centreNumber: string;
  readonly candidateNumber: string;
  readonly name: string;
  readonly inSample: boolean;
}

/** A stored mark. */
export interface Mark {
  readonly outcome: MarkOutcome;
  /** The number; null unless `outcome` is `mark`. */
  readonly mark: number | null;
  readonly status: MarkStatus;
  /** The examiner or moderator whose mark it is; null for a centre's mark. */
  readonly ownerId: string | null;
}

/** One row of a mark sheet: the candidate, the mark of the sheet's source, and the centre's and moderator's marks. */
export interface SheetRow extends Candidate {
  /** 1-based position in the whole sheet (all pages), as the error messages name it. */
  readonly row: number;
  readonly mark: Mark | null;
  /** The centre's mark (shown to a moderator); null when there is none. */
  readonly centreMark: Mark | null;
  /** The moderator's mark (shown to the centre once the report is completed); null when there is none. */
  readonly moderatorMark: Mark | null;
}

/** A mark to save as a draft: a number, absent, or `clear` to remove a draft. */
export type MarkEntry =
  | { readonly candidateId: string; readonly outcome: 'mark'; readonly mark: number }
  | { readonly candidateId: string; readonly outcome: 'absent' }
  | { readonly candidateId: string; readonly outcome: 'clear' };

/** The figures of IAMIS's moderator summary for one unit (seed 001's columns). */
export interface ModerationSummary {
  readonly totalCentres: number;
  readonly totalSampleCandidates: number;
  readonly totalReportsCompleted: number;
  /** Sample candidates without a moderator's mark: "Review marks (N) remaining". */
  readonly reviewRemaining: number;
  /** Candidates whose centre mark is submitted. */
  readonly totalEntered: number;
  /** Of those, carried forward or absent. */
  readonly totalCarriedForwardOrAbsent: number;
  /** Of those, a new mark. */
  readonly totalNewMarks: number;
}

/** How far one mark sheet has got (EMI's "Enter marks (N left)", "N submitted"). */
export interface SheetProgress {
  readonly candidates: number;
  /** Candidates without a mark of the sheet's source. */
  readonly left: number;
  readonly drafts: number;
  readonly submitted: number;
}

/** One centre of a unit, for the moderator's review page. */
export interface ModerationCentre {
  readonly centreNumber: string;
  /** The centre's name when the centre is known to the portal, else null. */
  readonly centreName: string | null;
  readonly candidates: number;
  readonly sample: number;
  /** Sample candidates with a moderator's mark. */
  readonly reviewed: number;
  /** Candidates whose centre mark is submitted. */
  readonly entered: number;
  /** When the moderator's report was completed; null while it is not. */
  readonly reportCompletedAt: Date | null;
}

/** A member of a unit's moderating team (IAMIS "View Team"). */
export interface TeamMember {
  readonly accountId: string;
  readonly name: string;
  readonly role: AllocationRole;
  readonly scope: CentreScope;
}

/** Formats a unit the way seed 001 shows it: `GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)`. */
export function unitLabel(unit: Pick<Unit, 'series' | 'title' | 'code'>): string {
  return `${unit.series} ${unit.title} (${unit.code})`;
}

/** True when `scope` covers `centreNumber`. */
export function scopeCovers(scope: CentreScope, centreNumber: string): boolean {
  return scope.all || scope.centres.includes(centreNumber);
}

/**
 * The storage contract of the centre aggregate. The centre rules that must hold however many
 * requests race are named, race-safe methods here, decided by the database's unique keys and
 * guarded writes (see `centre.ts`), never by a read followed by a write:
 * - `insertMembership` and `updateAccess`: at most one Exams Officer and at most three Admins
 *   per centre (a slot per role, unique per centre), one row per email and per account;
 * - `deleteMembership`: never deletes the Exams Officer's row (`role <> 'exams_officer'` is part
 *   of the guarded DELETE);
 * - `activateInvitation`: an invited row becomes active at most once;
 * - `transferExamsOfficer`: hands slot 0 from one member to another inside the caller's transaction.
 */
import type { Locale } from '../accounts/account.js';
import type { Centre, CentreClaim, CentreMember, CentreMembership } from './centre.js';
import type { CentrePermission, CentreRole } from './permissions.js';

/** A membership to store: active when `accountId` is given, invited otherwise. */
export interface NewMembership {
  readonly centreNumber: string;
  readonly accountId: string | null;
  readonly role: CentreRole;
  readonly permissions: readonly CentrePermission[];
  readonly email: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly locale: Locale;
  readonly invitedBy: string | null;
  readonly invitationExpiresAt: Date | null;
}

/** Options for reading the acting member's row. */
export interface MembershipReadOptions {
  /**
   * Take a shared lock on the row (MySQL/MariaDB `LOCK IN SHARE MODE`; SQLite serialises writers
   * anyway), so that the acting member cannot be demoted or removed until the transaction ends.
   */
  readonly lock?: boolean;
}

/** Storage of centres and their memberships. */
export interface CentreRepository {
  /** Creates a centre; throws CentreExistsError when the number is taken. */
  createCentre(number: string, name: string): Promise<Centre>;
  /** The centre with this number; null when there is none. */
  findCentre(number: string): Promise<Centre | null>;
  /**
   * Stores a membership. The unique keys decide: CentreMemberDuplicateError for an email (or
   * account) already at the centre, CentreAdminLimitError when the three Admin slots are taken,
   * ExamsOfficerProtectedError(`assign`) when the centre already has its Exams Officer.
   */
  insertMembership(input: NewMembership): Promise<CentreMembership>;
  /** The membership with this id at this centre; null when there is none. */
  findMembership(centreNumber: string, id: string): Promise<CentreMembership | null>;
  /** The membership with this id, at any centre; null when there is none. */
  findMembershipById(id: string): Promise<CentreMembership | null>;
  /** The account's active membership of this centre; null when it has none. */
  findActiveMembership(
    centreNumber: string,
    accountId: string,
    options?: MembershipReadOptions,
  ): Promise<CentreMembership | null>;
  /**
   * Whether the normalised email is already at the centre: `member` when an active membership
   * was made for it or its live account now has it as email or username, `invited` when an
   * invitation is waiting, null otherwise. A helpful first check only; insertMembership decides.
   */
  emailAtCentre(centreNumber: string, emailKey: string): Promise<'member' | 'invited' | null>;
  /**
   * Every membership of the centre whose account is not deleted, with the account's current
   * name, email and status: the Exams Officer first, then Admins, then Users, each by name.
   */
  listMembers(centreNumber: string, now: Date): Promise<CentreMember[]>;
  /**
   * Sets role and permissions if the row is still at `expectedVersion` (ConcurrentUpdateError
   * otherwise), taking a free Admin slot when it becomes an Admin (CentreAdminLimitError when
   * there is none) and giving its slot up when it stops being one. Never makes or unmakes the
   * Exams Officer (ExamsOfficerProtectedError).
   */
  updateAccess(
    id: string,
    expectedVersion: number,
    role: CentreRole,
    permissions: readonly CentrePermission[],
  ): Promise<CentreMembership>;
  /**
   * Turns an invited row into an active membership of `accountId`, only if it is still invited;
   * null otherwise. CentreMemberDuplicateError(`member`) when the account is already a member.
   */
  activateInvitation(id: string, accountId: string): Promise<CentreMembership | null>;
  /**
   * Gives a waiting invitation a new id and expiry (links to the old id stop working), if it is
   * still at `expectedVersion`; null otherwise.
   */
  renewInvitation(
    id: string,
    expectedVersion: number,
    expiresAt: Date,
  ): Promise<CentreMembership | null>;
  /** Deletes the row if it is still at `expectedVersion` and is not the Exams Officer's; true when deleted. */
  deleteMembership(id: string, expectedVersion: number): Promise<boolean>;
  /**
   * Deletes the centre's rows that only take up room: invitations expired by `now`, and
   * memberships of deleted accounts (never the Exams Officer's). Returns what was deleted.
   */
  deleteStaleMemberships(centreNumber: string, now: Date): Promise<CentreMembership[]>;
  /**
   * Hands the Exams Officer role from member `fromId` to active member `toId` (at
   * `toVersion`), in the caller's transaction: the new Exams Officer gets `toPermissions`, the
   * former one becomes `formerRole` with `formerPermissions`. ConcurrentUpdateError when either
   * row moved on, CentreAdminLimitError when `formerRole` is admin and no slot is free.
   */
  transferExamsOfficer(input: {
    readonly centreNumber: string;
    readonly fromId: string;
    readonly toId: string;
    readonly toVersion: number;
    readonly toPermissions: readonly CentrePermission[];
    readonly formerRole: 'admin' | 'user';
    readonly formerPermissions: readonly CentrePermission[];
  }): Promise<{ readonly from: CentreMembership; readonly to: CentreMembership }>;
  /** How many active memberships the account has, at every centre. */
  countActiveMemberships(accountId: string): Promise<number>;
  /** The account's centres for the ID token, ordered by centre number. */
  claimsOf(accountId: string): Promise<CentreClaim[]>;
}

/**
 * The centre aggregate: a centre (number and name) and its memberships. A membership is one
 * row per person per centre, in one of two states:
 *
 * ```
 * invited ──(acceptInvitation: token consumed once)──▶ active
 *    └──(removeMember / expiry purge)──▶ (row deleted; audit keeps the record)
 * active ──(removeMember)──▶ (row deleted)
 * ```
 *
 * Invariants held by the database (see migration `20261125T0000_centres`):
 * - exactly one Exams Officer row per centre: `role_slot = 0` is unique per centre, and every
 *   centre is created together with its Exams Officer row; nothing deletes or demotes it except
 *   `transferExamsOfficer`, which hands slot 0 over inside one transaction;
 * - at most three Admins: `role_slot ∈ {1,2,3}` unique per centre (a pending invitation to
 *   Admin holds a slot, so a fourth can never be accepted);
 * - one row per normalised email per centre (invited or active), and one per account per centre.
 */
import type { Locale } from '../accounts/account.js';
import type { CentrePermission, CentreRole } from './permissions.js';

/** A centre number is five digits, e.g. `68101`. */
export const CENTRE_NUMBER_PATTERN = /^\d{5}$/;

/** The longest centre name, in characters. */
export const MAX_CENTRE_NAME_LENGTH = 200;

/** The purpose of invitation tokens in the `one_time_tokens` table. */
export const CENTRE_INVITATION_PURPOSE = 'centre_invitation';

/** How long an invitation link works unless configured otherwise: 7 days. */
export const DEFAULT_INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** True when `value` is a five-digit centre number. */
export function isCentreNumber(value: unknown): value is string {
  return typeof value === 'string' && CENTRE_NUMBER_PATTERN.test(value);
}

/** An exam centre. */
export interface Centre {
  /** Five digits, e.g. `68101`; the centre's stable identifier. */
  readonly number: string;
  readonly name: string;
  readonly createdAt: Date;
}

/** Where a membership is in its life: waiting for the invitee, or in use. */
export type MembershipState = 'invited' | 'active';

/** One membership row as stored. */
export interface CentreMembership {
  /** 128-bit random id: what the Manage Users page and every operation name a member by. */
  readonly id: string;
  readonly centreNumber: string;
  /** The account, once the invitation is accepted; null while invited. */
  readonly accountId: string | null;
  readonly state: MembershipState;
  readonly role: CentreRole;
  /** In form order, no duplicates. */
  readonly permissions: readonly CentrePermission[];
  /** The address the invitation went to (as typed, trimmed); never changed afterwards. */
  readonly email: string;
  /** The names given on the invitation (an active member's account may since have changed them). */
  readonly givenName: string;
  readonly familyName: string;
  /** The invitee's language, for the invitation email. */
  readonly locale: Locale;
  readonly invitedBy: string | null;
  /** When the invitation link stops working; null for a member added without an invitation. */
  readonly invitationExpiresAt: Date | null;
  readonly acceptedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Bumped by every change; guards concurrent edits. */
  readonly version: number;
}

/** What the Manage Users page shows for each person. */
export type CentreMemberStatus = 'invited' | 'invitation_expired' | 'active' | 'disabled';

/** One row of the Manage Users list: the membership with the account's current name and email. */
export interface CentreMember {
  readonly id: string;
  readonly centreNumber: string;
  readonly accountId: string | null;
  readonly role: CentreRole;
  readonly permissions: readonly CentrePermission[];
  readonly givenName: string;
  readonly familyName: string;
  readonly email: string;
  readonly locale: Locale;
  readonly status: CentreMemberStatus;
  readonly invitationExpiresAt: Date | null;
  readonly acceptedAt: Date | null;
  readonly version: number;
}

/** One entry of the ID token's `centres` claim: exactly these four fields. */
export interface CentreClaim {
  readonly number: string;
  readonly name: string;
  readonly role: CentreRole;
  readonly permissions: CentrePermission[];
}

/** Lower case with accents folded, spaces collapsed: how the member search compares text. */
export function foldForSearch(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * True when `member` matches `search`: every word of the search appears in the member's name
 * or email, ignoring case and accents (Siân = SIAN). An empty search matches everyone.
 */
export function memberMatches(
  member: Pick<CentreMember, 'givenName' | 'familyName' | 'email'>,
  search: string,
): boolean {
  const words = foldForSearch(search).split(' ').filter(Boolean);
  if (words.length === 0) return true;
  const haystack = foldForSearch(`${member.givenName} ${member.familyName} ${member.email}`);
  return words.every((word) => haystack.includes(word));
}

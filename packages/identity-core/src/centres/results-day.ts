/**
 * The Entries & Results rules that depend on the account type: an Exams Officer or Admin makes
 * entries and sees results under embargo; a User views entries only and sees results from 8am
 * (UK time) on results day. Pure functions: the portal passes the results day and a clock.
 */
import type { Clock } from '../clock.js';
import {
  CENTRE_ROLE_RULES,
  type CentrePermission,
  type CentreRole,
  type EntriesAccess,
  type ResultsAccess,
} from './permissions.js';

/** The hour (UK time) on results day from which a User may see results. */
export const RESULTS_RELEASE_HOUR = 8;

const UK_TIME_ZONE = 'Europe/London';
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

const ukParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: UK_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** How far UK time is ahead of UTC at `instant`, in milliseconds (0 in winter, 1 hour in summer). */
function ukOffsetMs(instant: number): number {
  const parts = Object.fromEntries(
    ukParts.formatToParts(new Date(instant)).map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The moment results are released to Users: 8am UK time on `resultsDay` (a calendar date
 * `YYYY-MM-DD`), whether that day is in GMT or BST. Throws RangeError for a date that does not exist.
 * @example resultsReleaseTime('2026-08-13').toISOString() === '2026-08-13T07:00:00.000Z'
 */
export function resultsReleaseTime(resultsDay: string): Date {
  const match = DAY.exec(resultsDay);
  if (!match) throw new RangeError('resultsDay must be a date written YYYY-MM-DD');
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const wallClock = Date.UTC(year, month - 1, day, RESULTS_RELEASE_HOUR);
  const check = new Date(wallClock);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError(`${resultsDay} is not a calendar date`);
  }
  // 8am is never inside a clock change (they happen at 1am UTC), so two steps settle it.
  const first = wallClock - ukOffsetMs(wallClock);
  return new Date(wallClock - ukOffsetMs(first));
}

/** How an account type works with entries and results when it holds `entries_results`. */
export function entriesResultsAccess(role: CentreRole): {
  readonly entries: EntriesAccess;
  readonly results: ResultsAccess;
} {
  const rule = CENTRE_ROLE_RULES[role];
  return { entries: rule.entries, results: rule.results };
}

/** A member's access at one centre, as the ID token's `centres` claim carries it. */
export interface CentreAccess {
  readonly role: CentreRole;
  readonly permissions: readonly CentrePermission[];
}

/** True when the member may make entries (not only view them): `entries_results` and an EO or Admin. */
export function canMakeEntries(access: CentreAccess): boolean {
  return (
    access.permissions.includes('entries_results') &&
    entriesResultsAccess(access.role).entries === 'make'
  );
}

/**
 * True when the member may see the results of `resultsDay` now: always (under embargo) for an
 * Exams Officer or Admin with `entries_results`, and for a User with it from 8am UK time on
 * results day. Without `entries_results`, never.
 */
export function canViewResults(access: CentreAccess, resultsDay: string, clock: Clock): boolean {
  if (!access.permissions.includes('entries_results')) return false;
  if (entriesResultsAccess(access.role).results === 'under_embargo') return true;
  return clock.now().getTime() >= resultsReleaseTime(resultsDay).getTime();
}

/**
 * The legacy row contract and its checks: which columns a legacy export has, and why a row is
 * refused. Pure functions, shared by the CSV and database sources and the importer.
 */
import {
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PHONE_LENGTH,
  MAX_TEACHING_CENTRE_LENGTH,
  checkPasswordHash,
  isEmailAddress,
  isLocale,
  normaliseUsername,
  type LegacyAccountInput,
  type LegacyHashVerifier,
  type Locale,
} from '@porth/identity-core';

/**
 * The CSV header names that are the contract, in order. `legacy_username` and `password_hash`
 * are required; any other column is kept as an extra profile field.
 */
export const LEGACY_COLUMNS = [
  'legacy_username',
  'email',
  'given_name',
  'family_name',
  'phone',
  'centre_number',
  'teaching_centre',
  'password_hash',
] as const;

/** A column of the legacy row contract. */
export type LegacyColumn = (typeof LEGACY_COLUMNS)[number];

/** Columns a source must provide. */
export const REQUIRED_LEGACY_COLUMNS: readonly LegacyColumn[] = [
  'legacy_username',
  'password_hash',
];

/**
 * An optional column the importer also understands: `locale` (`en` or `cy`), the language of
 * the user's emails. Without it, English.
 */
export const LOCALE_COLUMN = 'locale';

/** The longest legacy username and the longest password hash the database holds. */
export const MAX_LEGACY_USERNAME_LENGTH = 255;
/** The longest password hash the database holds. */
export const MAX_PASSWORD_HASH_LENGTH = 512;
/** The longest extra profile field value kept. */
export const MAX_EXTRA_FIELD_LENGTH = 1000;

/** One row read from a source, before any check. */
export interface SourceRow {
  /** Where the row came from: its line in a CSV file, its position in a table (1-based). */
  readonly line: number;
  /** Values by contract column name (and extra column names); null or '' for an empty cell. */
  readonly values: Readonly<Record<string, string | null>>;
  /** Set when the source could not read the row at all (e.g. wrong number of fields). */
  readonly unreadable?: { readonly reason: RejectionReason; readonly detail: string };
}

/** Why a row was not imported. (Rows already imported are not rejected: they are counted.) */
export type RejectionReason =
  | 'missing_legacy_username'
  | 'invalid_legacy_username'
  | 'duplicate_in_source'
  | 'missing_password_hash'
  | 'unknown_hash_format'
  | 'malformed_hash'
  | 'malformed_email'
  | 'invalid_locale'
  | 'field_too_long'
  | 'invalid_value'
  | 'wrong_column_count'
  | 'unreadable_record';

/** Every rejection reason, in report order. */
export const REJECTION_REASONS: readonly RejectionReason[] = [
  'missing_legacy_username',
  'invalid_legacy_username',
  'duplicate_in_source',
  'missing_password_hash',
  'unknown_hash_format',
  'malformed_hash',
  'malformed_email',
  'invalid_locale',
  'field_too_long',
  'invalid_value',
  'wrong_column_count',
  'unreadable_record',
];

/** A row that was not imported, and why: one line of the rejection report. */
export interface RejectedRow {
  readonly line: number;
  /** The legacy username as found ('' when missing). */
  readonly legacyUsername: string;
  readonly reason: RejectionReason;
  /** A short human explanation, e.g. `email longer than 254 characters`; never a hash. */
  readonly detail: string;
}

/** The outcome of checking one row. */
export type RowCheck =
  | { readonly ok: true; readonly key: string; readonly input: LegacyAccountInput }
  | { readonly ok: false; readonly rejection: RejectedRow };

const CONTRACT = new Set<string>([...LEGACY_COLUMNS, LOCALE_COLUMN]);

const LIMITS: readonly [string, number][] = [
  ['given_name', MAX_NAME_LENGTH],
  ['family_name', MAX_NAME_LENGTH],
  ['email', MAX_EMAIL_LENGTH],
  ['phone', MAX_PHONE_LENGTH],
  ['teaching_centre', MAX_TEACHING_CENTRE_LENGTH],
  ['centre_number', MAX_EXTRA_FIELD_LENGTH],
];

/** The trimmed value of a cell; null when empty (an empty cell is a missing detail). */
export function cell(
  values: Readonly<Record<string, string | null>>,
  column: string,
): string | null {
  const raw = values[column];
  if (raw === undefined || raw === null) return null;
  const trimmed = raw.trim();
  return trimmed === '' ? null : trimmed;
}

function length(text: string): number {
  return [...text].length;
}

/**
 * Checks one source row against the contract and turns it into an account to import, or says
 * why not. `verifiers` decide which hash formats are accepted (the hasher's, by default all
 * built-in ones). Duplicates are not detected here (the importer sees the whole source).
 */
export function checkLegacyRow(
  row: SourceRow,
  verifiers?: readonly LegacyHashVerifier[],
): RowCheck {
  const values = row.values;
  const legacyUsername = cell(values, 'legacy_username') ?? '';
  const reject = (reason: RejectionReason, detail: string): RowCheck => ({
    ok: false,
    rejection: { line: row.line, legacyUsername, reason, detail },
  });
  if (row.unreadable) return reject(row.unreadable.reason, row.unreadable.detail);

  const key = normaliseUsername(legacyUsername);
  if (key === '') return reject('missing_legacy_username', 'legacy_username is empty');
  if (length(legacyUsername) > MAX_LEGACY_USERNAME_LENGTH) {
    return reject(
      'field_too_long',
      `legacy_username longer than ${MAX_LEGACY_USERNAME_LENGTH} characters`,
    );
  }
  if (/[\p{Cc}\p{Zl}\p{Zp}]/u.test(legacyUsername)) {
    return reject('invalid_legacy_username', 'legacy_username contains control characters');
  }

  const hash = cell(values, 'password_hash');
  if (hash === null) return reject('missing_password_hash', 'password_hash is empty');
  if (hash.length > MAX_PASSWORD_HASH_LENGTH) {
    return reject(
      'field_too_long',
      `password_hash longer than ${MAX_PASSWORD_HASH_LENGTH} characters`,
    );
  }
  try {
    checkPasswordHash(hash, verifiers);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'PASSWORD_HASH_UNSUPPORTED') {
      return reject('unknown_hash_format', 'password_hash is in a format Porth cannot verify');
    }
    if (code === 'PASSWORD_HASH_MALFORMED') {
      const format = (err as { format?: unknown }).format;
      return reject(
        'malformed_hash',
        `password_hash looks like ${typeof format === 'string' ? format : 'a known format'} but cannot be read`,
      );
    }
    throw err;
  }

  const tooLong = LIMITS.filter(([column, max]) => {
    const value = cell(values, column);
    return value !== null && length(value) > max;
  }).map(([column, max]) => `${column} longer than ${max} characters`);
  const extras: Record<string, string> = {};
  // centre_number has no column of its own: it is kept with the extra fields.
  for (const column of Object.keys(values)) {
    if (CONTRACT.has(column) && column !== 'centre_number') continue;
    const value = cell(values, column);
    if (value === null) continue;
    if (column !== 'centre_number' && length(value) > MAX_EXTRA_FIELD_LENGTH) {
      tooLong.push(`${column} longer than ${MAX_EXTRA_FIELD_LENGTH} characters`);
    }
    extras[column] = value;
  }
  if (tooLong.length > 0) return reject('field_too_long', tooLong.join('; '));

  const email = cell(values, 'email');
  if (email !== null && !isEmailAddress(email)) {
    return reject('malformed_email', 'email is not a valid email address');
  }
  const localeText = cell(values, LOCALE_COLUMN)?.toLowerCase() ?? null;
  const locale: Locale | null = localeText !== null && isLocale(localeText) ? localeText : null;
  if (localeText !== null && locale === null) {
    return reject('invalid_locale', 'locale must be en or cy');
  }

  return {
    ok: true,
    key,
    input: {
      legacyUsername,
      passwordHash: hash,
      kind: 'appointee',
      email,
      givenName: cell(values, 'given_name'),
      familyName: cell(values, 'family_name'),
      phone: cell(values, 'phone'),
      teachingCentre: cell(values, 'teaching_centre'),
      ...(locale !== null ? { locale } : {}),
      ...(Object.keys(extras).length > 0 ? { profileExtra: extras } : {}),
    },
  };
}

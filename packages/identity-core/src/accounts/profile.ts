/**
 * Profile validation with per-field messages in English and Welsh, and the list of details the
 * migration flow asks a user to fill in.
 */
import { isLocale, type Account, type Locale } from './account.js';

/** The profile fields a user can edit. */
export type ProfileField =
  'givenName' | 'familyName' | 'email' | 'phone' | 'teachingCentre' | 'locale';

/** The details the migration flow asks for when they are empty, in the order a form shows them. */
export const PROFILE_DETAILS = [
  'givenName',
  'familyName',
  'email',
  'phone',
  'teachingCentre',
] as const;
/** A profile detail that missingProfileFields can report. */
export type ProfileDetail = (typeof PROFILE_DETAILS)[number];

/** A requested change to a profile: a field left out stays as it is; null clears an optional field. */
export interface ProfileChanges {
  readonly givenName?: string | null;
  readonly familyName?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly teachingCentre?: string | null;
  readonly locale?: Locale | string | null;
}

/** A profile change after validation: trimmed, NFC, empty optional fields turned into null. */
export interface ValidProfileChanges {
  readonly givenName?: string;
  readonly familyName?: string;
  readonly email?: string;
  readonly phone?: string | null;
  readonly teachingCentre?: string | null;
  readonly locale?: Locale;
}

/** Why a field was refused. */
export type ProfileIssueCode = 'required' | 'too_long' | 'invalid_characters' | 'invalid_format';

/** One refused field, with a message for the user in English and Welsh. */
export interface ProfileIssue {
  readonly field: ProfileField;
  readonly code: ProfileIssueCode;
  readonly message: { readonly en: string; readonly cy: string };
}

/** The longest given or family name, in characters. */
export const MAX_NAME_LENGTH = 100;
/** The longest email address (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;
/** The longest phone number as typed, spaces included. */
export const MAX_PHONE_LENGTH = 32;
/** The fewest and most digits in a phone number (E.164 allows at most 15). */
export const PHONE_DIGITS = { min: 7, max: 15 } as const;
/** The longest teaching centre name. */
export const MAX_TEACHING_CENTRE_LENGTH = 200;

const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/gu;
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

const MESSAGES: Readonly<
  Record<ProfileField, Partial<Record<ProfileIssueCode, { en: string; cy: string }>>>
> = {
  givenName: {
    required: { en: 'Enter your first name', cy: 'Rhowch eich enw cyntaf' },
    too_long: {
      en: `First name must be ${MAX_NAME_LENGTH} characters or fewer`,
      cy: `Rhaid i’r enw cyntaf fod yn ${MAX_NAME_LENGTH} nod neu lai`,
    },
    invalid_characters: {
      en: 'First name must not contain hidden control characters',
      cy: 'Ni ddylai’r enw cyntaf gynnwys nodau rheoli cudd',
    },
  },
  familyName: {
    required: { en: 'Enter your surname', cy: 'Rhowch eich cyfenw' },
    too_long: {
      en: `Surname must be ${MAX_NAME_LENGTH} characters or fewer`,
      cy: `Rhaid i’r cyfenw fod yn ${MAX_NAME_LENGTH} nod neu lai`,
    },
    invalid_characters: {
      en: 'Surname must not contain hidden control characters',
      cy: 'Ni ddylai’r cyfenw gynnwys nodau rheoli cudd',
    },
  },
  email: {
    required: { en: 'Enter your email address', cy: 'Rhowch eich cyfeiriad e-bost' },
    too_long: {
      en: `Email address must be ${MAX_EMAIL_LENGTH} characters or fewer`,
      cy: `Rhaid i’r cyfeiriad e-bost fod yn ${MAX_EMAIL_LENGTH} nod neu lai`,
    },
    invalid_format: {
      en: 'Enter an email address in the correct format, like name@example.com',
      cy: 'Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com',
    },
  },
  phone: {
    too_long: {
      en: `Telephone number must be ${MAX_PHONE_LENGTH} characters or fewer`,
      cy: `Rhaid i’r rhif ffôn fod yn ${MAX_PHONE_LENGTH} nod neu lai`,
    },
    invalid_format: {
      en: 'Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192',
      cy: 'Rhowch rif ffôn, fel 01632 960 001, 07700 900 982 neu +44 808 157 0192',
    },
  },
  teachingCentre: {
    too_long: {
      en: `Teaching centre must be ${MAX_TEACHING_CENTRE_LENGTH} characters or fewer`,
      cy: `Rhaid i’r ganolfan addysgu fod yn ${MAX_TEACHING_CENTRE_LENGTH} nod neu lai`,
    },
    invalid_characters: {
      en: 'Teaching centre must not contain hidden control characters',
      cy: 'Ni ddylai’r ganolfan addysgu gynnwys nodau rheoli cudd',
    },
  },
  locale: {
    required: { en: 'Choose English or Welsh', cy: 'Dewiswch Saesneg neu Gymraeg' },
    invalid_format: { en: 'Choose English or Welsh', cy: 'Dewiswch Saesneg neu Gymraeg' },
  },
};

/** Returns the issue for `field` and `code` with its English and Welsh message. */
export function profileIssue(field: ProfileField, code: ProfileIssueCode): ProfileIssue {
  const message = MESSAGES[field][code];
  if (!message) throw new RangeError(`No message for ${field}/${code}`);
  return { field, code, message };
}

const issue = profileIssue;

/** Trims, drops invisible characters and applies NFC; '' for null or undefined. */
function clean(value: string | null | undefined): string {
  return (value ?? '').replace(INVISIBLE, '').trim().normalize('NFC');
}

/** Counts characters as the database does (code points, not UTF-16 units). */
function length(value: string): number {
  return [...value].length;
}

/**
 * True for an address of the form local@domain.tld that mail systems accept: no spaces, one @,
 * a local part of at most 64 characters without leading, trailing or doubled dots, and a domain
 * of dot-separated labels ending in a top-level domain of two or more letters.
 */
export function isEmailAddress(value: string): boolean {
  const at = value.lastIndexOf('@');
  if (at <= 0 || at !== value.indexOf('@')) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (length(local) > 64 || /[\s"(),:;<>[\\\]]/u.test(local) || CONTROL.test(local)) return false;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1] ?? '';
  if (!/^(\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/iu.test(tld)) return false;
  return labels.every((l) => /^[\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u.test(l));
}

function validateName(
  field: 'givenName' | 'familyName',
  value: string | null,
  issues: ProfileIssue[],
): string | undefined {
  const v = clean(value);
  if (v === '') issues.push(issue(field, 'required'));
  else if (CONTROL.test(v)) issues.push(issue(field, 'invalid_characters'));
  else if (length(v) > MAX_NAME_LENGTH) issues.push(issue(field, 'too_long'));
  else return v;
  return undefined;
}

/**
 * Checks the fields present in `changes` and returns them cleaned, with every problem found
 * (not just the first). Given and family name (1..100 characters) and email are required once
 * given; phone and teaching centre may be cleared with null or ''.
 */
export function validateProfileChanges(changes: ProfileChanges): {
  readonly value: ValidProfileChanges;
  readonly issues: readonly ProfileIssue[];
} {
  const issues: ProfileIssue[] = [];
  const value: {
    givenName?: string;
    familyName?: string;
    email?: string;
    phone?: string | null;
    teachingCentre?: string | null;
    locale?: Locale;
  } = {};

  if (changes.givenName !== undefined) {
    const v = validateName('givenName', changes.givenName, issues);
    if (v !== undefined) value.givenName = v;
  }
  if (changes.familyName !== undefined) {
    const v = validateName('familyName', changes.familyName, issues);
    if (v !== undefined) value.familyName = v;
  }
  if (changes.email !== undefined) {
    const v = clean(changes.email);
    if (v === '') issues.push(issue('email', 'required'));
    else if (length(v) > MAX_EMAIL_LENGTH) issues.push(issue('email', 'too_long'));
    else if (!isEmailAddress(v)) issues.push(issue('email', 'invalid_format'));
    else value.email = v;
  }
  if (changes.phone !== undefined) {
    const v = clean(changes.phone);
    const digits = v.replace(/\D/g, '').length;
    if (v === '') value.phone = null;
    else if (length(v) > MAX_PHONE_LENGTH) issues.push(issue('phone', 'too_long'));
    else if (!/^\+?[0-9 ()-]+$/.test(v) || digits < PHONE_DIGITS.min || digits > PHONE_DIGITS.max) {
      issues.push(issue('phone', 'invalid_format'));
    } else value.phone = v;
  }
  if (changes.teachingCentre !== undefined) {
    const v = clean(changes.teachingCentre);
    if (v === '') value.teachingCentre = null;
    else if (CONTROL.test(v)) issues.push(issue('teachingCentre', 'invalid_characters'));
    else if (length(v) > MAX_TEACHING_CENTRE_LENGTH)
      issues.push(issue('teachingCentre', 'too_long'));
    else value.teachingCentre = v;
  }
  if (changes.locale !== undefined) {
    if (changes.locale === null || changes.locale === '') issues.push(issue('locale', 'required'));
    else if (!isLocale(changes.locale)) issues.push(issue('locale', 'invalid_format'));
    else value.locale = changes.locale;
  }
  return { value, issues };
}

/**
 * Lists which of given name, family name, email, phone and teaching centre are empty, in form
 * order; the migration flow asks the user for exactly these.
 */
export function missingProfileFields(account: Pick<Account, ProfileDetail>): ProfileDetail[] {
  return PROFILE_DETAILS.filter((field) => clean(account[field]) === '');
}

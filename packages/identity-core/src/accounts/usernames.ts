/**
 * Username and email normalisation, and the `firstname.surname@domain` usernames issued at
 * migration. Every comparison of a username or email goes through normaliseUsername or
 * normaliseEmail, so a trailing space, a capital letter or a decomposed accent never matters.
 */
import { DEFAULT_USERNAME_DOMAIN } from '../config.js';

/** The longest local part issued (RFC 5321 allows 64; room is left for a collision number). */
export const MAX_USERNAME_LOCAL_PART = 58;

/** The local part used when both names fold to nothing (e.g. names written only in other scripts). */
export const FALLBACK_USERNAME_LOCAL_PART = 'user';

/** Invisible characters that sneak in through copy and paste: zero-width spaces and joiners, BOM, soft hyphen. */
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/gu;

/**
 * Returns the form in which usernames are compared and stored as keys: invisible characters
 * dropped, trimmed, Unicode NFC, lower case.
 * @example normaliseUsername(' Sian.Jones@WJEC-Appointees.co.uk ') === 'sian.jones@wjec-appointees.co.uk'
 */
export function normaliseUsername(input: string): string {
  return input.replace(INVISIBLE, '').trim().normalize('NFC').toLowerCase().normalize('NFC');
}

/**
 * Returns the form in which email addresses are compared: like usernames, invisible characters
 * dropped, trimmed, NFC, lower case (mailbox names are treated as case-insensitive in practice).
 * @example normaliseEmail(' Sian@Example.ORG') === 'sian@example.org'
 */
export function normaliseEmail(input: string): string {
  return normaliseUsername(input);
}

/** Letters that Unicode decomposition leaves alone, with their usual ASCII spelling. */
const LETTER_FOLDS: Readonly<Record<string, string>> = {
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
  ŧ: 't',
  ŋ: 'n',
  ĸ: 'k',
  ſ: 's',
};

/** Apostrophes and the characters typed in their place: dropped (O'Brien → obrien). */
const APOSTROPHES = /['\u2018\u2019\u201B\u0060\u00B4\u02BB\u02BC\u2032]/gu;
/** Spaces and every kind of dash or hyphen: each run becomes one hyphen. */
const SEPARATORS = /[\s\u2010-\u2015\u2212\u2E3A\u2E3B\uFE58\uFE63\uFF0D-]+/gu;

/**
 * Folds one name to the characters a username may hold: lower case, diacritics removed
 * (Siân → sian, Llŷr → llyr, ø → o, æ → ae, ß → ss, ł → l, đ → d, þ → th), apostrophes dropped,
 * spaces and hyphens turned into single hyphens, anything else removed, and no hyphen at either end.
 * Returns '' when nothing is left.
 * @example foldName('Dafydd ap Gwilym') === 'dafydd-ap-gwilym'
 */
export function foldName(name: string): string {
  const decomposed = name
    .replace(INVISIBLE, '')
    .replace(APOSTROPHES, '')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '');
  let folded = '';
  for (const ch of decomposed) folded += LETTER_FOLDS[ch] ?? ch;
  return folded
    .replace(SEPARATORS, '-')
    .replace(/[^a-z-]/g, '')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * Returns the local part of a new username, `firstname.surname`. A name that folds to nothing is
 * left out (`madonna`); when both do, the local part is `user`. At most MAX_USERNAME_LOCAL_PART characters.
 * @example usernameLocalPart('Siân', 'Jones') === 'sian.jones'
 */
export function usernameLocalPart(givenName: string | null, familyName: string | null): string {
  const parts = [foldName(givenName ?? ''), foldName(familyName ?? '')].filter((p) => p !== '');
  const joined = parts.join('.') || FALLBACK_USERNAME_LOCAL_PART;
  return joined.slice(0, MAX_USERNAME_LOCAL_PART).replace(/[.-]+$/, '');
}

/**
 * Returns the first-choice new username, `firstname.surname@domain`; a collision is numbered
 * with numberedUsername.
 * @example usernameBase('Llŷr', 'Williams') === 'llyr.williams@wjec-appointees.co.uk'
 */
export function usernameBase(
  givenName: string | null,
  familyName: string | null,
  domain: string = DEFAULT_USERNAME_DOMAIN,
): string {
  const cleanDomain = normaliseUsername(domain).replace(/^@/, '');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(cleanDomain)) {
    throw new RangeError(`"${domain}" is not a domain name`);
  }
  return `${usernameLocalPart(givenName, familyName)}@${cleanDomain}`;
}

/**
 * Returns the `n`th choice for a base username: the base itself for 1, then the number before
 * the `@` (`sian.jones2@…`, `sian.jones3@…`).
 * @example numberedUsername('sian.jones@example.org', 2) === 'sian.jones2@example.org'
 */
export function numberedUsername(base: string, n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
  if (n === 1) return base;
  const at = base.lastIndexOf('@');
  return at < 0 ? `${base}${n}` : `${base.slice(0, at)}${n}${base.slice(at)}`;
}

/**
 * Returns the number a username carries relative to `base` (1 for the base itself), or null when
 * it is not one of base's numbered forms.
 */
export function usernameNumber(base: string, username: string): number | null {
  if (username === base) return 1;
  const at = base.lastIndexOf('@');
  const head = at < 0 ? base : base.slice(0, at);
  const tail = at < 0 ? '' : base.slice(at);
  if (!username.startsWith(head) || !username.endsWith(tail)) return null;
  const digits = username.slice(head.length, username.length - tail.length);
  if (!/^[1-9][0-9]{0,8}$/.test(digits)) return null;
  const n = Number(digits);
  return n >= 2 ? n : null;
}

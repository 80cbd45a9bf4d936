import { IdentityError } from '../errors.js';
import { isCommonPassword } from './blocklist.js';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  passwordRuleMessages,
  type LocalisedText,
  type PasswordRuleCode,
} from './policy-messages.js';

/** What is known about the person, so that the password cannot be made of it. All fields optional. */
export interface PasswordContext {
  /** The Porth username, e.g. `sian.jones@wjec-appointees.co.uk`. */
  readonly username?: string | null;
  /** The legacy (AMP) username, e.g. `sian.jones`. */
  readonly legacyUsername?: string | null;
  /** The email address. */
  readonly email?: string | null;
  /** Given (first) name. */
  readonly givenName?: string | null;
  /** Family name (surname). */
  readonly familyName?: string | null;
}

/** Switches for the policy. */
export interface PasswordPolicyOptions {
  /** Require an upper-case letter, a lower-case letter, a number and a symbol (the user guides' rule). Default true. */
  readonly compositionRule?: boolean;
}

/** One rule the password breaks, with its wording in English and Welsh. */
export interface PasswordPolicyViolation {
  /** Which rule. */
  readonly code: PasswordRuleCode;
  /** What to tell the person. */
  readonly message: LocalisedText;
  /** Numbers the message uses (e.g. `{ min: 8 }`). */
  readonly params?: Readonly<Record<string, string | number>>;
}

/** Shortest context word (in letters for names, in characters otherwise) that a password may not contain. */
const MIN_CONTEXT_WORD_LENGTH = 3;

/**
 * Words of the organisation and of this service that no password may contain, whoever chooses
 * it (ASVS 6.1.2, NIST SP 800-63B "context-specific words"): the exam board's names in English
 * and Welsh and its brand, the service's own names and the word for the people it serves.
 * Matched inside any word, ignoring case and diacritics. Listed in `docs/security.md` too.
 */
export const ORGANISATION_WORDS: readonly string[] = Object.freeze([
  'wjec',
  'cbac',
  'eduqas',
  'porth',
  'appointee',
]);

/**
 * Short organisation words that are also parts of everyday words (c*amp*, ex*amp*le), so they
 * count only as a word of their own: `AMP-2024!` is refused, `Champion-2024!` is not.
 */
export const ORGANISATION_SHORT_WORDS: readonly string[] = Object.freeze(['amp']);

/** Lower case, diacritics folded (Siân → sian, Ŵyn → wyn), NFC. */
function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().normalize('NFC');
}

const letterCount = (text: string): number => text.match(/\p{L}/gu)?.length ?? 0;

/** The words of a name: the whole name, the name without separators and each part of at least 3 letters. */
function nameWords(name: string): string[] {
  const folded = fold(name.trim());
  const parts = folded.split(/[\s\-'’.]+/u).filter(Boolean);
  return [folded, parts.join(''), ...parts].filter(
    (word) => letterCount(word) >= MIN_CONTEXT_WORD_LENGTH,
  );
}

/** The word of an identifier (username, email): its local part before `@` (which the whole contains). */
function identifierWords(identifier: string | null | undefined): string[] {
  if (!identifier) return [];
  const folded = fold(identifier.trim());
  const at = folded.lastIndexOf('@');
  const word = at > 0 ? folded.slice(0, at) : folded;
  return [...word].length >= MIN_CONTEXT_WORD_LENGTH ? [word] : [];
}

/** True when folded text contains an organisation word, or a short one as a word of its own. */
function containsOrganisationWord(folded: string): boolean {
  if (ORGANISATION_WORDS.some((word) => folded.includes(word))) return true;
  return ORGANISATION_SHORT_WORDS.some((word) =>
    new RegExp(`(?<!\\p{L})${word}(?!\\p{L})`, 'u').test(folded),
  );
}

/** A violation with its message. */
function violation(
  code: PasswordRuleCode,
  params?: Record<string, string | number>,
): PasswordPolicyViolation {
  return params
    ? { code, message: passwordRuleMessages[code], params }
    : { code, message: passwordRuleMessages[code] };
}

/**
 * Checks a new password and returns every rule it breaks (an empty array means acceptable):
 * 8 to 256 characters (Unicode code points after NFC; any character, spaces and emoji included),
 * with `compositionRule` an upper-case letter, a lower-case letter, a number and a symbol (each
 * missing one reported), not a common password, not containing the username, legacy
 * username, email local part or names, nor an organisation word (`ORGANISATION_WORDS`,
 * `ORGANISATION_SHORT_WORDS`), ignoring case and diacritics.
 * @example
 * checkPassword('Summer2024!', { givenName: 'Siân' }).map((v) => v.code) // ['TOO_COMMON']
 */
export function checkPassword(
  password: string,
  context: PasswordContext = {},
  options: PasswordPolicyOptions = {},
): PasswordPolicyViolation[] {
  const normalised = password.normalize('NFC');
  const violations: PasswordPolicyViolation[] = [];

  const length = [...normalised].length;
  if (length < PASSWORD_MIN_LENGTH)
    violations.push(violation('TOO_SHORT', { min: PASSWORD_MIN_LENGTH }));
  if (length > PASSWORD_MAX_LENGTH)
    violations.push(violation('TOO_LONG', { max: PASSWORD_MAX_LENGTH }));

  if (options.compositionRule !== false) {
    if (!/[\p{Lu}\p{Lt}]/u.test(normalised)) violations.push(violation('NO_UPPER_CASE'));
    if (!/\p{Ll}/u.test(normalised)) violations.push(violation('NO_LOWER_CASE'));
    if (!/\p{N}/u.test(normalised)) violations.push(violation('NO_NUMBER'));
    if (!/[\p{P}\p{S}\p{Z}]/u.test(normalised)) violations.push(violation('NO_SYMBOL'));
  }

  if (isCommonPassword(normalised)) violations.push(violation('TOO_COMMON'));

  const folded = fold(normalised);
  const contains = (words: string[]) => words.some((word) => folded.includes(word));
  const usernameWords = [
    ...identifierWords(context.username),
    ...identifierWords(context.legacyUsername),
  ];
  if (contains(usernameWords)) violations.push(violation('CONTAINS_USERNAME'));
  if (contains(identifierWords(context.email))) violations.push(violation('CONTAINS_EMAIL'));
  const names = [context.givenName, context.familyName].filter((name): name is string =>
    Boolean(name),
  );
  const personalWords = names.flatMap(nameWords);
  if (contains(personalWords)) violations.push(violation('CONTAINS_NAME'));

  // Parts already reported as the person's own details (a legacy username `sjones_amp`) are
  // not reported again as organisation words.
  let rest = folded;
  for (const word of [...usernameWords, ...identifierWords(context.email), ...personalWords]) {
    rest = rest.split(word).join(' ');
  }
  if (containsOrganisationWord(rest)) violations.push(violation('CONTAINS_ORGANISATION_NAME'));

  return violations;
}

/** A new password broke the policy; `violations` lists every rule, with en/cy wording. */
export class PasswordPolicyError extends IdentityError {
  constructor(readonly violations: readonly PasswordPolicyViolation[]) {
    super(
      'PASSWORD_POLICY_VIOLATION',
      `The password breaks ${violations.length} rule(s): ${violations.map((v) => v.code).join(', ')}`,
    );
  }
}

/** Throws `PasswordPolicyError` (code `PASSWORD_POLICY_VIOLATION`) when `checkPassword` finds any violation. */
export function assertPasswordAcceptable(
  password: string,
  context: PasswordContext = {},
  options: PasswordPolicyOptions = {},
): void {
  const violations = checkPassword(password, context, options);
  if (violations.length > 0) throw new PasswordPolicyError(violations);
}

import { randomInt, type RandomSource } from '../random.js';
import { checkPassword, type PasswordContext } from './password-policy.js';

/** Letters that cannot be mistaken for one another or for digits (no I, O, l, o). */
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz';
/** Digits that cannot be mistaken for letters (no 0, 1). */
const DIGITS = '23456789';
/** Groups of two letters and a digit, joined by hyphens: `Kq7-mT4-zR9-Hw2`. */
const GROUPS = 4;
const SEPARATOR = '-';
const MAX_ATTEMPTS = 1000;

/** The alphabets a temporary password draws from, by position in a group (for tests and docs). */
export const TEMPORARY_PASSWORD_ALPHABET = Object.freeze({
  letters: LETTERS,
  digits: DIGITS,
  separator: SEPARATOR,
});

/** Draws one candidate: every letter and digit uniformly from its alphabet. */
function draw(random: RandomSource): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    groups.push(
      (LETTERS[randomInt(random, LETTERS.length)] as string) +
        (LETTERS[randomInt(random, LETTERS.length)] as string) +
        (DIGITS[randomInt(random, DIGITS.length)] as string),
    );
  }
  return groups.join(SEPARATOR);
}

/**
 * Generates a temporary password that is easy to read out and type (`Kq7-mT4-zR9-Hw2`:
 * 15 characters, about 56 bits, no 0/O/1/l/I/o) and always passes the password policy with the
 * composition rule on. Letters never run more than two in a row, so no name or username of
 * three or more letters can appear in it; candidates that still break a rule for `context`
 * (e.g. lack an upper-case letter) are drawn again, which keeps the choice uniform over the
 * passwords that pass.
 * @example generateTemporaryPassword(cryptoRandom) // 'Kq7-mT4-zR9-Hw2'
 */
export function generateTemporaryPassword(
  random: RandomSource,
  context: PasswordContext = {},
): string {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const candidate = draw(random);
    if (checkPassword(candidate, context, { compositionRule: true }).length === 0) return candidate;
  }
  throw new Error('The random source produced no acceptable temporary password; is it broken?');
}

/**
 * The forgotten-password page's check that a person is there (the FAQ's "characters on screen"),
 * made accessible: a sum written in words in the reader's language ("What is four plus seven?"),
 * answered in digits or in English or Welsh words. No image, no audio, nothing a screen reader
 * cannot read. The numbers live server-side in a one-time token whose raw value goes in the form:
 * each question can be answered once, within 30 minutes.
 */
import {
  KnexTokenRepository,
  randomInt,
  type Clock,
  type Executor,
  type RandomSource,
} from '@porth/identity-core';

/** Purpose of the one-time token that holds a question's numbers. */
export const CAPTCHA_PURPOSE = 'recovery_captcha';
/** How long a question can be answered: 30 minutes. */
export const CAPTCHA_LIFETIME_MS = 30 * 60 * 1000;
/** The longest answer looked at. */
const MAX_ANSWER_LENGTH = 40;

/** The numbers of a question, kept server-side. */
interface ChallengeData {
  readonly first: number;
  readonly second: number;
}

/** A question to show: the token goes in a hidden field, the words in the label. */
export interface Challenge {
  readonly token: string;
  readonly first: number;
  readonly second: number;
}

/** How an answer compares with its question. */
export type ChallengeCheck = 'right' | 'wrong' | 'expired';

/** What the questions need from the portal. */
export interface ChallengeStore {
  readonly db: Executor;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** The words the questions use for 1–9, in each language (Welsh counting forms). */
const QUESTION_WORDS: { readonly [L in 'en' | 'cy']: readonly string[] } = {
  en: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
  cy: ['dim', 'un', 'dau', 'tri', 'pedwar', 'pump', 'chwech', 'saith', 'wyth', 'naw'],
};

/** Every spelling accepted as an answer, English and Welsh (traditional and decimal counting). */
const ANSWER_WORDS: Readonly<Record<string, number>> = Object.freeze({
  ...Object.fromEntries(
    [
      'zero',
      'one',
      'two',
      'three',
      'four',
      'five',
      'six',
      'seven',
      'eight',
      'nine',
      'ten',
      'eleven',
      'twelve',
      'thirteen',
      'fourteen',
      'fifteen',
      'sixteen',
      'seventeen',
      'eighteen',
      'nineteen',
      'twenty',
    ].map((word, n) => [word, n]),
  ),
  ...welsh([
    ['dim'],
    ['un'],
    ['dau', 'dwy'],
    ['tri', 'tair'],
    ['pedwar', 'pedair'],
    ['pump', 'pum'],
    ['chwech', 'chwe'],
    ['saith'],
    ['wyth'],
    ['naw'],
    ['deg', 'deng', 'un deg'],
    ['un ar ddeg', 'un deg un'],
    ['deuddeg', 'deuddeng', 'un deg dau'],
    ['tri ar ddeg', 'tair ar ddeg', 'un deg tri'],
    ['pedwar ar ddeg', 'pedair ar ddeg', 'un deg pedwar'],
    ['pymtheg', 'pymtheng', 'un deg pump', 'un deg pum'],
    ['un ar bymtheg', 'un deg chwech', 'un deg chwe'],
    ['dau ar bymtheg', 'dwy ar bymtheg', 'un deg saith'],
    ['deunaw', 'un deg wyth'],
    ['pedwar ar bymtheg', 'pedair ar bymtheg', 'un deg naw'],
    ['ugain', 'dau ddeg'],
  ]),
});

function welsh(spellings: readonly (readonly string[])[]): Record<string, number> {
  return Object.fromEntries(spellings.flatMap((words, n) => words.map((w) => [w, n])));
}

/** The word for `n` (1–9) in a question, in `lang`. */
export function questionWord(n: number, lang: 'en' | 'cy'): string {
  const word = QUESTION_WORDS[lang][n];
  if (word === undefined || n < 1) throw new RangeError('question numbers are 1 to 9');
  return word;
}

/**
 * Reads an answer: digits (`11`), or a number in English or Welsh words (`eleven`, `un ar ddeg`,
 * `un deg un`), ignoring case, spaces, hyphens and a full stop at the end; null when it is none.
 */
export function parseAnswer(text: string): number | null {
  if (typeof text !== 'string' || text.length > MAX_ANSWER_LENGTH) return null;
  const cleaned = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[.!]+\s*$/u, '')
    .replace(/[\s\-\u2010-\u2015]+/gu, ' ')
    .trim();
  if (/^[0-9]{1,3}$/.test(cleaned)) return Number(cleaned);
  return ANSWER_WORDS[cleaned] ?? null;
}

/** Makes a new question (two numbers from 1 to 9 to add) and keeps its numbers server-side. */
export async function newChallenge(store: ChallengeStore): Promise<Challenge> {
  const first = 1 + randomInt(store.random, 9);
  const second = 1 + randomInt(store.random, 9);
  const { token } = await new KnexTokenRepository(
    store.db,
    store.clock,
    store.random,
  ).issue<ChallengeData>({
    purpose: CAPTCHA_PURPOSE,
    data: { first, second },
    lifetimeMs: CAPTCHA_LIFETIME_MS,
  });
  return { token, first, second };
}

/**
 * Checks an answer against its question and uses the question up, right or wrong: `expired`
 * when the question is unknown, used or more than 30 minutes old.
 */
export async function checkChallenge(
  store: ChallengeStore,
  token: string,
  answer: string,
): Promise<ChallengeCheck> {
  const consumed = await new KnexTokenRepository(
    store.db,
    store.clock,
    store.random,
  ).consume<ChallengeData>(CAPTCHA_PURPOSE, token);
  const data = consumed?.data;
  if (!data || !Number.isInteger(data.first) || !Number.isInteger(data.second)) return 'expired';
  // Not a secret (the question shows both numbers): a plain comparison is fine.
  return parseAnswer(answer) === data.first + data.second ? 'right' : 'wrong';
}

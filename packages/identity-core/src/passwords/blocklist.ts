import { dictionary } from '@zxcvbn-ts/language-common';

let commonPasswords: ReadonlySet<string> | undefined;

/** The zxcvbn `passwords-common` list (lower case), built into a Set on first use. */
function commonPasswordSet(): ReadonlySet<string> {
  commonPasswords ??= new Set(dictionary['passwords-common'].map((word) => word.toLowerCase()));
  return commonPasswords;
}

/** Minimum length of the word left after trimming digits and symbols for it to be looked up. */
const MIN_CORE_LENGTH = 4;

/**
 * True when the password is on the common-passwords blocklist (49,233 entries), compared without
 * regard to case — either as a whole or once leading and trailing digits and symbols are
 * trimmed, when at least 4 characters remain (`Password1!`, `Summer2024!`).
 */
export function isCommonPassword(password: string): boolean {
  const lower = password.normalize('NFC').toLowerCase();
  const list = commonPasswordSet();
  if (list.has(lower)) return true;
  const core = lower.replace(/^[^\p{L}]+/u, '').replace(/[^\p{L}]+$/u, '');
  return core !== lower && [...core].length >= MIN_CORE_LENGTH && list.has(core);
}

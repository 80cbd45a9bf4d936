import { randomInt, type RandomSource } from '@porth/identity-core';
import type { Factor } from '../factor.js';

/** How many recovery codes a set holds. */
export const RECOVERY_CODE_COUNT = 10;

/**
 * The characters of a recovery code: digits and lower-case letters without i, l, o and u
 * (Crockford's base32), so nothing is misread when written down. 32 symbols, 5 bits each.
 */
export const RECOVERY_CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Characters in one recovery code (50 bits), shown as two groups of five: `7m2xq-4hd9k`. */
export const RECOVERY_CODE_LENGTH = 10;

/**
 * Recovery codes: single-use codes the user keeps somewhere safe, for when their other factors
 * are lost. NIST SP 800-63B calls them look-up secrets. They are reported with the registered
 * `amr` value `kba` (a secret the user keeps), never as `otp`, so a relying application can
 * tell a recovery from an authenticator code.
 */
export class RecoveryCodeFactor implements Factor {
  readonly method = 'recovery_code' as const;
  readonly amr = ['kba'] as const;
  readonly weak = false;

  /** Makes `count` new codes, formatted for display (`xxxxx-xxxxx`). */
  generate(random: RandomSource, count = RECOVERY_CODE_COUNT): string[] {
    const codes: string[] = [];
    for (let i = 0; i < count; i++) {
      let code = '';
      for (let j = 0; j < RECOVERY_CODE_LENGTH; j++) {
        code += RECOVERY_CODE_ALPHABET[randomInt(random, RECOVERY_CODE_ALPHABET.length)];
      }
      codes.push(formatRecoveryCode(code));
    }
    return codes;
  }
}

/** Writes a normalised code as two groups of five: `7m2xq-4hd9k`. */
export function formatRecoveryCode(normalised: string): string {
  const half = Math.ceil(normalised.length / 2);
  return `${normalised.slice(0, half)}-${normalised.slice(half)}`;
}

/**
 * A recovery code as stored (hashed): lower case, spaces and hyphens removed, `i`/`l` read as
 * `1` and `o` as `0`. Null when it cannot be a recovery code.
 */
export function normaliseRecoveryCode(text: string): string | null {
  if (typeof text !== 'string' || text.length > 64) return null;
  const code = text.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (code.length !== RECOVERY_CODE_LENGTH) return null;
  for (const char of code) if (!RECOVERY_CODE_ALPHABET.includes(char)) return null;
  return code;
}

import { argon2id, hash as argon2Hash } from 'argon2';
import type { RandomSource } from '../random.js';
import {
  OWASP_ARGON2ID_PARAMETERS,
  encodeArgon2idHash,
  hasArgon2idPrefix,
  isWeakerArgon2id,
  parseArgon2idHash,
  verifyArgon2id,
} from './argon2id.js';
import {
  builtInLegacyVerifiers,
  findLegacyVerifier,
  type LegacyHashVerifier,
} from './legacy-hashes.js';

/** The outcome of checking a password against a stored hash. */
export interface PasswordVerification {
  /** True when the password is right. */
  readonly valid: boolean;
  /** True when the stored hash should be replaced by `hash(password)` after a successful sign-in. */
  readonly needsRehash: boolean;
}

/** Hashes new passwords and verifies passwords against stored (Porth or legacy) hashes. */
export interface PasswordHasher {
  /** Hashes a new password (NFC-normalised) with argon2id; returns the encoded PHC string. */
  hash(password: string): Promise<string>;
  /**
   * Checks `password` against `storedHash`. Throws `PASSWORD_HASH_UNSUPPORTED` for a format no
   * verifier recognises and `PASSWORD_HASH_MALFORMED` for one it cannot read; never a silent false.
   */
  verify(storedHash: string, password: string): Promise<PasswordVerification>;
  /**
   * Spends the time of a failed argon2id verification and answers "not valid": call it when no
   * account matches, so that known and unknown usernames take the same time.
   */
  verifyDummy(password: string): Promise<PasswordVerification>;
}

/** Settings of `Argon2PasswordHasher`. */
export interface Argon2PasswordHasherOptions {
  /** Where salts come from. */
  readonly random: RandomSource;
  /** Verifiers for imported hashes, tried in order; all built-ins by default. */
  readonly legacyVerifiers?: readonly LegacyHashVerifier[];
}

const INVALID: PasswordVerification = Object.freeze({ valid: false, needsRehash: false });

/** Unicode NFC form of a password: what Porth hashes, so that the same characters typed differently match. */
export function normalisePassword(password: string): string {
  return password.normalize('NFC');
}

/**
 * Porth's password hasher: argon2id with OWASP's parameters (19 MiB, t=2, p=1) for new hashes,
 * pluggable verifiers for imported ones, and `needsRehash` telling when to upgrade.
 *
 * An argon2id hash is first checked against the NFC form of the password (how Porth hashes);
 * when that fails and the password as typed differs from its NFC form, it is checked as typed
 * too (an imported argon2id hash), and a match that way asks for a rehash.
 * @example
 * const hasher = new Argon2PasswordHasher({ random: cryptoRandom });
 * const stored = await hasher.hash('Siân-Ŵyn#2023');
 * const { valid, needsRehash } = await hasher.verify(stored, input);
 */
export class Argon2PasswordHasher implements PasswordHasher {
  readonly #random: RandomSource;
  readonly #legacyVerifiers: readonly LegacyHashVerifier[];
  readonly #dummyHash: string;

  constructor(options: Argon2PasswordHasherOptions) {
    this.#random = options.random;
    this.#legacyVerifiers = options.legacyVerifiers ?? builtInLegacyVerifiers;
    // Random bytes in place of a digest: costs one full argon2id computation, matches nothing.
    this.#dummyHash = encodeArgon2idHash(
      OWASP_ARGON2ID_PARAMETERS,
      this.#random.bytes(OWASP_ARGON2ID_PARAMETERS.saltLength),
      this.#random.bytes(OWASP_ARGON2ID_PARAMETERS.hashLength),
    );
  }

  /** Hashes a new password (NFC-normalised) with argon2id and a salt from the RandomSource. */
  async hash(password: string): Promise<string> {
    return argon2Hash(normalisePassword(password), {
      type: argon2id,
      memoryCost: OWASP_ARGON2ID_PARAMETERS.memoryCost,
      timeCost: OWASP_ARGON2ID_PARAMETERS.timeCost,
      parallelism: OWASP_ARGON2ID_PARAMETERS.parallelism,
      hashLength: OWASP_ARGON2ID_PARAMETERS.hashLength,
      salt: Buffer.from(this.#random.bytes(OWASP_ARGON2ID_PARAMETERS.saltLength)),
    });
  }

  /** Checks a password against a Porth argon2id hash or any hash a legacy verifier recognises. */
  async verify(storedHash: string, password: string): Promise<PasswordVerification> {
    if (!hasArgon2idPrefix(storedHash)) {
      const verifier = findLegacyVerifier(storedHash, this.#legacyVerifiers);
      return { valid: await verifier.verify(storedHash, password), needsRehash: true };
    }
    const weaker = isWeakerArgon2id(parseArgon2idHash(storedHash), OWASP_ARGON2ID_PARAMETERS);
    const normalised = normalisePassword(password);
    if (await verifyArgon2id(storedHash, normalised)) return { valid: true, needsRehash: weaker };
    if (normalised !== password && (await verifyArgon2id(storedHash, password)))
      return { valid: true, needsRehash: true };
    return { valid: false, needsRehash: weaker };
  }

  /** Runs the same argon2id work as a failed `verify` on a Porth hash, then answers "not valid". */
  async verifyDummy(password: string): Promise<PasswordVerification> {
    const normalised = normalisePassword(password);
    await verifyArgon2id(this.#dummyHash, normalised);
    if (normalised !== password) await verifyArgon2id(this.#dummyHash, password);
    return INVALID;
  }
}

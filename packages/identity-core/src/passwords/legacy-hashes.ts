import { createHash, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { compare as bcryptCompare } from 'bcryptjs';
import md5Crypt from 'apache-md5';
import { hasArgon2idPrefix, parseArgon2idHash, verifyArgon2id } from './argon2id.js';
import { bytesEqual, decodeBase64Strict } from './constant-time.js';
import { MalformedPasswordHashError, UnsupportedPasswordHashError } from '../errors.js';

const pbkdf2Async = promisify(pbkdf2);

/** The password hash formats Porth can verify out of the box. */
export type PasswordHashFormat =
  'argon2id' | 'bcrypt' | 'md5-crypt' | 'django-pbkdf2-sha256' | 'ssha' | 'ssha256';

/**
 * Verifies one kind of imported (legacy) password hash. Plug more in by passing a list to the
 * hasher. `verify` tries the password exactly as typed (no Unicode normalisation), resolves
 * `false` for a wrong password and throws `PASSWORD_HASH_MALFORMED` for a hash it cannot read.
 */
export interface LegacyHashVerifier {
  /** A short name for the format, e.g. `bcrypt`; used in error messages and reports. */
  readonly format: string;
  /** True when `hash` is in this verifier's format (by its prefix). */
  recognise(hash: string): boolean;
  /** Resolves whether `password` produces `hash`; throws `PASSWORD_HASH_MALFORMED` for an unreadable hash. */
  verify(hash: string, password: string): Promise<boolean>;
  /** Throws `PASSWORD_HASH_MALFORMED` when `hash` cannot be read (optional; lets an importer reject it early). */
  assertWellFormed?(hash: string): void;
}

const FORMAT_PREFIXES: readonly (readonly [
  prefix: string,
  format: PasswordHashFormat,
  caseInsensitive: boolean,
])[] = [
  ['$argon2id$', 'argon2id', false],
  ['$2a$', 'bcrypt', false],
  ['$2b$', 'bcrypt', false],
  ['$2y$', 'bcrypt', false],
  ['$1$', 'md5-crypt', false],
  ['pbkdf2_sha256$', 'django-pbkdf2-sha256', false],
  ['{SSHA}', 'ssha', true],
  ['{SSHA256}', 'ssha256', true],
];

/**
 * Names the format of a stored password hash by its prefix, or `null` when Porth does not
 * support it (the importer refuses those). A recognised prefix does not promise a readable hash:
 * use `checkPasswordHash` for that.
 * @example identifyHashFormat('$2y$10$…') // 'bcrypt'
 */
export function identifyHashFormat(hash: string): PasswordHashFormat | null {
  for (const [prefix, format, caseInsensitive] of FORMAT_PREFIXES) {
    const head = hash.slice(0, prefix.length);
    if (caseInsensitive ? head.toUpperCase() === prefix : head === prefix) return format;
  }
  return null;
}

/** Builds a verifier whose parse step runs before every verification. */
function legacyVerifier<T>(
  format: PasswordHashFormat,
  parse: (hash: string) => T,
  check: (parsed: T, password: string, hash: string) => Promise<boolean>,
): LegacyHashVerifier {
  return {
    format,
    recognise: (hash) => identifyHashFormat(hash) === format,
    verify: async (hash, password) => check(parse(hash), password, hash),
    assertWellFormed: (hash) => {
      parse(hash);
    },
  };
}

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** bcrypt (`$2a$`, `$2b$`, `$2y$` — the last is what PHP and `htpasswd -B` write), via bcryptjs. */
export const bcryptVerifier: LegacyHashVerifier = legacyVerifier(
  'bcrypt',
  (hash) => {
    const match = BCRYPT.exec(hash);
    const cost = match ? Number(match[1]) : 0;
    if (!match || cost < 4 || cost > 31)
      throw new MalformedPasswordHashError(
        'bcrypt',
        'expected $2?$NN$ and 53 characters of salt and hash',
      );
    return hash;
  },
  async (hash, password) => {
    try {
      return await bcryptCompare(password, hash);
    } catch (error) {
      throw new MalformedPasswordHashError('bcrypt', 'rejected by bcrypt', { cause: error });
    }
  },
);

const MD5_CRYPT = /^\$1\$([./0-9A-Za-z]{1,8})\$([./0-9A-Za-z]{22})$/;

/** MD5-crypt (`$1$salt$hash`, FreeBSD/glibc, `openssl passwd -1`), via apache-md5. */
export const md5CryptVerifier: LegacyHashVerifier = legacyVerifier(
  'md5-crypt',
  (hash) => {
    const match = MD5_CRYPT.exec(hash);
    if (!match)
      throw new MalformedPasswordHashError(
        'md5-crypt',
        'expected $1$salt$ and 22 characters of hash',
      );
    return match[1] as string;
  },
  async (salt, password, hash) => {
    // apache-md5 works on one byte per character; feed it the UTF-8 bytes as Latin-1 text so
    // that non-ASCII passwords hash as they do in C implementations.
    const bytes = Buffer.from(password, 'utf8').toString('latin1');
    const computed = md5Crypt(bytes, `$1$${salt}$`);
    return bytesEqual(Buffer.from(computed, 'latin1'), Buffer.from(hash, 'latin1'));
  },
);

const DJANGO_PBKDF2 = /^pbkdf2_sha256\$(\d{1,10})\$([^$]+)\$([A-Za-z0-9+/]+={0,2})$/;

/** Django's `pbkdf2_sha256$iterations$salt$base64(hash)`, via node:crypto PBKDF2-HMAC-SHA256. */
export const djangoPbkdf2Sha256Verifier: LegacyHashVerifier = legacyVerifier(
  'django-pbkdf2-sha256',
  (hash) => {
    const match = DJANGO_PBKDF2.exec(hash);
    const iterations = match ? Number(match[1]) : 0;
    const digest = match ? decodeBase64Strict(match[3] as string) : null;
    if (!match || iterations < 1 || iterations > 2 ** 31 - 1 || !digest || digest.length !== 32) {
      throw new MalformedPasswordHashError(
        'django-pbkdf2-sha256',
        'expected pbkdf2_sha256$iterations$salt$ and a 32-byte base64 hash',
      );
    }
    return { iterations, salt: match[2] as string, digest };
  },
  async ({ iterations, salt, digest }, password) => {
    const computed = await pbkdf2Async(
      Buffer.from(password, 'utf8'),
      Buffer.from(salt, 'utf8'),
      iterations,
      digest.length,
      'sha256',
    );
    return bytesEqual(computed, digest);
  },
);

/** Builds an LDAP salted-digest verifier: `{SCHEME}base64(digest(password + salt) + salt)`. */
function saltedDigestVerifier(
  format: 'ssha' | 'ssha256',
  algorithm: 'sha1' | 'sha256',
  digestLength: number,
): LegacyHashVerifier {
  const scheme = format === 'ssha' ? '{SSHA}' : '{SSHA256}';
  return legacyVerifier(
    format,
    (hash) => {
      const decoded = decodeBase64Strict(hash.slice(scheme.length));
      if (!decoded || decoded.length <= digestLength) {
        throw new MalformedPasswordHashError(
          format,
          `expected ${scheme} and base64 of a ${digestLength}-byte digest and a salt`,
        );
      }
      return { digest: decoded.subarray(0, digestLength), salt: decoded.subarray(digestLength) };
    },
    async ({ digest, salt }, password) => {
      const computed = createHash(algorithm)
        .update(Buffer.from(password, 'utf8'))
        .update(salt)
        .digest();
      return bytesEqual(computed, digest);
    },
  );
}

/** LDAP `{SSHA}`: SHA-1 of password + salt, base64 of digest + salt (`slappasswd -h {SSHA}`). */
export const sshaVerifier: LegacyHashVerifier = saltedDigestVerifier('ssha', 'sha1', 20);

/** LDAP `{SSHA256}`: SHA-256 of password + salt, base64 of digest + salt (OpenLDAP pw-sha2). */
export const ssha256Verifier: LegacyHashVerifier = saltedDigestVerifier('ssha256', 'sha256', 32);

/** An argon2id hash made elsewhere, verified with the password exactly as typed, via argon2. */
export const argon2idVerifier: LegacyHashVerifier = {
  format: 'argon2id',
  recognise: hasArgon2idPrefix,
  verify: async (hash, password) => {
    parseArgon2idHash(hash);
    return verifyArgon2id(hash, password);
  },
  assertWellFormed: (hash) => {
    parseArgon2idHash(hash);
  },
};

/** Every built-in verifier: bcrypt, MD5-crypt, Django PBKDF2-SHA256, {SSHA}, {SSHA256} and argon2id. */
export const builtInLegacyVerifiers: readonly LegacyHashVerifier[] = Object.freeze([
  bcryptVerifier,
  md5CryptVerifier,
  djangoPbkdf2Sha256Verifier,
  sshaVerifier,
  ssha256Verifier,
  argon2idVerifier,
]);

/** Returns the verifier that recognises `hash`; throws `PASSWORD_HASH_UNSUPPORTED` when none does. */
export function findLegacyVerifier(
  hash: string,
  verifiers: readonly LegacyHashVerifier[] = builtInLegacyVerifiers,
): LegacyHashVerifier {
  const verifier = verifiers.find((candidate) => candidate.recognise(hash));
  if (!verifier) throw new UnsupportedPasswordHashError();
  return verifier;
}

/**
 * Checks that a hash can be verified without knowing the password (for importers): returns the
 * verifier's format, or throws `PASSWORD_HASH_UNSUPPORTED` / `PASSWORD_HASH_MALFORMED`.
 */
export function checkPasswordHash(
  hash: string,
  verifiers: readonly LegacyHashVerifier[] = builtInLegacyVerifiers,
): string {
  const verifier = findLegacyVerifier(hash, verifiers);
  verifier.assertWellFormed?.(hash);
  return verifier.format;
}

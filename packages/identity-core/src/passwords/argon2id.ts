import { verify as argon2Verify } from 'argon2';
import { decodeBase64Strict } from './constant-time.js';
import { MalformedPasswordHashError } from '../errors.js';

/** The cost of an argon2id hash: memory in KiB, passes, lanes, and output length in bytes. */
export interface Argon2idParameters {
  /** Memory in KiB. */
  readonly memoryCost: number;
  /** Number of passes over memory. */
  readonly timeCost: number;
  /** Number of lanes. */
  readonly parallelism: number;
  /** Length of the hash output in bytes. */
  readonly hashLength: number;
}

/** The parts of an encoded (PHC string) argon2id hash. */
export interface ParsedArgon2idHash extends Argon2idParameters {
  /** The argon2 version number (19 = 0x13, the current one). */
  readonly version: number;
  /** Salt length in bytes. */
  readonly saltLength: number;
}

/** The argon2 version Porth writes (0x13). */
export const ARGON2_VERSION = 0x13;

/** OWASP's recommended argon2id cost (19 MiB, 2 passes, 1 lane), with a 32-byte hash and a 16-byte salt. */
export const OWASP_ARGON2ID_PARAMETERS: Argon2idParameters & { readonly saltLength: number } =
  Object.freeze({
    memoryCost: 19456,
    timeCost: 2,
    parallelism: 1,
    hashLength: 32,
    saltLength: 16,
  });

const ARGON2ID_PHC =
  /^\$argon2id\$(?:v=(\d{1,3})\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** True when `hash` starts with the argon2id prefix (whether or not the rest is readable). */
export function hasArgon2idPrefix(hash: string): boolean {
  return hash.startsWith('$argon2id$');
}

/** Reads an encoded argon2id hash; throws `PASSWORD_HASH_MALFORMED` when it cannot be read. */
export function parseArgon2idHash(hash: string): ParsedArgon2idHash {
  const match = ARGON2ID_PHC.exec(hash);
  if (!match)
    throw new MalformedPasswordHashError(
      'argon2id',
      'not an encoded $argon2id$v=…$m=…,t=…,p=…$salt$hash string',
    );
  const [, v, m, t, p, salt, digest] = match as unknown as [
    string,
    string | undefined,
    string,
    string,
    string,
    string,
    string,
  ];
  const version = v === undefined ? 0x10 : Number(v);
  const memoryCost = Number(m);
  const timeCost = Number(t);
  const parallelism = Number(p);
  const saltBytes = decodeBase64Strict(salt);
  const hashBytes = decodeBase64Strict(digest);
  if (version !== 0x10 && version !== 0x13)
    throw new MalformedPasswordHashError('argon2id', 'unknown version');
  if (parallelism < 1 || parallelism > 255)
    throw new MalformedPasswordHashError('argon2id', 'parallelism out of range');
  if (timeCost < 1 || memoryCost < 8 * parallelism || memoryCost > 2 ** 32 - 1) {
    throw new MalformedPasswordHashError('argon2id', 'cost out of range');
  }
  if (!saltBytes || saltBytes.length < 8)
    throw new MalformedPasswordHashError('argon2id', 'salt missing or too short');
  if (!hashBytes || hashBytes.length < 4)
    throw new MalformedPasswordHashError('argon2id', 'hash missing or too short');
  return {
    version,
    memoryCost,
    timeCost,
    parallelism,
    hashLength: hashBytes.length,
    saltLength: saltBytes.length,
  };
}

/** True when an argon2id hash is weaker than `target` (less memory, fewer passes, a shorter output or an older version). */
export function isWeakerArgon2id(parsed: ParsedArgon2idHash, target: Argon2idParameters): boolean {
  return (
    parsed.version < ARGON2_VERSION ||
    parsed.memoryCost < target.memoryCost ||
    parsed.timeCost < target.timeCost ||
    parsed.hashLength < target.hashLength
  );
}

/** Encodes an argon2id PHC string from its parts (used for the dummy hash). */
export function encodeArgon2idHash(
  parameters: Argon2idParameters,
  salt: Uint8Array,
  digest: Uint8Array,
): string {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/=+$/, '');
  return `$argon2id$v=${ARGON2_VERSION}$m=${parameters.memoryCost},t=${parameters.timeCost},p=${parameters.parallelism}$${b64(salt)}$${b64(digest)}`;
}

/** argon2.verify with the password as given; a hash argon2 refuses is reported as PASSWORD_HASH_MALFORMED. */
export async function verifyArgon2id(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2Verify(hash, password);
  } catch (error) {
    throw new MalformedPasswordHashError('argon2id', 'rejected by argon2', { cause: error });
  }
}

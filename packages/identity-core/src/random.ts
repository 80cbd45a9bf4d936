import { randomFillSync } from 'node:crypto';

/** The source of randomness; injected so that tests can make it repeatable. */
export interface RandomSource {
  /** Returns `length` cryptographically secure random bytes. */
  bytes(length: number): Uint8Array;
}

/** The operating system's cryptographically secure generator. */
export const cryptoRandom: RandomSource = {
  bytes: (length) => randomFillSync(new Uint8Array(length)),
};

/** Returns a random identifier: 128 bits as 32 lower-case hex characters. */
export function randomId(random: RandomSource): string {
  return Buffer.from(random.bytes(16)).toString('hex');
}

/** Returns `bytes` random bytes as unpadded base64url text (256 bits by default). */
export function randomSecret(random: RandomSource, bytes = 32): string {
  return Buffer.from(random.bytes(bytes)).toString('base64url');
}

/** Returns a uniformly random integer in [0, max) without modulo bias. */
export function randomInt(random: RandomSource, max: number): number {
  if (!Number.isInteger(max) || max <= 0 || max > 2 ** 32) {
    throw new RangeError('max must be an integer in 1..2^32');
  }
  const limit = Math.floor(2 ** 32 / max) * max;
  for (;;) {
    const value = Buffer.from(random.bytes(4)).readUInt32BE(0);
    if (value < limit) return value % max;
  }
}

/** Returns a string of `length` decimal digits, each uniformly random. */
export function randomDigits(random: RandomSource, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String(randomInt(random, 10));
  return out;
}

import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { cryptoRandom, type RandomSource } from '../../src/random.js';
import { checkPassword, type PasswordContext } from '../../src/passwords/password-policy.js';
import {
  generateTemporaryPassword,
  TEMPORARY_PASSWORD_ALPHABET,
} from '../../src/passwords/temporary-password.js';

/** A repeatable RandomSource: SHA-256 of a seed and a counter, as a byte stream. */
function seededRandom(seed: string): RandomSource {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return {
    bytes(length) {
      while (pool.length < length) {
        pool = Buffer.concat([pool, createHash('sha256').update(`${seed}:${counter++}`).digest()]);
      }
      const out = pool.subarray(0, length);
      pool = pool.subarray(length);
      return Uint8Array.from(out);
    },
  };
}

const contexts: PasswordContext[] = [
  {},
  {
    username: 'sian.jones@wjec-appointees.co.uk',
    legacyUsername: 'sian.jones',
    email: 'sian@example.com',
    givenName: 'Siân',
    familyName: 'Jones',
  },
  {
    givenName: 'Ann',
    familyName: 'Lee',
    username: 'ann.lee@wjec-appointees.co.uk',
    email: 'abc@example.com',
  },
  { givenName: 'Eve', familyName: 'Kim', legacyUsername: 'kim' },
];

describe('temporary passwords', () => {
  it('are at least 14 characters without the look-alikes 0, O, 1, l and I', () => {
    for (let i = 0; i < 200; i++) {
      const password = generateTemporaryPassword(cryptoRandom);
      expect(password.length).to.be.at.least(14);
      expect(password).to.not.match(/[0O1lI]/);
    }
  });

  it('always pass the policy with the composition rule on, whatever the context (2,000 drawn)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const context = contexts[i % contexts.length] as PasswordContext;
      const password = generateTemporaryPassword(cryptoRandom, context);
      expect(checkPassword(password, context, { compositionRule: true }), password).to.deep.equal(
        [],
      );
      for (const other of contexts)
        expect(checkPassword(password, other), password).to.deep.equal([]);
      seen.add(password);
    }
    expect(seen.size).to.equal(2000);
  });

  it('draws again when a candidate contains a detail from the context', () => {
    // Any three characters of the first candidate as a context word force a second draw.
    const first = generateTemporaryPassword(seededRandom('context'));
    const email = `${first.slice(0, 3)}@example.com`;
    const second = generateTemporaryPassword(seededRandom('context'), { email });
    expect(second).to.not.equal(first);
    expect(checkPassword(second, { email })).to.deep.equal([]);
  });

  it('come only from the injected RandomSource: the same seed gives the same passwords', () => {
    const a = seededRandom('repeat');
    const b = seededRandom('repeat');
    const fromA = Array.from({ length: 5 }, () => generateTemporaryPassword(a));
    const fromB = Array.from({ length: 5 }, () => generateTemporaryPassword(b));
    expect(fromA).to.deep.equal(fromB);
    expect(new Set(fromA).size).to.equal(5);
  });

  it('use every letter and digit of their alphabets about equally often', () => {
    const random = seededRandom('uniformity');
    const { letters, digits } = TEMPORARY_PASSWORD_ALPHABET;
    const letterCounts = new Map<string, number>([...letters].map((c) => [c, 0]));
    const digitCounts = new Map<string, number>([...digits].map((c) => [c, 0]));
    const samples = 3000;
    for (let i = 0; i < samples; i++) {
      for (const c of generateTemporaryPassword(random)) {
        if (letterCounts.has(c)) letterCounts.set(c, (letterCounts.get(c) as number) + 1);
        else if (digitCounts.has(c)) digitCounts.set(c, (digitCounts.get(c) as number) + 1);
        else expect(c).to.equal(TEMPORARY_PASSWORD_ALPHABET.separator);
      }
    }
    // Pearson's chi-squared against the uniform distribution; the limits are the 99.9th
    // percentiles for 47 and 7 degrees of freedom.
    const chiSquared = (counts: Map<string, number>) => {
      const values = [...counts.values()];
      const expected = values.reduce((a, b) => a + b, 0) / values.length;
      return values.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    };
    expect(Math.min(...letterCounts.values())).to.be.greaterThan(0);
    expect(chiSquared(letterCounts)).to.be.lessThan(82.7);
    expect(chiSquared(digitCounts)).to.be.lessThan(24.3);
  });

  it('gives up with an error instead of looping forever on a broken RandomSource', () => {
    const zeros: RandomSource = { bytes: (length) => new Uint8Array(length) };
    expect(() => generateTemporaryPassword(zeros)).to.throw(/random source/);
  });
});

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { IdentityError } from '../../src/errors.js';
import { cryptoRandom, type RandomSource } from '../../src/random.js';
import { Argon2PasswordHasher } from '../../src/passwords/hasher.js';
import { sshaVerifier, type LegacyHashVerifier } from '../../src/passwords/legacy-hashes.js';

interface Vector {
  format: string;
  password: string;
  wrongPassword: string;
  hash: string;
  note?: string;
}

const { vectors } = JSON.parse(
  readFileSync(new URL('../fixtures/legacy-hashes/vectors.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] };

/** A RandomSource that always returns the same bytes: 0, 1, 2, … */
const countingRandom: RandomSource = {
  bytes: (length) => Uint8Array.from({ length }, (_, i) => i),
};

/** The first vector that matches, or a failed test. */
function vector(matches: (v: Vector) => boolean): Vector {
  const found = vectors.find(matches);
  if (!found) expect.fail('no such vector in vectors.json');
  return found;
}

const NFC = 'Siân-Ŵyn#2023';
const NFD = NFC.normalize('NFD');

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(IdentityError);
    return (error as IdentityError).code;
  }
  expect.fail('expected an error');
}

describe('Argon2PasswordHasher', () => {
  const hasher = new Argon2PasswordHasher({ random: cryptoRandom });

  it('hashes with argon2id at OWASP parameters, salted from the injected RandomSource, and round-trips', async () => {
    const stored = await new Argon2PasswordHasher({ random: countingRandom }).hash(NFC);
    const salt = Buffer.from(countingRandom.bytes(16)).toString('base64').replace(/=+$/, '');
    expect(stored).to.match(
      new RegExp(
        `^\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$${salt.replace(/[+/]/g, '\\$&')}\\$[A-Za-z0-9+/]{43}$`,
      ),
    );
    expect(await hasher.verify(stored, NFC)).to.deep.equal({ valid: true, needsRehash: false });
    expect(await hasher.verify(stored, 'Sian-Wyn#2023')).to.deep.equal({
      valid: false,
      needsRehash: false,
    });
  });

  it('draws a fresh salt for every hash', async () => {
    const [a, b] = await Promise.all([hasher.hash(NFC), hasher.hash(NFC)]);
    expect(a).to.not.equal(b);
  });

  it('normalises to NFC before hashing, so the NFC and NFD forms of a password both verify', async () => {
    expect(NFD).to.not.equal(NFC);
    const fromNfd = await new Argon2PasswordHasher({ random: countingRandom }).hash(NFD);
    const fromNfc = await new Argon2PasswordHasher({ random: countingRandom }).hash(NFC);
    expect(fromNfd).to.equal(fromNfc);
    expect(await hasher.verify(fromNfd, NFC)).to.deep.equal({ valid: true, needsRehash: false });
    expect(await hasher.verify(fromNfd, NFD)).to.deep.equal({ valid: true, needsRehash: false });
  });

  it('verifies every legacy vector, refuses its wrong password and asks for a rehash', async () => {
    for (const vector of vectors.filter((v) => v.format !== 'argon2id')) {
      expect(await hasher.verify(vector.hash, vector.password), vector.hash).to.deep.equal({
        valid: true,
        needsRehash: true,
      });
      expect((await hasher.verify(vector.hash, vector.wrongPassword)).valid, vector.hash).to.equal(
        false,
      );
    }
  });

  it('asks for a rehash of an argon2id hash weaker than OWASP’s, not of one made at OWASP’s by the reference CLI', async () => {
    const owasp = vector((v) => (v.note ?? '').startsWith('OWASP'));
    const weaker = vector((v) => (v.note ?? '').startsWith('weaker'));
    expect(await hasher.verify(owasp.hash, owasp.password)).to.deep.equal({
      valid: true,
      needsRehash: false,
    });
    expect(await hasher.verify(weaker.hash, weaker.password)).to.deep.equal({
      valid: true,
      needsRehash: true,
    });
    expect(await hasher.verify(weaker.hash, weaker.wrongPassword)).to.deep.equal({
      valid: false,
      needsRehash: true,
    });
  });

  it('verifies an imported argon2id hash of an NFD password as typed, and asks for a rehash', async () => {
    const nfdVector = vector((v) => v.format === 'argon2id' && (v.note ?? '').includes('NFD'));
    expect(nfdVector.password).to.equal(NFD);
    expect(await hasher.verify(nfdVector.hash, NFD)).to.deep.equal({
      valid: true,
      needsRehash: true,
    });
    expect((await hasher.verify(nfdVector.hash, nfdVector.wrongPassword)).valid).to.equal(false);
  });

  it('throws PASSWORD_HASH_UNSUPPORTED or PASSWORD_HASH_MALFORMED instead of answering false', async () => {
    expect(await codeOf(hasher.verify('$6$salt$hash', NFC))).to.equal('PASSWORD_HASH_UNSUPPORTED');
    expect(await codeOf(hasher.verify('', NFC))).to.equal('PASSWORD_HASH_UNSUPPORTED');
    expect(await codeOf(hasher.verify('$2y$10$short', NFC))).to.equal('PASSWORD_HASH_MALFORMED');
    expect(await codeOf(hasher.verify('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA', NFC))).to.equal(
      'PASSWORD_HASH_MALFORMED',
    );
  });

  it('uses only the legacy verifiers it is given, custom ones included', async () => {
    const bcrypt = vector((v) => v.format === 'bcrypt');
    const ssha = vector((v) => v.format === 'ssha');
    const plain: LegacyHashVerifier = {
      format: 'plain-for-test',
      recognise: (hash) => hash.startsWith('{PLAIN}'),
      verify: async (hash, password) => hash === `{PLAIN}${password}`,
    };
    const limited = new Argon2PasswordHasher({
      random: cryptoRandom,
      legacyVerifiers: [plain, sshaVerifier],
    });
    expect(await codeOf(limited.verify(bcrypt.hash, bcrypt.password))).to.equal(
      'PASSWORD_HASH_UNSUPPORTED',
    );
    expect(await limited.verify(ssha.hash, ssha.password)).to.deep.equal({
      valid: true,
      needsRehash: true,
    });
    expect(await limited.verify('{PLAIN}abc', 'abc')).to.deep.equal({
      valid: true,
      needsRehash: true,
    });
  });

  it('answers "not valid" from the dummy verification, taking as long as a failed argon2id verification', async () => {
    const stored = await hasher.hash(NFC);
    const time = async (fn: () => Promise<unknown>) => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    const real: number[] = [];
    const dummy: number[] = [];
    await hasher.verifyDummy('warm-up');
    for (let i = 0; i < 5; i++) {
      real.push(await time(() => hasher.verify(stored, `wrong ${i}`)));
      dummy.push(
        await time(async () =>
          expect(await hasher.verifyDummy(`wrong ${i}`)).to.deep.equal({
            valid: false,
            needsRehash: false,
          }),
        ),
      );
    }
    const median = (xs: number[]) =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const ratio = median(dummy) / median(real);
    expect(
      ratio,
      `dummy ${median(dummy).toFixed(1)} ms, real ${median(real).toFixed(1)} ms`,
    ).to.be.within(0.5, 2);
    expect((await hasher.verifyDummy(NFD)).valid).to.equal(false);
  });
});

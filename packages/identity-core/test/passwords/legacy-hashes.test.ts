import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { IdentityError } from '../../src/errors.js';
import {
  argon2idVerifier,
  bcryptVerifier,
  builtInLegacyVerifiers,
  checkPasswordHash,
  djangoPbkdf2Sha256Verifier,
  findLegacyVerifier,
  identifyHashFormat,
  md5CryptVerifier,
  ssha256Verifier,
  sshaVerifier,
  type PasswordHashFormat,
} from '../../src/passwords/legacy-hashes.js';

interface Vector {
  format: PasswordHashFormat;
  command: string;
  password: string;
  wrongPassword: string;
  hash: string;
  note?: string;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/legacy-hashes/vectors.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] };
const vectors = fixture.vectors;

/** The first vector that matches, or a failed test. */
function vector(matches: (v: Vector) => boolean): Vector {
  const found = vectors.find(matches);
  if (!found) expect.fail('no such vector in vectors.json');
  return found;
}

/** Runs `fn` and returns the IdentityError code it threw (or fails). */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    expect(error).to.be.instanceOf(IdentityError);
    return (error as IdentityError).code;
  }
  expect.fail('expected an error');
}

describe('legacy password hashes', () => {
  it('has vectors for every format, several with non-ASCII passwords', () => {
    const formats = new Set(vectors.map((v) => v.format));
    expect([...formats].sort()).to.deep.equal(
      ['argon2id', 'bcrypt', 'django-pbkdf2-sha256', 'md5-crypt', 'ssha', 'ssha256'].sort(),
    );
    for (const format of formats) {
      expect(
        vectors.some((v) => v.format === format && /[^\p{ASCII}]/u.test(v.password)),
        format,
      ).to.equal(true);
    }
    for (const v of vectors) expect(v.wrongPassword).to.not.equal(v.password);
  });

  describe('with vectors made by independent tools', () => {
    for (const vector of vectors) {
      const label = `${vector.format} from \`${vector.command.slice(0, 60)}…\``;
      it(`names the format of ${label}`, () => {
        expect(identifyHashFormat(vector.hash)).to.equal(vector.format);
      });
      it(`verifies the right password and refuses the wrong one for ${label}`, async () => {
        const verifier = findLegacyVerifier(vector.hash);
        expect(verifier.format).to.equal(vector.format);
        expect(await verifier.verify(vector.hash, vector.password)).to.equal(true);
        expect(await verifier.verify(vector.hash, vector.wrongPassword)).to.equal(false);
      });
    }
  });

  it('accepts all three bcrypt prefixes made by htpasswd ($2y$) and mkpasswd ($2a$, $2b$)', () => {
    const prefixes = vectors.filter((v) => v.format === 'bcrypt').map((v) => v.hash.slice(0, 4));
    expect(new Set(prefixes)).to.deep.equal(new Set(['$2y$', '$2b$', '$2a$']));
  });

  it('tries the password exactly as typed, without Unicode normalisation', async () => {
    const md5 = vector((v) => v.format === 'md5-crypt' && v.password === 'Siân-Ŵyn#2023');
    const nfd = md5.password.normalize('NFD');
    expect(nfd).to.not.equal(md5.password);
    expect(await md5CryptVerifier.verify(md5.hash, nfd)).to.equal(false);
    const bcrypt = vector((v) => v.format === 'bcrypt' && v.password === 'Siân-Ŵyn#2023');
    expect(await bcryptVerifier.verify(bcrypt.hash, nfd)).to.equal(false);
  });

  it('names the formats by prefix and answers null for others', () => {
    expect(identifyHashFormat('{ssha}abcd')).to.equal('ssha');
    expect(identifyHashFormat('{SSHA256}abcd')).to.equal('ssha256');
    for (const other of [
      '',
      'plaintext',
      '$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA',
      '$5$rounds=5000$salt$hash',
      '$6$salt$hash',
      '$apr1$salt$hash',
      '$2x$05$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ',
      'pbkdf2_sha1$10000$salt$hash',
      '{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=',
      '{SSHA512}abcd',
      'md5$salt$hash',
    ]) {
      expect(identifyHashFormat(other), other).to.equal(null);
    }
  });

  it('throws PASSWORD_HASH_UNSUPPORTED for a format no verifier recognises', async () => {
    expect(await codeOf(() => findLegacyVerifier('$6$salt$hash'))).to.equal(
      'PASSWORD_HASH_UNSUPPORTED',
    );
    expect(await codeOf(() => checkPasswordHash('plain text'))).to.equal(
      'PASSWORD_HASH_UNSUPPORTED',
    );
    const onlyBcrypt = [bcryptVerifier];
    const md5 = vector((v) => v.format === 'md5-crypt').hash;
    expect(await codeOf(() => findLegacyVerifier(md5, onlyBcrypt))).to.equal(
      'PASSWORD_HASH_UNSUPPORTED',
    );
  });

  describe('throws PASSWORD_HASH_MALFORMED for a recognised but broken hash', () => {
    const broken: [string, string][] = [
      ['bcrypt', '$2y$05$tooShort'],
      ['bcrypt', '$2b$99$7hhvjXeY18SZn5XM9dd1suws7zQ4JkvukssDjSIrUF4GXs8pXkafe'],
      ['bcrypt', '$2y$05$7hhvjXeY18SZn5XM9dd1suws7zQ4JkvukssDjSIrUF4GXs8pXkafe\n'],
      ['md5-crypt', '$1$Wd8fk2Qa$SMLy.Vvnm7dxeaY21HJAC'],
      ['md5-crypt', '$1$salt-is-far-too-long$SMLy.Vvnm7dxeaY21HJAC1'],
      [
        'django-pbkdf2-sha256',
        'pbkdf2_sha256$abc$salt$KLRjQb2f4cpgTobbetKsARNtcIPFvo279wTNhXc6Wmc=',
      ],
      ['django-pbkdf2-sha256', 'pbkdf2_sha256$0$salt$KLRjQb2f4cpgTobbetKsARNtcIPFvo279wTNhXc6Wmc='],
      ['django-pbkdf2-sha256', 'pbkdf2_sha256$1000$salt$c2hvcnQ='],
      ['django-pbkdf2-sha256', 'pbkdf2_sha256$1000$salt'],
      ['ssha', '{SSHA}not base64!'],
      ['ssha', '{SSHA}qUqP5cyxm6YcTAhz05Hph5gvu9M='],
      ['ssha256', '{SSHA256}'],
      ['argon2id', '$argon2id$v=19$m=19456,t=2,p=1$onlysalt'],
      [
        'argon2id',
        '$argon2id$v=19$m=19456,t=0,p=1$UG9ydGgtcmVmLXNhbHQtMDE$35/58i67l7g5A5kSKi+mtI5X7DFYsRUaE/WlflPc0I4',
      ],
      [
        'argon2id',
        '$argon2id$v=99$m=19456,t=2,p=1$UG9ydGgtcmVmLXNhbHQtMDE$35/58i67l7g5A5kSKi+mtI5X7DFYsRUaE/WlflPc0I4',
      ],
    ];
    for (const [format, hash] of broken) {
      it(`refuses ${JSON.stringify(hash)} as a malformed ${format} hash`, async () => {
        expect(identifyHashFormat(hash)).to.equal(format);
        expect(await codeOf(() => findLegacyVerifier(hash).verify(hash, 'whatever'))).to.equal(
          'PASSWORD_HASH_MALFORMED',
        );
        expect(await codeOf(() => checkPasswordHash(hash))).to.equal('PASSWORD_HASH_MALFORMED');
      });
    }
  });

  it('lets an importer check a hash without a password', () => {
    for (const v of vectors) expect(checkPasswordHash(v.hash)).to.equal(v.format);
  });

  it('offers every built-in verifier by default, each recognising only its own format', () => {
    const verifiers = [
      bcryptVerifier,
      md5CryptVerifier,
      djangoPbkdf2Sha256Verifier,
      sshaVerifier,
      ssha256Verifier,
      argon2idVerifier,
    ];
    expect([...builtInLegacyVerifiers]).to.have.members(verifiers);
    for (const v of vectors) {
      const recognising = builtInLegacyVerifiers.filter((verifier) => verifier.recognise(v.hash));
      expect(recognising.map((verifier) => verifier.format)).to.deep.equal([v.format]);
    }
  });
});

import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { cryptoRandom } from '@porth/identity-core';
import { CodeHasher, SecretCipher, SecretUnreadableError } from '../../src/index.js';
import { defined, SECRET_KEY } from '../support/fixtures.js';

describe('SecretCipher', () => {
  const secret = new Uint8Array(Buffer.from('12345678901234567890'));

  it('opens what it sealed for the same factor, with a fresh IV each time', () => {
    const cipher = new SecretCipher(SECRET_KEY, cryptoRandom);
    const a = cipher.seal('factor-1', secret);
    const b = cipher.seal('factor-1', secret);
    expect(a).to.match(/^v1\.[A-Za-z0-9_-]+$/);
    expect(a).not.to.equal(b);
    expect(Buffer.from(cipher.open('factor-1', a)).toString()).to.equal('12345678901234567890');
  });

  it('refuses a sealed secret moved to another factor, changed, or sealed under another key', () => {
    const cipher = new SecretCipher(SECRET_KEY, cryptoRandom);
    const sealed = cipher.seal('factor-1', secret);
    expect(() => cipher.open('factor-2', sealed)).to.throw(SecretUnreadableError);
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[20] = defined(bytes[20]) ^ 1;
    expect(() => cipher.open('factor-1', `v1.${bytes.toString('base64url')}`)).to.throw(
      SecretUnreadableError,
    );
    const other = new SecretCipher(`${SECRET_KEY}-rotated`, cryptoRandom);
    expect(() => other.open('factor-1', sealed)).to.throw(SecretUnreadableError);
    expect(() => cipher.open('factor-1', 'v2.abc')).to.throw(SecretUnreadableError);
  });

  it('refuses a deployment secret shorter than 32 characters, naming SECRET_KEY', () => {
    expect(() => new SecretCipher('too-short', cryptoRandom)).to.throw(/SECRET_KEY/);
    expect(() => new CodeHasher('too-short')).to.throw(/SECRET_KEY/);
  });
});

describe('CodeHasher', () => {
  const hasher = new CodeHasher(SECRET_KEY);

  it('is keyed: the hash of a 6-digit code is not its plain SHA-256', () => {
    const hash = hasher.hash('challenge-1', '042917');
    expect(hash).to.match(/^[0-9a-f]{64}$/);
    expect(hash).not.to.equal(createHash('sha256').update('042917').digest('hex'));
    expect(new CodeHasher(`${SECRET_KEY}-other`).hash('challenge-1', '042917')).not.to.equal(hash);
  });

  it('binds a hash to its context', () => {
    expect(hasher.hash('challenge-1', '042917')).not.to.equal(hasher.hash('challenge-2', '042917'));
  });

  it('matches only the same code in the same context', () => {
    const stored = hasher.hash('challenge-1', '042917');
    expect(hasher.matches('challenge-1', '042917', stored)).to.equal(true);
    expect(hasher.matches('challenge-1', '042918', stored)).to.equal(false);
    expect(hasher.matches('challenge-2', '042917', stored)).to.equal(false);
    expect(hasher.matches('challenge-1', '042917', 'abcd')).to.equal(false);
  });
});

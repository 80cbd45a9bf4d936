import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  hashToken,
  isValidTokenPurpose,
  isWellFormedToken,
} from '../../src/tokens/one-time-token.js';

describe('one-time token helpers', () => {
  it('hashes a token to the SHA-256 hex digest of its text', () => {
    const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';
    expect(hashToken(token)).to.equal(createHash('sha256').update(token).digest('hex'));
    expect(hashToken(token)).to.match(/^[0-9a-f]{64}$/);
    expect(hashToken(`${token.slice(0, -1)}f`)).to.not.equal(hashToken(token));
  });

  it('accepts only 43 base64url characters as a well-formed token', () => {
    expect(isWellFormedToken(Buffer.alloc(32, 7).toString('base64url'))).to.equal(true);
    expect(isWellFormedToken('')).to.equal(false);
    expect(isWellFormedToken('a'.repeat(42))).to.equal(false);
    expect(isWellFormedToken('a'.repeat(44))).to.equal(false);
    expect(isWellFormedToken(`${'a'.repeat(42)}=`)).to.equal(false);
    expect(isWellFormedToken(`${'a'.repeat(42)}+`)).to.equal(false);
    expect(isWellFormedToken(`${'a'.repeat(42)}\n`)).to.equal(false);
    expect(isWellFormedToken(undefined)).to.equal(false);
    expect(isWellFormedToken(['a'.repeat(43)])).to.equal(false);
  });

  it('accepts purposes of 1 to 40 characters only', () => {
    expect(isValidTokenPurpose('password_reset')).to.equal(true);
    expect(isValidTokenPurpose('p'.repeat(40))).to.equal(true);
    expect(isValidTokenPurpose('p'.repeat(41))).to.equal(false);
    expect(isValidTokenPurpose('')).to.equal(false);
    expect(isValidTokenPurpose(null)).to.equal(false);
  });
});

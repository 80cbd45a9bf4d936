import { expect } from 'chai';
import { cryptoRandom } from '@porth/identity-core';
import {
  RECOVERY_CODE_ALPHABET,
  RecoveryCodeFactor,
  formatRecoveryCode,
  normaliseRecoveryCode,
} from '../../src/index.js';

describe('recovery codes', () => {
  it('are made of 10 characters from an alphabet without i, l, o and u, shown in two groups', () => {
    const codes = new RecoveryCodeFactor().generate(cryptoRandom);
    expect(codes).to.have.length(10);
    for (const code of codes)
      expect(code).to.match(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    expect(RECOVERY_CODE_ALPHABET).to.have.length(32);
  });

  it('read the same however they are typed, with i, l and o taken for 1, 1 and 0', () => {
    expect(normaliseRecoveryCode(' 7M2XQ 4HD9K ')).to.equal('7m2xq4hd9k');
    expect(normaliseRecoveryCode('7m2xq-4hd9k')).to.equal('7m2xq4hd9k');
    expect(normaliseRecoveryCode('0il0o-abcde')).to.equal('0110' + '0abcde');
    expect(formatRecoveryCode('7m2xq4hd9k')).to.equal('7m2xq-4hd9k');
  });

  it('refuse text that cannot be a code', () => {
    for (const text of ['', '7m2xq', '7m2xq-4hd9k-1', 'uuuuu-uuuuu', 'x'.repeat(100)]) {
      expect(normaliseRecoveryCode(text)).to.equal(null);
    }
  });

  it('are reported with the amr value kba, not otp', () => {
    const factor = new RecoveryCodeFactor();
    expect(factor.amr).to.deep.equal(['kba']);
    expect(factor.weak).to.equal(false);
  });
});

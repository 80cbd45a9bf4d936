import { expect } from 'chai';
import { checkLegacyRow, type RejectionReason, type SourceRow } from '../../src/index.js';
import { vector } from '../support/migration-test-kit.js';

const md5 = vector('md5-crypt');

function row(values: Record<string, string | null>, line = 2): SourceRow {
  return {
    line,
    values: {
      legacy_username: 'sian.jones',
      email: 'sian.jones@example.org',
      given_name: 'Siân',
      family_name: 'Jones',
      phone: '07700 900982',
      centre_number: '68101',
      teaching_centre: 'Ysgol Gyfun',
      password_hash: md5.hash,
      ...values,
    },
  };
}

function reasonOf(values: Record<string, string | null>): RejectionReason | null {
  const check = checkLegacyRow(row(values));
  return check.ok ? null : check.rejection.reason;
}

describe('checkLegacyRow', () => {
  it('turns a complete row into a legacy account, centre number and extras kept as profile fields', () => {
    const check = checkLegacyRow(row({ payroll_id: ' P-77 ', notes: '' }));
    expect(check.ok).to.equal(true);
    if (!check.ok) return;
    expect(check.key).to.equal('sian.jones');
    expect(check.input).to.deep.include({
      legacyUsername: 'sian.jones',
      passwordHash: md5.hash,
      email: 'sian.jones@example.org',
      givenName: 'Siân',
      familyName: 'Jones',
      phone: '07700 900982',
      teachingCentre: 'Ysgol Gyfun',
    });
    expect(check.input.profileExtra).to.deep.equal({ centre_number: '68101', payroll_id: 'P-77' });
  });

  it('treats empty cells as missing details, not as errors', () => {
    const check = checkLegacyRow(
      row({ email: '', phone: '  ', given_name: null, centre_number: '' }),
    );
    expect(check.ok).to.equal(true);
    if (!check.ok) return;
    expect(check.input).to.deep.include({ email: null, phone: null, givenName: null });
    expect(check.input.profileExtra).to.equal(undefined);
  });

  it('keys the legacy username as sign-in compares it: trimmed and lower case', () => {
    const check = checkLegacyRow(row({ legacy_username: '  Sian.JONES ' }));
    expect(check.ok && check.key).to.equal('sian.jones');
  });

  it('names the reason for each kind of bad row', () => {
    expect(reasonOf({ legacy_username: '  ' })).to.equal('missing_legacy_username');
    expect(reasonOf({ legacy_username: 'sian\u0007jones' })).to.equal('invalid_legacy_username');
    expect(reasonOf({ legacy_username: 'a'.repeat(256) })).to.equal('field_too_long');
    expect(reasonOf({ password_hash: '' })).to.equal('missing_password_hash');
    expect(reasonOf({ password_hash: 'plain-text-password' })).to.equal('unknown_hash_format');
    expect(reasonOf({ password_hash: '{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==' })).to.equal(
      'unknown_hash_format',
    );
    expect(reasonOf({ password_hash: '$2y$10$tooShort' })).to.equal('malformed_hash');
    expect(reasonOf({ password_hash: 'pbkdf2_sha256$x$salt$hash' })).to.equal('malformed_hash');
    expect(reasonOf({ password_hash: `$1$${'x'.repeat(600)}` })).to.equal('field_too_long');
    expect(reasonOf({ email: 'sian.jones@' })).to.equal('malformed_email');
    expect(reasonOf({ email: 'sian jones@example.org' })).to.equal('malformed_email');
    expect(reasonOf({ given_name: 'S'.repeat(101) })).to.equal('field_too_long');
    expect(reasonOf({ phone: '0'.repeat(33) })).to.equal('field_too_long');
    expect(reasonOf({ teaching_centre: 'x'.repeat(201) })).to.equal('field_too_long');
    expect(reasonOf({ notes: 'x'.repeat(1001) })).to.equal('field_too_long');
    expect(reasonOf({ locale: 'fr' })).to.equal('invalid_locale');
  });

  it('accepts every hash format the independent tools made', () => {
    for (const format of [
      'bcrypt',
      'md5-crypt',
      'django-pbkdf2-sha256',
      'ssha',
      'ssha256',
      'argon2id',
    ]) {
      expect(reasonOf({ password_hash: vector(format).hash }), format).to.equal(null);
    }
  });

  it('reports where the bad row is and which username it had, never its hash', () => {
    const check = checkLegacyRow(row({ password_hash: '$2y$10$tooShort' }, 41));
    expect(check.ok).to.equal(false);
    if (check.ok) return;
    expect(check.rejection).to.include({ line: 41, legacyUsername: 'sian.jones' });
    expect(check.rejection.detail).to.not.include('tooShort');
  });

  it('reads the optional locale column in any case', () => {
    const check = checkLegacyRow(row({ locale: 'CY' }));
    expect(check.ok && check.input.locale).to.equal('cy');
  });
});

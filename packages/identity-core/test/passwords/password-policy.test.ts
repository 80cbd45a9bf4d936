import { expect } from 'chai';
import { IdentityError } from '../../src/errors.js';
import { isCommonPassword } from '../../src/passwords/blocklist.js';
import {
  assertPasswordAcceptable,
  checkPassword,
  PasswordPolicyError,
  type PasswordContext,
} from '../../src/passwords/password-policy.js';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  passwordPolicyHint,
  passwordPolicyRules,
  passwordRuleMessages,
  type PasswordRuleCode,
} from '../../src/passwords/policy-messages.js';

const codes = (
  password: string,
  context: PasswordContext = {},
  compositionRule?: boolean,
): PasswordRuleCode[] =>
  checkPassword(password, context, compositionRule === undefined ? {} : { compositionRule }).map(
    (v) => v.code,
  );

const sian: PasswordContext = {
  username: 'sian.jones@wjec-appointees.co.uk',
  legacyUsername: 'sjones_amp',
  email: 'S.Jones-Exams@example.ac.uk',
  givenName: 'Siân',
  familyName: 'Ap Iorwerth',
};

describe('password policy', () => {
  it('accepts a password that meets every rule', () => {
    expect(checkPassword('Tafarn-y-Gog 7!', sian)).to.deep.equal([]);
    expect(checkPassword('Ŵy-bach-93', sian)).to.deep.equal([]);
  });

  it('reports every unmet rule at once, each with English and Welsh wording', () => {
    const violations = checkPassword('abc', sian);
    expect(violations.map((v) => v.code)).to.deep.equal([
      'TOO_SHORT',
      'NO_UPPER_CASE',
      'NO_NUMBER',
      'NO_SYMBOL',
    ]);
    expect(violations[0]).to.deep.equal({
      code: 'TOO_SHORT',
      message: {
        en: 'Your password must be at least 8 characters long.',
        cy: "Rhaid i'ch cyfrinair fod o leiaf 8 nod o hyd.",
      },
      params: { min: 8 },
    });
    for (const v of violations) {
      expect(v.message.en).to.match(/^[A-Z].*\.$/);
      expect(v.message.cy).to.match(/^[A-Z].*\.$/);
      expect(v.message.cy).to.not.equal(v.message.en);
    }
  });

  it('has distinct English and Welsh wording for every rule', () => {
    const all = Object.values(passwordRuleMessages);
    expect(new Set(all.map((m) => m.en)).size).to.equal(all.length);
    expect(new Set(all.map((m) => m.cy)).size).to.equal(all.length);
  });

  it('counts length in Unicode code points after NFC: 8 are enough, 7 are not', () => {
    expect(PASSWORD_MIN_LENGTH).to.equal(8);
    // Seven code points once composed, though longer in UTF-16 (emoji) and in NFD (ŵ).
    expect(codes('Ab1!😀ŵx'.normalize('NFD'))).to.deep.equal(['TOO_SHORT']);
    expect(codes('Ab1!😀ŵxy'.normalize('NFD'))).to.deep.equal([]);
  });

  it('accepts long passphrases up to 256 characters, with spaces and emoji, and refuses longer', () => {
    const phrase64 = 'Mae hen wlad fy nhadau yn annwyl i mi 🐉 gwlad beirdd a chantorion';
    expect([...phrase64].length).to.be.at.least(64);
    expect(codes(phrase64)).to.deep.equal(['NO_NUMBER']);
    expect(codes(`${phrase64} 1`)).to.deep.equal([]);
    const max = `Ab1 ${'🐉'.repeat(PASSWORD_MAX_LENGTH - 4)}`;
    expect([...max].length).to.equal(256);
    expect(codes(max)).to.deep.equal([]);
    expect(checkPassword(`${max}x`)).to.deep.equal([
      { code: 'TOO_LONG', message: passwordRuleMessages.TOO_LONG, params: { max: 256 } },
    ]);
  });

  it('reports each missing character class on its own, counting Welsh and other Unicode letters', () => {
    expect(codes('ŵŷâêîôû1!')).to.deep.equal(['NO_UPPER_CASE']);
    expect(codes('ŴŶÂÊÎÔÛ1!')).to.deep.equal(['NO_LOWER_CASE']);
    expect(codes('Ŵyn-Llŷr!')).to.deep.equal(['NO_NUMBER']);
    expect(codes('Ŵyn5Llŷr5')).to.deep.equal(['NO_SYMBOL']);
    expect(codes('Ŵyn5 Llŷr')).to.deep.equal([]);
    expect(codes('Ŵyn5Llŷr🙂')).to.deep.equal([]);
    expect(codes('12345678')).to.include.members(['NO_UPPER_CASE', 'NO_LOWER_CASE', 'NO_SYMBOL']);
  });

  it('drops the composition rule when it is switched off, keeping length, blocklist and personal details', () => {
    expect(codes('ffordd pen llech ger y môr', {}, false)).to.deep.equal([]);
    expect(codes('ffordd', {}, false)).to.deep.equal(['TOO_SHORT']);
    expect(codes('password', {}, false)).to.deep.equal(['TOO_COMMON']);
    expect(codes('siân ap iorwerth o gaerdydd', sian, false)).to.deep.equal(['CONTAINS_NAME']);
  });

  it('refuses common passwords whatever their case, and with digits or symbols around them', () => {
    expect(isCommonPassword('PASSWORD')).to.equal(true);
    expect(codes('Password1!')).to.deep.equal(['TOO_COMMON']);
    expect(codes('Summer2024!')).to.deep.equal(['TOO_COMMON']);
    expect(codes('!!Dragon2024#')).to.deep.equal(['TOO_COMMON']);
    expect(codes('Qwerty123!')).to.deep.equal(['TOO_COMMON']);
    // Too short a word left after trimming is not looked up, and words inside are not trimmed.
    expect(isCommonPassword('abc12345!')).to.equal(false);
    expect(isCommonPassword('Sum2mer!')).to.equal(false);
    expect(codes('Hiraeth-Summer-Ŵyn-42')).to.deep.equal([]);
  });

  it('refuses a password equal to or containing the username, its local part or the legacy username', () => {
    expect(codes('Sian.Jones@wjec-appointees.co.uk1', { username: sian.username })).to.include(
      'CONTAINS_USERNAME',
    );
    expect(codes('xX-sian.jones-9', { username: sian.username })).to.deep.equal([
      'CONTAINS_USERNAME',
    ]);
    expect(codes('Sjones_AMP-2020', { legacyUsername: sian.legacyUsername })).to.deep.equal([
      'CONTAINS_USERNAME',
    ]);
    expect(
      codes('Tafarn-y-Gog 7!', { username: sian.username, legacyUsername: sian.legacyUsername }),
    ).to.deep.equal([]);
  });

  it('refuses a password containing the email local part, ignoring case', () => {
    expect(codes('my-s.jones-EXAMS-1', { email: sian.email })).to.deep.equal(['CONTAINS_EMAIL']);
    expect(codes('Example.ac.uk-99!', { email: sian.email })).to.deep.equal([]);
  });

  it('refuses a password containing a name, ignoring case and diacritics', () => {
    expect(codes('SIAN-loves-cats-7', sian)).to.deep.equal(['CONTAINS_NAME']);
    expect(codes('Iôrwerth#1990', sian)).to.deep.equal(['CONTAINS_NAME']);
    expect(codes('ApIorwerth#1990', sian)).to.deep.equal(['CONTAINS_NAME']);
    expect(codes('Llyr-rocks-2024!', { givenName: 'Llŷr' })).to.deep.equal(['CONTAINS_NAME']);
  });

  it('ignores names shorter than 3 letters and empty details', () => {
    expect(codes('Jo-and-Ed-2024!', { givenName: 'Jo', familyName: 'Ed' })).to.deep.equal([]);
    expect(
      codes('Tafarn-y-Gog 7!', { username: '', email: null, givenName: undefined }),
    ).to.deep.equal([]);
  });

  it('reports each kind of personal detail once', () => {
    const password = 'sian.jones+sjones_amp+s.jones-exams+iorwerth';
    expect(codes(password, sian, false)).to.deep.equal([
      'CONTAINS_USERNAME',
      'CONTAINS_EMAIL',
      'CONTAINS_NAME',
    ]);
  });

  it('throws PASSWORD_POLICY_VIOLATION with every violation from assertPasswordAcceptable', () => {
    expect(() => assertPasswordAcceptable('Tafarn-y-Gog 7!', sian)).to.not.throw();
    try {
      assertPasswordAcceptable('summer', sian);
      expect.fail('expected a PasswordPolicyError');
    } catch (error) {
      expect(error).to.be.instanceOf(PasswordPolicyError).and.instanceOf(IdentityError);
      const e = error as PasswordPolicyError;
      expect(e.code).to.equal('PASSWORD_POLICY_VIOLATION');
      expect(e.violations.map((v) => v.code)).to.deep.equal(codes('summer', sian));
    }
  });

  it('words the form hint as the user guides do, in English and Welsh', () => {
    expect(passwordPolicyHint()).to.deep.equal({
      en: 'Minimum 8 characters, including upper case, lower case, a symbol and a number.',
      cy: 'O leiaf 8 nod, gan gynnwys priflythyren, llythyren fach, symbol a rhif.',
    });
    expect(passwordPolicyHint({ compositionRule: false }).en).to.equal('Minimum 8 characters.');
    expect(passwordPolicyRules()).to.have.length(7);
    expect(passwordPolicyRules({ compositionRule: false }).map((r) => r.en)).to.not.include(
      'A number',
    );
  });
});

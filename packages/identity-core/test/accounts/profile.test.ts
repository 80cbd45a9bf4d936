import { expect } from 'chai';
import {
  isEmailAddress,
  missingProfileFields,
  validateProfileChanges,
  type ProfileChanges,
} from '../../src/accounts/profile.js';

describe('account profile', () => {
  describe('validateProfileChanges', () => {
    const issuesOf = (changes: ProfileChanges) =>
      validateProfileChanges(changes).issues.map((i) => `${i.field}:${i.code}`);

    it('accepts a complete profile and returns it trimmed and in NFC', () => {
      const { value, issues } = validateProfileChanges({
        givenName: '  Sia\u0302n ',
        familyName: 'Jones',
        email: ' sian@example.org ',
        phone: ' 07700 900982 ',
        teachingCentre: 'Ysgol Glan Clwyd',
        locale: 'cy',
      });
      expect(issues).to.deep.equal([]);
      expect(value).to.deep.equal({
        givenName: 'Siân',
        familyName: 'Jones',
        email: 'sian@example.org',
        phone: '07700 900982',
        teachingCentre: 'Ysgol Glan Clwyd',
        locale: 'cy',
      });
    });

    it('checks only the fields that are present', () => {
      expect(validateProfileChanges({ phone: '+44 808 157 0192' })).to.deep.equal({
        value: { phone: '+44 808 157 0192' },
        issues: [],
      });
    });

    it('requires given and family names of 1 to 100 characters', () => {
      expect(issuesOf({ givenName: '   ', familyName: null })).to.deep.equal([
        'givenName:required',
        'familyName:required',
      ]);
      expect(issuesOf({ givenName: 'a'.repeat(101), familyName: 'ŵ'.repeat(100) })).to.deep.equal([
        'givenName:too_long',
      ]);
      expect(issuesOf({ givenName: 'a' })).to.deep.equal([]);
    });

    it('counts characters, not UTF-16 units, so 100 emoji fit a name', () => {
      expect(issuesOf({ familyName: '🐉'.repeat(100) })).to.deep.equal([]);
      expect(issuesOf({ familyName: '🐉'.repeat(101) })).to.deep.equal(['familyName:too_long']);
    });

    it('refuses control characters in names', () => {
      expect(issuesOf({ givenName: 'Sian\u0007' })).to.deep.equal(['givenName:invalid_characters']);
    });

    it('refuses email addresses that are not in the form name@example.com', () => {
      for (const email of [
        'sian',
        'sian@',
        '@example.org',
        'sian@example',
        'sian jones@example.org',
        'sian@@example.org',
        'sian..jones@example.org',
        '.sian@example.org',
        'sian@example..org',
        'sian@-example.org',
        'sian@example.o',
      ]) {
        expect(issuesOf({ email }), email).to.deep.equal(['email:invalid_format']);
      }
      expect(issuesOf({ email: '' })).to.deep.equal(['email:required']);
      expect(issuesOf({ email: `${'a'.repeat(64)}@${'b'.repeat(190)}.org` })).to.deep.equal([
        'email:too_long',
      ]);
    });

    it('accepts ordinary and international email addresses', () => {
      for (const email of [
        'sian.jones@wjec.co.uk',
        'sian+amp@example.org',
        "o'brien@example.ie",
        'llyr@ysgol.cymru',
        'siân@enghraifft.cymru',
        'user@xn--bcher-kva.example',
      ]) {
        expect(isEmailAddress(email), email).to.equal(true);
      }
    });

    it('takes UK and international phone numbers and clears an empty one', () => {
      expect(issuesOf({ phone: '01632 960 001' })).to.deep.equal([]);
      expect(issuesOf({ phone: '+44 (0)29 2026 5000' })).to.deep.equal([]);
      expect(validateProfileChanges({ phone: '  ' }).value).to.deep.equal({ phone: null });
      expect(issuesOf({ phone: '12345' })).to.deep.equal(['phone:invalid_format']);
      expect(issuesOf({ phone: '0770090098x' })).to.deep.equal(['phone:invalid_format']);
      expect(issuesOf({ phone: '1'.repeat(16) })).to.deep.equal(['phone:invalid_format']);
      expect(issuesOf({ phone: `0770 ${' '.repeat(30)}900982` })).to.deep.equal(['phone:too_long']);
    });

    it('limits the teaching centre to 200 characters and clears an empty one', () => {
      expect(issuesOf({ teachingCentre: 'c'.repeat(200) })).to.deep.equal([]);
      expect(issuesOf({ teachingCentre: 'c'.repeat(201) })).to.deep.equal([
        'teachingCentre:too_long',
      ]);
      expect(validateProfileChanges({ teachingCentre: null }).value).to.deep.equal({
        teachingCentre: null,
      });
    });

    it('accepts only en and cy as the locale', () => {
      expect(issuesOf({ locale: 'en' })).to.deep.equal([]);
      expect(issuesOf({ locale: 'fr' })).to.deep.equal(['locale:invalid_format']);
      expect(issuesOf({ locale: null })).to.deep.equal(['locale:required']);
    });

    it('reports every problem at once, each with an English and a Welsh message', () => {
      const { issues } = validateProfileChanges({
        givenName: '',
        familyName: 'x'.repeat(101),
        email: 'not-an-email',
        phone: 'call me',
        teachingCentre: 'y'.repeat(300),
        locale: 'de',
      });
      expect(issues.map((i) => i.field)).to.deep.equal([
        'givenName',
        'familyName',
        'email',
        'phone',
        'teachingCentre',
        'locale',
      ]);
      const english = issues.map((i) => i.message.en);
      const welsh = issues.map((i) => i.message.cy);
      expect(english).to.include('Enter your first name');
      expect(welsh).to.include('Rhowch eich enw cyntaf');
      expect(english).to.include('Surname must be 100 characters or fewer');
      expect(welsh).to.include(
        'Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com',
      );
      for (const issue of issues) {
        expect(issue.message.en.trim()).to.have.length.above(0);
        expect(issue.message.cy.trim()).to.have.length.above(0);
        expect(issue.message.cy).to.not.equal(issue.message.en);
      }
    });
  });

  describe('missingProfileFields', () => {
    const complete = {
      givenName: 'Siân',
      familyName: 'Jones',
      email: 'sian@example.org',
      phone: '07700 900982',
      teachingCentre: 'Ysgol Glan Clwyd',
    };

    it('lists nothing for a complete profile', () => {
      expect(missingProfileFields(complete)).to.deep.equal([]);
    });

    it('lists the empty details in form order, treating blanks as empty', () => {
      expect(
        missingProfileFields({ ...complete, teachingCentre: null, givenName: '  ', phone: '' }),
      ).to.deep.equal(['givenName', 'phone', 'teachingCentre']);
    });

    it('lists every detail of an empty legacy record', () => {
      expect(
        missingProfileFields({
          givenName: null,
          familyName: null,
          email: null,
          phone: null,
          teachingCentre: null,
        }),
      ).to.deep.equal(['givenName', 'familyName', 'email', 'phone', 'teachingCentre']);
    });
  });
});

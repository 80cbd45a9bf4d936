import { expect } from 'chai';
import { createManualClock } from '../../src/clock.js';
import {
  CENTRE_PERMISSIONS,
  CENTRE_PERMISSION_TEXT,
  CENTRE_ROLES,
  CENTRE_ROLE_LABELS,
  CENTRE_ROLE_RULES,
  canManageCentre,
  checkPermissions,
  defaultPermissions,
  isGrantable,
} from '../../src/centres/permissions.js';
import {
  canMakeEntries,
  canViewResults,
  entriesResultsAccess,
  resultsReleaseTime,
} from '../../src/centres/results-day.js';
import { foldForSearch, isCentreNumber, memberMatches } from '../../src/centres/centre.js';
import { centreErrorMessage } from '../../src/centres/messages.js';
import {
  CentreAccessDeniedError,
  CentreAdminLimitError,
  CentreMemberDuplicateError,
  CentrePermissionNotAllowedError,
  ExamsOfficerProtectedError,
  InvitationInvalidError,
  AccountNotFoundError,
} from '../../src/errors.js';

describe('centre account types and permissions', () => {
  it('gives the Exams Officer and Admins every permission by default, A2C Keys included', () => {
    for (const role of ['exams_officer', 'admin'] as const) {
      expect(defaultPermissions(role)).to.deep.equal([...CENTRE_PERMISSIONS]);
      expect(defaultPermissions(role)).to.include('a2c_keys');
      expect(canManageCentre(role)).to.equal(true);
    }
  });

  it('gives a User Past Papers, Marking Schemes and Resources by default, and no say over the centre', () => {
    expect(defaultPermissions('user')).to.deep.equal(['resources']);
    expect(canManageCentre('user')).to.equal(false);
  });

  it('lets a User be granted IAMIS, Access Arrangements, Entries and Results, View Scripts and Item Level Data on request', () => {
    for (const permission of [
      'iamis',
      'access_arrangements',
      'entries_results',
      'view_scripts',
      'item_level_data',
    ] as const) {
      expect(isGrantable('user', permission), permission).to.equal(true);
    }
  });

  it('never lets a User hold A2C Keys or Post Results Services', () => {
    expect(isGrantable('user', 'a2c_keys')).to.equal(false);
    expect(isGrantable('user', 'post_results')).to.equal(false);
    expect(CENTRE_ROLE_RULES.user.grantable).to.have.length(CENTRE_PERMISSIONS.length - 2);
  });

  it('keeps every default within what the account type may hold', () => {
    for (const role of CENTRE_ROLES) {
      for (const permission of CENTRE_ROLE_RULES[role].defaults) {
        expect(isGrantable(role, permission), `${role}/${permission}`).to.equal(true);
      }
    }
  });

  it('splits a requested list into allowed permissions in form order and refused values', () => {
    expect(
      checkPermissions('user', ['view_scripts', 'resources', 'a2c_keys', 'view_scripts', 'root']),
    ).to.deep.equal({ allowed: ['view_scripts', 'resources'], refused: ['a2c_keys', 'root'] });
    expect(checkPermissions('admin', ['a2c_keys', 'post_results'])).to.deep.equal({
      allowed: ['post_results', 'a2c_keys'],
      refused: [],
    });
  });

  it('names every account type and permission in English and Welsh', () => {
    for (const role of CENTRE_ROLES) {
      expect(CENTRE_ROLE_LABELS[role].en).to.not.equal('');
      expect(CENTRE_ROLE_LABELS[role].cy).to.not.equal('');
    }
    for (const permission of CENTRE_PERMISSIONS) {
      const text = CENTRE_PERMISSION_TEXT[permission];
      expect(text.label.en, permission).to.not.equal('');
      expect(text.label.cy, permission).to.not.equal('');
      expect(text.hint.cy, permission).to.not.equal(text.hint.en);
    }
  });
});

describe('entries and results by account type', () => {
  const user = { role: 'user' as const, permissions: ['entries_results' as const] };
  const admin = { role: 'admin' as const, permissions: ['entries_results' as const] };

  it('lets the Exams Officer and Admins make entries, and a User only view them', () => {
    expect(entriesResultsAccess('exams_officer').entries).to.equal('make');
    expect(entriesResultsAccess('user')).to.deep.equal({
      entries: 'view',
      results: 'from_results_day',
    });
    expect(canMakeEntries(admin)).to.equal(true);
    expect(canMakeEntries(user)).to.equal(false);
    expect(canMakeEntries({ role: 'admin', permissions: ['resources'] })).to.equal(false);
  });

  it('releases results to Users at 8am UK time on results day, in summer and in winter', () => {
    expect(resultsReleaseTime('2026-08-13').toISOString()).to.equal('2026-08-13T07:00:00.000Z');
    expect(resultsReleaseTime('2027-01-14').toISOString()).to.equal('2027-01-14T08:00:00.000Z');
    expect(resultsReleaseTime('2026-03-29').toISOString()).to.equal('2026-03-29T07:00:00.000Z');
  });

  it('shows a User results only from 8am on results day, and an Admin under embargo', () => {
    const clock = createManualClock(Date.UTC(2026, 7, 13, 6, 59, 59));
    expect(canViewResults(user, '2026-08-13', clock)).to.equal(false);
    expect(canViewResults(admin, '2026-08-13', clock)).to.equal(true);
    clock.advance(1000);
    expect(canViewResults(user, '2026-08-13', clock)).to.equal(true);
  });

  it('shows no results to anyone without Entries and Results', () => {
    const clock = createManualClock(Date.UTC(2026, 11, 1));
    expect(canViewResults({ role: 'admin', permissions: ['iamis'] }, '2026-08-13', clock)).to.equal(
      false,
    );
    expect(canViewResults({ role: 'user', permissions: [] }, '2026-08-13', clock)).to.equal(false);
  });

  it('refuses a results day that is not a calendar date', () => {
    expect(() => resultsReleaseTime('13/08/2026')).to.throw(RangeError);
    expect(() => resultsReleaseTime('2026-02-30')).to.throw(RangeError);
  });
});

describe('centre numbers and member search', () => {
  it('accepts five-digit centre numbers only', () => {
    expect(isCentreNumber('68101')).to.equal(true);
    for (const bad of ['6810', '681011', '6810a', ' 68101', 68101]) {
      expect(isCentreNumber(bad), String(bad)).to.equal(false);
    }
  });

  it('matches names and emails ignoring case and accents, every word of the search', () => {
    const member = { givenName: 'Siân', familyName: 'Llŷr-Jones', email: 'S.Jones@Ysgol.Cymru' };
    expect(memberMatches(member, 'SIAN')).to.equal(true);
    expect(memberMatches(member, 'llyr')).to.equal(true);
    expect(memberMatches(member, '  sian   jones ')).to.equal(true);
    expect(memberMatches(member, 'ysgol.cymru')).to.equal(true);
    expect(memberMatches(member, 'sian evans')).to.equal(false);
    expect(memberMatches(member, '')).to.equal(true);
    expect(foldForSearch('Ŵyn ÂB')).to.equal('wyn ab');
  });
});

describe('centre error wording', () => {
  it('gives every centre refusal a sentence in English and Welsh', () => {
    const errors = [
      new CentreAccessDeniedError('not_a_centre_admin'),
      new CentreAccessDeniedError('not_a_member'),
      new CentreMemberDuplicateError('member'),
      new CentreMemberDuplicateError('invited'),
      new CentreAdminLimitError(3),
      new CentrePermissionNotAllowedError('user', ['a2c_keys']),
      new ExamsOfficerProtectedError('remove'),
      new InvitationInvalidError(),
    ];
    const seen = new Set<string>();
    for (const error of errors) {
      const text = centreErrorMessage(error);
      expect(text, error.message).to.not.equal(null);
      expect(text?.en).to.not.equal(text?.cy);
      seen.add(text?.en ?? '');
    }
    expect(seen.size).to.equal(errors.length);
  });

  it('names the permissions a User cannot hold, in the reader’s language', () => {
    const text = centreErrorMessage(
      new CentrePermissionNotAllowedError('user', ['a2c_keys', 'post_results']),
    );
    expect(text?.en).to.equal('A User account cannot have: A2C Keys, Post Results Services.');
    expect(text?.cy).to.include('Allweddi A2C');
  });

  it('tells delete-and-re-invite when an email is already at the centre', () => {
    expect(centreErrorMessage(new CentreMemberDuplicateError('member'))?.en).to.include(
      'delete the user and invite them again',
    );
  });

  it('leaves other errors to the portal’s own catalogue', () => {
    expect(centreErrorMessage(new AccountNotFoundError())).to.equal(null);
  });
});

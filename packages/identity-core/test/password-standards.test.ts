import { expect } from 'chai';
import { createTestDatabase, createManualClock, type TestDatabase } from '../src/testing/index.js';
import { identityCoreMigrations } from '../src/db/migrations/index.js';
import { KnexAccountRepository } from '../src/accounts/knex-account-repository.js';
import { Argon2PasswordHasher } from '../src/passwords/hasher.js';
import {
  ORGANISATION_SHORT_WORDS,
  ORGANISATION_WORDS,
  checkPassword,
  type PasswordContext,
} from '../src/passwords/password-policy.js';
import { passwordRuleMessages } from '../src/passwords/policy-messages.js';
import { generateTemporaryPassword } from '../src/passwords/temporary-password.js';
import { KnexRateLimiter } from '../src/throttling/knex-throttle.js';
import { KnexLockouts } from '../src/throttling/knex-lockout.js';
import { SignInThrottle } from '../src/throttling/sign-in-throttle.js';
import { PasswordAuthenticator } from '../src/authentication/password-authenticator.js';
import { cryptoRandom } from '../src/random.js';

const DATABASE = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

const codes = (password: string, context: PasswordContext = {}): string[] =>
  checkPassword(password, context).map((v) => v.code);

describe('password policy: the organisation’s own words (ASVS 6.1.2, 6.2.11)', () => {
  it('lists WJEC, CBAC, Eduqas, Porth, appointee and AMP as words no password may contain', () => {
    expect([...ORGANISATION_WORDS, ...ORGANISATION_SHORT_WORDS]).to.have.members([
      'wjec',
      'cbac',
      'eduqas',
      'porth',
      'appointee',
      'amp',
    ]);
  });

  it('refuses a password containing an organisation word, ignoring case, and says why in English and Welsh', () => {
    for (const password of [
      'Wjec-Exams-2026!',
      'my-CBAC-login-7',
      'Eduqas#Science1',
      'Porth-Demo-2026!',
      'PORTH-Cymorth-2026!',
      'Best-Appointee-9!',
      'Appointees-4-ever!',
      'AMP-password-26!',
      'Tafarn/amp/2026!',
    ]) {
      expect(codes(password), password).to.deep.equal(['CONTAINS_ORGANISATION_NAME']);
    }
    const [violation] = checkPassword('Wjec-Exams-2026!');
    expect(violation?.message).to.deep.equal(passwordRuleMessages.CONTAINS_ORGANISATION_NAME);
    expect(violation?.message.en).to.contain('WJEC').and.contain('Porth').and.contain('AMP');
    expect(violation?.message.cy).to.contain('CBAC').and.not.equal(violation?.message.en);
  });

  it('refuses AMP only as a word of its own, not inside everyday words', () => {
    expect(codes('Champion-Lamp-2026!')).to.deep.equal([]);
    expect(codes('Example-Stamp-77#')).to.deep.equal([]);
    expect(codes('Camp 7 Amp!')).to.deep.equal(['CONTAINS_ORGANISATION_NAME']);
  });

  it('ignores accents when matching, and reports a word already counted as the person’s own details only once', () => {
    expect(codes('Pôrth-Ŵyn-2026!')).to.deep.equal(['CONTAINS_ORGANISATION_NAME']);
    const sian: PasswordContext = { legacyUsername: 'sjones_amp' };
    expect(codes('Sjones_AMP-2020', sian)).to.deep.equal(['CONTAINS_USERNAME']);
    expect(codes('Sjones_AMP-2020-AMP', sian)).to.deep.equal([
      'CONTAINS_USERNAME',
      'CONTAINS_ORGANISATION_NAME',
    ]);
  });

  it('never makes a temporary password that the organisation words would refuse', () => {
    for (let i = 0; i < 200; i++) {
      const password = generateTemporaryPassword(cryptoRandom);
      expect(codes(password), password).to.not.include('CONTAINS_ORGANISATION_NAME');
    }
  });
});

describe(`password verification takes the whole password, exactly (ASVS 6.2.8, NIST 3.1.1.2 (9); ${DATABASE})`, function () {
  this.timeout(30_000);
  const hasher = new Argon2PasswordHasher({ random: cryptoRandom });
  // 200 characters: far beyond bcrypt's 72 bytes, where a truncating hash would stop reading.
  const long = `${'Llanfair-pwll-gwyn-gyll-'.repeat(8)}2026!xyz`.slice(0, 199) + 'A';
  const longButLast = long.slice(0, -1) + 'B';
  let t: TestDatabase;

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });

  it('accepts a 200-character password and refuses the same password differing only in its last character', async () => {
    expect([...long]).to.have.length(200);
    expect(checkPassword(long)).to.deep.equal([]);
    const stored = await hasher.hash(long);
    expect((await hasher.verify(stored, long)).valid).to.equal(true);
    expect((await hasher.verify(stored, longButLast)).valid).to.equal(false);
    expect((await hasher.verify(stored, long.slice(0, -1))).valid).to.equal(false);
  });

  it('refuses a password that differs only in the case of one letter', async () => {
    const stored = await hasher.hash('Cyfrinair-Da-2026!');
    expect((await hasher.verify(stored, 'cyfrinair-Da-2026!')).valid).to.equal(false);
    expect((await hasher.verify(stored, 'Cyfrinair-Da-2026!')).valid).to.equal(true);
  });

  it('signs in with the whole long password only, through the stored account', async () => {
    const clock = createManualClock(Date.UTC(2026, 10, 24, 9));
    const accounts = new KnexAccountRepository(t.db, clock, cryptoRandom);
    const account = await accounts.createActive({
      kind: 'appointee',
      username: 'hir.gyfrinair@wjec-appointees.co.uk',
      email: 'hir@example.org',
    });
    await accounts.setPasswordHash(account.id, await hasher.hash(long));
    const authenticator = new PasswordAuthenticator({
      db: t.db,
      clock,
      hasher,
      random: cryptoRandom,
      throttle: new SignInThrottle(
        new KnexRateLimiter(t.db, clock),
        new KnexLockouts(t.db, clock),
        {
          lockoutThreshold: 10,
          lockoutMs: 15 * 60_000,
          ipLimitPer15Minutes: 1000,
          hardLockoutThreshold: 100,
        },
      ),
    });
    const attempt = {
      username: 'hir.gyfrinair@wjec-appointees.co.uk',
      ip: '203.0.113.7',
      userAgent: 'test',
    };
    expect((await authenticator.check({ ...attempt, password: longButLast })).outcome).to.equal(
      'invalid',
    );
    expect((await authenticator.check({ ...attempt, password: long })).outcome).to.equal('success');
  });
});

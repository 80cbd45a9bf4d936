import { expect } from 'chai';
import bcrypt from 'bcryptjs';
import {
  createTestDatabase,
  createManualClock,
  type TestDatabase,
} from '../../src/testing/index.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { KnexAccountRepository } from '../../src/accounts/knex-account-repository.js';
import { KnexAuditLog } from '../../src/audit/knex-audit-log.js';
import { Argon2PasswordHasher } from '../../src/passwords/hasher.js';
import { KnexRateLimiter } from '../../src/throttling/knex-throttle.js';
import { KnexLockouts } from '../../src/throttling/knex-lockout.js';
import { SignInThrottle } from '../../src/throttling/sign-in-throttle.js';
import { PasswordAuthenticator } from '../../src/authentication/password-authenticator.js';
import { cryptoRandom } from '../../src/random.js';
import type { ManualClock } from '../../src/clock.js';

describe(`PasswordAuthenticator (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, () => {
  let t: TestDatabase;
  let clock: ManualClock;
  let accounts: KnexAccountRepository;
  let authenticator: PasswordAuthenticator;
  const hasher = new Argon2PasswordHasher({ random: cryptoRandom });
  const context = { ip: '203.0.113.9', userAgent: 'test' };

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });
  beforeEach(async () => {
    await t.db('audit_events').delete();
    await t.db('lockouts').delete();
    await t.db('throttle_counters').delete();
    await t.db('account_required_actions').delete();
    await t.db('accounts').delete();
    clock = createManualClock(Date.UTC(2026, 10, 24, 9));
    accounts = new KnexAccountRepository(t.db, clock, cryptoRandom);
    const throttle = new SignInThrottle(
      new KnexRateLimiter(t.db, clock),
      new KnexLockouts(t.db, clock),
      {
        lockoutThreshold: 3,
        lockoutMs: 15 * 60_000,
        ipLimitPer15Minutes: 1000,
        hardLockoutThreshold: 100,
      },
    );
    authenticator = new PasswordAuthenticator({
      db: t.db,
      clock,
      hasher,
      random: cryptoRandom,
      throttle,
    });
  });

  async function activeAccount(
    username: string,
    password: string,
    status: 'active' | 'disabled' = 'active',
  ) {
    const account = await accounts.createActive({
      kind: 'appointee',
      username,
      email: 'x@example.org',
    });
    await accounts.setPasswordHash(account.id, await hasher.hash(password));
    if (status === 'disabled') await accounts.changeStatus(account.id, 'active', 'disabled');
    return account;
  }

  it('accepts the right password, whatever the spaces and capitals around the username', async () => {
    const account = await activeAccount('sian.jones@wjec-appointees.co.uk', 'Cyfrinair-Da-2026!');
    const result = await authenticator.check({
      username: '  Sian.Jones@WJEC-appointees.co.uk ',
      password: 'Cyfrinair-Da-2026!',
      ...context,
    });
    expect(result.outcome).to.equal('success');
    expect(result.outcome === 'success' && result.account.id).to.equal(account.id);
    const [event] = await new KnexAuditLog(t.db, clock).list({ accountId: account.id });
    expect(event).to.include({ type: 'sign_in.password', outcome: 'success', ip: '203.0.113.9' });
  });

  it('gives the same answer for an unknown username and a wrong password, and audits both', async () => {
    await activeAccount('sian.jones@wjec-appointees.co.uk', 'Cyfrinair-Da-2026!');
    const unknown = await authenticator.check({
      username: 'nobody@wjec-appointees.co.uk',
      password: 'x',
      ...context,
    });
    const wrong = await authenticator.check({
      username: 'sian.jones@wjec-appointees.co.uk',
      password: 'Wrong-Password-1!',
      ...context,
    });
    expect(unknown).to.deep.equal({ outcome: 'invalid' });
    expect(wrong).to.deep.equal({ outcome: 'invalid' });
    const failures = await new KnexAuditLog(t.db, clock).list({ type: 'sign_in.password' });
    expect(failures.map((e) => e.outcome)).to.deep.equal(['failure', 'failure']);
  });

  it('locks a username after the configured failures, even against the right password, until the lock ends', async () => {
    await activeAccount('sian.jones@wjec-appointees.co.uk', 'Cyfrinair-Da-2026!');
    const attempt = { username: 'sian.jones@wjec-appointees.co.uk', ...context };
    for (let i = 0; i < 3; i++) {
      expect((await authenticator.check({ ...attempt, password: `wrong-${i}` })).outcome).to.equal(
        'invalid',
      );
    }
    const locked = await authenticator.check({ ...attempt, password: 'Cyfrinair-Da-2026!' });
    expect(locked.outcome).to.equal('throttled');
    expect(locked.outcome === 'throttled' && locked.reason).to.equal('account_locked');
    clock.advance(15 * 60_000 + 1);
    expect(
      (await authenticator.check({ ...attempt, password: 'Cyfrinair-Da-2026!' })).outcome,
    ).to.equal('success');
  });

  it('throttles an unknown username exactly like a known one', async () => {
    const attempt = { username: 'ghost@wjec-appointees.co.uk', ...context };
    for (let i = 0; i < 3; i++) await authenticator.check({ ...attempt, password: `wrong-${i}` });
    expect((await authenticator.check({ ...attempt, password: 'anything' })).outcome).to.equal(
      'throttled',
    );
  });

  it('sends a legacy username with its correct legacy password to migration, and never signs it in', async () => {
    const legacy = await accounts.insertLegacy({
      legacyUsername: 'rhys.evans',
      passwordHash: bcrypt.hashSync('Hen-Gyfrinair1', 4),
      email: 'rhys@example.org',
    });
    const right = await authenticator.check({
      username: 'Rhys.Evans ',
      password: 'Hen-Gyfrinair1',
      ...context,
    });
    expect(right.outcome).to.equal('needs_migration');
    expect(right.outcome === 'needs_migration' && right.account.id).to.equal(legacy.id);
    const wrong = await authenticator.check({
      username: 'rhys.evans',
      password: 'nope',
      ...context,
    });
    expect(wrong).to.deep.equal({ outcome: 'invalid' });
  });

  it('tells a migrated user to use the new username only once their password is verified', async () => {
    const legacy = await accounts.insertLegacy({
      legacyUsername: 'rhys.evans',
      passwordHash: bcrypt.hashSync('Hen-Gyfrinair1', 4),
      givenName: 'Rhys',
      familyName: 'Evans',
    });
    const username = await accounts.issueUsername(
      legacy.id,
      'Rhys',
      'Evans',
      'wjec-appointees.co.uk',
    );
    await accounts.setPasswordHash(legacy.id, await hasher.hash('Newydd-Sbon-2026!'));
    await accounts.changeStatus(legacy.id, 'legacy', 'active');
    expect(
      await authenticator.check({ username: 'rhys.evans', password: 'wrong', ...context }),
    ).to.deep.equal({
      outcome: 'invalid',
    });
    expect(
      await authenticator.check({
        username: 'rhys.evans',
        password: 'Newydd-Sbon-2026!',
        ...context,
      }),
    ).to.deep.equal({ outcome: 'use_new_username', newUsername: username });
  });

  it('says a disabled account is disabled only after the right password', async () => {
    await activeAccount('dai.jones@wjec-appointees.co.uk', 'Cyfrinair-Da-2026!', 'disabled');
    const attempt = { username: 'dai.jones@wjec-appointees.co.uk', ...context };
    expect((await authenticator.check({ ...attempt, password: 'wrong' })).outcome).to.equal(
      'invalid',
    );
    expect(
      (await authenticator.check({ ...attempt, password: 'Cyfrinair-Da-2026!' })).outcome,
    ).to.equal('disabled');
  });

  it('refuses an expired temporary password with a reason of its own', async () => {
    const account = await accounts.createActive({
      kind: 'appointee',
      username: 'temp.user@wjec-appointees.co.uk',
    });
    await accounts.setPasswordHash(account.id, await hasher.hash('Kq7-mT4-zR9-Hw2'), {
      temporary: true,
      expiresAt: new Date(clock.now().getTime() + 60_000),
    });
    const attempt = {
      username: 'temp.user@wjec-appointees.co.uk',
      password: 'Kq7-mT4-zR9-Hw2',
      ...context,
    };
    expect((await authenticator.check(attempt)).outcome).to.equal('success');
    clock.advance(60_000);
    expect((await authenticator.check(attempt)).outcome).to.equal('temporary_password_expired');
  });

  it('upgrades a legacy hash on an active account to argon2id after a successful sign-in', async () => {
    const account = await accounts.createActive({
      kind: 'staff',
      username: 'old.hash@wjec-appointees.co.uk',
    });
    await accounts.setPasswordHash(account.id, bcrypt.hashSync('Legacy-Pass-99!', 4));
    const result = await authenticator.check({
      username: 'old.hash@wjec-appointees.co.uk',
      password: 'Legacy-Pass-99!',
      ...context,
    });
    expect(result.outcome).to.equal('success');
    expect(await accounts.getPasswordHash(account.id)).to.match(/^\$argon2id\$/);
    const events = await new KnexAuditLog(t.db, clock).list({
      accountId: account.id,
      type: 'password.rehashed',
    });
    expect(events).to.have.length(1);
  });
});

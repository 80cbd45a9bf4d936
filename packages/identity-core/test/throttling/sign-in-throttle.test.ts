import { expect } from 'chai';
import {
  createManualClock,
  createTestDatabase,
  type TestDatabase,
} from '../../src/testing/index.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { loadConfig, type PorthConfig } from '../../src/config.js';
import { KnexLockouts } from '../../src/throttling/knex-lockout.js';
import { KnexRateLimiter } from '../../src/throttling/knex-throttle.js';
import {
  IP_WINDOW_MS,
  SignInThrottle,
  type SignInThrottleOptions,
} from '../../src/throttling/sign-in-throttle.js';

const DATABASE = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`SignInThrottle (${DATABASE})`, () => {
  let t: TestDatabase;
  const clock = createManualClock(Date.UTC(2026, 10, 23, 9, 0, 0));
  const start = clock.now().getTime();
  const settings: PorthConfig['throttling'] = {
    lockoutThreshold: 3,
    lockoutMs: 15 * 60_000,
    ipLimitPer15Minutes: 5,
    hardLockoutThreshold: 100,
  };

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });
  afterEach(() => clock.set(start));

  function throttle(
    config: PorthConfig['throttling'] = settings,
    options?: SignInThrottleOptions,
    db = t.db,
  ): SignInThrottle {
    return new SignInThrottle(
      new KnexRateLimiter(db, clock),
      new KnexLockouts(db, clock),
      config,
      options,
    );
  }

  it('allows attempts until the account reaches the lockout threshold, then says how long to wait', async () => {
    const attempt = { accountKey: 'sian.jones@example.org', ip: '192.0.2.1' };
    expect(await throttle().check(attempt)).to.deep.equal({ allowed: true });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await throttle().failed(attempt));
    expect(outcomes.map((o) => o.accountLocked)).to.deep.equal([false, false, true]);
    expect(outcomes[2]).to.deep.include({ failures: 3, retryAfterMs: 15 * 60_000 });
    clock.advance(60_000);
    expect(await throttle().check(attempt)).to.deep.equal({
      allowed: false,
      reason: 'account_locked',
      retryAfterMs: 14 * 60_000,
    });
    // The lock is on the account, whichever address the next attempt comes from.
    expect((await throttle().check({ ...attempt, ip: '198.51.100.9' })).allowed).to.equal(false);
    clock.set(start + 15 * 60_000);
    expect(await throttle().check(attempt)).to.deep.equal({ allowed: true });
  });

  it('clears the account’s failures on success', async () => {
    const attempt = { accountKey: 'llyr.evans@example.org', ip: '192.0.2.2' };
    await throttle().failed(attempt);
    await throttle().failed(attempt);
    await throttle().succeeded(attempt);
    expect((await throttle().failed(attempt)).failures).to.equal(1);
    expect((await throttle().failed(attempt)).accountLocked).to.equal(false);
    expect(await throttle().check(attempt)).to.deep.equal({ allowed: true });
  });

  it('limits failures per IP across accounts within 15 minutes', async () => {
    const ip = '203.0.113.50';
    for (let i = 0; i < 5; i++) {
      expect((await throttle().check({ accountKey: `user${i}`, ip })).allowed).to.equal(true);
      await throttle().failed({ accountKey: `user${i}`, ip });
    }
    clock.advance(5 * 60_000);
    expect(await throttle().check({ accountKey: 'someone.else', ip })).to.deep.equal({
      allowed: false,
      reason: 'ip_rate_limited',
      retryAfterMs: IP_WINDOW_MS - 5 * 60_000,
    });
    expect(
      (await throttle().check({ accountKey: 'someone.else', ip: '203.0.113.51' })).allowed,
    ).to.equal(true);
    // A success does not refund the address's failures.
    await throttle().succeeded({ accountKey: 'user0', ip });
    expect((await throttle().check({ accountKey: 'user0', ip })).allowed).to.equal(false);
    clock.set(start + IP_WINDOW_MS);
    expect((await throttle().check({ accountKey: 'someone.else', ip })).allowed).to.equal(true);
  });

  it('counts every address of one IPv6 /64 together', async () => {
    for (let i = 0; i < 5; i++) {
      await throttle().failed({ accountKey: `v6user${i}`, ip: `2001:db8:aa:bb::${i + 1}` });
    }
    const check = await throttle().check({ accountKey: 'v6other', ip: '2001:db8:aa:bb:ffff::1' });
    expect(check).to.deep.include({ allowed: false, reason: 'ip_rate_limited' });
    expect(
      (await throttle().check({ accountKey: 'v6other', ip: '2001:db8:aa:bc::1' })).allowed,
    ).to.equal(true);
  });

  it('throttles without an address by account alone', async () => {
    for (let i = 0; i < 3; i++) await throttle().failed({ accountKey: 'no-ip' });
    expect(await throttle().check({ accountKey: 'no-ip', ip: null })).to.deep.include({
      allowed: false,
      reason: 'account_locked',
    });
  });

  it('locks an account after 100 consecutive failures until a reset, with the default settings', async () => {
    const defaults = loadConfig({}).throttling;
    const attempt = { accountKey: 'target@example.org' };
    let last;
    for (let i = 0; i < 100; i++) {
      last = await throttle(defaults).failed(attempt);
      if (last.accountLocked && !last.lockedUntilReset) clock.advance(defaults.lockoutMs);
    }
    expect(last).to.deep.include({
      failures: 100,
      accountLocked: true,
      lockedUntilReset: true,
      retryAfterMs: null,
    });
    clock.advance(365 * 24 * 60 * 60 * 1000);
    expect(await throttle(defaults).check(attempt)).to.deep.equal({
      allowed: false,
      reason: 'account_locked',
      retryAfterMs: null,
    });
    await throttle(defaults).unlockAccount(attempt.accountKey);
    expect(await throttle(defaults).check(attempt)).to.deep.equal({ allowed: true });
  });

  it('reports the longer wait when both the account and the address are refused', async () => {
    const ip = '198.51.100.77';
    for (let i = 0; i < 5; i++) await throttle().failed({ accountKey: `filler${i}`, ip });
    clock.advance(10 * 60_000); // the address may try again in 5 minutes
    for (let i = 0; i < 3; i++) await throttle().failed({ accountKey: 'locked-long' });
    expect(await throttle().check({ accountKey: 'locked-long', ip })).to.deep.equal({
      allowed: false,
      reason: 'account_locked',
      retryAfterMs: 15 * 60_000,
    });
    const brief = { ...settings, lockoutMs: 60_000 };
    for (let i = 0; i < 3; i++) await throttle(brief).failed({ accountKey: 'locked-briefly' });
    expect(await throttle(brief).check({ accountKey: 'locked-briefly', ip })).to.deep.equal({
      allowed: false,
      reason: 'ip_rate_limited',
      retryAfterMs: 5 * 60_000,
    });
  });

  it('can leave the until-reset rule off', async () => {
    const options = { hardLockoutThreshold: null };
    const small = { ...settings, lockoutThreshold: 2, lockoutMs: 1000 };
    for (let i = 0; i < 10; i++) {
      await throttle(small, options).failed({ accountKey: 'soft-only' });
      clock.advance(1000);
    }
    expect(await throttle(small, options).check({ accountKey: 'soft-only' })).to.deep.equal({
      allowed: true,
    });
  });

  it('holds limits across processes sharing the database', async () => {
    const here = throttle();
    const there = throttle(settings, undefined, t.connectAgain());
    const attempt = { accountKey: 'shared@example.org', ip: '192.0.2.200' };
    await here.failed(attempt);
    await there.failed(attempt);
    await here.failed(attempt);
    expect((await there.check(attempt)).allowed).to.equal(false);
    await there.succeeded(attempt);
    expect((await here.check(attempt)).allowed).to.equal(true);
  });
});

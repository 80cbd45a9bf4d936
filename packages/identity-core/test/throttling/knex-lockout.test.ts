import { expect } from 'chai';
import {
  createManualClock,
  createTestDatabase,
  type TestDatabase,
} from '../../src/testing/index.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { KnexLockouts } from '../../src/throttling/knex-lockout.js';
import { LOCKED_UNTIL_RESET_MS } from '../../src/throttling/lockout.js';

const DATABASE = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

describe(`KnexLockouts (${DATABASE})`, () => {
  let t: TestDatabase;
  const clock = createManualClock(Date.UTC(2026, 10, 23, 9, 0, 0));
  const start = clock.now().getTime();
  const policy = { threshold: 3, lockMs: 60_000 };

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });
  afterEach(() => clock.set(start));

  const lockouts = () => new KnexLockouts(t.db, clock);

  it('locks a key at the threshold and releases it when lockMs has passed', async () => {
    const states = [];
    for (let i = 0; i < 3; i++) states.push(await lockouts().recordFailure('lock', policy));
    expect(states.map((s) => s.locked)).to.deep.equal([false, false, true]);
    expect(states[2]).to.deep.include({ failures: 3, retryAfterMs: 60_000, untilReset: false });
    expect((await lockouts().lockedUntil('lock'))?.getTime()).to.equal(start + 60_000);
    clock.set(start + 59_999);
    expect(await lockouts().isLocked('lock')).to.equal(true);
    expect((await lockouts().state('lock')).retryAfterMs).to.equal(1);
    clock.set(start + 60_000);
    expect(await lockouts().isLocked('lock')).to.equal(false);
    expect(await lockouts().lockedUntil('lock')).to.equal(null);
  });

  it('gives a fresh set of attempts after a lock ends and locks again at the next threshold', async () => {
    for (let i = 0; i < 3; i++) await lockouts().recordFailure('again', policy);
    clock.advance(60_000);
    const fourth = await lockouts().recordFailure('again', policy);
    expect(fourth).to.deep.include({ failures: 4, locked: false });
    expect((await lockouts().recordFailure('again', policy)).locked).to.equal(false);
    const sixth = await lockouts().recordFailure('again', policy);
    expect(sixth).to.deep.include({ failures: 6, locked: true, retryAfterMs: 60_000 });
  });

  it('does not extend a running lock when failures keep coming', async () => {
    for (let i = 0; i < 3; i++) await lockouts().recordFailure('running', policy);
    clock.advance(30_000);
    for (let i = 0; i < 3; i++) await lockouts().recordFailure('running', policy);
    expect((await lockouts().state('running')).retryAfterMs).to.equal(30_000);
  });

  it('resets the count on success', async () => {
    await lockouts().recordFailure('success', policy);
    await lockouts().recordFailure('success', policy);
    await lockouts().recordSuccess('success');
    expect((await lockouts().state('success')).failures).to.equal(0);
    expect((await lockouts().recordFailure('success', policy)).failures).to.equal(1);
    expect((await lockouts().recordFailure('success', policy)).locked).to.equal(false);
  });

  it('lifts a lock on success or reset', async () => {
    for (let i = 0; i < 3; i++) await lockouts().recordFailure('lift', policy);
    expect(await lockouts().isLocked('lift')).to.equal(true);
    await lockouts().recordSuccess('lift');
    expect(await lockouts().isLocked('lift')).to.equal(false);
    for (let i = 0; i < 3; i++) await lockouts().recordFailure('lift', policy);
    await lockouts().reset('lift');
    expect(await lockouts().state('lift')).to.deep.include({ locked: false, failures: 0 });
  });

  it('keeps a lock without lockMs until reset, however long it waits', async () => {
    const forever = { threshold: 100, lockMs: null };
    let last;
    for (let i = 0; i < 100; i++) last = await lockouts().recordFailure('nist', forever);
    expect(last).to.deep.include({
      failures: 100,
      locked: true,
      untilReset: true,
      retryAfterMs: null,
    });
    clock.advance(10 * YEAR_MS);
    expect(await lockouts().isLocked('nist')).to.equal(true);
    expect((await lockouts().lockedUntil('nist'))?.getTime()).to.equal(LOCKED_UNTIL_RESET_MS);
    expect((await lockouts().recordFailure('nist', forever)).untilReset).to.equal(true);
    await lockouts().reset('nist');
    expect(await lockouts().isLocked('nist')).to.equal(false);
  });

  it('locks on the first failure with a threshold of one', async () => {
    expect(
      (await lockouts().recordFailure('one', { threshold: 1, lockMs: 5_000 })).locked,
    ).to.equal(true);
  });

  it('counts exactly N of N concurrent failures made over two connection pools', async () => {
    const pools = [new KnexLockouts(t.db, clock), new KnexLockouts(t.connectAgain(), clock)];
    const n = 30;
    const big = { threshold: 1000, lockMs: 60_000 };
    const states = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        (pools[i % 2] as KnexLockouts).recordFailure('burst', big),
      ),
    );
    const failures = states.map((s) => s.failures).sort((a, b) => a - b);
    expect(failures).to.deep.equal(Array.from({ length: n }, (_, i) => i + 1));
    expect((await lockouts().state('burst')).failures).to.equal(n);
  });

  it('shares lockouts between processes on the same database', async () => {
    const other = new KnexLockouts(t.connectAgain(), clock);
    await lockouts().recordFailure('shared', policy);
    await other.recordFailure('shared', policy);
    await lockouts().recordFailure('shared', policy);
    expect(await other.isLocked('shared')).to.equal(true);
    await other.recordSuccess('shared');
    expect(await lockouts().isLocked('shared')).to.equal(false);
  });

  it('deletes idle unlocked entries and keeps running and until-reset locks', async () => {
    await lockouts().recordFailure('stale', policy);
    for (let i = 0; i < 3; i++)
      await lockouts().recordFailure('stale-locked', { threshold: 3, lockMs: YEAR_MS });
    await lockouts().recordFailure('stale-forever', { threshold: 1, lockMs: null });
    clock.advance(24 * 60 * 60 * 1000);
    await lockouts().recordFailure('fresh', policy);
    expect(await lockouts().deleteStale(60 * 60 * 1000)).to.be.at.least(1);
    const keys = (await t.db('lockouts').pluck('key')) as string[];
    expect(keys).to.not.include('stale');
    expect(keys).to.include.members(['stale-locked', 'stale-forever', 'fresh']);
  });
});

import { expect } from 'chai';
import {
  createManualClock,
  createTestDatabase,
  type TestDatabase,
} from '../../src/testing/index.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { KnexRateLimiter } from '../../src/throttling/knex-throttle.js';

const DATABASE = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`KnexRateLimiter (${DATABASE})`, () => {
  let t: TestDatabase;
  const clock = createManualClock(Date.UTC(2026, 10, 23, 9, 0, 0));
  const start = clock.now().getTime();

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });
  afterEach(() => clock.set(start));

  const limiter = () => new KnexRateLimiter(t.db, clock);

  it('allows hits up to the limit and refuses the rest until the window ends', async () => {
    const opts = { limit: 3, windowMs: 60_000 };
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(await limiter().hit('counts', opts));
      clock.advance(1000);
    }
    expect(results.map((r) => r.count)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(results.map((r) => r.allowed)).to.deep.equal([true, true, true, false, false]);
    expect(results[2]?.retryAfterMs).to.equal(0);
    expect(results[3]?.retryAfterMs).to.equal(60_000 - 3000);
    expect(results[4]?.retryAfterMs).to.equal(60_000 - 4000);
  });

  it('starts a new window when the old one has ended, and not a millisecond before', async () => {
    const opts = { limit: 2, windowMs: 10_000 };
    await limiter().hit('window', opts);
    await limiter().hit('window', opts);
    clock.set(start + 9_999);
    expect(await limiter().hit('window', opts)).to.deep.equal({
      allowed: false,
      count: 3,
      retryAfterMs: 1,
    });
    clock.set(start + 10_000);
    expect(await limiter().hit('window', opts)).to.deep.equal({
      allowed: true,
      count: 1,
      retryAfterMs: 0,
    });
    clock.set(start + 19_999);
    expect((await limiter().hit('window', opts)).count).to.equal(2);
    expect(await limiter().hit('window', opts)).to.deep.equal({
      allowed: false,
      count: 3,
      retryAfterMs: 1,
    });
  });

  it('says by peek whether a hit would be allowed, without counting it', async () => {
    const opts = { limit: 2, windowMs: 60_000 };
    expect(await limiter().peek('peek', opts)).to.deep.equal({
      allowed: true,
      count: 0,
      retryAfterMs: 0,
    });
    await limiter().hit('peek', opts);
    expect(await limiter().peek('peek', opts)).to.deep.include({ allowed: true, count: 1 });
    expect(await limiter().peek('peek', opts)).to.deep.include({ allowed: true, count: 1 });
    await limiter().hit('peek', opts);
    clock.advance(20_000);
    expect(await limiter().peek('peek', opts)).to.deep.equal({
      allowed: false,
      count: 2,
      retryAfterMs: 40_000,
    });
    clock.advance(40_000);
    expect(await limiter().peek('peek', opts)).to.deep.include({ allowed: true, count: 0 });
  });

  it('forgets the hits of a key on reset and keeps other keys', async () => {
    const opts = { limit: 1, windowMs: 60_000 };
    await limiter().hit('reset-me', opts);
    await limiter().hit('keep-me', opts);
    await limiter().reset('reset-me');
    expect((await limiter().hit('reset-me', opts)).allowed).to.equal(true);
    expect((await limiter().hit('keep-me', opts)).allowed).to.equal(false);
  });

  it('counts exactly N of N concurrent hits made over two connection pools', async () => {
    const pools = [new KnexRateLimiter(t.db, clock), new KnexRateLimiter(t.connectAgain(), clock)];
    const opts = { limit: 10, windowMs: 60_000 };
    const n = 40;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => (pools[i % 2] as KnexRateLimiter).hit('burst', opts)),
    );
    const counts = results.map((r) => r.count).sort((a, b) => a - b);
    expect(counts).to.deep.equal(Array.from({ length: n }, (_, i) => i + 1));
    expect(results.filter((r) => r.allowed)).to.have.length(10);
    expect((await limiter().peek('burst', opts)).count).to.equal(n);
  });

  it('shares limits between processes on the same database', async () => {
    const other = new KnexRateLimiter(t.connectAgain(), clock);
    const opts = { limit: 2, windowMs: 60_000 };
    expect((await limiter().hit('shared', opts)).allowed).to.equal(true);
    expect((await other.hit('shared', opts)).allowed).to.equal(true);
    expect(await limiter().hit('shared', opts)).to.deep.include({ allowed: false, count: 3 });
    expect(await other.peek('shared', opts)).to.deep.include({ allowed: false, count: 3 });
    await other.reset('shared');
    expect((await limiter().hit('shared', opts)).count).to.equal(1);
  });

  it('keeps separate counts for long keys that differ only after 191 characters', async () => {
    const opts = { limit: 1, windowMs: 60_000 };
    const prefix = 'sign-in:account:'.padEnd(250, 'x');
    expect((await limiter().hit(`${prefix}a`, opts)).allowed).to.equal(true);
    expect((await limiter().hit(`${prefix}b`, opts)).allowed).to.equal(true);
    expect((await limiter().hit(`${prefix}a`, opts)).allowed).to.equal(false);
  });

  it('deletes counters whose window has ended and keeps running ones', async () => {
    await limiter().hit('old', { limit: 5, windowMs: 1_000 });
    await limiter().hit('running', { limit: 5, windowMs: 60_000 });
    clock.advance(1_000);
    expect(await limiter().deleteExpired()).to.be.at.least(1);
    const keys = (await t.db('throttle_counters').pluck('key')) as string[];
    expect(keys).to.not.include('old');
    expect(keys).to.include('running');
    expect((await limiter().peek('running', { limit: 5, windowMs: 60_000 })).count).to.equal(1);
  });
});

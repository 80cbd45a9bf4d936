import { expect } from 'chai';
import {
  createManualClock,
  createTestDatabase,
  type TestDatabase,
} from '../../src/testing/index.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { KnexLockouts } from '../../src/throttling/knex-lockout.js';

const DATABASE = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`KnexLockouts, several keys at once (${DATABASE})`, () => {
  let t: TestDatabase;
  const clock = createManualClock(Date.UTC(2026, 10, 25, 9, 0, 0));
  const policy = { threshold: 2, lockMs: 60_000 };

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });

  const lockouts = () => new KnexLockouts(t.db, clock);

  it('reads the states of several keys in the order asked, an unknown key as unlocked', async () => {
    await lockouts().recordFailure('many:locked', policy);
    await lockouts().recordFailure('many:locked', policy);
    await lockouts().recordFailure('many:once', policy);
    const states = await lockouts().states(['many:once', 'many:unknown', 'many:locked']);
    expect(states.map((s) => [s.failures, s.locked])).to.deep.equal([
      [1, false],
      [0, false],
      [2, true],
    ]);
    for (const [i, key] of ['many:once', 'many:unknown', 'many:locked'].entries()) {
      expect(states[i]).to.deep.equal(await lockouts().state(key));
    }
  });

  it('clears the keys it is given and no other', async () => {
    await lockouts().recordFailure('clear:a', policy);
    await lockouts().recordFailure('clear:b', policy);
    await lockouts().recordFailure('clear:b', policy);
    await lockouts().recordFailure('clear:kept', policy);
    await lockouts().clear(['clear:a', 'clear:b']);
    expect((await lockouts().state('clear:a')).failures).to.equal(0);
    expect(await lockouts().isLocked('clear:b')).to.equal(false);
    expect((await lockouts().state('clear:kept')).failures).to.equal(1);
    await lockouts().clear([]);
    expect((await lockouts().state('clear:kept')).failures).to.equal(1);
  });
});

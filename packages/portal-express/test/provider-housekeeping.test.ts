import { expect } from 'chai';
import {
  KnexAccountRepository,
  KnexFlowRepository,
  KnexLockouts,
  KnexOutboxRepository,
  KnexTokenRepository,
  cryptoRandom,
} from '@porth/identity-core';
import {
  createManualClock,
  createTestDatabase,
  type ManualClock,
  type TestDatabase,
} from '@porth/identity-core/testing';
import { loadPortalConfig } from '../src/config.js';
import { allMigrations } from '../src/db/migrations.js';
import {
  HousekeepingError,
  runHousekeeping,
  startHousekeeping,
  type HousekeepingCounts,
} from '../src/housekeeping.js';
import { KnexOidcAdapter } from '../src/oidc/knex-adapter.js';
import type { KnexSigningKeys } from '../src/oidc/signing-keys.js';
import { KnexRpSessions } from '../src/rp/knex-rp-sessions.js';
import { createServices, type PortalServices } from '../src/services.js';

const DAY = 24 * 60 * 60 * 1000;

describe(`housekeeping (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, function () {
  this.timeout(30_000);
  let database: TestDatabase;
  let clock: ManualClock;
  let services: PortalServices;

  beforeEach(async () => {
    database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
    clock = createManualClock(Date.UTC(2026, 10, 24, 9));
    const config = loadPortalConfig({ NODE_ENV: 'test', DATABASE_URL: database.url });
    services = createServices(config, database.db, clock, cryptoRandom);
  });
  afterEach(async () => {
    await database?.destroy();
  });

  /** One row of each kind that lives `lifetimeMs` from now. */
  async function seed(name: string, lifetimeMs: number): Promise<void> {
    const { db } = database;
    await new KnexOidcAdapter(db, clock, 'Session').upsert(
      name,
      { jti: name, kind: 'Session', iat: 0, uid: `uid-${name}` },
      Math.floor(lifetimeMs / 1000),
    );
    await new KnexFlowRepository(db, clock, cryptoRandom).create({
      kind: 'test',
      state: 'start',
      context: {},
      lifetimeMs,
    });
    await new KnexTokenRepository(db, clock, cryptoRandom).issue({ purpose: 'test', lifetimeMs });
    await services.rateLimiter.hit(`counter-${name}`, { limit: 5, windowMs: lifetimeMs });
    await new KnexRpSessions(db, clock).insert({
      id: `${name}-session`.padEnd(43, 'x'),
      app: 'amp',
      accountId: null,
      sid: null,
      sealed: 'sealed',
      expiresAt: new Date(clock.now().getTime() + lifetimeMs),
    });
    const outbox = new KnexOutboxRepository(db);
    const now = clock.now();
    await outbox.insert({
      id: `mail-${name}`,
      channel: 'email',
      recipient: 'someone@example.org',
      template: 'test',
      locale: 'en',
      accountId: null,
      payload: 'sealed',
      createdAt: now,
      nextAttemptAt: now,
    });
    expect(await outbox.claim(`mail-${name}`, 0, now, new Date(now.getTime() + 60_000))).to.equal(
      true,
    );
    expect(await outbox.markSent(`mail-${name}`, 1, now, false)).to.equal(true);
  }

  async function rows(table: string): Promise<number> {
    const [row] = (await database.db(table).count({ n: '*' })) as { n: number | string }[];
    return Number(row?.n ?? 0);
  }

  it('deletes what has expired, once, and keeps everything still live', async () => {
    await seed('old', 60_000);
    const lockouts = new KnexLockouts(database.db, clock);
    await lockouts.recordFailure('forgotten-failures', { threshold: 10, lockMs: 60_000 });
    await lockouts.recordFailure('locked-until-reset', { threshold: 1, lockMs: null });
    await services.signingKeys.ensure();
    await services.signingKeys.rotate();
    const account = await new KnexAccountRepository(database.db, clock, cryptoRandom).createActive({
      kind: 'appointee',
      username: 'megan.lloyd@wjec-appointees.co.uk',
      email: 'megan@example.org',
      emailVerified: true,
      givenName: 'Megan',
      familyName: 'Lloyd',
      locale: 'en',
    });
    await services.mfa.startTotpEnrolment(account.id);

    clock.advance(31 * DAY);
    await seed('new', DAY);

    const counts = await runHousekeeping(services);
    expect(counts).to.deep.equal({
      oidcModels: 1,
      flows: 1,
      oneTimeTokens: 1,
      throttleCounters: 1,
      lockouts: 1,
      rpSessions: 1,
      signingKeys: 1,
      sentMessages: 1,
      mfaChallenges: 0,
      mfaPendingFactors: 1,
    } satisfies HousekeepingCounts);

    for (const table of [
      'oidc_models',
      'flows',
      'one_time_tokens',
      'throttle_counters',
      'rp_sessions',
      'outbox_messages',
      'oidc_keys',
    ]) {
      expect(await rows(table), table).to.equal(1);
    }
    expect(await lockouts.isLocked('locked-until-reset')).to.equal(true);
    expect(await new KnexOidcAdapter(database.db, clock, 'Session').find('new')).to.include({
      jti: 'new',
    });
    expect(await services.signingKeys.list()).to.have.length(1);

    const again = await runHousekeeping(services);
    expect(Object.values(again).every((n) => n === 0)).to.equal(true);
  });

  it('runs every task even when one fails, and reports the failure with the counts', async () => {
    await seed('old', 60_000);
    clock.advance(DAY);
    const broken = Object.assign(Object.create(services.signingKeys) as KnexSigningKeys, {
      deleteExpired: async () => {
        throw new Error('the keys table is unwell');
      },
    });
    const error = await runHousekeeping({ ...services, signingKeys: broken }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(HousekeepingError);
    const failure = error as HousekeepingError;
    expect(failure.failedTasks).to.deep.equal(['signingKeys']);
    expect(failure.counts).to.include({ oidcModels: 1, flows: 1, rpSessions: 1 });
    expect((failure.errors[0] as Error).message).to.equal('the keys table is unwell');
  });

  it('runs at once and then on a timer, carrying on after a failed pass, until stopped', async () => {
    let calls = 0;
    const flaky = Object.assign(Object.create(services.signingKeys) as KnexSigningKeys, {
      deleteExpired: async () => {
        calls += 1;
        if (calls === 1) throw new Error('first pass fails');
        return 0;
      },
    });
    const failures: unknown[] = [];
    const passes: HousekeepingCounts[] = [];
    await seed('old', 60_000);
    clock.advance(DAY);
    const loop = startHousekeeping(
      { ...services, signingKeys: flaky },
      {
        intervalMs: 10,
        onError: (err) => failures.push(err),
        onPass: (counts) => passes.push(counts),
      },
    );
    const deadline = Date.now() + 5000;
    while (passes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await loop.stop();
    const afterStop = calls;
    await new Promise((r) => setTimeout(r, 50));

    expect(failures).to.have.length(1);
    expect(failures[0]).to.be.instanceOf(HousekeepingError);
    expect(passes.length).to.be.at.least(2);
    expect(calls, 'no pass after stop()').to.equal(afterStop);
  });

  it('refuses an interval that is not a positive whole number of milliseconds', () => {
    for (const intervalMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => startHousekeeping(services, { intervalMs }), String(intervalMs)).to.throw(
        RangeError,
      );
    }
  });
});

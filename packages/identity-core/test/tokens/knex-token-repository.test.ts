import { expect } from 'chai';
import type { Knex } from 'knex';
import {
  createManualClock,
  createTestDatabase,
  type TestDatabase,
} from '../../src/testing/index.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { transaction } from '../../src/db/transaction.js';
import { cryptoRandom, type RandomSource } from '../../src/random.js';
import { KnexTokenRepository } from '../../src/tokens/knex-token-repository.js';
import { DEFAULT_TOKEN_LIFETIME_MS, hashToken } from '../../src/tokens/one-time-token.js';

const DATABASE = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`KnexTokenRepository (${DATABASE})`, () => {
  let t: TestDatabase;
  const clock = createManualClock(Date.UTC(2026, 10, 23, 9, 0, 0));

  async function createAccount(id: string): Promise<string> {
    await t.db('accounts').insert({
      id,
      kind: 'appointee',
      status: 'active',
      created_at: 1,
      updated_at: 1,
    });
    return id;
  }

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
    await createAccount('acc-1');
    await createAccount('acc-2');
  });
  after(async () => {
    await t?.destroy();
  });

  const tokens = () => new KnexTokenRepository(t.db, clock, cryptoRandom);

  it('issues 256 random bits from the injected source as base64url and stores only their SHA-256', async () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 3);
    const fixed: RandomSource = { bytes: (n) => bytes.slice(0, n) };
    const { token } = await new KnexTokenRepository(t.db, clock, fixed).issue({
      purpose: 'email_verification',
      accountId: 'acc-1',
    });
    expect(token).to.equal(Buffer.from(bytes).toString('base64url'));
    expect(token).to.have.length(43);
    const rows = (await t.db('one_time_tokens').select('*')) as Record<string, unknown>[];
    const row = rows.find((r) => r.token_hash === hashToken(token));
    expect(row, 'row keyed by the hash').to.not.equal(undefined);
    for (const r of rows) expect(JSON.stringify(r)).to.not.contain(token);
  });

  it('gives a token 24 hours by default, or the lifetime asked for', async () => {
    const now = clock.now().getTime();
    const byDefault = await tokens().issue({ purpose: 'password_reset', accountId: 'acc-1' });
    const short = await tokens().issue({ purpose: 'password_reset', lifetimeMs: 60_000 });
    expect(byDefault.expiresAt.getTime()).to.equal(now + DEFAULT_TOKEN_LIFETIME_MS);
    expect(DEFAULT_TOKEN_LIFETIME_MS).to.equal(24 * 60 * 60 * 1000);
    expect(short.expiresAt.getTime()).to.equal(now + 60_000);
    expect(byDefault.token).to.not.equal(short.token);
  });

  it('hands back the account and data once, then null', async () => {
    const data = { centre: '68101', role: 'admin', welsh: 'Llŷr 🐉' };
    const { token } = await tokens().issue({ purpose: 'invitation', accountId: 'acc-2', data });
    const first = await tokens().consume('invitation', token);
    expect(first?.accountId).to.equal('acc-2');
    expect(first?.data).to.deep.equal(data);
    expect(await tokens().consume('invitation', token)).to.equal(null);
  });

  it('keeps a token without account or data', async () => {
    const { token } = await tokens().issue({ purpose: 'invitation' });
    const found = await tokens().consume('invitation', token);
    expect(found).to.deep.include({ accountId: null, data: null });
  });

  it('accepts a token until the last millisecond before it expires and never at expiry', async () => {
    const start = clock.now().getTime();
    const a = await tokens().issue({ purpose: 'password_reset', lifetimeMs: 1000 });
    const b = await tokens().issue({ purpose: 'password_reset', lifetimeMs: 1000 });
    try {
      clock.set(start + 999);
      expect(await tokens().peek('password_reset', a.token)).to.not.equal(null);
      expect(await tokens().consume('password_reset', a.token)).to.not.equal(null);
      clock.set(start + 1000);
      expect(await tokens().peek('password_reset', b.token)).to.equal(null);
      expect(await tokens().consume('password_reset', b.token)).to.equal(null);
    } finally {
      clock.set(start);
    }
  });

  it('rejects a token presented for another purpose and leaves it usable for its own', async () => {
    const { token } = await tokens().issue({ purpose: 'email_verification', accountId: 'acc-1' });
    expect(await tokens().consume('password_reset', token)).to.equal(null);
    expect(await tokens().peek('password_reset', token)).to.equal(null);
    expect((await tokens().consume('email_verification', token))?.accountId).to.equal('acc-1');
  });

  it('returns null for garbage instead of throwing', async () => {
    const garbage: unknown[] = [
      '',
      'x'.repeat(1024 * 1024),
      '!'.repeat(43),
      `${'A'.repeat(42)}=`,
      'not base64 at all, with spaces and ünïcödé',
      "' OR 1=1 --",
      42,
      undefined,
      null,
      { token: 'x' },
      Buffer.from(cryptoRandom.bytes(32)).toString('base64url'), // well formed, never issued
    ];
    for (const input of garbage) {
      expect(await tokens().consume('password_reset', input as string)).to.equal(null);
      expect(await tokens().peek('password_reset', input as string)).to.equal(null);
    }
    const { token } = await tokens().issue({ purpose: 'password_reset' });
    expect(await tokens().consume('', token)).to.equal(null);
    expect(await tokens().consume('p'.repeat(1024 * 1024), token)).to.equal(null);
    expect(await tokens().consume(undefined as unknown as string, token)).to.equal(null);
  });

  it('shows a token by peek without using it up', async () => {
    const { token } = await tokens().issue({
      purpose: 'password_reset',
      accountId: 'acc-1',
      data: { step: 1 },
    });
    const peeked = await tokens().peek('password_reset', token);
    expect(peeked?.data).to.deep.equal({ step: 1 });
    expect(await tokens().peek('password_reset', token)).to.deep.equal(peeked);
    expect(await tokens().consume('password_reset', token)).to.deep.equal(peeked);
    expect(await tokens().peek('password_reset', token)).to.equal(null);
  });

  it('voids older tokens of the same purpose and account on revoke, and no others', async () => {
    const old1 = await tokens().issue({ purpose: 'password_reset', accountId: 'acc-1' });
    const old2 = await tokens().issue({ purpose: 'password_reset', accountId: 'acc-1' });
    const otherPurpose = await tokens().issue({
      purpose: 'email_verification',
      accountId: 'acc-1',
    });
    const otherAccount = await tokens().issue({ purpose: 'password_reset', accountId: 'acc-2' });
    expect(await tokens().revoke('password_reset', 'acc-1')).to.be.at.least(2);
    const fresh = await tokens().issue({ purpose: 'password_reset', accountId: 'acc-1' });
    expect(await tokens().consume('password_reset', old1.token)).to.equal(null);
    expect(await tokens().consume('password_reset', old2.token)).to.equal(null);
    expect(await tokens().consume('email_verification', otherPurpose.token)).to.not.equal(null);
    expect(await tokens().consume('password_reset', otherAccount.token)).to.not.equal(null);
    expect(await tokens().consume('password_reset', fresh.token)).to.not.equal(null);
  });

  it('deletes expired tokens and keeps live ones', async () => {
    const start = clock.now().getTime();
    const expiring = await tokens().issue({ purpose: 'cleanup', lifetimeMs: 10 });
    const live = await tokens().issue({ purpose: 'cleanup', lifetimeMs: 60_000 });
    try {
      clock.set(start + 10);
      expect(await tokens().deleteExpired()).to.be.at.least(1);
      const hashes = (await t.db('one_time_tokens').pluck('token_hash')) as string[];
      expect(hashes).to.not.include(hashToken(expiring.token));
      expect(hashes).to.include(hashToken(live.token));
      expect(await tokens().peek('cleanup', live.token)).to.not.equal(null);
    } finally {
      clock.set(start);
    }
  });

  it('refuses to issue for an empty or over-long purpose or a non-positive lifetime', async () => {
    for (const input of [
      { purpose: '' },
      { purpose: 'p'.repeat(41) },
      { purpose: 'password_reset', lifetimeMs: 0 },
      { purpose: 'password_reset', lifetimeMs: -5 },
      { purpose: 'password_reset', lifetimeMs: 1.5 },
    ]) {
      const err = await tokens()
        .issue(input)
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(RangeError);
    }
  });

  it('lets exactly one of 50 concurrent consumers over three connection pools use a token', async () => {
    const { token } = await tokens().issue({
      purpose: 'invitation',
      accountId: 'acc-2',
      data: { n: 1 },
    });
    const pools: Knex[] = [t.db, t.connectAgain(), t.connectAgain()];
    const repositories = pools.map((pool) => new KnexTokenRepository(pool, clock, cryptoRandom));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (repositories[i % repositories.length] as KnexTokenRepository).consume('invitation', token),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).to.have.length(1);
    expect(winners[0]).to.deep.include({ accountId: 'acc-2', data: { n: 1 } });
  });

  it('joins the caller’s transaction: a rolled-back consume leaves the token usable', async () => {
    const { token } = await tokens().issue({ purpose: 'password_reset', accountId: 'acc-1' });
    await transaction(t.db, async (trx) => {
      const inside = new KnexTokenRepository(trx, clock, cryptoRandom);
      expect(await inside.consume('password_reset', token)).to.not.equal(null);
      expect(await inside.consume('password_reset', token)).to.equal(null);
      throw new Error('roll back');
    }).catch((e: unknown) => {
      if (!(e instanceof Error) || e.message !== 'roll back') throw e;
    });
    expect((await tokens().consume('password_reset', token))?.accountId).to.equal('acc-1');
    expect(await tokens().consume('password_reset', token)).to.equal(null);
  });
});

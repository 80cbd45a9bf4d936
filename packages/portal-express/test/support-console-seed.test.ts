import { expect } from 'chai';
import { KnexAccountRepository } from '@porth/identity-core';
import { TotpFactor, base32Decode } from '@porth/mfa';
import { DEMO_SUPPORT_USERNAME, seedDemoSupport } from '../src/demo/support-seed.js';
import { createTestPortal, type TestPortal } from './support/portal.js';

describe(`support console: the demo support account (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, () => {
  let portal: TestPortal;

  before(async () => {
    portal = await createTestPortal();
  });
  after(async () => {
    await portal?.destroy();
  });

  function seed() {
    const { db, clock, random, hasher, mfa } = portal.services;
    return seedDemoSupport({
      db,
      clock,
      random,
      hasher,
      mfa,
      secretKey: portal.config.secrets.secretKey,
    });
  }

  it('makes an active staff account with a password and a confirmed authenticator app, once', async () => {
    const [first] = await seed();
    const [again] = await seed();
    expect(again).to.deep.equal(first);
    expect(first?.username).to.equal(DEMO_SUPPORT_USERNAME);

    const { db, clock, random, mfa, authenticator } = portal.services;
    const account = await new KnexAccountRepository(db, clock, random).findByUsername(
      DEMO_SUPPORT_USERNAME,
    );
    expect(account).to.include({ kind: 'staff', status: 'active' });
    const check = await authenticator.check({
      username: DEMO_SUPPORT_USERNAME,
      password: first?.password ?? '',
    });
    expect(check.outcome).to.equal('success');

    const factors = await mfa.listFactors(account?.id ?? '');
    expect(factors.map((f) => f.kind)).to.deep.equal(['totp']);
    // The printed key is the app's key: its next code signs in.
    const key = /authenticator key ([A-Z2-7 ]+)\)/.exec(first?.description ?? '')?.[1] ?? '';
    const secret = base32Decode(key);
    expect(secret, first?.description).to.not.equal(null);
    portal.clock.advance(30_000);
    const code = await new TotpFactor().codeAt(secret ?? new Uint8Array(), clock.now());
    const verified = await mfa.verify(account?.id ?? '', { factorId: factors[0]?.id ?? '', code });
    expect(verified.ok).to.equal(true);
  });
});

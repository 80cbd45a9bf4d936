import { expect } from 'chai';
import { KnexAccountRepository, cryptoRandom } from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import {
  RECOVERY_CODE_ALPHABET,
  TotpFactor,
  base32Decode,
  normaliseRecoveryCode,
  type MfaService,
} from '../../src/index.js';
import {
  DATABASE,
  createHarness,
  defined,
  createMfaTestDatabase,
  testClock,
  type Harness,
} from '../support/fixtures.js';

describe(`factors, recovery codes and support reset (${DATABASE})`, () => {
  let t: TestDatabase;
  let h: Harness;
  const clock = testClock();

  before(async () => {
    t = await createMfaTestDatabase();
    h = createHarness(t, clock, { phoneNumbers: { allowFictionalNumbers: true } });
  });
  after(async () => {
    await t?.destroy();
  });
  afterEach(() => clock.advance(24 * 60 * 60_000));

  async function addTotp(accountId: string, service: MfaService = h.service) {
    const enrolment = await service.startTotpEnrolment(accountId);
    const secret = defined(base32Decode(enrolment.secretForTyping));
    const result = await service.confirmEnrolment(accountId, {
      factorId: enrolment.factorId,
      code: await new TotpFactor().codeAt(secret, clock.now()),
    });
    if (!result.ok) throw new Error(`enrolment refused: ${result.reason}`);
    clock.advance(30_000);
    return { ...result, secret };
  }

  /** A six-digit code that is none of the app's codes within ±1 step of now. */
  async function wrongCode(secret: Uint8Array): Promise<string> {
    const totp = new TotpFactor();
    const valid = new Set<string>();
    for (const delta of [-1, 0, 1]) {
      valid.add(await totp.codeAt(secret, new Date(clock.now().getTime() + delta * 30_000)));
    }
    let guess = 0;
    while (valid.has(String(guess).padStart(6, '0'))) guess += 1;
    return String(guess).padStart(6, '0');
  }

  async function addSms(accountId: string, phoneNumber: string) {
    const enrolment = await h.service.startPhoneEnrolment(accountId, {
      phoneNumber,
      delivery: 'sms',
    });
    const result = await h.service.confirmEnrolment(accountId, {
      factorId: enrolment.factorId,
      challengeId: enrolment.challenge.challengeId,
      code: h.phone.lastTextCode(),
    });
    if (!result.ok) throw new Error(`enrolment refused: ${result.reason}`);
    clock.advance(60_000);
    return result;
  }

  describe('the factor store', () => {
    it('makes the first factor the default, completes configure_mfa, and emails the user', async () => {
      const account = await h.createAccount();
      const accounts = new KnexAccountRepository(t.db, clock, cryptoRandom);
      await accounts.addRequiredAction(account.id, 'configure_mfa');
      const first = await addTotp(account.id);
      expect(first.requiredActionCompleted).to.equal(true);
      expect(first.factor.isDefault).to.equal(true);
      expect(await accounts.listRequiredActions(account.id)).to.deep.equal([]);
      const second = await addSms(account.id, '07700 900201');
      expect(second.requiredActionCompleted).to.equal(false);
      expect(second.factor.isDefault).to.equal(false);
      const mails = await h.emailsTo(defined(account.email));
      expect(mails.filter((m) => m.template === 'security_change')).to.have.length(2);
      const types = (await h.audit(account.id)).map((e) => e.type);
      expect(types.filter((type) => type === 'mfa.factor_added')).to.have.length(2);
    });

    it('lists active factors with the default first, and moves the default when asked', async () => {
      const account = await h.createAccount();
      const app = await addTotp(account.id);
      const sms = await addSms(account.id, '07700 900202');
      await h.service.startTotpEnrolment(account.id); // pending: not listed
      let listed = await h.service.listFactors(account.id);
      expect(listed.map((f) => [f.kind, f.isDefault])).to.deep.equal([
        ['totp', true],
        ['sms', false],
      ]);
      expect(listed[1]?.maskedDestination).to.equal('•••• ••• 202');
      await h.service.setDefaultFactor(account.id, sms.factor.id);
      listed = await h.service.listFactors(account.id);
      expect(listed.map((f) => [f.id, f.isDefault])).to.deep.equal([
        [sms.factor.id, true],
        [app.factor.id, false],
      ]);
      const other = await h.createAccount();
      await h.service.setDefaultFactor(other.id, sms.factor.id).then(
        () => expect.fail('should refuse'),
        (err: unknown) => expect(err).to.have.property('code', 'MFA_FACTOR_NOT_FOUND'),
      );
    });

    it('refuses to remove the last factor of an active account, with a reason in English and Welsh', async () => {
      const account = await h.createAccount();
      const app = await addTotp(account.id);
      const error = await h.service.removeFactor(account.id, app.factor.id).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).to.have.property('code', 'MFA_LAST_FACTOR');
      expect((error as { userMessage: { en: string; cy: string } }).userMessage.en).to.match(
        /only sign-in method/,
      );
      expect((error as { userMessage: { en: string; cy: string } }).userMessage.cy).to.match(
        /unig ddull/,
      );
      expect(await h.service.listFactors(account.id)).to.have.length(1);
    });

    it('removes a factor when another remains, promotes a new default and emails the user', async () => {
      const account = await h.createAccount();
      const app = await addTotp(account.id);
      const sms = await addSms(account.id, '07700 900203');
      await h.service.removeFactor(account.id, app.factor.id);
      const listed = await h.service.listFactors(account.id);
      expect(listed.map((f) => [f.id, f.isDefault])).to.deep.equal([[sms.factor.id, true]]);
      const mails = await h.emailsTo(defined(account.email));
      expect(mails.at(-1)?.text).to.match(/has been removed/);
    });

    it('keeps one factor when two removals race, on any number of connections', async () => {
      const account = await h.createAccount();
      const app = await addTotp(account.id);
      const sms = await addSms(account.id, '07700 900204');
      const pools = t.dialect === 'mysql' ? [t.db, t.connectAgain()] : [t.db, t.db];
      const [a, b] = pools.map((db) => h.serviceOn(db));
      const outcomes = await Promise.allSettled([
        defined(a).removeFactor(account.id, app.factor.id),
        defined(b).removeFactor(account.id, sms.factor.id),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
      const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).to.have.property('code', 'MFA_LAST_FACTOR');
      expect(await h.service.listFactors(account.id)).to.have.length(1);
    });

    it('removes a pending factor at any time', async () => {
      const account = await h.createAccount();
      const enrolment = await h.service.startTotpEnrolment(account.id);
      await h.service.removeFactor(account.id, enrolment.factorId);
      expect(await t.db('mfa_factors').where({ account_id: account.id })).to.have.length(0);
    });

    it('tells the caller when a TOTP code is sent for a factor of another kind', async () => {
      const account = await h.createAccount();
      const sms = await addSms(account.id, '07700 900205');
      await h.service.verify(account.id, { factorId: sms.factor.id, code: '123456' }).then(
        () => expect.fail('should refuse'),
        (err: unknown) => expect(err).to.have.property('code', 'MFA_WRONG_FACTOR_KIND'),
      );
    });

    it("does not let one account use another account's factor or challenge", async () => {
      const owner = await h.createAccount();
      const intruder = await h.createAccount();
      const app = await addTotp(owner.id);
      await h.service.verify(intruder.id, { factorId: app.factor.id, code: '123456' }).then(
        () => expect.fail('should refuse'),
        (err: unknown) => expect(err).to.have.property('code', 'MFA_FACTOR_NOT_FOUND'),
      );
      const sms = await addSms(owner.id, '07700 900206');
      const { challenge } = await h.service.startChallenge(owner.id, sms.factor.id);
      await h.service
        .verify(intruder.id, {
          challengeId: defined(challenge).challengeId,
          code: h.phone.lastTextCode(),
        })
        .then(
          () => expect.fail('should refuse'),
          (err: unknown) => expect(err).to.have.property('code', 'MFA_CHALLENGE_NOT_FOUND'),
        );
    });
  });

  describe('recovery codes', () => {
    it('needs an active factor first', async () => {
      const account = await h.createAccount();
      await h.service.regenerateRecoveryCodes(account.id).then(
        () => expect.fail('should refuse'),
        (err: unknown) => expect(err).to.have.property('code', 'MFA_NO_ACTIVE_FACTOR'),
      );
    });

    it('gives ten distinct codes once, stored only as hashes', async () => {
      const account = await h.createAccount();
      await addTotp(account.id);
      const { codes } = await h.service.regenerateRecoveryCodes(account.id);
      expect(codes).to.have.length(10);
      expect(new Set(codes).size).to.equal(10);
      for (const code of codes) {
        expect(code).to.match(
          new RegExp(`^[${RECOVERY_CODE_ALPHABET}]{5}-[${RECOVERY_CODE_ALPHABET}]{5}$`),
        );
      }
      const rows = await t.db('mfa_recovery_codes').where({ account_id: account.id });
      expect(rows).to.have.length(10);
      const stored = JSON.stringify(rows);
      for (const code of codes) {
        expect(stored).not.to.include(code);
        expect(stored).not.to.include(defined(normaliseRecoveryCode(code)));
      }
      expect(await h.service.recoveryCodesRemaining(account.id)).to.equal(10);
    });

    it('accepts each code once, however typed, audits the use and emails the user', async () => {
      const account = await h.createAccount({ locale: 'cy' });
      await addTotp(account.id);
      const { codes } = await h.service.regenerateRecoveryCodes(account.id);
      const typed = ` ${defined(codes[3]).toUpperCase().replace('-', ' ')} `;
      const result = await h.service.verifyRecoveryCode(account.id, typed);
      expect(result).to.deep.include({
        ok: true,
        method: 'recovery_code',
        factorId: null,
        weak: false,
        recoveryCodesRemaining: 9,
      });
      if (result.ok) expect(result.amr).to.deep.equal(['kba']);
      expect(await h.service.verifyRecoveryCode(account.id, defined(codes[3]))).to.deep.include({
        ok: false,
        reason: 'invalid_code',
      });
      const audit = await h.audit(account.id);
      const used = audit.filter((e) => e.type === 'mfa.recovery_code_used');
      expect(used).to.have.length(1);
      expect(JSON.stringify(used)).not.to.include(
        defined(normaliseRecoveryCode(defined(codes[3]))),
      );
      const mail = defined((await h.emailsTo(defined(account.email))).at(-1));
      expect(mail.template).to.equal('security_change');
      expect(mail.text).to.match(/cod adfer/);
    });

    it('accepts one code exactly once when it is submitted many times at once', async () => {
      const account = await h.createAccount();
      await addTotp(account.id);
      const { codes } = await h.service.regenerateRecoveryCodes(account.id);
      const pools = t.dialect === 'mysql' ? [t.db, t.connectAgain()] : [t.db];
      const generous = {
        throttle: {
          perFactor: { limit: 100, windowMs: 60_000 },
          perAccount: { limit: 100, windowMs: 60_000 },
        },
      };
      const services = pools.map((db) => h.serviceOn(db, { policy: generous }));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          defined(services[i % services.length]).verifyRecoveryCode(account.id, defined(codes[0])),
        ),
      );
      expect(results.filter((r) => r.ok)).to.have.length(1);
      expect(await h.service.recoveryCodesRemaining(account.id)).to.equal(9);
    });

    it('stops the old codes working when new ones are made, and tells the user', async () => {
      const account = await h.createAccount();
      await addTotp(account.id);
      const old = await h.service.regenerateRecoveryCodes(account.id);
      const fresh = await h.service.regenerateRecoveryCodes(account.id);
      expect(await h.service.verifyRecoveryCode(account.id, defined(old.codes[0]))).to.deep.include(
        {
          ok: false,
          reason: 'invalid_code',
        },
      );
      expect((await h.service.verifyRecoveryCode(account.id, defined(fresh.codes[0]))).ok).to.equal(
        true,
      );
      const changes = (await h.emailsTo(defined(account.email))).filter(
        (m) => m.template === 'security_change',
      );
      expect(changes.map((m) => m.text).join('\n')).to.match(
        /New recovery codes have been created/,
      );
    });
  });

  describe('support reset', () => {
    it('removes every factor and code, requires configure_mfa, audits the actor and emails the user', async () => {
      const staff = await h.createAccount({ kind: 'staff' });
      const account = await h.createAccount();
      await addTotp(account.id);
      await addSms(account.id, '07700 900207');
      await h.service.regenerateRecoveryCodes(account.id);
      const outcome = await h.service.resetFactors(
        account.id,
        { actorId: staff.id, reason: 'Changed phone (ticket 4711)' },
        { ip: '192.0.2.7', userAgent: 'support console' },
      );
      expect(outcome).to.deep.equal({
        factorsRemoved: 2,
        recoveryCodesRemoved: 10,
        emailed: true,
        alreadyReset: false,
      });
      expect(await h.service.listFactors(account.id)).to.deep.equal([]);
      expect(await h.service.recoveryCodesRemaining(account.id)).to.equal(0);
      const accounts = new KnexAccountRepository(t.db, clock, cryptoRandom);
      expect(await accounts.listRequiredActions(account.id)).to.deep.equal(['configure_mfa']);
      const reset = defined((await h.audit(account.id)).find((e) => e.type === 'mfa.reset'));
      expect(reset).to.deep.include({ actorId: staff.id, outcome: 'success', ip: '192.0.2.7' });
      expect(reset.details).to.deep.include({
        factorsRemoved: 2,
        reason: 'Changed phone (ticket 4711)',
      });
      const mail = defined((await h.emailsTo(defined(account.email))).at(-1));
      expect(mail.template).to.equal('mfa_reset');
      expect(mail.text).to.include('https://id.example.org/sign-in');
      // The user can set up a factor again, which completes the required action.
      const again = await addTotp(account.id);
      expect(again.requiredActionCompleted).to.equal(true);
    });

    it('changes, audits and emails nothing the second time, when the first left nothing to reset', async () => {
      const staff = await h.createAccount({ kind: 'staff' });
      const account = await h.createAccount();
      await addTotp(account.id);
      const outcomes = await Promise.all([
        h.service.resetFactors(account.id, { actorId: staff.id }),
        h.service.resetFactors(account.id, { actorId: staff.id }),
      ]);
      expect(outcomes.map((o) => o.alreadyReset).sort()).to.deep.equal([false, true]);
      const audited = (await h.audit(account.id)).filter((e) => e.type === 'mfa.reset');
      expect(audited).to.have.length(1);
      const mails = (await h.emailsTo(defined(account.email))).filter(
        (m) => m.template === 'mfa_reset',
      );
      expect(mails).to.have.length(1);
      // Once the person has a factor again, a reset is a reset again.
      await addTotp(account.id);
      const later = await h.service.resetFactors(account.id, { actorId: staff.id });
      expect(later).to.deep.include({ factorsRemoved: 1, alreadyReset: false });
    });

    it('may be done only by an active staff account', async () => {
      const account = await h.createAccount();
      await addTotp(account.id);
      const colleague = await h.createAccount();
      for (const actorId of [colleague.id, 'no-such-account']) {
        await h.service.resetFactors(account.id, { actorId }).then(
          () => expect.fail('should refuse'),
          (err: unknown) => expect(err).to.have.property('code', 'MFA_ACTOR_NOT_ALLOWED'),
        );
      }
      expect(await h.service.listFactors(account.id)).to.have.length(1);
    });
  });

  describe('throttling', () => {
    it('limits tries per factor in a short window, and audits each refusal', async () => {
      const account = await h.createAccount();
      const app = await addTotp(account.id);
      clock.advance(15 * 60_000); // past the windows that counted the enrolment's try
      const wrong = await wrongCode(app.secret);
      const results = [];
      for (let i = 0; i < 11; i++) {
        results.push(await h.service.verify(account.id, { factorId: app.factor.id, code: wrong }));
      }
      expect(results.slice(0, 10).every((r) => !r.ok && r.reason === 'invalid_code')).to.equal(
        true,
      );
      const last = defined(results[10]);
      expect(last).to.deep.include({ ok: false, reason: 'throttled' });
      if (!last.ok) expect(last.retryAfterMs).to.be.greaterThan(0);
      const audit = await h.audit(account.id);
      expect(audit.filter((e) => e.type === 'mfa.verification_failed')).to.have.length(10);
      expect(audit.filter((e) => e.type === 'mfa.verification_throttled')).to.have.length(1);
      // The right code is refused too until the window ends.
      const code = await new TotpFactor().codeAt(app.secret, clock.now());
      expect(await h.service.verify(account.id, { factorId: app.factor.id, code })).to.deep.include(
        {
          reason: 'throttled',
        },
      );
      clock.advance(5 * 60_000);
      const fresh = await new TotpFactor().codeAt(app.secret, clock.now());
      expect(
        (await h.service.verify(account.id, { factorId: app.factor.id, code: fresh })).ok,
      ).to.equal(true);
    });

    it('limits tries per account over all its factors', async () => {
      const account = await h.createAccount();
      const factors = [
        await addTotp(account.id),
        await addTotp(account.id),
        await addTotp(account.id),
      ];
      clock.advance(15 * 60_000); // past the windows that counted the enrolments' tries
      const results = [];
      for (let i = 0; i < 21; i++) {
        const factor = defined(factors[i % 3]);
        const code = await wrongCode(factor.secret);
        results.push(await h.service.verify(account.id, { factorId: factor.factor.id, code }));
      }
      expect(results.slice(0, 20).every((r) => !r.ok && r.reason === 'invalid_code')).to.equal(
        true,
      );
      expect(results[20]).to.deep.include({ ok: false, reason: 'throttled' });
    });

    it('locks verification after 100 consecutive failures until support resets it, and audits the lock', async () => {
      const staff = await h.createAccount({ kind: 'staff' });
      const account = await h.createAccount();
      const app = await addTotp(account.id);
      // Short-term limits out of the way, to reach the NIST SP 800-63B ceiling directly.
      const patient = h.serviceOn(t.db, {
        policy: {
          throttle: {
            perFactor: { limit: 1000, windowMs: 60_000 },
            perAccount: { limit: 1000, windowMs: 60_000 },
          },
        },
      });
      const wrong = await wrongCode(app.secret);
      for (let i = 0; i < 99; i++) {
        const r = await patient.verify(account.id, { factorId: app.factor.id, code: wrong });
        expect(r).to.deep.include({ reason: 'invalid_code' });
      }
      let audit = await h.audit(account.id);
      expect(audit.filter((e) => e.type === 'mfa.locked')).to.have.length(0);
      await patient.verify(account.id, { factorId: app.factor.id, code: wrong });
      audit = await h.audit(account.id);
      expect(audit.filter((e) => e.type === 'mfa.locked')).to.have.length(1);
      expect(audit.filter((e) => e.type === 'mfa.verification_failed')).to.have.length(100);
      const code = await new TotpFactor().codeAt(app.secret, clock.now());
      const locked = await patient.verify(account.id, { factorId: app.factor.id, code });
      expect(locked).to.deep.include({ ok: false, reason: 'locked', retryAfterMs: null });
      clock.advance(7 * 24 * 60 * 60_000);
      expect(await patient.verify(account.id, { factorId: app.factor.id, code })).to.deep.include({
        reason: 'locked',
      });
      const { codes } = await h.service.regenerateRecoveryCodes(account.id);
      expect(await patient.verifyRecoveryCode(account.id, defined(codes[0]))).to.deep.include({
        reason: 'locked',
      });
      await h.service.resetFactors(account.id, { actorId: staff.id });
      const again = await addTotp(account.id);
      const next = await new TotpFactor().codeAt(again.secret, clock.now());
      expect(
        (await h.service.verify(account.id, { factorId: again.factor.id, code: next })).ok,
      ).to.equal(true);
    });

    it('clears the consecutive failures after a success', async () => {
      const account = await h.createAccount();
      const app = await addTotp(account.id);
      const wrong = await wrongCode(app.secret);
      expect(
        await h.service.verify(account.id, { factorId: app.factor.id, code: wrong }),
      ).to.deep.include({
        reason: 'invalid_code',
      });
      expect(await t.db('lockouts').where('key', `mfa:failures:${account.id}`)).to.have.length(1);
      const code = await new TotpFactor().codeAt(app.secret, clock.now());
      expect((await h.service.verify(account.id, { factorId: app.factor.id, code })).ok).to.equal(
        true,
      );
      expect(await t.db('lockouts').where('key', `mfa:failures:${account.id}`)).to.have.length(0);
    });

    it('sends no codes while verification is locked', async () => {
      const account = await h.createAccount();
      const sms = await addSms(account.id, '07700 900208');
      const strict = h.serviceOn(t.db, { policy: { throttle: { lockThreshold: 2 } } });
      const { challenge } = await strict.startChallenge(account.id, sms.factor.id);
      const wrong = String((Number(h.phone.lastTextCode()) + 1) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 2; i++) {
        await strict.verify(account.id, {
          challengeId: defined(challenge).challengeId,
          code: wrong,
        });
      }
      clock.advance(60_000);
      const sent = h.phone.texts.length;
      await strict.startChallenge(account.id, sms.factor.id).then(
        () => expect.fail('should refuse'),
        (err: unknown) => expect(err).to.have.property('code', 'MFA_LOCKED'),
      );
      expect(h.phone.texts).to.have.length(sent);
    });
  });
});

import { expect } from 'chai';
import type { TestDatabase } from '@porth/identity-core/testing';
import { MfaLockedError, type MfaService } from '../src/index.js';
import {
  DATABASE,
  codeIn,
  createHarness,
  createMfaTestDatabase,
  defined,
  testClock,
  type Harness,
} from './support/fixtures.js';

/** The lock threshold of these tests: small, so that reaching it takes a few codes only. */
const THRESHOLD = 12;
/** Wrong tries per code: fewer than the 5 a code allows, so no code is used up by them. */
const TRIES_PER_CODE = 4;

/** A six-digit code that is not `right`. */
const wrongFor = (right: string): string => (right === '000000' ? '000001' : '000000');

describe(`sent codes: a new code does not reset the consecutive failures (NIST SP 800-63B 3.1.3.2; ${DATABASE})`, () => {
  let t: TestDatabase;
  let h: Harness;
  let service: MfaService;
  const clock = testClock();

  before(async () => {
    t = await createMfaTestDatabase();
    h = createHarness(t, clock, { phoneNumbers: { allowFictionalNumbers: true } });
    // Short-term limits out of the way, so only the consecutive-failure count can stop a try.
    service = h.serviceOn(t.db, {
      policy: {
        throttle: {
          perFactor: { limit: 1000, windowMs: 60_000 },
          perAccount: { limit: 1000, windowMs: 60_000 },
          sendsPerAccount: { limit: 1000, windowMs: 60_000 },
          sendsPerDestinationPerDay: 1000,
          lockThreshold: THRESHOLD,
        },
      },
    });
  });
  after(async () => {
    await t?.destroy();
  });
  afterEach(() => clock.advance(24 * 60 * 60_000));

  /** The consecutive-failure counts the audit log recorded for the account, in order. */
  async function countsOf(accountId: string): Promise<number[]> {
    return (await h.audit(accountId))
      .filter((e) => e.type === 'mfa.verification_failed')
      .map((e) => Number(e.details?.consecutiveFailures));
  }

  /**
   * Sends `codes` new codes one after the other (a minute apart, as "Send me a new code" allows),
   * each tried TRIES_PER_CODE times with a wrong code; returns the last code that was sent.
   */
  async function failAcrossNewCodes(
    accountId: string,
    factorId: string,
    codes: number,
    lastCode: () => Promise<string>,
  ): Promise<{ challengeId: string; code: string }> {
    let latest = { challengeId: '', code: '' };
    for (let sent = 0; sent < codes; sent++) {
      const { challenge } = await service.startChallenge(accountId, factorId);
      latest = { challengeId: defined(challenge).challengeId, code: await lastCode() };
      for (let i = 0; i < TRIES_PER_CODE; i++) {
        const refused = await service.verify(accountId, {
          challengeId: latest.challengeId,
          code: wrongFor(latest.code),
        });
        expect(refused.ok).to.equal(false);
      }
      clock.advance(61_000);
    }
    return latest;
  }

  it('keeps counting across new text-message codes, and locks at the threshold even with the newest code right', async () => {
    const account = await h.createAccount();
    const enrolment = await service.startPhoneEnrolment(account.id, {
      phoneNumber: '07700 900311',
      delivery: 'sms',
    });
    const confirmed = await service.confirmEnrolment(account.id, {
      factorId: enrolment.factorId,
      challengeId: enrolment.challenge.challengeId,
      code: h.phone.lastTextCode(),
    });
    expect(confirmed.ok).to.equal(true);
    clock.advance(61_000);

    const codes = THRESHOLD / TRIES_PER_CODE;
    const last = await failAcrossNewCodes(account.id, enrolment.factorId, codes, async () =>
      h.phone.lastTextCode(),
    );
    expect(await countsOf(account.id)).to.deep.equal(
      Array.from({ length: THRESHOLD }, (_, i) => i + 1),
    );
    expect((await h.audit(account.id)).filter((e) => e.type === 'mfa.locked')).to.have.length(1);

    const locked = await service.verify(account.id, {
      challengeId: last.challengeId,
      code: last.code,
    });
    expect(locked).to.deep.include({ ok: false, reason: 'locked' });
    const texts = h.phone.texts.length;
    await service.startChallenge(account.id, enrolment.factorId).then(
      () => expect.fail('a new code should be refused while locked'),
      (err: unknown) => expect(err).to.be.instanceOf(MfaLockedError),
    );
    expect(h.phone.texts.length, 'no text sent while locked').to.equal(texts);
  });

  it('keeps counting across new emailed codes and a switch to text messages', async () => {
    const account = await h.createAccount();
    const email = defined(account.email);
    const emailEnrolment = await service.startEmailEnrolment(account.id, {
      risksAcknowledged: true,
    });
    const lastEmailedCode = async () =>
      codeIn(
        defined(
          (await h.emailsTo(email)).filter((m) => m.template === 'email_code').at(-1),
          'an emailed code',
        ).text,
      );
    expect(
      (
        await service.confirmEnrolment(account.id, {
          factorId: emailEnrolment.factorId,
          challengeId: emailEnrolment.challenge.challengeId,
          code: await lastEmailedCode(),
        })
      ).ok,
    ).to.equal(true);
    const smsEnrolment = await service.startPhoneEnrolment(account.id, {
      phoneNumber: '07700 900312',
      delivery: 'sms',
    });
    expect(
      (
        await service.confirmEnrolment(account.id, {
          factorId: smsEnrolment.factorId,
          challengeId: smsEnrolment.challenge.challengeId,
          code: h.phone.lastTextCode(),
        })
      ).ok,
    ).to.equal(true);
    clock.advance(61_000);

    await failAcrossNewCodes(account.id, emailEnrolment.factorId, 2, lastEmailedCode);
    expect(await countsOf(account.id)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    const last = await failAcrossNewCodes(account.id, smsEnrolment.factorId, 1, async () =>
      h.phone.lastTextCode(),
    );
    expect(await countsOf(account.id)).to.deep.equal(
      Array.from({ length: THRESHOLD }, (_, i) => i + 1),
    );
    expect(
      await service.verify(account.id, { challengeId: last.challengeId, code: last.code }),
    ).to.deep.include({ ok: false, reason: 'locked' });
  });
});

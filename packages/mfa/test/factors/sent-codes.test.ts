import { expect } from 'chai';
import { KnexOutboxRepository, PayloadCipher } from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import {
  DeliveryFailedError,
  DevelopmentTextProvider,
  KnexChallengeRepository,
  type CodeEnrolment,
  type MfaService,
} from '../../src/index.js';
import {
  DATABASE,
  SECRET_KEY,
  codeIn,
  createHarness,
  defined,
  createMfaTestDatabase,
  testClock,
  type Harness,
} from '../support/fixtures.js';

const MOBILE = '07700 900123';
const LANDLINE = '(01970) 123456';

/** Another code than `code`. */
function wrong(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

describe(`text message, phone call and email codes (${DATABASE})`, () => {
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
  afterEach(() => {
    // Each test starts a day later, clear of every window and cool-down of the previous ones.
    clock.advance(24 * 60 * 60_000);
  });

  async function smsEnrolment(service: MfaService = h.service, phone = MOBILE) {
    const account = await h.createAccount();
    const enrolment = await service.startPhoneEnrolment(account.id, {
      phoneNumber: phone,
      delivery: 'sms',
    });
    return { account, enrolment };
  }

  async function activeSmsFactor(phone = MOBILE) {
    const { account, enrolment } = await smsEnrolment(h.service, phone);
    const confirmed = await h.service.confirmEnrolment(account.id, {
      factorId: enrolment.factorId,
      challengeId: enrolment.challenge.challengeId,
      code: h.phone.lastTextCode(),
    });
    expect(confirmed.ok).to.equal(true);
    clock.advance(60_000);
    return { account, factorId: enrolment.factorId };
  }

  it('texts a 6-digit code to a UK mobile typed as 07…, and confirms the factor with it', async () => {
    const { account, enrolment } = await smsEnrolment();
    const text = defined(h.phone.texts.at(-1));
    expect(text.to).to.equal('+447700900123');
    expect(text.body).to.match(/^\d{6} is your Porth verification code\. It works for 5 minutes\./);
    expect(enrolment).to.deep.include({ kind: 'sms', displayDestination: '07700 900123' });
    expect(enrolment.challenge).to.deep.include({
      channel: 'sms',
      maskedDestination: '•••• ••• 123',
    });
    expect(enrolment.challenge.expiresAt.getTime()).to.equal(clock.now().getTime() + 5 * 60_000);
    const result = await h.service.confirmEnrolment(account.id, {
      factorId: enrolment.factorId,
      challengeId: enrolment.challenge.challengeId,
      code: h.phone.lastTextCode(),
    });
    expect(result).to.deep.include({ ok: true, method: 'sms', weak: false });
    if (!result.ok) return;
    expect(result.amr).to.deep.equal(['sms']);
    expect(result.factor).to.deep.include({ kind: 'sms', isDefault: true });
    expect(result.factor.deliveries).to.deep.equal(['sms', 'voice']);
  });

  it('stores only an HMAC of the code, bound to its challenge', async () => {
    const { enrolment } = await smsEnrolment();
    const code = h.phone.lastTextCode();
    const row = await t.db('mfa_challenges').where({ id: enrolment.challenge.challengeId }).first();
    expect(row.code_hash).to.match(/^[0-9a-f]{64}$/);
    const { createHash } = await import('node:crypto');
    expect(row.code_hash).not.to.equal(createHash('sha256').update(code).digest('hex'));
    expect(JSON.stringify(row)).not.to.include(code);
  });

  it('signs in with a texted code and refuses the same code a second time', async () => {
    const { account, factorId } = await activeSmsFactor();
    const started = await h.service.startChallenge(account.id, factorId);
    expect(started.kind).to.equal('sms');
    const challengeId = defined(started.challenge).challengeId;
    const code = h.phone.lastTextCode();
    const first = await h.service.verify(account.id, { challengeId, code });
    expect(first).to.deep.include({ ok: true, method: 'sms', factorId });
    expect(await h.service.verify(account.id, { challengeId, code })).to.deep.include({
      ok: false,
      reason: 'code_already_used',
    });
  });

  it('refuses an expired text-message code, even the right one', async () => {
    const { account, factorId } = await activeSmsFactor();
    const { challenge } = await h.service.startChallenge(account.id, factorId);
    clock.advance(5 * 60_000);
    expect(
      await h.service.verify(account.id, {
        challengeId: defined(challenge).challengeId,
        code: h.phone.lastTextCode(),
      }),
    ).to.deep.include({ ok: false, reason: 'code_expired' });
  });

  it('refuses a sixth try at a code, even with the right code', async () => {
    const { account, factorId } = await activeSmsFactor();
    const { challenge } = await h.service.startChallenge(account.id, factorId);
    const code = h.phone.lastTextCode();
    const tries = [];
    for (let i = 0; i < 5; i++) {
      tries.push(
        await h.service.verify(account.id, {
          challengeId: defined(challenge).challengeId,
          code: wrong(code),
        }),
      );
    }
    expect(tries.map((r) => (r.ok ? null : r.attemptsRemaining))).to.deep.equal([4, 3, 2, 1, 0]);
    expect(
      await h.service.verify(account.id, { challengeId: defined(challenge).challengeId, code }),
    ).to.deep.include({
      ok: false,
      reason: 'too_many_attempts',
    });
  });

  it('counts concurrent guesses so that no more than five are ever compared', async () => {
    const { account, factorId } = await activeSmsFactor();
    const generous = {
      throttle: {
        perFactor: { limit: 100, windowMs: 60_000 },
        perAccount: { limit: 100, windowMs: 60_000 },
      },
    };
    const pools = t.dialect === 'mysql' ? [t.db, t.connectAgain(), t.connectAgain()] : [t.db];
    const services = pools.map((db) => h.serviceOn(db, { policy: generous }));
    const { challenge } = await h.service.startChallenge(account.id, factorId);
    const code = h.phone.lastTextCode();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        defined(services[i % services.length]).verify(account.id, {
          challengeId: defined(challenge).challengeId,
          code: wrong(code),
        }),
      ),
    );
    expect(results.filter((r) => !r.ok && r.reason === 'invalid_code')).to.have.length(5);
    expect(results.filter((r) => !r.ok && r.reason === 'too_many_attempts')).to.have.length(15);
    const row = await new KnexChallengeRepository(t.db).find(
      account.id,
      defined(challenge).challengeId,
    );
    expect(row?.attempts).to.equal(5);
  });

  it('replaces the previous code when a new one is sent, after the resend cool-down', async () => {
    const { account, factorId } = await activeSmsFactor();
    const first = await h.service.startChallenge(account.id, factorId);
    const firstCode = h.phone.lastTextCode();
    await h.service.startChallenge(account.id, factorId).then(
      () => expect.fail('should refuse'),
      (err: unknown) => {
        expect(err).to.have.property('code', 'MFA_RESEND_TOO_SOON');
        expect(err).to.have.property('retryAfterMs', 60_000);
      },
    );
    clock.advance(60_000);
    const second = await h.service.startChallenge(account.id, factorId);
    expect(
      await h.service.verify(account.id, {
        challengeId: defined(first.challenge).challengeId,
        code: firstCode,
      }),
    ).to.deep.include({ ok: false, reason: 'code_replaced' });
    expect(
      await h.service.verify(account.id, {
        challengeId: defined(second.challenge).challengeId,
        code: h.phone.lastTextCode(),
      }),
    ).to.deep.include({ ok: true });
  });

  it('sends the next sign-in its code at once when the last one was used, and only then', async () => {
    const { account, enrolment } = await smsEnrolment();
    const confirmed = await h.service.confirmEnrolment(account.id, {
      factorId: enrolment.factorId,
      challengeId: enrolment.challenge.challengeId,
      code: h.phone.lastTextCode(),
    });
    expect(confirmed.ok).to.equal(true);
    // Seconds after setting it up, the first sign-in gets its code …
    clock.advance(5_000);
    const started = await h.service.startChallenge(account.id, enrolment.factorId);
    const challengeId = defined(started.challenge).challengeId;
    // … a second code while that one is unused waits for the cool-down …
    await h.service.startChallenge(account.id, enrolment.factorId).then(
      () => expect.fail('should refuse'),
      (err: unknown) => expect(err).to.have.property('code', 'MFA_RESEND_TOO_SOON'),
    );
    const verified = await h.service.verify(account.id, {
      challengeId,
      code: h.phone.lastTextCode(),
    });
    expect(verified.ok).to.equal(true);
    // … and once it is used, the next sign-in needs no waiting.
    clock.advance(5_000);
    const next = await h.service.startChallenge(account.id, enrolment.factorId);
    expect(next.challenge?.challengeId).to.be.a('string').and.not.equal(challengeId);
  });

  it('caps the codes sent to one number per day, whichever account asks', async () => {
    const service = h.serviceOn(t.db, {
      phoneNumbers: { allowFictionalNumbers: true },
      policy: { throttle: { sendsPerDestinationPerDay: 3, resendCooldownMs: 1000 } },
    });
    const number = '07700 900777';
    for (let i = 0; i < 3; i++) {
      await smsEnrolment(service, number);
      clock.advance(1000);
    }
    await smsEnrolment(service, number).then(
      () => expect.fail('should refuse'),
      (err: unknown) => {
        expect(err).to.have.property('code', 'MFA_SEND_LIMIT_REACHED');
        expect(err).to.have.property('limit', 'destination_daily');
      },
    );
    clock.advance(24 * 60 * 60_000);
    await smsEnrolment(service, number);
  });

  it('refuses texts to a landline but calls it, speaking the code digit by digit', async () => {
    const account = await h.createAccount();
    await h.service
      .startPhoneEnrolment(account.id, { phoneNumber: LANDLINE, delivery: 'sms' })
      .then(
        () => expect.fail('should refuse'),
        (err: unknown) => expect(err).to.have.property('reason', 'landline_no_sms'),
      );
    const enrolment = await h.service.startPhoneEnrolment(account.id, {
      phoneNumber: LANDLINE,
      delivery: 'voice',
    });
    const call = defined(h.phone.calls.at(-1));
    expect(call.to).to.equal('+441970123456');
    const code = h.phone.lastCallCode();
    expect(call.sentences.join(' ')).to.include(
      `Your verification code is: ${code.split('').join(', ')}.`,
    );
    const result = await h.service.confirmEnrolment(account.id, {
      factorId: enrolment.factorId,
      challengeId: enrolment.challenge.challengeId,
      code,
    });
    expect(result).to.deep.include({ ok: true, method: 'voice' });
    if (result.ok) {
      expect(result.amr).to.deep.equal(['tel']);
      expect(result.factor.deliveries).to.deep.equal(['voice']);
      await h.service.startChallenge(account.id, result.factor.id, { delivery: 'sms' }).then(
        () => expect.fail('should refuse'),
        (err: unknown) => expect(err).to.have.property('code', 'MFA_PHONE_UNSUITABLE'),
      );
    }
  });

  it('calls a mobile instead of texting when asked, in Welsh for a Welsh speaker', async () => {
    const account = await h.createAccount({ locale: 'cy' });
    const enrolment = await h.service.startPhoneEnrolment(account.id, {
      phoneNumber: MOBILE,
      delivery: 'sms',
    });
    expect(h.phone.texts.at(-1)?.body).to.match(/yw eich cod dilysu Porth/);
    clock.advance(60_000);
    const resent = await h.service.resendEnrolmentCode(account.id, enrolment.factorId, {
      delivery: 'voice',
    });
    expect(resent.channel).to.equal('voice');
    const call = defined(h.phone.calls.at(-1));
    expect(call.locale).to.equal('cy');
    expect(call.sentences.join(' ')).to.match(/Eich cod dilysu yw: \d, \d, \d, \d, \d, \d\./);
    const result = await h.service.confirmEnrolment(account.id, {
      factorId: enrolment.factorId,
      challengeId: resent.challengeId,
      code: h.phone.lastCallCode(),
    });
    expect(result).to.deep.include({ ok: true, method: 'voice' });
  });

  it('refuses a phone number that is already one of the account’s factors', async () => {
    const { account } = await activeSmsFactor('07700 900555');
    await h.service
      .startPhoneEnrolment(account.id, { phoneNumber: '+44 7700 900555', delivery: 'voice' })
      .then(
        () => expect.fail('should refuse'),
        (err: unknown) => expect(err).to.have.property('code', 'MFA_FACTOR_DUPLICATE'),
      );
  });

  it('marks the code failed, audits it and says so when the provider refuses to deliver', async () => {
    const account = await h.createAccount();
    h.phone.failWith = new DeliveryFailedError(
      'The text message provider refused the request (HTTP 400)',
      {
        channel: 'sms',
        status: 400,
        providerCode: 21211,
        retryable: false,
      },
    );
    try {
      await h.service
        .startPhoneEnrolment(account.id, { phoneNumber: MOBILE, delivery: 'sms' })
        .then(
          () => expect.fail('should refuse'),
          (err: unknown) => expect(err).to.be.instanceOf(DeliveryFailedError),
        );
    } finally {
      h.phone.failWith = null;
    }
    const rows = await t.db('mfa_challenges').where({ account_id: account.id });
    expect(rows.map((r: { status: string }) => r.status)).to.deep.equal(['failed']);
    const audit = await h.audit(account.id);
    expect(audit.map((e) => e.type)).to.include('mfa.code_delivery_failed');
  });

  describe('email codes', () => {
    it('are offered only after the user acknowledges the risks, and the time is stored', async () => {
      const account = await h.createAccount();
      await h.service.startEmailEnrolment(account.id, { risksAcknowledged: false }).then(
        () => expect.fail('should refuse'),
        (err: unknown) => {
          expect(err).to.have.property('code', 'MFA_EMAIL_RISK_NOT_ACKNOWLEDGED');
          expect((err as { userMessage: { cy: string } }).userMessage.cy).to.match(/risgiau/);
        },
      );
      const enrolment = await h.service.startEmailEnrolment(account.id, {
        risksAcknowledged: true,
      });
      const row = await t.db('mfa_factors').where({ id: enrolment.factorId }).first();
      expect(Number(row.risk_acknowledged_at)).to.equal(clock.now().getTime());
    });

    it('go through the mail outbox with the challenge, and verify as a weak factor', async () => {
      const account = await h.createAccount({ locale: 'cy' });
      const enrolment: CodeEnrolment = await h.service.startEmailEnrolment(account.id, {
        risksAcknowledged: true,
      });
      expect(enrolment.challenge.maskedDestination).to.equal(`s•••@example.org`);
      const [mail] = await h.emailsTo(defined(account.email));
      expect(mail?.template).to.equal('email_code');
      expect(mail?.subject).to.equal('Eich cod dilysu');
      const result = await h.service.confirmEnrolment(account.id, {
        factorId: enrolment.factorId,
        challengeId: enrolment.challenge.challengeId,
        code: codeIn(defined(mail).text),
      });
      expect(result).to.deep.include({ ok: true, method: 'email', weak: true });
      if (result.ok) expect(result.amr).to.deep.equal(['mail']);
      clock.advance(60_000);
      const { challenge } = await h.service.startChallenge(account.id, enrolment.factorId);
      const mails = await h.emailsTo(defined(account.email));
      const latest = defined(mails.filter((m) => m.template === 'email_code').at(-1));
      const signIn = await h.service.verify(account.id, {
        challengeId: defined(challenge).challengeId,
        code: codeIn(latest.text),
      });
      expect(signIn).to.deep.include({ ok: true, method: 'email', weak: true });
    });

    it('leave no challenge behind when the code email cannot be queued (one transaction)', async () => {
      const account = await h.createAccount();
      const emailsBefore = (await h.emailsTo(defined(account.email))).length;
      const broken = h.serviceOn(t.db, {
        mailOutbox: {
          enqueue: () => Promise.reject(new Error('outbox unavailable')),
        } as unknown as Harness['mailOutbox'],
      });
      await broken.startEmailEnrolment(account.id, { risksAcknowledged: true }).then(
        () => expect.fail('should fail'),
        (err: unknown) => expect(err).to.have.property('message', 'outbox unavailable'),
      );
      expect(await t.db('mfa_challenges').where({ account_id: account.id })).to.have.length(0);
      expect(await h.emailsTo(defined(account.email))).to.have.length(emailsBefore);
    });
  });

  describe('the development provider', () => {
    it('stores texts and calls in the outbox as delivered, sealed, for the local outbox page', async () => {
      const provider = new DevelopmentTextProvider({
        db: t.db,
        clock,
        random: (await import('@porth/identity-core')).cryptoRandom,
        secretKey: SECRET_KEY,
      });
      const service = h.serviceOn(t.db, { smsSender: provider, voiceCaller: provider });
      const account = await h.createAccount();
      const enrolment = await service.startPhoneEnrolment(account.id, {
        phoneNumber: MOBILE,
        delivery: 'sms',
      });
      clock.advance(60_000);
      await service.resendEnrolmentCode(account.id, enrolment.factorId, { delivery: 'voice' });
      const outbox = new KnexOutboxRepository(t.db);
      const cipher = new PayloadCipher(SECRET_KEY);
      const [text] = await outbox.listRecent({ limit: 10, channel: 'sms' });
      const [call] = await outbox.listRecent({ limit: 10, channel: 'voice' });
      for (const entry of [text, call]) {
        expect(entry).to.deep.include({
          recipient: '+447700900123',
          status: 'sent',
          accountId: account.id,
          locale: 'en',
        });
        expect(defined(entry).payload).to.match(/^v1\./);
      }
      const textContent = cipher.open(defined(text).id, defined(defined(text).payload));
      expect(textContent.subject).to.equal('Text message to +447700900123');
      const code = codeIn(textContent.text);
      const callContent = cipher.open(defined(call).id, defined(defined(call).payload));
      expect(callContent.text).to.match(/Your verification code is: (\d, ){5}\d\./);
      const spoken = defined(defined(callContent.text.match(/code is: ([\d, ]+)\./))[1]).replace(
        /\D/g,
        '',
      );
      expect(spoken).not.to.equal(code, 'the call carries the newer code');
      const challenges = await t
        .db('mfa_challenges')
        .where({ factor_id: enrolment.factorId })
        .orderBy('created_at');
      const result = await service.confirmEnrolment(account.id, {
        factorId: enrolment.factorId,
        challengeId: challenges.at(-1).id,
        code: spoken,
      });
      expect(result.ok).to.equal(true);
    });
  });
});

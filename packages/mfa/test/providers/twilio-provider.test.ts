import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { TestDatabase } from '@porth/identity-core/testing';
import {
  DeliveryFailedError,
  TwilioProvider,
  sayTwiml,
  voiceCodeSentences,
} from '../../src/index.js';
import {
  defined,
  DATABASE,
  createHarness,
  createMfaTestDatabase,
  testClock,
} from '../support/fixtures.js';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-auth-token-0123456789';
const FROM = '+447700900000';
/** A number the fake API refuses, as Twilio refuses an invalid 'To' (error 21211). */
const REFUSED_NUMBER = '+447700900999';

interface ReceivedRequest {
  readonly resource: 'Messages' | 'Calls';
  readonly fields: URLSearchParams;
}

/**
 * A local server that speaks the part of Twilio's REST API Porth uses: it checks the method,
 * the path, HTTP Basic authentication, the form encoding and the required fields, and answers
 * like Twilio (201 with a JSON resource, or an error document).
 */
class FakeTwilio {
  readonly received: ReceivedRequest[] = [];
  private server: Server | null = null;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => defined(this.server).listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: object }> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      return {
        status: 404,
        body: { code: 20404, message: 'The requested resource was not found', status: 404 },
      };
    }
    const expected = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
    if (match[1] !== ACCOUNT_SID || req.headers.authorization !== expected) {
      return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
    }
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return { status: 400, body: { code: 20001, message: 'Bad content type', status: 400 } };
    }
    const fields = new URLSearchParams(raw);
    const resource = match[2] as 'Messages' | 'Calls';
    const required = resource === 'Messages' ? ['To', 'From', 'Body'] : ['To', 'From', 'Twiml'];
    const missing = required.find((f) => !fields.get(f));
    if (missing) {
      return {
        status: 400,
        body: { code: 21604, message: `A '${missing}' is required.`, status: 400 },
      };
    }
    if (fields.get('To') === REFUSED_NUMBER) {
      return {
        status: 400,
        body: {
          code: 21211,
          message: `The 'To' number ${REFUSED_NUMBER} is not a valid phone number.`,
          more_info: 'https://www.twilio.com/docs/errors/21211',
          status: 400,
        },
      };
    }
    this.received.push({ resource, fields });
    const sid = `${resource === 'Messages' ? 'SM' : 'CA'}${String(this.received.length).padStart(32, '0')}`;
    return {
      status: 201,
      body: {
        sid,
        account_sid: ACCOUNT_SID,
        to: fields.get('To'),
        from: fields.get('From'),
        status: 'queued',
      },
    };
  }
}

describe('TwilioProvider', () => {
  const api = new FakeTwilio();
  let baseUrl: string;
  let twilio: TwilioProvider;

  before(async () => {
    baseUrl = await api.start();
    twilio = new TwilioProvider({
      baseUrl,
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      from: FROM,
    });
  });
  after(() => api.stop());

  it('posts a text to Messages.json with To, From and Body, authenticated, and returns the SID', async () => {
    const receipt = await twilio.sendText({
      to: '+447700900123',
      body: '123456 is your Porth verification code.',
      locale: 'en',
      accountId: 'a1',
    });
    expect(receipt.providerId).to.match(/^SM\d{32}$/);
    const request = defined(api.received.at(-1));
    expect(request.resource).to.equal('Messages');
    expect(Object.fromEntries(request.fields)).to.deep.equal({
      To: '+447700900123',
      From: FROM,
      Body: '123456 is your Porth verification code.',
    });
  });

  it('places a call whose TwiML says the code digit by digit, in Welsh with a Welsh voice', async () => {
    const receipt = await twilio.placeCall({
      to: '+441970123456',
      sentences: voiceCodeSentences('042917', 'cy', 'Porth'),
      locale: 'cy',
      accountId: 'a1',
    });
    expect(receipt.providerId).to.match(/^CA\d{32}$/);
    const request = defined(api.received.at(-1));
    expect(request.resource).to.equal('Calls');
    expect(request.fields.get('To')).to.equal('+441970123456');
    expect(request.fields.get('From')).to.equal(FROM);
    const twiml = defined(request.fields.get('Twiml'));
    expect(twiml).to.match(/^<\?xml version="1.0" encoding="UTF-8"\?><Response>.*<\/Response>$/);
    expect(twiml).to.include(
      '<Say language="cy-GB" voice="Polly.Gwyneth">Eich cod dilysu yw: 0, 4, 2, 9, 1, 7.</Say>',
    );
    expect(twiml).to.include('<Pause length="1"/>');
  });

  it('speaks English with a British voice', () => {
    const twiml = sayTwiml(voiceCodeSentences('123456', 'en', 'Porth & Co'), {
      language: 'en-GB',
      voice: 'Polly.Amy',
    });
    expect(twiml).to.include(
      '<Say language="en-GB" voice="Polly.Amy">Hello. This is Porth &amp; Co.</Say>',
    );
    expect(twiml).to.include('Your verification code is: 1, 2, 3, 4, 5, 6.');
  });

  it("turns Twilio's refusal into DeliveryFailedError with its code, and no number in the message", async () => {
    const error = await twilio
      .sendText({ to: REFUSED_NUMBER, body: '123456 is your code', locale: 'en', accountId: null })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(error).to.be.instanceOf(DeliveryFailedError);
    const failure = error as DeliveryFailedError;
    expect(failure.code).to.equal('MFA_DELIVERY_FAILED');
    expect(failure.details).to.deep.equal({
      channel: 'sms',
      status: 400,
      providerCode: 21211,
      retryable: false,
    });
    expect(failure.message).to.include("'To' number is not a valid phone number");
    expect(failure.message).not.to.include('7700');
    expect(failure.message).not.to.include('123456');
    expect(failure.userMessage.cy).to.match(/anfon eich cod/);
  });

  it('reports wrong credentials as a refusal, not as success', async () => {
    const wrong = new TwilioProvider({
      baseUrl,
      accountSid: ACCOUNT_SID,
      authToken: 'wrong',
      from: FROM,
    });
    const error = await wrong
      .placeCall({ to: '+441970123456', sentences: ['Hello'], locale: 'en', accountId: null })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(error).to.be.instanceOf(DeliveryFailedError);
    expect((error as DeliveryFailedError).details).to.deep.include({
      status: 401,
      providerCode: 20003,
      channel: 'voice',
    });
  });

  it('reports an unreachable API as a retryable failure', async () => {
    const closed = new FakeTwilio();
    const url = await closed.start();
    await closed.stop();
    const offline = new TwilioProvider({
      baseUrl: url,
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      from: FROM,
    });
    const error = await offline
      .sendText({ to: '+447700900123', body: 'x', locale: 'en', accountId: null })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(error).to.be.instanceOf(DeliveryFailedError);
    expect((error as DeliveryFailedError).details).to.deep.include({ status: 0, retryable: true });
  });
});

describe(`MfaService with the Twilio-compatible provider (${DATABASE})`, () => {
  const api = new FakeTwilio();
  let t: TestDatabase;

  before(async () => {
    t = await createMfaTestDatabase();
  });
  after(async () => {
    await api.stop();
    await t?.destroy();
  });

  it('texts the enrolment code through the API, and the code it carried confirms the factor', async () => {
    const twilio = new TwilioProvider({
      baseUrl: await api.start(),
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      from: FROM,
    });
    const h = createHarness(t, testClock(), {
      smsSender: twilio,
      voiceCaller: twilio,
      phoneNumbers: { allowFictionalNumbers: true },
    });
    const account = await h.createAccount();
    const enrolment = await h.service.startPhoneEnrolment(account.id, {
      phoneNumber: '07700 900123',
      delivery: 'sms',
    });
    const body = defined(defined(api.received.at(-1)).fields.get('Body'));
    expect(defined(api.received.at(-1)).fields.get('To')).to.equal('+447700900123');
    const code = defined(defined(/^(\d{6}) is your Porth verification code/.exec(body))[1]);
    const result = await h.service.confirmEnrolment(account.id, {
      factorId: enrolment.factorId,
      challengeId: enrolment.challenge.challengeId,
      code,
    });
    expect(result).to.deep.include({ ok: true, method: 'sms' });
  });
});

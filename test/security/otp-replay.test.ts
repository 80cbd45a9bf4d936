import { expect } from 'chai';
import { generate } from 'otplib';
import {
  authorizationRequest,
  registerTestClient,
  type TestClient,
  type TestUser,
} from '../../packages/portal-express/test/support/server.js';
import {
  startClockedTestPortal,
  type ClockedTestPortal,
} from '../../packages/portal-express/test/support/provider.js';
import { createClockedTestUser } from '../../packages/portal-express/test/support/rp.js';
import {
  emailedCode,
  phoneMessages,
} from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { SecurityBrowser } from './support/browser.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const STEP_MS = 30_000;
const PHONE = '+447700900123';

describe(`a one-time code is accepted once only, through the sign-in pages (${DB})`, function () {
  this.timeout(120_000);
  let running: ClockedTestPortal;
  let client: TestClient;
  let people = 0;

  before(async () => {
    running = await startClockedTestPortal();
    client = await registerTestClient(running);
  });
  after(async () => {
    await running?.stop();
  });

  async function newPerson(): Promise<Person> {
    people += 1;
    return createPerson(running, {
      kind: 'appointee',
      given: 'Carwyn',
      family: 'Lewis',
      username: `carwyn.lewis${people}@wjec-appointees.co.uk`,
      email: `carwyn${people}@example.org`,
    });
  }

  /**
   * A new browser at the second-factor page of a sign-in (the default factor's code sent, for
   * codes that are sent). The clock first moves on a minute so a new code may be sent.
   */
  async function atSecondFactor(person: {
    username: string;
    password: string;
  }): Promise<SecurityBrowser> {
    running.clock.advance(61_000);
    const browser = new SecurityBrowser(running.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    await browser.submit({ username: person.username });
    await browser.submit({ password: person.password });
    expect(browser.html, 'the second-factor page').to.contain('name="code"');
    return browser;
  }

  /** Posts a code on the second-factor page; true when it moved the sign-in on. */
  async function accepted(browser: SecurityBrowser, code: string): Promise<boolean> {
    await browser.submit({ action: 'verify', code }, undefined, false);
    const uid = /\/interaction\/([^/?#]+)/.exec(browser.url)?.[1] ?? '';
    if (browser.status === 303) {
      expect(browser.location).to.equal(`/interaction/${uid}`);
      await browser.open(browser.location);
      return browser.html.includes('Stay signed in?');
    }
    expect(browser.status, browser.html.slice(0, 800)).to.equal(400);
    expect(browser.html, 'the refusal is shown on the same page').to.contain('name="code"');
    return false;
  }

  /** The number of audit events of a type recorded for the account. */
  async function recorded(accountId: string, type: string): Promise<number> {
    const rows = (await running.portal
      .db('audit_events')
      .where({ account_id: accountId, type })
      .count({ n: '*' })) as { n: number | string }[];
    return Number(rows[0]?.n ?? 0);
  }

  it('refuses an authenticator code used in one sign-in when posted again in another, even at the same time step', async () => {
    people += 1;
    const user: TestUser = await createClockedTestUser(running, running.clock, {
      given: 'Heledd',
      family: 'Roberts',
      username: `heledd.roberts${people}@wjec-appointees.co.uk`,
    });
    const first = await atSecondFactor(user);
    const second = await atSecondFactor(user);
    // Both at the start of a new step, so both posts below fall in the same one.
    const now = running.clock.now().getTime();
    running.clock.advance(STEP_MS - (now % STEP_MS) + 1000);
    const epoch = Math.floor(running.clock.now().getTime() / 1000);
    const code = await generate({ secret: user.totpSecret, epoch });
    const earlier = await generate({ secret: user.totpSecret, epoch: epoch - 30 });

    expect(await accepted(first, code), 'the first use').to.equal(true);
    expect(await accepted(second, code), 'the same code again').to.equal(false);
    expect(await accepted(second, earlier), "the previous step's code").to.equal(false);
    // The control: the next step's code is accepted.
    running.clock.advance(STEP_MS);
    const next = await generate({ secret: user.totpSecret, epoch: epoch + 30 });
    expect(await accepted(second, next), "the next step's code").to.equal(true);
  });

  it('refuses an emailed code used in one sign-in when posted in another', async () => {
    const person = await newPerson();
    const first = await atSecondFactor(person);
    const used = await emailedCode(running, person.email);
    expect(await accepted(first, used), 'the first use').to.equal(true);

    const second = await atSecondFactor(person);
    const fresh = await emailedCode(running, person.email);
    expect(fresh, 'a new code was sent for the new sign-in').to.not.equal(used);
    expect(await accepted(second, used), 'the used code again').to.equal(false);
    expect(await accepted(second, fresh), "the new sign-in's own code").to.equal(true);
  });

  it('refuses a text-message code used in one sign-in when posted in another', async () => {
    const person = await newPerson();
    const { mfa } = running.portal.services;
    const enrolment = await mfa.startPhoneEnrolment(person.account.id, {
      phoneNumber: '07700 900123',
      delivery: 'sms',
    });
    const [text = ''] = await phoneMessages(running, 'sms', PHONE);
    const confirmed = await mfa.confirmEnrolment(person.account.id, {
      factorId: enrolment.factorId,
      challengeId: enrolment.challenge.challengeId,
      code: /\b(\d{6})\b/.exec(text)?.[1] ?? '',
    });
    expect('ok' in confirmed && confirmed.ok, 'the phone was set up').to.equal(true);
    await mfa.setDefaultFactor(person.account.id, enrolment.factorId);

    const textedCode = async (): Promise<string> => {
      const [newest = ''] = await phoneMessages(running, 'sms', PHONE);
      const code = /\b(\d{6})\b/.exec(newest)?.[1];
      if (!code) throw new Error(`no code in the text: ${newest}`);
      return code;
    };
    const sentBefore = (await phoneMessages(running, 'sms', PHONE)).length;
    const first = await atSecondFactor(person);
    expect((await phoneMessages(running, 'sms', PHONE)).length, 'a text was sent').to.equal(
      sentBefore + 1,
    );
    const used = await textedCode();
    expect(await accepted(first, used), 'the first use').to.equal(true);

    const second = await atSecondFactor(person);
    const fresh = await textedCode();
    expect(fresh, 'a new code was texted for the new sign-in').to.not.equal(used);
    expect(await accepted(second, used), 'the used code again').to.equal(false);
    expect(await accepted(second, fresh), "the new sign-in's own code").to.equal(true);
  });

  it('refuses a recovery code used in one sign-in when posted in another', async () => {
    const person = await newPerson();
    const { codes } = await running.portal.services.mfa.regenerateRecoveryCodes(person.account.id);
    const [used = '', other = ''] = codes;
    const withRecoveryCode = async (): Promise<SecurityBrowser> => {
      const browser = await atSecondFactor(person);
      await browser.submit({ action: 'use_recovery' });
      expect(browser.html).to.contain('name="code"');
      return browser;
    };
    const first = await withRecoveryCode();
    expect(await accepted(first, used), 'the first use').to.equal(true);
    const second = await withRecoveryCode();
    expect(await accepted(second, used), 'the used recovery code again').to.equal(false);
    expect(await accepted(second, other), 'another recovery code').to.equal(true);
  });

  it('records one passed second factor per accepted code, and the replay as a failure', async () => {
    const person = await newPerson();
    const before = await recorded(person.account.id, 'mfa.verified');
    const failedBefore = await recorded(person.account.id, 'mfa.verification_failed');
    const first = await atSecondFactor(person);
    const used = await emailedCode(running, person.email);
    expect(await accepted(first, used)).to.equal(true);
    const second = await atSecondFactor(person);
    expect(await accepted(second, used)).to.equal(false);
    expect((await recorded(person.account.id, 'mfa.verified')) - before, 'passes').to.equal(1);
    expect(
      (await recorded(person.account.id, 'mfa.verification_failed')) - failedBefore,
      'the replay recorded as a failure',
    ).to.equal(1);
  });
});

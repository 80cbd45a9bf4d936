import { expect } from 'chai';
import {
  authorizationRequest,
  registerTestClient,
  type TestClient,
} from '../../packages/portal-express/test/support/server.js';
import { startPortalProcesses, type PortalProcesses } from '../faults/support/portal-processes.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { emailedCode } from '../../packages/portal-express/test/support/sign-in-setup.js';
import { answerOn } from '../../packages/portal-express/test/support/recovery.js';
import { SecurityBrowser } from './support/browser.js';

const WRONG_PASSWORD = 'Not-The-Password-1!';

const ON_MARIADB = /^mysql2?:/.test(process.env.DATABASE_URL ?? '');

// Two server processes need a database server both reach; one process per SQLite file is the
// supported set-up there, so these run only with DATABASE_URL=mysql://… (the limits of one
// process are tested on both databases).
describe(`rate limits, lockout and one-time codes hold across two portal processes over one database (${ON_MARIADB ? 'MariaDB/MySQL' : 'SQLite: skipped, needs MariaDB/MySQL'})`, function () {
  this.timeout(180_000);
  let pair: PortalProcesses;
  let client: TestClient;
  let people = 0;

  before(async function () {
    if (!ON_MARIADB) {
      console.log(
        '      skipped: two processes over one database need MariaDB/MySQL (DATABASE_URL=mysql://…)',
      );
      this.skip();
    }
    pair = await startPortalProcesses(process.env.DATABASE_URL ?? '');
    client = await registerTestClient(pair.front);
  });
  after(async () => {
    await pair?.stop();
  });
  beforeEach(async function () {
    if (!pair) this.skip();
    await pair.database.db('throttle_counters').delete();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && pair) console.log(pair.logs());
  });

  async function newPerson(): Promise<Person> {
    people += 1;
    return createPerson(pair.front, {
      kind: 'appointee',
      given: 'Dewi',
      family: 'Sant',
      username: `dewi.sant${people}@wjec-appointees.co.uk`,
      email: `dewi${people}@example.org`,
    });
  }

  /** A browser on the password page of a new sign-in for `username`; returns the page's path. */
  async function atPasswordPage(
    username: string,
  ): Promise<{ browser: SecurityBrowser; path: string }> {
    const browser = new SecurityBrowser(pair.front.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    await browser.submit({ username });
    expect(browser.html).to.contain('Enter your password');
    return { browser, path: `${new URL(browser.url).pathname}/password` };
  }

  /** Posts with the current page's token straight to one process, not through the proxy. */
  async function postTo(
    browser: SecurityBrowser,
    process: 0 | 1,
    path: string,
    fields: Record<string, string>,
  ): Promise<void> {
    await browser.post(
      `${pair.directUrls[process]}${path}`,
      { ...fields, _csrf: browser.csrfToken() },
      false,
    );
  }

  it('locks a username after the threshold of failures in total, split between both processes', async () => {
    const person = await newPerson();
    const threshold = pair.front.config.throttling.lockoutThreshold;
    const { browser, path } = await atPasswordPage(person.username);
    for (let i = 0; i < threshold; i++) {
      await postTo(browser, (i % 2) as 0 | 1, path, { password: WRONG_PASSWORD });
      expect(browser.status, `failure ${i + 1} at process ${i % 2}`).to.equal(400);
      expect(browser.html).to.contain('The username or password is not right');
    }
    // Each process saw only half the threshold, yet the right password is now refused at both.
    for (const process of [0, 1] as const) {
      await postTo(browser, process, path, { password: person.password });
      expect(browser.status, `process ${process}`).to.equal(429);
      expect(browser.html).to.contain('There have been too many attempts to sign in');
    }
    const locks = await pair.database.db('lockouts').whereNotNull('locked_until');
    expect(locks.length).to.be.at.least(1);
  });

  it('limits wrong second-factor codes in total, split between both processes', async () => {
    const person = await newPerson();
    const { browser, path } = await atPasswordPage(person.username);
    await postTo(browser, 0, path, { password: person.password });
    const codePage = new URL(browser.location, pair.front.url).pathname;
    await browser.open(codePage);
    expect(browser.html).to.contain('name="code"');
    const code = await emailedCode(pair.front, person.email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const refusals: number[] = [];
    for (let i = 0; i < 10; i++) {
      await postTo(browser, (i % 2) as 0 | 1, `${codePage}/second_factor`, {
        action: 'verify',
        code: wrong,
      });
      refusals.push(browser.status);
    }
    expect(
      refusals.every((s) => s === 400 || s === 429),
      String(refusals),
    ).to.equal(true);
    for (const process of [0, 1] as const) {
      await postTo(browser, process, `${codePage}/second_factor`, { action: 'verify', code });
      expect(browser.status, `the right code at process ${process}`).to.equal(429);
    }
  });

  it('limits "Forgotten password" per address in total, split between both processes', async () => {
    const browser = new SecurityBrowser(pair.front.url);
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const process = (i % 2) as 0 | 1;
      await browser.open(`${pair.directUrls[process]}/forgotten-password`);
      await browser.post(
        `${pair.directUrls[process]}/forgotten-password`,
        {
          _csrf: browser.csrfToken(),
          challenge: browser.forms()[0]?.hidden.challenge ?? '',
          username: 'nobody.here',
          answer: answerOn(browser.html),
        },
        false,
      );
      statuses.push(browser.status);
    }
    expect(
      statuses.slice(0, 20).every((s) => s === 303),
      String(statuses),
    ).to.equal(true);
    expect(statuses[20], 'the 21st post in 15 minutes').to.equal(429);
  });

  it('refuses at one process an emailed code already used at the other', async () => {
    const person = await newPerson();
    const signInAt = async (process: 0 | 1) => {
      const { browser, path } = await atPasswordPage(person.username);
      await postTo(browser, process, path, { password: person.password });
      const codePage = new URL(browser.location, pair.front.url).pathname;
      await browser.open(`${pair.directUrls[process]}${codePage}`);
      expect(browser.html).to.contain('name="code"');
      return { browser, action: `${codePage}/second_factor` };
    };
    const first = await signInAt(0);
    const used = await emailedCode(pair.front, person.email);
    await postTo(first.browser, 0, first.action, { action: 'verify', code: used });
    expect(first.browser.status, 'the first use, at process 0').to.equal(303);
    await first.browser.open(`${pair.directUrls[0]}${first.browser.location}`);
    expect(first.browser.html).to.contain('Stay signed in?');

    // The second sign-in (at the other process) posts the same code: it does not move on. (Within
    // a minute of the first, no new code is sent, so the page may simply be shown again.)
    const second = await signInAt(1);
    await postTo(second.browser, 1, second.action, { action: 'verify', code: used });
    expect(second.browser.status, 'the used code again, at process 1').to.be.oneOf([303, 400]);
    if (second.browser.status === 303) {
      await second.browser.open(`${pair.directUrls[1]}${second.browser.location}`);
    }
    expect(second.browser.html).to.contain('name="code"');
    expect(second.browser.html).to.not.contain('Stay signed in?');
    const passes = await pair.database
      .db('audit_events')
      .where({ account_id: person.account.id, type: 'mfa.verified' });
    expect(passes, 'second factors passed').to.have.length(1);
  });
});

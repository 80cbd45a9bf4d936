import { expect } from 'chai';
import { KnexAccountRepository } from '@porth/identity-core';
import {
  authorizationRequest,
  registerTestClient,
  type TestClient,
} from '../../packages/portal-express/test/support/server.js';
import {
  startClockedTestPortal,
  type ClockedTestPortal,
} from '../../packages/portal-express/test/support/provider.js';
import { insertLegacyAccount } from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  createCentre,
  createCentrePerson,
} from '../../packages/portal-express/test/support/centres.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { answerOn } from '../../packages/portal-express/test/support/recovery.js';
import { SecurityBrowser } from './support/browser.js';
import { answerTo, type Answer } from './support/answers.js';
import { signedInBrowser } from './support/people.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const LEGACY_PASSWORD = 'Hen-Gyfrinair-AMP-1!';
const WRONG_PASSWORD = 'Not-The-Password-1!';

describe(`the same answer for known and unknown accounts on every form that takes a username or email (${DB})`, function () {
  this.timeout(120_000);
  let running: ClockedTestPortal;
  let client: TestClient;
  let active: Person;
  let disabled: Person;
  /** The legacy username of an account already migrated (it now has a new username). */
  const migratedLegacy = 'rhys.price';

  before(async () => {
    running = await startClockedTestPortal({ LOCKOUT_THRESHOLD: '1000' });
    client = await registerTestClient(running);
    active = await createPerson(running, {
      kind: 'appointee',
      given: 'Megan',
      family: 'Lloyd',
      username: 'megan.lloyd@wjec-appointees.co.uk',
      email: 'megan@example.org',
    });
    disabled = await createPerson(running, {
      kind: 'appointee',
      given: 'Iolo',
      family: 'Morgan',
      username: 'iolo.morgan@wjec-appointees.co.uk',
      email: 'iolo@example.org',
    });
    const { db, clock, random } = running.portal.services;
    await new KnexAccountRepository(db, clock, random).changeStatus(
      disabled.account.id,
      'active',
      'disabled',
    );
    for (const [legacyUsername, given, family] of [
      ['gwen.evans', 'Gwen', 'Evans'],
      [migratedLegacy, 'Rhys', 'Price'],
    ] as const) {
      await insertLegacyAccount(running, {
        legacyUsername,
        password: LEGACY_PASSWORD,
        givenName: given,
        familyName: family,
        email: `${given.toLowerCase()}@example.org`,
      });
    }
    const migrated = await running.portal.services.migration.migrate({
      legacyUsername: migratedLegacy,
      password: LEGACY_PASSWORD,
    });
    expect(migrated.outcome).to.equal('migrated');
  });
  after(async () => {
    await running?.stop();
  });
  beforeEach(async () => {
    // Every request comes from 127.0.0.1: each test starts with fresh per-address limits.
    await running.portal.db('throttle_counters').delete();
  });

  /** A browser on the sign-in page of a new authorization request. */
  async function signInPage(): Promise<SecurityBrowser> {
    const browser = new SecurityBrowser(running.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    return browser;
  }

  /** Expects every answer to equal the first, and returns it. */
  function allTheSame(answers: readonly Answer[], labels: readonly string[]): Answer {
    const [first] = answers;
    if (!first) throw new Error('no answers');
    answers.forEach((a, i) => {
      expect(a.status, labels[i]).to.equal(first.status);
      expect(a.location, labels[i]).to.equal(first.location);
      expect(a.pageStatus, labels[i]).to.equal(first.pageStatus);
      expect(a.page, `the page for ${labels[i]} and for ${labels[0]}`).to.equal(first.page);
    });
    return first;
  }

  it('sends a legacy username, a migrated one and an unknown one to the same next page from "Username"', async () => {
    const usernames = ['gwen.evans', migratedLegacy, 'nobody.here'];
    const answers = [];
    for (const username of usernames) {
      answers.push(await answerTo(await signInPage(), { username }, undefined, [username]));
    }
    const answer = allTheSame(answers, usernames);
    expect(answer.status).to.equal(303);
    expect(answer.page).to.contain('action="/interaction/UID/migrate"');
  });

  it('sends a new username, a disabled account’s and an unknown one to the same password page', async () => {
    const usernames = [active.username, disabled.username, 'nobody.here@wjec-appointees.co.uk'];
    const answers = [];
    for (const username of usernames) {
      answers.push(await answerTo(await signInPage(), { username }, undefined, [username]));
    }
    expect(allTheSame(answers, usernames).page).to.contain('Enter your password');
  });

  it('answers a wrong password the same for an active, a disabled and an unknown account', async () => {
    const usernames = [active.username, disabled.username, 'nobody.here@wjec-appointees.co.uk'];
    const answers = [];
    for (const username of usernames) {
      const browser = await signInPage();
      await browser.submit({ username });
      answers.push(await answerTo(browser, { password: WRONG_PASSWORD }, undefined, [username]));
    }
    const answer = allTheSame(answers, usernames);
    expect(answer.status).to.equal(400);
    expect(answer.page).to.contain('The username or password is not right');
  });

  it('answers a wrong password on the migration page the same for a legacy, a migrated and an unknown username', async () => {
    const usernames = ['gwen.evans', migratedLegacy, 'nobody.here'];
    const answers = [];
    for (const username of usernames) {
      const browser = await signInPage();
      await browser.submit({ username });
      answers.push(await answerTo(browser, { password: WRONG_PASSWORD }, undefined, [username]));
    }
    const answer = allTheSame(answers, usernames);
    expect(answer.status).to.equal(400);
    expect(answer.page).to.contain('The username or password is not right');
  });

  it('answers "Forgotten username" the same for an address with an account, a disabled one and none', async () => {
    const emails = [active.email, disabled.email, 'nobody@example.org'];
    const answers = [];
    for (const email of emails) {
      const browser = new SecurityBrowser(running.url);
      await browser.open('/forgotten-username');
      answers.push(await answerTo(browser, { email }, '/forgotten-username', [email]));
    }
    expect(allTheSame(answers, emails).location).to.equal('/forgotten-username/sent');
  });

  it('answers "Forgotten password" the same for a new, a legacy, a migrated, a disabled and an unknown username', async () => {
    const usernames = [
      active.username,
      'gwen.evans',
      migratedLegacy,
      disabled.username,
      'nobody.here',
    ];
    const answers = [];
    for (const username of usernames) {
      const browser = new SecurityBrowser(running.url);
      await browser.open('/forgotten-password');
      answers.push(
        await answerTo(
          browser,
          { username, answer: answerOn(browser.html) },
          '/forgotten-password',
          [username],
        ),
      );
    }
    expect(allTheSame(answers, usernames).location).to.equal('/forgotten-password/sent');
  });

  it('answers a centre invitation the same for the email of an account at another centre and for a new one', async () => {
    const eo = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol-a.example.org',
    });
    await createCentre(running, '68101', 'Ysgol Gyfun Enghraifft', eo);
    const elsewhere = await createCentrePerson(running, {
      given: 'Owain',
      family: 'Rees',
      email: 'owain@coleg-b.example.org',
    });
    await createCentre(running, '68202', 'Coleg Enghraifft', elsewhere);
    const browser = await signedInBrowser(
      running,
      { username: eo.email, email: eo.email, password: eo.password },
      '/portal/sign-in?as=centre_user',
    );
    const emails = [elsewhere.email, 'newydd@coleg-c.example.org'];
    const answers = [];
    for (const email of emails) {
      await browser.open('/portal/centres/68101/users/invite');
      answers.push(
        await answerTo(
          browser,
          {
            given_name: 'Owain',
            family_name: 'Rees',
            email,
            locale: 'en',
            permissions: 'resources',
          },
          '/portal/centres/68101/users/invite',
          [email],
        ),
      );
    }
    // The list shows the new invitation's row and a notice: the same for both, but the address.
    const [first, second] = answers as [Answer, Answer];
    const shown = (a: Answer) => ({
      status: a.status,
      location: a.location,
      pageStatus: a.pageStatus,
      notice: /<div class="notice"[\s\S]*?<\/div>/.exec(a.page)?.[0] ?? '',
      row: /<tr\b(?:(?!<\/tr>)[\s\S])*TYPED[\s\S]*?<\/tr>/.exec(a.page)?.[0] ?? '',
    });
    expect(shown(first).row, 'the invitation row').to.not.equal('');
    expect(shown(first).notice, 'the notice').to.not.equal('');
    expect(shown(second)).to.deep.equal(shown(first));
  });
});

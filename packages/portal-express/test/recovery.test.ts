import { expect } from 'chai';
import { KnexAccountRepository, type Account } from '@porth/identity-core';
import { parseAnswer, questionWord } from '../src/recovery/captcha.js';
import { STEADY_ANSWER_MS } from '../src/recovery/steady-timing.js';
import {
  HttpBrowser,
  authorizationRequest,
  createTestUser,
  nextTotpCode,
  registerTestClient,
  startTestPortal,
  type RunningTestPortal,
  type TestClient,
  type TestUser,
} from './support/server.js';
import {
  answerOn,
  comparable,
  hiddenFields,
  linkIn,
  mailTo,
  postForm,
  questionOn,
} from './support/recovery.js';

const NEW_PASSWORD = 'Newydd-Sbon-2026!';

describe(`account recovery pages (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, function () {
  this.timeout(60_000);
  let running: RunningTestPortal;
  let client: TestClient;
  let user: TestUser;
  let legacy: Account;

  before(async () => {
    running = await startTestPortal();
    client = await registerTestClient(running);
    user = await createTestUser(running);
    const { db, clock, random, hasher } = running.portal.services;
    legacy = await new KnexAccountRepository(db, clock, random).insertLegacy({
      legacyUsername: 'gwen.evans',
      passwordHash: await hasher.hash('Hen-Gyfrinair-AMP-1!'),
      email: 'gwen@example.org',
      givenName: 'Gwen',
      familyName: 'Evans',
      locale: 'cy',
    });
  });
  after(async () => {
    await running?.stop();
  });
  beforeEach(async () => {
    // Every request here comes from 127.0.0.1: start each test with fresh per-address limits.
    await running.portal.services.db('throttle_counters').delete();
  });

  /** Opens the forgotten-password page and posts it with the right answer; returns the raw answer. */
  async function askForReset(browser: HttpBrowser, username: string) {
    await browser.open('/forgotten-password');
    const answer = answerOn(browser.html);
    return postForm(browser, '/forgotten-password', {
      ...hiddenFields(browser.html),
      username,
      answer,
    });
  }

  /** The hidden question field, which HttpBrowser.submit does not send by itself. */
  function question(browser: HttpBrowser): { challenge: string } {
    return { challenge: hiddenFields(browser.html).challenge };
  }

  async function outboxSize(): Promise<number> {
    return (await running.portal.services.outbox.listRecent({ limit: 1000 })).length;
  }

  describe('forgotten username', () => {
    it('shows the form, linked from the sign-in page', async () => {
      const browser = new HttpBrowser(running.url);
      const { url } = await authorizationRequest(client);
      await browser.open(url.toString());
      expect(browser.html).to.contain('href="/forgotten-username"');
      await browser.open('/forgotten-username');
      expect(browser.status).to.equal(200);
      expect(browser.html).to.contain('<h1>Forgotten username</h1>');
      expect(browser.html).to.contain('autocomplete="email"');
    });

    it('answers exactly the same for a known and an unknown address, and emails only the known one', async () => {
      const answers = [];
      for (const email of [' MEGAN@example.org ', 'nobody@example.org']) {
        const browser = new HttpBrowser(running.url);
        await browser.open('/forgotten-username');
        const posted = await postForm(browser, '/forgotten-username', {
          ...hiddenFields(browser.html),
          email,
        });
        await browser.open(posted.location);
        answers.push({ ...posted, page: comparable(browser.html), pageStatus: browser.status });
      }
      expect(answers[0]?.status).to.equal(303);
      expect(answers[0]).to.deep.equal(answers[1]);
      expect(answers[0]?.page).to.contain(
        'If an account uses that address, we have emailed its username',
      );
      expect(answers[0]?.page).to.contain(
        'If no email is received within 30 minutes, please check your spam folders.',
      );
      const sent = await mailTo(running, 'megan@example.org', 'forgotten_username');
      expect(sent).to.have.length(1);
      expect(sent[0]?.content?.text).to.contain(user.username);
      expect(await mailTo(running, 'nobody@example.org', 'forgotten_username')).to.have.length(0);
    });

    it('asks again, clearly, for an address that is missing or not an address', async () => {
      const browser = new HttpBrowser(running.url);
      await browser.open('/forgotten-username');
      await browser.submit({ email: '' });
      expect(browser.status).to.equal(400);
      expect(browser.html).to.contain('Enter your email address');
      await browser.submit({ email: 'not an address' });
      expect(browser.status).to.equal(400);
      expect(browser.html).to.contain('Enter an email address in the correct format');
      expect(browser.html).to.contain('href="#email"');
    });

    it('speaks Welsh with ?lang=cy', async () => {
      const browser = new HttpBrowser(running.url);
      await browser.open('/forgotten-username?lang=cy');
      expect(browser.html).to.contain('<html lang="cy">');
      expect(browser.html).to.contain('<h1>Wedi anghofio&#x27;ch enw defnyddiwr</h1>');
      await browser.submit({ email: 'nobody@example.org' });
      expect(browser.html).to.contain('Edrychwch ar eich e-bost');
      expect(browser.html).to.contain('30 munud');
    });
  });

  describe('forgotten password', () => {
    it('answers exactly the same for a new, a legacy and an unknown username', async () => {
      const answers = [];
      const durations: number[] = [];
      for (const username of [` ${user.username.toUpperCase()} `, 'gwen.evans', 'nobody.here']) {
        const browser = new HttpBrowser(running.url);
        const started = performance.now();
        const posted = await askForReset(browser, username);
        durations.push(performance.now() - started);
        await browser.open(posted.location);
        answers.push({ ...posted, page: comparable(browser.html), pageStatus: browser.status });
      }
      expect(answers[0]?.status).to.equal(303);
      expect(answers[0]?.location).to.equal('/forgotten-password/sent');
      expect(answers[1]).to.deep.equal(answers[0]);
      expect(answers[2]).to.deep.equal(answers[0]);
      expect(answers[0]?.page).to.contain('The emailed link is only active for 24 hours');
      // Every answer waits out the same minimum, so the time taken does not tell either.
      for (const ms of durations) expect(ms).to.be.at.least(STEADY_ANSWER_MS);

      const reset = await mailTo(running, 'megan@example.org', 'password_reset');
      expect(reset).to.have.length(1);
      expect(linkIn(reset[0], '/forgotten-password/reset/')).to.match(
        /^\/forgotten-password\/reset\//,
      );
      const legacyMail = await mailTo(running, 'gwen@example.org', 'password_reset');
      expect(legacyMail).to.have.length(1);
      expect(legacyMail[0]?.locale).to.equal('cy');
      expect(linkIn(legacyMail[0], '/forgotten-password/legacy/')).to.match(
        /^\/forgotten-password\/legacy\//,
      );
    });

    it('refuses a wrong answer to the question with a clear message, a new question and no email', async () => {
      const before = await outboxSize();
      const browser = new HttpBrowser(running.url);
      await browser.open('/forgotten-password');
      const wrong = String(Number(answerOn(browser.html)) + 1);
      await browser.submit({ ...question(browser), username: user.username, answer: wrong });
      expect(browser.status).to.equal(400);
      expect(browser.html).to.contain('That answer is not right');
      expect(browser.html).to.contain('href="#answer"');
      expect(browser.html).to.contain(`value="${user.username}"`);
      questionOn(browser.html);
      await browser.submit({ ...question(browser), username: user.username, answer: '' });
      expect(browser.status).to.equal(400);
      expect(browser.html).to.contain('Answer the question');
      expect(await outboxSize()).to.equal(before);
    });

    it('accepts each question once only', async () => {
      const browser = new HttpBrowser(running.url);
      await browser.open('/forgotten-password');
      const fields = {
        ...hiddenFields(browser.html),
        username: 'nobody.here',
        answer: answerOn(browser.html),
      };
      const first = await postForm(browser, '/forgotten-password', fields);
      expect(first.status).to.equal(303);
      const again = await postForm(browser, '/forgotten-password', fields);
      expect(again.status).to.equal(400);
      expect(again.body).to.contain('That question has expired');
    });

    it('accepts the answer in words, in English or Welsh, and asks in Welsh with ?lang=cy', async () => {
      const words = [
        '',
        'one',
        'two',
        'three',
        'four',
        'five',
        'six',
        'seven',
        'eight',
        'nine',
        'ten',
        'eleven',
        'twelve',
        'thirteen',
        'fourteen',
        'fifteen',
        'sixteen',
        'seventeen',
        'eighteen',
      ];
      const welsh = [
        '',
        'un',
        'dau',
        'tri',
        'pedwar',
        'pump',
        'chwech',
        'saith',
        'wyth',
        'naw',
        'deg',
        'un ar ddeg',
        'deuddeg',
        'un deg tri',
        'pedwar ar ddeg',
        'pymtheg',
        'un ar bymtheg',
        'dau ar bymtheg',
        'deunaw',
      ];
      const english = new HttpBrowser(running.url);
      await english.open('/forgotten-password');
      await english.submit({
        ...question(english),
        username: 'nobody.here',
        answer: ` ${words[Number(answerOn(english.html))]?.toUpperCase()} `,
      });
      expect(english.status).to.equal(200);
      expect(english.location).to.match(/\/forgotten-password\/sent$/);

      const cymraeg = new HttpBrowser(running.url);
      await cymraeg.open('/forgotten-password?lang=cy');
      expect(cymraeg.html).to.contain('<h1>Wedi anghofio&#x27;ch cyfrinair</h1>');
      expect(questionOn(cymraeg.html).lang).to.equal('cy');
      await cymraeg.submit({ ...question(cymraeg), username: 'nobody.here', answer: 'dim' });
      expect(cymraeg.status).to.equal(400);
      expect(cymraeg.html).to.contain('Nid yw&#x27;r ateb hwnnw&#x27;n gywir');
      await cymraeg.submit({
        ...question(cymraeg),
        username: 'nobody.here',
        answer: welsh[Number(answerOn(cymraeg.html))] ?? '',
      });
      expect(cymraeg.status).to.equal(200);
      expect(cymraeg.html).to.contain('Dim ond am 24 awr');
    });

    it('refuses more than 20 tries in 15 minutes from one address', async () => {
      const browser = new HttpBrowser(running.url);
      let last = { status: 0, body: '', location: '' };
      for (let i = 0; i < 21; i++) {
        await browser.open('/forgotten-password');
        last = await postForm(browser, '/forgotten-password', {
          ...hiddenFields(browser.html),
          username: 'nobody.here',
          answer: '0',
        });
      }
      expect(last.status).to.equal(429);
      expect(last.body).to.contain('too many requests');
    });
  });

  describe('the reset link', () => {
    async function resetLinkFor(username: string, email: string, prefix: string): Promise<string> {
      await askForReset(new HttpBrowser(running.url), username);
      const sent = await mailTo(running, email, 'password_reset');
      return linkIn(sent[sent.length - 1], prefix);
    }

    it('lists every rule a new password breaks, then sets it, ends every session and refuses to be used again', async () => {
      // Signed in at a relying application first.
      const app = new HttpBrowser(running.url);
      const first = await authorizationRequest(client);
      await app.open(first.url.toString());
      await app.submit({ username: user.username });
      await app.submit({ password: user.password });
      await app.submit({ action: 'verify', code: await nextTotpCode(user.totpSecret) });
      await app.submit({ stay_signed_in: 'yes' });
      expect(app.location).to.match(new RegExp(`^${client.redirectUri}\\?code=`));
      const second = await authorizationRequest(client);
      await app.open(second.url.toString());
      expect(app.location, 'single sign-on before the reset').to.match(
        new RegExp(`^${client.redirectUri}\\?code=`),
      );

      const link = await resetLinkFor(
        user.username,
        'megan@example.org',
        '/forgotten-password/reset/',
      );
      const browser = new HttpBrowser(running.url);
      await browser.open(link);
      expect(browser.status).to.equal(200);
      expect(browser.html).to.contain('New password');
      expect(browser.html).to.contain('Confirm new password');
      expect(browser.html).to.contain(
        'Minimum 8 characters, including upper case, lower case, a symbol and a number.',
      );

      await browser.submit({ new_password: 'megan', confirm_password: 'megan' });
      expect(browser.status).to.equal(400);
      for (const rule of [
        'Your password must be at least 8 characters long.',
        'Your password must include an upper case letter.',
        'Your password must include a number.',
        'Your password must include a symbol, such as ! or #.',
        'Your password must not contain your name.',
      ]) {
        expect(browser.html, rule).to.contain(
          `<li><a href="#new_password">${rule.replace(/'/g, '&#x27;')}</a></li>`,
        );
      }
      await browser.submit({ new_password: NEW_PASSWORD, confirm_password: 'Something-Else-1!' });
      expect(browser.status).to.equal(400);
      expect(browser.html).to.contain('The two passwords are not the same');

      await browser.submit({ new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
      expect(browser.status).to.equal(200);
      expect(browser.html).to.contain('Your password has been changed');
      expect(browser.html).to.contain(`href="${running.portal.services.urls.signIn}"`);
      expect(browser.html).to.contain(user.username);

      const { authenticator } = running.portal.services;
      const old = await authenticator.check({ username: user.username, password: user.password });
      expect(old.outcome).to.equal('invalid');
      const fresh = await authenticator.check({ username: user.username, password: NEW_PASSWORD });
      expect(fresh.outcome).to.equal('success');

      const third = await authorizationRequest(client);
      await app.open(third.url.toString());
      expect(app.html, 'the provider session has ended').to.contain('<h1>Sign in</h1>');

      const reused = new HttpBrowser(running.url);
      await reused.open(link);
      expect(reused.status).to.equal(410);
      expect(reused.html).to.contain('This link has expired or been used');
      await browser.open('/forgotten-username');
      const csrf = hiddenFields(browser.html)._csrf;
      const posted = await postForm(browser, link, {
        _csrf: csrf,
        new_password: 'Another-Choice-2027!',
        confirm_password: 'Another-Choice-2027!',
      });
      expect(posted.status).to.equal(410);
      expect(
        (
          await running.portal.services.authenticator.check({
            username: user.username,
            password: NEW_PASSWORD,
          })
        ).outcome,
      ).to.equal('success');
    });

    it('shows a clear page for a link that is wrong or made up', async () => {
      const browser = new HttpBrowser(running.url);
      await browser.open(`/forgotten-password/reset/${'A'.repeat(43)}`);
      expect(browser.status).to.equal(410);
      expect(browser.html).to.contain('This link has expired or been used');
      await browser.open('/forgotten-password/legacy/nonsense?lang=cy');
      expect(browser.status).to.equal(410);
      expect(browser.html).to.contain('Mae&#x27;r ddolen hon wedi dod i ben');
    });

    it('lets a legacy account choose a new original password, then migrate with it', async () => {
      const link = await resetLinkFor(
        'gwen.evans',
        'gwen@example.org',
        '/forgotten-password/legacy/',
      );
      const browser = new HttpBrowser(running.url);
      await browser.open(`${link}?lang=en`);
      expect(browser.status).to.equal(200);
      expect(browser.html).to.contain('gwen.evans');
      await browser.submit({ new_password: 'gwen', confirm_password: 'gwen' });
      expect(browser.status).to.equal(400);
      expect(browser.html).to.contain('Your password must be at least 8 characters long.');
      await browser.submit({ new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
      expect(browser.status).to.equal(200);
      expect(browser.html).to.contain(
        'sign in with your original AMP username and your new password',
      );
      expect(browser.html).to.contain('gwen.evans');

      const again = new HttpBrowser(running.url);
      await again.open(link);
      expect(again.status).to.equal(410);

      const migrated = await running.portal.services.migration.migrate({
        legacyUsername: 'gwen.evans',
        password: NEW_PASSWORD,
      });
      expect(migrated.outcome).to.equal('migrated');
      expect(migrated.outcome === 'migrated' ? migrated.accountId : '').to.equal(legacy.id);
    });

    it('speaks Welsh on the reset page with ?lang=cy', async () => {
      const other = await createTestUser(running, {
        given: 'Rhys',
        family: 'Prydderch',
        username: 'rhys.prydderch@wjec-appointees.co.uk',
      });
      const link = await resetLinkFor(
        other.username,
        'rhys@example.org',
        '/forgotten-password/reset/',
      );
      const browser = new HttpBrowser(running.url);
      await browser.open(`${link}?lang=cy`);
      expect(browser.html).to.contain('Dewiswch gyfrinair newydd');
      expect(browser.html).to.contain('Cadarnhau&#x27;r cyfrinair newydd');
      await browser.submit({ new_password: 'rhys', confirm_password: 'rhys' });
      expect(browser.status).to.equal(400);
      expect(browser.html).to.contain('Rhaid i&#x27;ch cyfrinair fod o leiaf 8 nod o hyd.');
    });
  });
});

describe('account recovery question answers', () => {
  it('reads digits and English or Welsh words, whatever the case, spaces and hyphens', () => {
    const cases: [string, number | null][] = [
      ['11', 11],
      [' Eleven. ', 11],
      ['un ar ddeg', 11],
      ['Un-deg-un', 11],
      ['deuddeg', 12],
      ['pedair ar ddeg', 14],
      ['pymtheg', 15],
      ['deunaw', 18],
      ['SEVENTEEN', 17],
      ['dwy', 2],
      ['eleven and a bit', null],
      ['', null],
      ['1'.repeat(50), null],
    ];
    for (const [text, expected] of cases) expect(parseAnswer(text), text).to.equal(expected);
  });

  it('writes the numbers of a question in the reader’s language', () => {
    expect(questionWord(4, 'en')).to.equal('four');
    expect(questionWord(4, 'cy')).to.equal('pedwar');
    expect(() => questionWord(0, 'en')).to.throw(RangeError);
  });
});

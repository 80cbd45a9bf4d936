import { expect } from 'chai';
import type { Knex } from 'knex';
import {
  HttpBrowser,
  authorizationRequest,
  createTestUser,
  nextTotpCode,
  registerTestClient,
  type TestClient,
  type TestUser,
} from '../../packages/portal-express/test/support/server.js';
import {
  addToCentre,
  createCentre,
  createCentrePerson,
  type CentrePerson,
} from '../../packages/portal-express/test/support/centres.js';
import {
  answerOn,
  hiddenFields,
  linkIn,
  mailTo,
  postForm,
} from '../../packages/portal-express/test/support/recovery.js';
import {
  emailedCode,
  insertLegacyAccount,
  pageText,
} from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { KnexLockouts, KnexRateLimiter, systemClock } from '@porth/identity-core';
import { MfaThrottle } from '@porth/mfa';
import { countRows, expectMigratedOnce, migrationFacts } from './support/facts.js';
import { ON_MARIADB } from './support/outage.js';
import { startPortalProcesses, type PortalProcesses } from './support/portal-processes.js';

/** A raw answer: status, where it redirects, and the page. */
interface Answer {
  readonly status: number;
  readonly location: string;
  readonly body: string;
}

/** The CSRF token of the page's form posting to `action` (or of its first form). */
function csrfOf(html: string, action?: string): string {
  const forms = [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = action ? forms.find((f) => f[1] === action) : forms[0];
  const token = /name="_csrf" value="([^"]+)"/.exec(form?.[2] ?? '')?.[1];
  if (!token) throw new Error(`no form${action ? ` for ${action}` : ''}:\n${html.slice(0, 2000)}`);
  return token;
}

/** Posts a form body as the browser would (its cookies), without following the redirect. */
async function postRaw(browser: HttpBrowser, path: string, body: string): Promise<Answer> {
  const res = await browser.agent.post(path).type('form').send(body);
  return { status: res.status, location: String(res.headers.location ?? ''), body: res.text };
}

function form(fields: readonly (readonly [string, string])[]): string {
  return new URLSearchParams(fields.map(([k, v]): [string, string] => [k, v])).toString();
}

async function auditCount(db: Knex, type: string, where: Record<string, unknown> = {}) {
  return countRows(db, 'audit_events', { type, outcome: 'success', ...where });
}

/** Where a centre user signs in to the Portal, and where they land. */
const CENTRE_SIGN_IN = { open: '/portal/sign-in?as=centre_user', landing: '/portal' };
/** Where support staff sign in to the console, and where they land. */
const SUPPORT_CONSOLE = { open: '/portal/support', landing: '/portal/support' };

// Two server processes sharing users need a database server both reach; one process per SQLite
// file is the supported set-up there, so these run only with DATABASE_URL=mysql://….
describe('races between two portal processes over one MariaDB database', function () {
  this.timeout(180_000);
  let pair: PortalProcesses;

  /**
   * Signs a person in through the proxy from `start` (username, password, emailed code,
   * "Stay signed in? No") and checks they land back on `start`'s page.
   */
  async function signInThroughProxy(
    start: { readonly open: string; readonly landing: string },
    username: string,
    person: { readonly email: string; readonly password: string },
  ): Promise<HttpBrowser> {
    const browser = new HttpBrowser(pair.front.url);
    await browser.open(start.open);
    await browser.submit({ username });
    await browser.submit({ password: person.password });
    await browser.submit({ action: 'verify', code: await emailedCode(pair.front, person.email) });
    await browser.submit({ stay_signed_in: 'no' });
    expect(new URL(browser.location).pathname, pageText(browser.html).slice(0, 500)).to.equal(
      start.landing,
    );
    return browser;
  }
  let client: TestClient;

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

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && pair) console.log(pair.logs());
  });

  /**
   * Runs `requests` at the same moment through the proxy and checks that the first of them went
   * to one process and the second to the other.
   */
  async function atOnce<T>(...requests: (() => Promise<T>)[]): Promise<T[]> {
    const first = pair.proxy.served.length;
    const answers = await Promise.all(requests.map((r) => r()));
    expect(
      [...pair.proxy.served.slice(first, first + 2)].sort(),
      'the two requests went to different processes',
    ).to.deep.equal([0, 1]);
    return answers;
  }

  /** Opens a sign-in at the test client in a new browser; returns it on the username page. */
  async function startSignIn(): Promise<{ browser: HttpBrowser; uid: string }> {
    const browser = new HttpBrowser(pair.front.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    const uid = /\/interaction\/([^/?]+)/.exec(browser.location)?.[1];
    if (!uid) throw new Error(`not on a sign-in page: ${browser.location}\n${browser.html}`);
    return { browser, uid };
  }

  it('shows the first sign-in page to both of two requests that open it at the same moment', async () => {
    for (let round = 0; round < 6; round++) {
      const browser = new HttpBrowser(pair.front.url);
      const { url } = await authorizationRequest(client);
      const started = await browser.agent.get(url.pathname + url.search);
      const page = String(started.headers.location ?? '');
      expect(page, started.text.slice(0, 300)).to.match(/^\/interaction\//);
      // A double click, or a prefetch: the same new page opened at both processes at once.
      const answers = await atOnce(
        () => browser.agent.get(page),
        () => browser.agent.get(page),
      );
      expect(
        answers.map((a) => a.status),
        answers.map((a) => a.text).join('\n'),
      ).to.deep.equal([200, 200]);
      expect(answers[0]?.text).to.contain('name="username"');
      const uid = page.split('/')[2] ?? '';
      expect(await countRows(pair.database.db, 'flows', { id: uid }), 'one sign-in flow').to.equal(
        1,
      );
    }
  });

  it('takes a double-clicked "Sign in" as one: both answers lead to the next step', async () => {
    const user = await createTestUser(pair.front, {
      given: 'Gwenllian',
      family: 'Hughes',
      username: 'gwenllian.hughes@wjec-appointees.co.uk',
    });
    for (let round = 0; round < 3; round++) {
      const { browser, uid } = await startSignIn();
      await browser.submit({ username: user.username });
      const body = form([
        ['_csrf', csrfOf(browser.html)],
        ['password', user.password],
      ]);
      const path = `/interaction/${uid}/password`;
      const answers = await atOnce(
        () => postRaw(browser, path, body),
        () => postRaw(browser, path, body),
      );
      // Whichever answer the browser shows, it goes on to the second step, not "expired".
      for (const answer of answers) {
        expect(answer.status, pageText(answer.body).slice(0, 300)).to.equal(303);
        expect(answer.location).to.equal(`/interaction/${uid}`);
      }
      await browser.open(`/interaction/${uid}`);
      expect(browser.html).to.contain(`/interaction/${uid}/second_factor`);
    }
  });

  it('migrates a legacy account once when both processes get its password at the same moment', async () => {
    const person = {
      legacyUsername: 'gareth.race',
      password: 'Hen-Gyfrinair-Ras-1',
      givenName: 'Gareth',
      familyName: 'Rhys',
      email: 'gareth.rhys@example.org',
    };
    const legacy = await insertLegacyAccount(pair.front, person);
    const tabs = [await startSignIn(), await startSignIn()];
    for (const { browser, uid } of tabs) {
      await browser.submit({ username: person.legacyUsername });
      expect(browser.html, 'the migration page').to.contain(`/interaction/${uid}/migrate`);
    }
    const answers = await atOnce(
      ...tabs.map(
        ({ browser, uid }) =>
          () =>
            postRaw(
              browser,
              `/interaction/${uid}/migrate`,
              form([
                ['_csrf', csrfOf(browser.html)],
                ['password', person.password],
              ]),
            ),
      ),
    );
    const shown: string[] = [];
    for (const [i, answer] of answers.entries()) {
      expect(answer.status, answer.body.slice(0, 300)).to.equal(303);
      const { browser } = tabs[i] as (typeof tabs)[number];
      await browser.open(answer.location);
      shown.push(pageText(/id="new-username">([^<]+)</.exec(browser.html)?.[1] ?? ''));
    }
    // Both people see the same new username; one account, one email, one audit event.
    expect(shown[0]).to.match(/^gareth\.rhys@/);
    expect(shown[1]).to.equal(shown[0]);
    expectMigratedOnce(await migrationFacts(pair.database.db, legacy.id));
    expect(await countRows(pair.database.db, 'accounts', { username: shown[0] })).to.equal(1);
  });

  it('accepts an authenticator code once when two sign-ins submit it at the same moment', async () => {
    const user: TestUser = await createTestUser(pair.front, {
      given: 'Heledd',
      family: 'Ifans',
      username: 'heledd.ifans@wjec-appointees.co.uk',
    });
    const tabs = [await startSignIn(), await startSignIn()];
    for (const { browser, uid } of tabs) {
      await browser.submit({ username: user.username });
      await browser.submit({ password: user.password });
      expect(browser.html, 'the second step').to.contain(`/interaction/${uid}/second_factor`);
    }
    const verifiedBefore = await auditCount(pair.database.db, 'mfa.verified', {
      account_id: user.account.id,
    });
    const code = await nextTotpCode(user.totpSecret);
    const answers = await atOnce(
      ...tabs.map(
        ({ browser, uid }) =>
          () =>
            postRaw(
              browser,
              `/interaction/${uid}/second_factor`,
              form([
                ['_csrf', csrfOf(browser.html)],
                ['action', 'verify'],
                ['code', code],
              ]),
            ),
      ),
    );
    const passed = answers.filter((a) => a.status === 303);
    const refused = answers.filter((a) => a.status !== 303);
    expect(passed, 'exactly one sign-in passed').to.have.length(1);
    expect(refused[0]?.status).to.equal(400);
    expect(pageText(refused[0]?.body ?? '')).to.match(/already been used|already used/i);
    expect(
      await auditCount(pair.database.db, 'mfa.verified', { account_id: user.account.id }),
    ).to.equal(verifiedBefore + 1);
  });

  it('accepts an emailed code once when one sign-in posts it to both processes at once', async () => {
    const person = await createCentrePerson(pair.front, {
      given: 'Iwan',
      family: 'Jenkins',
      email: 'iwan.jenkins@example.org',
    });
    const { browser, uid } = await startSignIn();
    await browser.submit({ username: person.email });
    await browser.submit({ password: person.password });
    expect(browser.html, 'the second step').to.contain(`/interaction/${uid}/second_factor`);
    const code = await emailedCode(pair.front, person.email);
    const body = form([
      ['_csrf', csrfOf(browser.html)],
      ['action', 'verify'],
      ['code', code],
    ]);
    const path = `/interaction/${uid}/second_factor`;
    const answers = await atOnce(
      () => postRaw(browser, path, body),
      () => postRaw(browser, path, body),
    );
    // One post passes; the other is told the code was used (or, once the sign-in has moved on,
    // sent to where it now is). The code counted once.
    const statuses = answers.map((a) => a.status);
    expect(statuses, answers.map((a) => a.body).join('\n')).to.include(303);
    expect(
      statuses.filter((s) => s !== 303),
      'the other answer',
    ).to.satisfy((rest: number[]) => rest.every((s) => s === 400));
    expect(
      await auditCount(pair.database.db, 'mfa.verified', { account_id: person.account.id }),
    ).to.equal(1);
    // The sign-in goes on from where the winning request left it.
    await browser.open(`/interaction/${uid}`);
    expect(browser.html).to.contain(`/interaction/${uid}/stay_signed_in`);
    await browser.submit({ stay_signed_in: 'no' });
    expect(browser.location).to.match(new RegExp(`^${client.redirectUri}\\?code=`));
  });

  it('uses a password-reset link once when it is posted to both processes at the same moment', async () => {
    const user = await createTestUser(pair.front, {
      given: 'Lowri',
      family: 'Morgan',
      username: 'lowri.morgan@wjec-appointees.co.uk',
    });
    const asker = new HttpBrowser(pair.front.url);
    await asker.open('/forgotten-password');
    const asked = await postForm(asker, '/forgotten-password', {
      ...hiddenFields(asker.html),
      username: user.username,
      answer: answerOn(asker.html),
    });
    expect(asked.status).to.equal(303);
    const [mail] = await mailTo(pair.front, 'lowri@example.org', 'password_reset');
    const link = linkIn(mail, '/forgotten-password/reset/');

    const securityMails = () =>
      countRows(pair.database.db, 'outbox_messages', {
        account_id: user.account.id,
        template: 'security_change',
      });
    const mailsBefore = await securityMails();
    const passwords = ['Newydd-Sbon-Cyntaf-7!', 'Newydd-Sbon-Ail-8!'];
    const tabs = [new HttpBrowser(pair.front.url), new HttpBrowser(pair.front.url)];
    for (const tab of tabs) {
      await tab.open(link);
      expect(tab.status).to.equal(200);
    }
    const answers = await atOnce(
      ...tabs.map(
        (tab, i) => () =>
          postRaw(
            tab,
            link,
            form([
              ['_csrf', csrfOf(tab.html)],
              ['new_password', passwords[i] ?? ''],
              ['confirm_password', passwords[i] ?? ''],
            ]),
          ),
      ),
    );
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 410]);
    const winner = answers.findIndex((a) => a.status === 200);
    expect(pageText(answers[winner]?.body ?? '')).to.contain('Your password has been changed');
    expect(pageText(answers[1 - winner]?.body ?? '')).to.contain(
      'This link has expired or been used',
    );
    const db = pair.database.db;
    expect(
      await auditCount(db, 'recovery.password_reset', { account_id: user.account.id }),
    ).to.equal(1);
    expect(await securityMails(), 'one "your password was changed" email').to.equal(
      mailsBefore + 1,
    );
    const { authenticator } = pair.front.portal.services;
    const check = (password: string) =>
      authenticator.check({ username: user.username, password }).then((r) => r.outcome);
    expect(await check(passwords[winner] ?? '')).to.equal('success');
    expect(await check(passwords[1 - winner] ?? '')).to.equal('invalid');
  });

  describe('two centre admins acting on the same user at once', () => {
    const CENTRE = '68123';
    let examsOfficer: CentrePerson;
    let admin: CentrePerson;
    let eoBrowser: HttpBrowser;
    let adminBrowser: HttpBrowser;

    before(async () => {
      examsOfficer = await createCentrePerson(pair.front, {
        given: 'Mared',
        family: 'Owen',
        email: 'mared.owen@example.org',
      });
      admin = await createCentrePerson(pair.front, {
        given: 'Nia',
        family: 'Parri',
        email: 'nia.parri@example.org',
      });
      await createCentre(pair.front, CENTRE, 'Ysgol y Ras', examsOfficer);
      await addToCentre(pair.front, CENTRE, admin, 'admin');
      eoBrowser = await signInThroughProxy(CENTRE_SIGN_IN, examsOfficer.email, examsOfficer);
      adminBrowser = await signInThroughProxy(CENTRE_SIGN_IN, admin.email, admin);
    });

    async function member(id: string) {
      return (await pair.database.db('centre_memberships').where({ id }).first()) as
        { permissions: string; version: number | string; role: string } | undefined;
    }

    async function newMember(given: string, family: string) {
      const person = await createCentrePerson(pair.front, {
        given,
        family,
        email: `${given.toLowerCase()}.${family.toLowerCase()}@example.org`,
      });
      const membership = await addToCentre(pair.front, CENTRE, person, 'user');
      const path = `/portal/centres/${CENTRE}/users/${encodeURIComponent(membership.id)}`;
      return { person, membership, path };
    }

    it('makes one change, audited and emailed once, when both change the same access', async () => {
      const { person, membership, path } = await newMember('Osian', 'Prys');
      await eoBrowser.open(`${path}/access`);
      await adminBrowser.open(`${path}/access`);
      expect(eoBrowser.status, pageText(eoBrowser.html).slice(0, 500)).to.equal(200);
      expect(adminBrowser.status).to.equal(200);
      const choices = [['iamis'], ['resources', 'view_scripts']];
      const answers = await atOnce(
        ...[eoBrowser, adminBrowser].map(
          (browser, i) => () =>
            postRaw(
              browser,
              `${path}/access`,
              form([
                ['_csrf', csrfOf(browser.html, `${path}/access`)],
                ['version', String(membership.version)],
                ['role', 'user'],
                ...(choices[i] ?? []).map((p) => ['permissions', p] as const),
              ]),
            ),
        ),
      );
      expect(
        answers.map((a) => a.status).sort(),
        answers.map((a) => a.body).join('\n'),
      ).to.deep.equal([303, 409]);
      const winner = answers.findIndex((a) => a.status === 303);
      expect(pageText(answers[1 - winner]?.body ?? '')).to.contain(
        'Someone else changed this user’s access while you were looking',
      );
      const after = await member(membership.id);
      expect(JSON.parse(after?.permissions ?? '[]')).to.have.members(choices[winner] ?? []);
      expect(Number(after?.version)).to.equal(membership.version + 1);
      const db = pair.database.db;
      expect(
        await auditCount(db, 'centre.access_changed', { account_id: person.account.id }),
      ).to.equal(1);
      expect(
        await countRows(db, 'outbox_messages', {
          account_id: person.account.id,
          template: 'centre_access_changed',
        }),
      ).to.equal(1);
    });

    it('ends with one consistent outcome when one deletes the user while the other changes their access', async () => {
      const outcomes: string[] = [];
      for (const [round, [given, family]] of [
        ['Rhodri', 'Siôn'],
        ['Sioned', 'Tomos'],
        ['Tegid', 'Wyn'],
      ].entries()) {
        const { person, membership, path } = await newMember(given ?? '', family ?? '');
        await eoBrowser.open(`${path}/delete`);
        await adminBrowser.open(`${path}/access`);
        expect(eoBrowser.status, pageText(eoBrowser.html).slice(0, 500)).to.equal(200);
        const remove = () =>
          postRaw(
            eoBrowser,
            `${path}/delete`,
            form([
              ['_csrf', csrfOf(eoBrowser.html, `${path}/delete`)],
              ['version', String(membership.version)],
            ]),
          );
        const change = () =>
          postRaw(
            adminBrowser,
            `${path}/access`,
            form([
              ['_csrf', csrfOf(adminBrowser.html, `${path}/access`)],
              ['version', String(membership.version)],
              ['role', 'user'],
              ['permissions', 'iamis'],
            ]),
          );
        const [removed, changed] =
          round % 2 === 0 ? await atOnce(remove, change) : (await atOnce(change, remove)).reverse();
        const statuses = [removed?.status, changed?.status];
        expect(
          statuses.filter((s) => s === 303),
          `one request won: ${statuses.join(', ')}\n${removed?.body}\n${changed?.body}`,
        ).to.have.length(1);
        expect(statuses.filter((s) => s === 409 || s === 404)).to.have.length(1);

        const db = pair.database.db;
        const after = await member(membership.id);
        const account = (await db('accounts').where({ id: person.account.id }).first()) as {
          status: string;
        };
        const removedEvents = await auditCount(db, 'centre.member_removed', {
          account_id: person.account.id,
        });
        const changedEvents = await auditCount(db, 'centre.access_changed', {
          account_id: person.account.id,
        });
        const deletedEvents = await auditCount(db, 'account.deleted', {
          account_id: person.account.id,
        });
        const mails = await countRows(db, 'outbox_messages', {
          account_id: person.account.id,
          template: 'centre_access_changed',
        });
        if (removed?.status === 303) {
          outcomes.push('deleted');
          expect(after, 'the membership is gone').to.equal(undefined);
          expect(account.status).to.equal('deleted');
          expect({ removedEvents, changedEvents, deletedEvents, mails }).to.deep.equal({
            removedEvents: 1,
            changedEvents: 0,
            deletedEvents: 1,
            mails: 1,
          });
        } else {
          outcomes.push('changed');
          expect(JSON.parse(after?.permissions ?? '[]')).to.deep.equal(['iamis']);
          expect(account.status).to.equal('active');
          expect({ removedEvents, changedEvents, deletedEvents, mails }).to.deep.equal({
            removedEvents: 0,
            changedEvents: 1,
            deletedEvents: 0,
            mails: 1,
          });
        }
      }
      expect(outcomes).to.have.length(3);
    });
  });

  describe('two support staff acting on the same account at once', () => {
    let staff: Person[];

    before(async () => {
      staff = [
        await createPerson(pair.front, {
          kind: 'staff',
          given: 'Rhian',
          family: 'Evans',
          username: 'rhian.evans@wjec.co.uk',
          email: 'rhian.evans@example.org',
        }),
        await createPerson(pair.front, {
          kind: 'staff',
          given: 'Steffan',
          family: 'Lloyd',
          username: 'steffan.lloyd@wjec.co.uk',
          email: 'steffan.lloyd@example.org',
        }),
      ];
    });

    /** Both support staff open the action's confirmation page, then confirm it at the same moment. */
    async function bothConfirm(user: TestUser, action: string): Promise<Answer[]> {
      const browsers = [
        await signInThroughProxy(
          SUPPORT_CONSOLE,
          (staff[0] as Person).username,
          staff[0] as Person,
        ),
        await signInThroughProxy(
          SUPPORT_CONSOLE,
          (staff[1] as Person).username,
          staff[1] as Person,
        ),
      ];
      const path = `/portal/support/accounts/${user.account.id}/${action}`;
      for (const browser of browsers) {
        await browser.open(path);
        expect(browser.status, pageText(browser.html).slice(0, 500)).to.equal(200);
      }
      const answers = await atOnce(
        ...browsers.map(
          (browser) => () =>
            postRaw(
              browser,
              path,
              form([
                ['_csrf', csrfOf(browser.html, path)],
                ['reason', ''],
              ]),
            ),
        ),
      );
      expect(
        answers.map((a) => a.status).sort(),
        answers.map((a) => a.body).join('\n'),
      ).to.deep.equal([303, 409]);
      return answers;
    }

    /** A new appointee of the Vaughan family, the subject of one race. */
    function vaughan(given: string): Promise<TestUser> {
      return createTestUser(pair.front, {
        given,
        family: 'Vaughan',
        username: `${given.toLowerCase()}.vaughan@wjec-appointees.co.uk`,
      });
    }

    /** The refusal page of the support person who came second. */
    function loserText(answers: readonly Answer[]): string {
      return pageText(answers.find((a) => a.status === 409)?.body ?? '');
    }

    it('disables the account once, audited, emailed and its sessions ended once, when both disable it', async () => {
      const user = await vaughan('Tesni');
      const answers = await bothConfirm(user, 'disable');
      // Told the account changed meanwhile, or (had it loaded after the winner's commit) that
      // only an active account can be disabled.
      expect(loserText(answers)).to.match(
        /The account changed while you were looking at it|Only an active account can be disabled/,
      );
      const db = pair.database.db;
      const account = (await db('accounts').where({ id: user.account.id }).first()) as {
        status: string;
      };
      expect(account.status).to.equal('disabled');
      const where = { account_id: user.account.id };
      expect({
        statusChanged: await auditCount(db, 'account.status_changed', where),
        sessionsEnded: await auditCount(db, 'account.sessions_ended', where),
        mails: await countRows(db, 'outbox_messages', { ...where, template: 'support_change' }),
      }).to.deep.equal({ statusChanged: 1, sessionsEnded: 1, mails: 1 });
    });

    it('resets MFA once, audited, emailed and its sessions ended once, when both reset it', async () => {
      const user = await vaughan('Elin');
      const answers = await bothConfirm(user, 'reset-mfa');
      expect(loserText(answers)).to.match(
        /The account changed while you were looking at it|no second factor or recovery code left/,
      );
      const db = pair.database.db;
      const where = { account_id: user.account.id };
      expect({
        factors: await countRows(db, 'mfa_factors', where),
        resets: await auditCount(db, 'mfa.reset', where),
        sessionsEnded: await auditCount(db, 'account.sessions_ended', where),
        mails: await countRows(db, 'outbox_messages', { ...where, template: 'mfa_reset' }),
      }).to.deep.equal({ factors: 0, resets: 1, sessionsEnded: 1, mails: 1 });
    });

    it('unlocks the account once, audited and emailed once, when both unlock it', async () => {
      const user = await vaughan('Nia');
      const db = pair.database.db;
      const mfaThrottle = new MfaThrottle(
        new KnexRateLimiter(db, systemClock),
        new KnexLockouts(db, systemClock),
      );
      for (let i = 0; i < 100; i++) await mfaThrottle.recordFailure(user.account.id);
      expect(await mfaThrottle.isLocked(user.account.id)).to.equal(true);
      const answers = await bothConfirm(user, 'unlock');
      expect(loserText(answers)).to.match(
        /The account changed while you were looking at it|Nothing is locked on this account/,
      );
      expect(await mfaThrottle.isLocked(user.account.id)).to.equal(false);
      const where = { account_id: user.account.id };
      expect({
        unlocked: await auditCount(db, 'account.unlocked', where),
        mails: await countRows(db, 'outbox_messages', { ...where, template: 'support_change' }),
      }).to.deep.equal({ unlocked: 1, mails: 1 });
    });
  });
});

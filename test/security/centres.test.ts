import { expect } from 'chai';
import {
  startClockedTestPortal,
  type ClockedTestPortal,
} from '../../packages/portal-express/test/support/provider.js';
import {
  addToCentre,
  createCentre,
  createCentrePerson,
  visibleText,
  type CentrePerson,
} from '../../packages/portal-express/test/support/centres.js';
import type { SecurityBrowser } from './support/browser.js';
import { signedInBrowser } from './support/people.js';
import { snapshot } from './support/snapshot.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const A = '68101';
const B = '68202';
/** What the audit trail may gain from refused requests. */
const REFUSALS = new Set(['centre.access_denied', 'marks.access_denied']);

/** One request a centre admin could send, and what it is in words. */
interface Attempt {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly fields?: Record<string, string>;
}

describe(`a centre admin cannot read or change another centre (${DB})`, function () {
  this.timeout(180_000);
  let running: ClockedTestPortal;
  let eoA: CentrePerson;
  let userA: CentrePerson;
  /** The member ids of centre A: its Exams Officer, a User, and a waiting invitation. */
  let eoMemberA: string;
  let userMemberA: string;
  let invitedMemberA: string;
  const invitedEmail = 'aled@ysgol-a.example.org';
  /** An Exams Officer and an Admin of centre B, each signed in to the Portal. */
  const attackers: { who: string; browser: SecurityBrowser }[] = [];

  before(async () => {
    running = await startClockedTestPortal();
    eoA = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol-a.example.org',
    });
    userA = await createCentrePerson(running, {
      given: 'Ffion',
      family: 'Hughes',
      email: 'ffion@ysgol-a.example.org',
    });
    const eoB = await createCentrePerson(running, {
      given: 'Owain',
      family: 'Rees',
      email: 'owain@coleg-b.example.org',
    });
    const adminB = await createCentrePerson(running, {
      given: 'Bethan',
      family: 'Pugh',
      email: 'bethan@coleg-b.example.org',
    });
    eoMemberA = (await createCentre(running, A, 'Ysgol Gyfun Enghraifft', eoA)).id;
    userMemberA = (await addToCentre(running, A, userA, 'user', ['resources'])).id;
    await createCentre(running, B, 'Coleg Enghraifft', eoB);
    await addToCentre(running, B, adminB, 'admin');

    const asEoA = await signedInBrowser(
      running,
      { username: eoA.email, email: eoA.email, password: eoA.password },
      '/portal/sign-in?as=centre_user',
    );
    await asEoA.open(`/portal/centres/${A}/users/invite`);
    await asEoA.submit(
      {
        given_name: 'Aled',
        family_name: 'Jones',
        email: invitedEmail,
        locale: 'en',
        permissions: 'resources',
      },
      `/portal/centres/${A}/users/invite`,
    );
    expect(asEoA.status, asEoA.html.slice(0, 1500)).to.equal(200);
    await asEoA.open(`/portal/centres/${A}/users?search=aled`);
    invitedMemberA = /\/users\/([0-9a-f]+)\/resend/.exec(asEoA.html)?.[1] ?? '';
    expect(invitedMemberA, 'the waiting invitation').to.not.equal('');

    for (const [who, person] of [
      ['the Exams Officer of centre B', eoB],
      ['an Admin of centre B', adminB],
    ] as const) {
      attackers.push({
        who,
        browser: await signedInBrowser(
          running,
          { username: person.email, email: person.email, password: person.password },
          '/portal/sign-in?as=centre_user',
        ),
      });
    }
  });
  after(async () => {
    await running?.stop();
  });

  /** The words of centre A's people that must never show on a page answered to centre B's admins. */
  const secretsOfA = () => [
    eoA.email,
    userA.email,
    invitedEmail,
    'Eleri',
    'Ffion',
    'Aled',
    'Ysgol Gyfun Enghraifft',
  ];

  /** Every centre-admin route, at centre A's own address. */
  const atCentreA = (): Attempt[] => {
    const users = `/portal/centres/${A}/users`;
    return [
      { method: 'GET', path: users },
      { method: 'GET', path: `${users}?search=ffion` },
      { method: 'GET', path: `${users}/invite` },
      { method: 'GET', path: `${users}/invite?type=admin` },
      {
        method: 'POST',
        path: `${users}/invite`,
        fields: {
          given_name: 'Mallory',
          family_name: 'Evil',
          email: 'mallory@attacker.example',
          locale: 'en',
          role: 'admin',
          permissions: 'a2c_keys',
        },
      },
      { method: 'GET', path: `${users}/${userMemberA}/access` },
      { method: 'GET', path: `${users}/${userMemberA}/access?type=admin` },
      {
        method: 'POST',
        path: `${users}/${userMemberA}/access`,
        fields: { role: 'admin', permissions: 'a2c_keys', version: '1' },
      },
      { method: 'GET', path: `${users}/${userMemberA}/delete` },
      { method: 'POST', path: `${users}/${userMemberA}/delete`, fields: { version: '1' } },
      { method: 'POST', path: `${users}/${invitedMemberA}/resend`, fields: {} },
      { method: 'GET', path: `/portal/iamis/centres/${A}` },
    ];
  };

  /** The member routes of centre B's own address, with centre A's member ids in them. */
  const membersOfAThroughB = (): Attempt[] => {
    const users = `/portal/centres/${B}/users`;
    const out: Attempt[] = [];
    for (const member of [eoMemberA, userMemberA, invitedMemberA]) {
      out.push(
        { method: 'GET', path: `${users}/${member}/access` },
        { method: 'GET', path: `${users}/${member}/access?type=admin` },
        {
          method: 'POST',
          path: `${users}/${member}/access`,
          fields: { role: 'admin', permissions: 'a2c_keys', version: '1' },
        },
        {
          method: 'POST',
          path: `${users}/${member}/access`,
          fields: { role: 'user', permissions: '' },
        },
        { method: 'GET', path: `${users}/${member}/delete` },
        { method: 'POST', path: `${users}/${member}/delete`, fields: { version: '1' } },
        { method: 'POST', path: `${users}/${member}/resend`, fields: {} },
      );
    }
    for (const search of ['ffion', 'eleri', 'aled', 'ysgol-a', '@']) {
      out.push({ method: 'GET', path: `${users}?search=${encodeURIComponent(search)}` });
    }
    return out;
  };

  /**
   * Everything the requests could have changed, but the audit trail (a refusal is recorded
   * there, which is checked apart) and the Portal's own session rows (which renew).
   */
  async function data(): Promise<Record<string, unknown[]>> {
    const { audit_events: audit, ...rest } = await snapshot(running.portal.db);
    return { ...rest, audit: (audit as { type: string }[]).filter((e) => !REFUSALS.has(e.type)) };
  }

  /** Checks nothing changed, naming the tables that did. */
  function expectSame(after: Record<string, unknown[]>, before: Record<string, unknown[]>): void {
    const changed = Object.keys(before).filter(
      (t) => JSON.stringify(after[t]) !== JSON.stringify(before[t]),
    );
    expect(
      changed.map((t) => `${t}: ${JSON.stringify(after[t]).slice(-600)}`),
      'tables changed',
    ).to.deep.equal([]);
  }

  /** Sends each attempt from `browser` and checks it was refused (or showed nothing of A). */
  async function expectRefused(
    browser: SecurityBrowser,
    attempts: readonly Attempt[],
    allowed: readonly number[],
  ): Promise<void> {
    await browser.open('/portal/profile');
    const csrf = browser.csrfToken();
    for (const attempt of attempts) {
      const label = `${attempt.method} ${attempt.path}`;
      if (attempt.method === 'GET') await browser.open(attempt.path, false);
      else await browser.post(attempt.path, { _csrf: csrf, ...attempt.fields }, false);
      expect(browser.status, `${label}: ${visibleText(browser.html).slice(0, 300)}`).to.be.oneOf(
        allowed,
      );
      const text = visibleText(browser.html);
      for (const secret of secretsOfA()) expect(text, label).to.not.contain(secret);
    }
  }

  for (const who of ['the Exams Officer of centre B', 'an Admin of centre B']) {
    it(`refuses ${who} every centre-admin page of centre A, GET and POST, and changes nothing`, async () => {
      const browser = attackers.find((a) => a.who === who)?.browser as SecurityBrowser;
      const before = await data();
      await expectRefused(browser, atCentreA(), [403]);
      expectSame(await data(), before);
    });

    it(`refuses ${who} centre A's members through centre B's own pages (their ids in B's addresses), and changes nothing`, async () => {
      const browser = attackers.find((a) => a.who === who)?.browser as SecurityBrowser;
      const before = await data();
      const attempts = membersOfAThroughB();
      // A search of B's own list answers 200 (with B's people only); every member page 403 or 404.
      await expectRefused(
        browser,
        attempts.filter((a) => !a.path.includes('?search=')),
        [403, 404],
      );
      await expectRefused(
        browser,
        attempts.filter((a) => a.path.includes('?search=')),
        [200],
      );
      expectSame(await data(), before);
    });

    it(`does not let ${who} switch to centre A, which stays refused afterwards`, async () => {
      const browser = attackers.find((a) => a.who === who)?.browser as SecurityBrowser;
      const before = await data();
      await browser.open('/portal/centres');
      const csrf = browser.csrfToken();
      await browser.post('/portal/centres', { _csrf: csrf, centre: A }, false);
      expect(browser.status).to.be.oneOf([303, 400, 403, 404]);
      if (browser.location) await browser.open(browser.location, false);
      for (const secret of secretsOfA()) expect(visibleText(browser.html)).to.not.contain(secret);
      await browser.open('/portal', false);
      expect(visibleText(browser.html)).to.not.contain('Ysgol Gyfun Enghraifft');
      await browser.open(`/portal/centres/${A}/users`, false);
      expect(browser.status).to.equal(403);
      expectSame(await data(), before);
    });
  }

  it('still lets the Exams Officer of centre A see their own members (the control)', async () => {
    const asEoA = await signedInBrowser(
      running,
      { username: eoA.email, email: eoA.email, password: eoA.password },
      '/portal/sign-in?as=centre_user',
    );
    await asEoA.open(`/portal/centres/${A}/users/${userMemberA}/access`, false);
    expect(asEoA.status).to.equal(200);
    expect(visibleText(asEoA.html)).to.contain(userA.email);
  });
});

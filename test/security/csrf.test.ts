import { expect } from 'chai';
import * as oidc from 'openid-client';
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
import { createClockedTestUser } from '../../packages/portal-express/test/support/rp.js';
import {
  addToCentre,
  createCentre,
  createCentrePerson,
  invitationLink,
  type CentrePerson,
} from '../../packages/portal-express/test/support/centres.js';
import {
  addEmailFactor,
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { answerOn, linkIn, mailTo } from '../../packages/portal-express/test/support/recovery.js';
import { SecurityBrowser } from './support/browser.js';
import { alsoAtPortal, completeSignIn, signedInBrowser } from './support/people.js';
import { declaredRoutes } from './support/routes.js';
import { snapshot } from './support/snapshot.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const A = '68101';
const B = '68202';
const FORM_EXPIRED = 'This form has expired';

/**
 * Routes that take a POST without a CSRF token on purpose: the back-channel logout endpoints are
 * called server to server by the provider with a signed logout token; a browser's cookies give
 * them nothing (tested below), so a cross-site form cannot use them.
 */
const SERVER_TO_SERVER = new Set([
  'POST /amp/backchannel-logout',
  'POST /portal/backchannel-logout',
]);

/** What one case posts: from which browser, to where, with which fields (the real form's, token aside). */
interface Prepared {
  readonly browser: SecurityBrowser;
  readonly action: string;
  readonly fields: Record<string, string>;
  /** The browser's own valid token, for the control post. */
  readonly ownToken: string;
}

interface FormCase {
  /** The route as Express declares it. */
  readonly route: string;
  /** What the form is, in words. */
  readonly what: string;
  readonly prepare: () => Promise<Prepared>;
  /**
   * False for forms whose success ends the browser's sessions or deletes what later cases use;
   * their success with a valid token is what the journey tests check.
   */
  readonly control?: boolean;
}

/** The fields of the current page's form posting to `action`, with `extra` filled in. */
function formOn(
  browser: SecurityBrowser,
  action: string,
  extra: Record<string, string> = {},
): Prepared {
  const form = browser.forms().find((f) => f.action === action && f.method === 'post');
  if (!form) {
    throw new Error(
      `no form posting to ${action} on ${browser.url}:\n${browser.html.slice(0, 3000)}`,
    );
  }
  const { _csrf: ownToken = '', ...hidden } = form.hidden;
  expect(ownToken, `the form posting to ${action} carries a CSRF token`).to.not.equal('');
  return { browser, action, fields: { ...hidden, ...extra }, ownToken };
}

describe(`CSRF: every form of the portal refuses a post without its own token (${DB})`, function () {
  this.timeout(300_000);
  let running: ClockedTestPortal;
  let client: TestClient;
  let appointee: Person;
  /** An appointee with email codes only, for the tests after the cases (which change factors). */
  let second: Person;
  let appointeeBrowser: SecurityBrowser;
  let eo: CentrePerson;
  let eoBrowser: SecurityBrowser;
  let staffBrowser: SecurityBrowser;
  let supportTarget: Person;
  let memberId: string;
  let doomedMemberId: string;
  let invitedMemberId: string;
  let resetPath: string;
  let legacyResetPath: string;
  let invitationPath: string;
  /** A valid token of the attacker's own browser. */
  let attackerToken: string;

  /** Asks for a password reset link over HTTP and returns the path of the emailed link. */
  async function resetLinkFor(username: string, to: string, prefix: string): Promise<string> {
    const browser = new SecurityBrowser(running.url);
    await browser.open('/forgotten-password');
    await browser.submit({ username, answer: answerOn(browser.html) }, '/forgotten-password');
    expect(new URL(browser.url).pathname).to.equal('/forgotten-password/sent');
    const [mail] = (await mailTo(running, to, 'password_reset')).slice(-1);
    return linkIn(mail, prefix);
  }

  before(async () => {
    running = await startClockedTestPortal();
    client = await registerTestClient(running);
    const { db, clock, random, hasher } = running.portal.services;

    // An appointee with two second factors (an authenticator app, and email codes as default).
    const user = await createClockedTestUser(running, clock, {
      given: 'Cadi',
      family: 'Rhys',
      username: 'cadi.rhys@wjec-appointees.co.uk',
    });
    await addEmailFactor(running, user.account.id, 'cadi.rhys@example.org');
    appointee = {
      account: user.account,
      username: user.username,
      email: 'cadi.rhys@example.org',
      password: user.password,
    };
    appointeeBrowser = await signedInBrowser(running, appointee, '/amp');
    second = await createPerson(running, {
      kind: 'appointee',
      given: 'Llinos',
      family: 'Wyn',
      username: 'llinos.wyn@wjec-appointees.co.uk',
      email: 'llinos@example.org',
    });
    await alsoAtPortal(appointeeBrowser);

    // The Exams Officer of centre A (also a User at centre B, so there is a centre to switch to).
    eo = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol-a.example.org',
    });
    await createCentre(running, A, 'Ysgol Gyfun Enghraifft', eo);
    const otherEo = await createCentrePerson(running, {
      given: 'Owain',
      family: 'Rees',
      email: 'owain@coleg-b.example.org',
    });
    await createCentre(running, B, 'Coleg Enghraifft', otherEo);
    await addToCentre(running, B, eo, 'user', ['resources']);
    const member = await createCentrePerson(running, {
      given: 'Ffion',
      family: 'Hughes',
      email: 'ffion@ysgol-a.example.org',
    });
    memberId = (await addToCentre(running, A, member, 'user', ['resources'])).id;
    const doomed = await createCentrePerson(running, {
      given: 'Dilys',
      family: 'Price',
      email: 'dilys@ysgol-a.example.org',
    });
    doomedMemberId = (await addToCentre(running, A, doomed, 'user', ['resources'])).id;
    eoBrowser = await signedInBrowser(
      running,
      { username: eo.email, email: eo.email, password: eo.password },
      '/portal/sign-in?as=centre_user',
    );
    // Two invitations, sent as the Exams Officer would: one to accept, one to send again.
    for (const [given, email] of [
      ['Aled', 'aled@ysgol-a.example.org'],
      ['Nia', 'nia@ysgol-a.example.org'],
    ] as const) {
      await eoBrowser.open(`/portal/centres/${A}/users/invite`);
      await eoBrowser.submit(
        { given_name: given, family_name: 'Jones', email, locale: 'en', permissions: 'resources' },
        `/portal/centres/${A}/users/invite`,
      );
      expect(eoBrowser.status, eoBrowser.html.slice(0, 1500)).to.equal(200);
    }
    invitationPath = new URL((await invitationLink(running, 'aled@ysgol-a.example.org')).url)
      .pathname;
    await eoBrowser.open(`/portal/centres/${A}/users?search=nia`);
    invitedMemberId = /\/users\/([0-9a-f]+)\/resend/.exec(eoBrowser.html)?.[1] ?? '';
    expect(invitedMemberId, 'the waiting invitation').to.not.equal('');

    // A member of the support team, and an account for them to act on.
    const staff = await createPerson(running, {
      kind: 'staff',
      given: 'Nia',
      family: 'Thomas',
      username: 'nia.thomas@support.example.org',
      email: 'nia.thomas@support.example.org',
    });
    staffBrowser = await signedInBrowser(running, staff, '/portal/sign-in?as=appointee');
    supportTarget = await createPerson(running, {
      kind: 'appointee',
      given: 'Tomos',
      family: 'Bevan',
      username: 'tomos.bevan@wjec-appointees.co.uk',
      email: 'tomos@example.org',
    });

    // Reset links: one of a new account, one of a legacy account.
    resetPath = await resetLinkFor(
      supportTarget.username,
      'tomos@example.org',
      '/forgotten-password/reset/',
    );
    await new KnexAccountRepository(db, clock, random).insertLegacy({
      legacyUsername: 'gwen.evans',
      passwordHash: await hasher.hash('Hen-Gyfrinair-AMP-1!'),
      email: 'gwen@example.org',
      givenName: 'Gwen',
      familyName: 'Evans',
      locale: 'en',
    });
    legacyResetPath = await resetLinkFor(
      'gwen.evans',
      'gwen@example.org',
      '/forgotten-password/legacy/',
    );

    const attacker = new SecurityBrowser(running.url);
    await attacker.open('/forgotten-username');
    attackerToken = attacker.csrfToken();
    // Every request comes from 127.0.0.1: start from fresh per-address limits.
    await db('throttle_counters').delete();
  });
  after(async () => {
    await running?.stop();
  });

  /** A new browser on the sign-in page of a fresh authorization request. */
  async function signingIn(): Promise<SecurityBrowser> {
    const browser = new SecurityBrowser(running.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    expect(browser.html).to.contain('name="username"');
    return browser;
  }

  /** A form of a page, as the given (signed-in) browser sees it. */
  function onPage(
    browser: () => SecurityBrowser,
    page: () => string,
    action: () => string,
    extra: Record<string, string> | (() => Record<string, string>) = {},
  ): () => Promise<Prepared> {
    return async () => {
      const b = browser();
      await b.open(page());
      return formOn(b, action(), typeof extra === 'function' ? extra() : extra);
    };
  }

  /** A form with no page of its own at hand: the fields are given, the token comes from `page`. */
  function given(
    browser: () => SecurityBrowser,
    page: string,
    action: () => string,
    fields: Record<string, string>,
  ): () => Promise<Prepared> {
    return async () => {
      const b = browser();
      await b.open(page);
      return { browser: b, action: action(), fields, ownToken: b.csrfToken() };
    };
  }

  const appointeeB = () => appointeeBrowser;
  const eoB = () => eoBrowser;
  const staffB = () => staffBrowser;
  const users = `/portal/centres/${A}/users`;
  const cases: readonly FormCase[] = [
    {
      route: 'POST /interaction/:uid/:state',
      what: 'the sign-in username page',
      async prepare() {
        const b = await signingIn();
        return formOn(b, new URL(b.url).pathname + '/username', { username: appointee.username });
      },
    },
    {
      route: 'POST /interaction/:uid/:state',
      what: 'the sign-in password page',
      async prepare() {
        const b = await signingIn();
        await b.submit({ username: appointee.username });
        return formOn(b, new URL(b.url).pathname + '/password', { password: appointee.password });
      },
    },
    {
      route: 'POST /interaction/:uid/:state',
      what: "the sign-in's cancel button",
      async prepare() {
        const b = await signingIn();
        const uid = new URL(b.url).pathname;
        return { browser: b, action: `${uid}/abort`, fields: {}, ownToken: b.csrfToken() };
      },
    },
    {
      route: 'POST /forgotten-username',
      what: 'forgotten username',
      async prepare() {
        const b = new SecurityBrowser(running.url);
        await b.open('/forgotten-username');
        return formOn(b, '/forgotten-username', { email: appointee.email });
      },
    },
    {
      route: 'POST /forgotten-password',
      what: 'forgotten password',
      async prepare() {
        const b = new SecurityBrowser(running.url);
        await b.open('/forgotten-password');
        return formOn(b, '/forgotten-password', {
          username: appointee.username,
          answer: answerOn(b.html),
        });
      },
    },
    {
      route: 'POST /forgotten-password/reset/:token',
      what: 'choosing a new password through a reset link',
      async prepare() {
        const b = new SecurityBrowser(running.url);
        await b.open(resetPath);
        return formOn(b, resetPath, {
          new_password: 'Newydd-Sbon-2026!',
          confirm_password: 'Newydd-Sbon-2026!',
        });
      },
      control: false,
    },
    {
      route: 'POST /forgotten-password/legacy/:token',
      what: 'choosing a new original password through a legacy reset link',
      async prepare() {
        const b = new SecurityBrowser(running.url);
        await b.open(legacyResetPath);
        return formOn(b, legacyResetPath, {
          new_password: 'Newydd-Sbon-2026!',
          confirm_password: 'Newydd-Sbon-2026!',
        });
      },
    },
    {
      route: 'POST /invitation/:token',
      what: 'accepting an invitation',
      async prepare() {
        const b = new SecurityBrowser(running.url);
        await b.open(invitationPath);
        return formOn(b, invitationPath, {
          new_password: 'Afon-Teifi-Glas-2026!',
          confirm_password: 'Afon-Teifi-Glas-2026!',
        });
      },
    },
    {
      route: 'POST /amp/profile',
      what: 'AMP profile',
      prepare: onPage(
        appointeeB,
        () => '/amp/profile',
        () => '/amp/profile',
        {
          given_name: 'Mallory',
          family_name: 'Rhys',
          email: 'mallory@attacker.example',
          phone: '',
          teaching_centre: '',
          locale: 'en',
        },
      ),
    },
    {
      route: 'POST /amp/security/default',
      what: 'AMP: make a second factor the default',
      prepare: onPage(
        appointeeB,
        () => '/amp/security',
        () => '/amp/security/default',
      ),
    },
    {
      route: 'POST /amp/security/remove',
      what: 'AMP: remove a second factor',
      prepare: onPage(
        appointeeB,
        () => '/amp/security',
        () => '/amp/security/remove',
      ),
      control: false,
    },
    {
      route: 'POST /amp/security/recovery-codes',
      what: 'AMP: make new recovery codes',
      prepare: onPage(
        appointeeB,
        () => '/amp/security',
        () => '/amp/security/recovery-codes',
      ),
    },
    {
      route: 'POST /amp/security/password',
      what: 'AMP: change password',
      prepare: onPage(
        appointeeB,
        () => '/amp/security/password',
        () => '/amp/security/password',
        {
          current_password: 'Cyfrinair-Cryf-2026!',
          new_password: 'Mallory-Was-Here-2026!',
          confirm_password: 'Mallory-Was-Here-2026!',
        },
      ),
    },
    {
      route: 'POST /amp/confirm-password',
      what: 'AMP: confirm your password before a security change',
      prepare: given(appointeeB, '/amp', () => '/amp/confirm-password', {
        password: 'Cyfrinair-Cryf-2026!',
        next: '/amp/security/add',
      }),
    },
    {
      route: 'POST /amp/security/add',
      what: 'AMP: choose a new second factor',
      prepare: onPage(
        appointeeB,
        () => '/amp/security/add',
        () => '/amp/security/add',
        {
          method: 'email',
        },
      ),
    },
    {
      route: 'POST /amp/security/add/phone',
      what: 'AMP: add a phone for codes',
      prepare: onPage(
        appointeeB,
        () => '/amp/security/add/phone?delivery=sms',
        () => '/amp/security/add/phone',
        { phone: '07700 900123' },
      ),
    },
    {
      route: 'POST /amp/security/add/email',
      what: 'AMP: add email codes',
      prepare: onPage(
        appointeeB,
        () => '/amp/security/add/email',
        () => '/amp/security/add/email',
        {
          risks: 'yes',
        },
      ),
    },
    {
      route: 'POST /amp/security/add/confirm',
      what: 'AMP: confirm a new second factor with its code',
      prepare: given(appointeeB, '/amp', () => '/amp/security/add/confirm', {
        action: 'verify',
        code: '123456',
      }),
    },
    {
      route: 'POST /portal/emi/units/:unitId',
      what: 'EMI: save marks',
      prepare: given(appointeeB, '/portal', () => '/portal/emi/units/unit-1', {
        'mark:cand-1': '12',
      }),
    },
    {
      route: 'POST /portal/emi/units/:unitId/submit',
      what: 'EMI: submit marks',
      prepare: given(appointeeB, '/portal', () => '/portal/emi/units/unit-1/submit', {
        confirm: 'yes',
      }),
    },
    {
      route: 'POST /portal/iamis/centres/:centre/units/:unitId',
      what: "IAMIS: save a centre's marks",
      prepare: given(eoB, '/portal', () => `/portal/iamis/centres/${A}/units/unit-1`, {
        'mark:cand-1': '12',
      }),
    },
    {
      route: 'POST /portal/iamis/centres/:centre/units/:unitId/submit',
      what: "IAMIS: submit a centre's marks",
      prepare: given(eoB, '/portal', () => `/portal/iamis/centres/${A}/units/unit-1/submit`, {
        confirm: 'yes',
      }),
    },
    {
      route: 'POST /portal/iamis/moderation/:unitId/centres/:centre',
      what: "IAMIS: a moderator's marks",
      prepare: given(appointeeB, '/portal', () => `/portal/iamis/moderation/unit-1/centres/${A}`, {
        'mark:cand-1': '12',
      }),
    },
    {
      route: 'POST /portal/profile',
      what: 'Portal profile',
      prepare: onPage(
        eoB,
        () => '/portal/profile',
        () => '/portal/profile',
        () => ({
          given_name: 'Mallory',
          family_name: 'Morgan',
          phone: '',
          locale: 'en',
          password: eo.password,
        }),
      ),
    },
    {
      route: 'POST /portal/centres',
      what: 'switching centre',
      prepare: onPage(
        eoB,
        () => '/portal/centres',
        () => '/portal/centres',
      ),
    },
    {
      route: 'POST /portal/centres/:centre/users/invite',
      what: 'inviting a centre user',
      prepare: onPage(
        eoB,
        () => `${users}/invite?type=admin`,
        () => `${users}/invite`,
        {
          given_name: 'Mallory',
          family_name: 'Evil',
          email: 'mallory@attacker.example',
          locale: 'en',
          permissions: 'a2c_keys',
        },
      ),
    },
    {
      route: 'POST /portal/centres/:centre/users/:member/access',
      what: "changing a centre user's access",
      prepare: onPage(
        eoB,
        () => `${users}/${memberId}/access?type=admin`,
        () => `${users}/${memberId}/access`,
        { permissions: 'a2c_keys' },
      ),
    },
    {
      route: 'POST /portal/centres/:centre/users/:member/resend',
      what: 'sending an invitation again',
      prepare: onPage(
        eoB,
        () => `${users}?search=nia`,
        () => `${users}/${invitedMemberId}/resend`,
      ),
    },
    {
      route: 'POST /portal/centres/:centre/users/:member/delete',
      what: 'deleting a centre user',
      prepare: onPage(
        eoB,
        () => `${users}/${doomedMemberId}/delete`,
        () => `${users}/${doomedMemberId}/delete`,
      ),
    },
    {
      route: 'POST /portal/support/accounts/:id/:action',
      what: 'a support action (disable an account)',
      prepare: onPage(
        staffB,
        () => `/portal/support/accounts/${supportTarget.account.id}/disable`,
        () => `/portal/support/accounts/${supportTarget.account.id}/disable`,
        { reason: 'Asked to by the attacker' },
      ),
    },
    // Last: their success ends the sessions the cases above use.
    {
      route: 'POST /amp/security/sign-out-everywhere',
      what: 'AMP: sign out everywhere',
      prepare: onPage(
        appointeeB,
        () => '/amp/security',
        () => '/amp/security/sign-out-everywhere',
      ),
      control: false,
    },
    {
      route: 'POST /portal/sign-out',
      what: 'Portal: sign out',
      prepare: onPage(
        appointeeB,
        () => '/portal',
        () => '/portal/sign-out',
      ),
      control: false,
    },
    {
      route: 'POST /amp/sign-out',
      what: 'AMP: sign out',
      prepare: onPage(
        appointeeB,
        () => '/amp',
        () => '/amp/sign-out',
      ),
      control: false,
    },
  ];

  it('has a case below for every POST route the portal declares', async () => {
    const posts = (await declaredRoutes()).filter((r) => r.startsWith('POST '));
    expect(posts.length).to.be.greaterThan(25);
    const covered = new Set([...cases.map((c) => c.route), ...SERVER_TO_SERVER]);
    expect(
      posts.filter((r) => !covered.has(r)),
      'POST routes without a CSRF case',
    ).to.deep.equal([]);
    expect(
      [...covered].filter((r) => !posts.includes(r)),
      'cases for routes that do not exist',
    ).to.deep.equal([]);
  });

  for (const c of cases) {
    it(`refuses ${c.what} (${c.route}) without a token and with another browser's token: 403, nothing changed`, async () => {
      const { browser, action, fields, ownToken } = await c.prepare();
      const before = await snapshot(running.portal.db);
      for (const [label, token] of [
        ['without a token', null],
        ["with another browser's token", attackerToken],
      ] as const) {
        await browser.post(action, token === null ? fields : { ...fields, _csrf: token }, false);
        expect(browser.status, `${action} ${label}`).to.equal(403);
        expect(browser.html, `${action} ${label}`).to.contain(FORM_EXPIRED);
      }
      expect(await snapshot(running.portal.db), 'the data after the refused posts').to.deep.equal(
        before,
      );
      if (c.control !== false) {
        // The control: the same browser's own token gets past the check (whatever the form
        // then says about the fields), so the refusals above were the token's doing.
        await browser.post(action, { ...fields, _csrf: ownToken }, false);
        expect(
          browser.status === 403 && browser.html.includes(FORM_EXPIRED),
          `${action} with the browser's own token`,
        ).to.equal(false);
      }
    });
  }

  it('answers the back-channel logout endpoints 400 to a browser, whatever its cookies, and ends no session', async () => {
    const victim = await signedInBrowser(running, second, '/amp');
    await alsoAtPortal(victim);
    const before = await snapshot(running.portal.db);
    for (const app of ['amp', 'portal']) {
      await victim.post(`/${app}/backchannel-logout`, { logout_token: 'not-a-token' }, false);
      expect(victim.status, app).to.equal(400);
      await victim.post(`/${app}/backchannel-logout`, {}, false);
      expect(victim.status, app).to.equal(400);
    }
    expect(await snapshot(running.portal.db)).to.deep.equal(before);
    await victim.open('/amp');
    expect(new URL(victim.url).pathname).to.equal('/amp');
  });

  describe("the provider's own sign-out form", () => {
    /** A browser signed in at the provider through the test client, and its ID token. */
    async function signedInAtProvider(): Promise<{ browser: SecurityBrowser; idToken: string }> {
      const browser = new SecurityBrowser(running.url);
      const { url, verifier, state } = await authorizationRequest(client);
      await browser.open(url.toString());
      await completeSignIn(running, browser, second);
      const tokens = await oidc.authorizationCodeGrant(client.config, new URL(browser.url), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      return { browser, idToken: tokens.id_token ?? '' };
    }

    /** True when the browser still has a provider session: a silent authorization returns a code. */
    async function stillSignedIn(browser: SecurityBrowser): Promise<boolean> {
      const { url } = await authorizationRequest(client);
      url.searchParams.set('prompt', 'none');
      await browser.open(url.toString(), false);
      const callback = new URL(browser.location, running.url);
      if (!callback.href.startsWith(client.redirectUri)) throw new Error(callback.href);
      return callback.searchParams.has('code');
    }

    /** Opens the end-session confirmation page; returns the form's action and xsrf value. */
    async function confirmationPage(
      browser: SecurityBrowser,
      idToken: string,
    ): Promise<{ action: string; xsrf: string }> {
      const end = oidc.buildEndSessionUrl(client.config, { id_token_hint: idToken });
      await browser.open(end.toString());
      const form = browser.forms().find((f) => f.hidden.xsrf !== undefined);
      if (!form) throw new Error(`no logout form on ${browser.url}:\n${browser.html}`);
      return { action: new URL(form.action, running.url).pathname, xsrf: form.hidden.xsrf ?? '' };
    }

    it('refuses "Sign out" without its xsrf value and with another browser\'s, keeping the session', async () => {
      const victim = await signedInAtProvider();
      const attacker = await signedInAtProvider();
      const { xsrf: attackerXsrf } = await confirmationPage(attacker.browser, attacker.idToken);
      const { action, xsrf } = await confirmationPage(victim.browser, victim.idToken);
      const refused: Record<string, string>[] = [
        { logout: 'yes' },
        { logout: 'yes', xsrf: attackerXsrf },
      ];
      for (const fields of refused) {
        await victim.browser.post(action, fields, false);
        expect(victim.browser.status, JSON.stringify(Object.keys(fields))).to.equal(400);
        expect(victim.browser.location).to.equal('');
        expect(victim.browser.html).to.contain('<html lang="en">');
      }
      expect(await stillSignedIn(victim.browser)).to.equal(true);
      // The control: its own value signs it out.
      await victim.browser.post(action, { logout: 'yes', xsrf }, false);
      expect(victim.browser.status).to.be.oneOf([302, 303]);
      expect(await stillSignedIn(victim.browser)).to.equal(false);
      expect(await stillSignedIn(attacker.browser)).to.equal(true);
    });
  });
});

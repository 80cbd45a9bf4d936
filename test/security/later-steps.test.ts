import { expect } from 'chai';
import { KnexAccountRepository } from '@porth/identity-core';
import { SIGN_IN_STATES } from '../../packages/portal-express/src/sign-in/states.js';
import {
  authorizationRequest,
  registerTestClient,
  type TestClient,
} from '../../packages/portal-express/test/support/server.js';
import {
  startClockedTestPortal,
  type ClockedTestPortal,
} from '../../packages/portal-express/test/support/provider.js';
import {
  emailedCode,
  insertLegacyAccount,
  temporaryPasswordFor,
} from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  createCentre,
  createCentrePerson,
  invitationLink,
} from '../../packages/portal-express/test/support/centres.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { SecurityBrowser } from './support/browser.js';
import { signedInBrowser } from './support/people.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const NEW_PASSWORD = 'Afon-Teifi-Glas-2026!';

/**
 * Everything any step's form could take, all filled in: a post to the wrong step carries what
 * that step would want to see (a password, a code, "yes", a new password, details).
 */
function everything(password: string): Record<string, string> {
  return {
    username: 'someone@wjec-appointees.co.uk',
    password,
    code: '123456',
    action: 'verify',
    method: 'email',
    risks: 'yes',
    stay_signed_in: 'yes',
    new_password: NEW_PASSWORD,
    confirm_password: NEW_PASSWORD,
    given_name: 'Mallory',
    family_name: 'Evil',
    email: 'mallory@attacker.example',
    phone: '',
  };
}

describe(`posting straight to a later step never signs anyone in (${DB})`, function () {
  this.timeout(180_000);
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

  const accounts = () =>
    new KnexAccountRepository(
      running.portal.services.db,
      running.portal.services.clock,
      running.portal.services.random,
    );

  async function newPerson(): Promise<Person> {
    people += 1;
    return createPerson(running, {
      kind: 'appointee',
      given: 'Siwan',
      family: 'Jenkins',
      username: `siwan.jenkins${people}@wjec-appointees.co.uk`,
      email: `siwan${people}@example.org`,
    });
  }

  /** A new browser on the "Sign in" page of a fresh authorization request at the test client. */
  async function signingIn(): Promise<SecurityBrowser> {
    const browser = new SecurityBrowser(running.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    expect(browser.html).to.contain('name="username"');
    return browser;
  }

  function uidOf(browser: SecurityBrowser): string {
    const uid = /^\/interaction\/([^/?#]+)/.exec(new URL(browser.url).pathname)?.[1];
    if (!uid) throw new Error(`not on a sign-in page: ${browser.url}`);
    return uid;
  }

  /**
   * From the sign-in page the browser is on (whose form posts to `current`), posts every other
   * step's address with every field filled in and this page's own token: each is answered by
   * showing the current page again, and the current page is what the sign-in then shows.
   */
  async function postToEveryOtherStep(
    browser: SecurityBrowser,
    current: string,
    password: string,
  ): Promise<void> {
    const uid = uidOf(browser);
    const page = browser.html;
    expect(page, `the page of ${current}`).to.contain(`action="/interaction/${uid}/${current}"`);
    const csrf = browser.csrfToken();
    for (const state of [...SIGN_IN_STATES, 'consent'].filter((s) => s !== current)) {
      await browser.post(
        `/interaction/${uid}/${state}`,
        { ...everything(password), _csrf: csrf },
        false,
      );
      expect(browser.status, `${current} → ${state}`).to.equal(303);
      expect(browser.location, `${current} → ${state}`).to.equal(`/interaction/${uid}`);
    }
    await browser.open(`/interaction/${uid}`);
    expect(browser.status).to.equal(200);
    expect(browser.html, `still on ${current}`).to.contain(
      `action="/interaction/${uid}/${current}"`,
    );
  }

  /**
   * A silent authorization request (`prompt=none`) with the browser's provider session, from a
   * separate browser so the sign-in under way keeps its own cookies: where the client is sent.
   */
  async function silentAuthorization(browser: SecurityBrowser): Promise<URL> {
    const silent = new SecurityBrowser(running.url);
    for (const name of ['porth_session', 'porth_session.sig', 'porth_bid']) {
      const value = browser.cookie(running.url, name);
      if (value) silent.setCookie(running.url, name, value);
    }
    const { url } = await authorizationRequest(client);
    url.searchParams.set('prompt', 'none');
    await silent.open(url.toString(), false);
    const callback = new URL(silent.location, running.url);
    expect(`${callback.origin}${callback.pathname}`).to.equal(client.redirectUri);
    return callback;
  }

  /**
   * Checks the browser holds no signed-in provider session (a silent authorization request is
   * answered `login_required`, with no code), and that no sign-in or application session was
   * recorded for the account.
   */
  async function expectNotSignedIn(browser: SecurityBrowser, accountId: string): Promise<void> {
    const callback = await silentAuthorization(browser);
    expect(callback.searchParams.get('error')).to.equal('login_required');
    expect(callback.searchParams.has('code')).to.equal(false);
    const signIns = await running.portal
      .db('audit_events')
      .where({ type: 'sign_in', outcome: 'success', account_id: accountId });
    expect(signIns, 'sign-ins recorded').to.have.length(0);
    const sessions = await running.portal.db('rp_sessions').where({ account_id: accountId });
    expect(sessions, 'application sessions').to.have.length(0);
  }

  /** Presses "Stay signed in? No" and checks the browser arrived at the client with a code. */
  async function finishAndExpectCode(browser: SecurityBrowser): Promise<void> {
    await browser.submit({ stay_signed_in: 'no' }, undefined, false);
    // Through the provider's resume address to the client.
    for (let hop = 0; hop < 5 && !browser.location.startsWith(client.redirectUri); hop++) {
      expect(browser.location, browser.html.slice(0, 800)).to.not.equal('');
      await browser.open(browser.location, false);
    }
    const callback = new URL(browser.location, running.url);
    expect(`${callback.origin}${callback.pathname}`, browser.html.slice(0, 800)).to.equal(
      client.redirectUri,
    );
    expect(callback.searchParams.has('code')).to.equal(true);
  }

  it('refuses every later step from the password page (the password not yet given)', async () => {
    const person = await newPerson();
    const browser = await signingIn();
    await browser.submit({ username: person.username });
    await postToEveryOtherStep(browser, 'password', person.password);
    await expectNotSignedIn(browser, person.account.id);
  });

  it('refuses every other step from the second-factor page: the second factor cannot be skipped', async () => {
    const person = await newPerson();
    const browser = await signingIn();
    running.clock.advance(61_000);
    await browser.submit({ username: person.username });
    await browser.submit({ password: person.password });
    await postToEveryOtherStep(browser, 'second_factor', person.password);
    await expectNotSignedIn(browser, person.account.id);
    // The control: the code itself moves the sign-in on, and it ends at the client.
    await browser.submit({ action: 'verify', code: await emailedCode(running, person.email) });
    expect(browser.html).to.contain('Stay signed in?');
    await finishAndExpectCode(browser);
    expect((await silentAuthorization(browser)).searchParams.has('code'), 'now signed in').to.equal(
      true,
    );
  });

  it('refuses to skip the required actions: a temporary password to change, then missing details', async () => {
    const person = await newPerson();
    await accounts().addRequiredAction(person.account.id, 'update_password');
    await accounts().addRequiredAction(person.account.id, 'update_profile');
    const hashBefore = await accounts().getPasswordHash(person.account.id);
    const browser = await signingIn();
    running.clock.advance(61_000);
    await browser.submit({ username: person.username });
    await browser.submit({ password: person.password });
    await browser.submit({ action: 'verify', code: await emailedCode(running, person.email) });
    await postToEveryOtherStep(browser, 'update_password', person.password);
    await expectNotSignedIn(browser, person.account.id);
    expect(await accounts().getPasswordHash(person.account.id)).to.equal(hashBefore);
    expect(await accounts().listRequiredActions(person.account.id)).to.include('update_password');

    await browser.submit({ new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    await postToEveryOtherStep(browser, 'update_profile', NEW_PASSWORD);
    await expectNotSignedIn(browser, person.account.id);
    expect(await accounts().listRequiredActions(person.account.id)).to.include('update_profile');
  });

  it('refuses every later step of a migration: from the legacy password page and the new-username page', async () => {
    const legacy = {
      legacyUsername: 'gethin.hopkin',
      password: 'Hen-Gyfrinair-AMP-1!',
      givenName: 'Gethin',
      familyName: 'Hopkin',
      email: 'gethin@example.org',
    };
    const account = await insertLegacyAccount(running, legacy);
    const browser = await signingIn();
    await browser.submit({ username: legacy.legacyUsername });
    await postToEveryOtherStep(browser, 'migrate', legacy.password);
    expect((await accounts().findById(account.id))?.status, 'still not migrated').to.equal(
      'legacy',
    );
    await expectNotSignedIn(browser, account.id);

    await browser.submit({ password: legacy.password });
    expect(browser.html).to.contain('id="new-username"');
    await postToEveryOtherStep(browser, 'migrated', legacy.password);
    await expectNotSignedIn(browser, account.id);
  });

  it('refuses every later step of the first sign-in after a migration: the second factor must be set up', async () => {
    const legacy = {
      legacyUsername: 'lowri.daniel',
      password: 'Hen-Gyfrinair-AMP-2!',
      givenName: 'Lowri',
      familyName: 'Daniel',
      email: 'lowri@example.org',
    };
    const account = await insertLegacyAccount(running, legacy);
    const browser = await signingIn();
    await browser.submit({ username: legacy.legacyUsername });
    await browser.submit({ password: legacy.password });
    const newUsername = /id="new-username">([^<]+)</.exec(browser.html)?.[1] ?? '';
    await browser.submit({ action: 'proceed' });
    const temporary = await temporaryPasswordFor(running, legacy.email);
    await browser.submit({ username: newUsername });
    await browser.submit({ password: temporary });
    await postToEveryOtherStep(browser, 'mfa_setup', temporary);
    await expectNotSignedIn(browser, account.id);
    const factors = await running.portal.services.mfa.listFactors(account.id);
    expect(
      factors.filter((f) => f.confirmedAt !== null),
      'confirmed factors',
    ).to.have.length(0);
    expect((await accounts().findById(account.id))?.passwordTemporary).to.equal(true);
  });

  it('refuses every later step of the first sign-in after accepting an invitation', async () => {
    const eo = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol-a.example.org',
    });
    await createCentre(running, '68101', 'Ysgol Gyfun Enghraifft', eo);
    const asEo = await signedInBrowser(
      running,
      { username: eo.email, email: eo.email, password: eo.password },
      '/portal/sign-in?as=centre_user',
    );
    const email = 'aled@ysgol-a.example.org';
    await asEo.open('/portal/centres/68101/users/invite');
    await asEo.submit(
      { given_name: 'Aled', family_name: 'Jones', email, locale: 'en', permissions: 'resources' },
      '/portal/centres/68101/users/invite',
    );
    expect(asEo.status, asEo.html.slice(0, 1000)).to.equal(200);

    const invitee = new SecurityBrowser(running.url);
    await invitee.open((await invitationLink(running, email)).url);
    await invitee.submit({ new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(new URL(invitee.url).pathname).to.match(/^\/interaction\//);
    await postToEveryOtherStep(invitee, 'username', NEW_PASSWORD);
    await invitee.submit({ username: email });
    await postToEveryOtherStep(invitee, 'password', NEW_PASSWORD);
    await invitee.submit({ password: NEW_PASSWORD });
    await postToEveryOtherStep(invitee, 'mfa_setup', NEW_PASSWORD);
    const account = await accounts().findByUsername(email);
    expect(account, 'the invitee has an account').to.not.equal(null);
    await expectNotSignedIn(invitee, account?.id ?? '');
  });
});

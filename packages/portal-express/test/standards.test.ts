import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import * as oidc from 'openid-client';
import { ConfigError, cryptoRandom } from '@porth/identity-core';
import { createTestDatabase } from '@porth/identity-core/testing';
import { main } from '../src/cli.js';
import { loadPortalConfig } from '../src/config.js';
import { allMigrations } from '../src/db/migrations.js';
import { seedDemoCentres } from '../src/demo/centres-seed.js';
import { seedDemoMarks } from '../src/demo/marks-seed.js';
import { seedDemoData } from '../src/demo/seed.js';
import { startPortal } from '../src/server.js';
import {
  HttpBrowser,
  registerTestClient,
  startTestPortal,
  type RunningTestPortal,
  type TestClient,
  type TestUser,
} from './support/server.js';
import { Browser, createClockedTestUser, freshTotpCode, signInAtProvider } from './support/rp.js';
import {
  emailedCode,
  insertLegacyAccount,
  mailsTo,
  interactionId,
  migrateAndSignIn,
  pageText,
  post,
  redeemCode,
  startSignIn,
  type StartedSignIn,
} from './support/sign-in-setup.js';
import { answerOn, hiddenFields, linkIn, mailTo, postForm } from './support/recovery.js';
import {
  addEmailFactor,
  completeSignIn as completeStaffSignIn,
  createPerson,
} from './support/support-console.js';
import { signInToPortal, visibleText } from './support/centres.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const VIEWS = fileURLToPath(new URL('../views/', import.meta.url));
const ASSETS = fileURLToPath(new URL('../assets/', import.meta.url));

/** Every file under `dir` whose name ends with `ending`, as paths relative to `dir`. */
function filesUnder(dir: string, ending: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return filesUnder(dir, ending, path);
    return entry.name.endsWith(ending) ? [path] : [];
  });
}

/** The value of `name="…"` in a tag or a partial call, or null. */
function attr(tag: string, name: string): string | null {
  return new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(tag)?.[1] ?? null;
}

/** The input fields of a piece of template: raw `<input>` tags and `{{> text-input …}}` calls. */
function fieldsOf(template: string): string[] {
  return [
    ...[...template.matchAll(/<input\b[^>]*>/g)].map((m) => m[0]),
    ...[...template.matchAll(/\{\{>\s*text-input\b[^}]*\}\}/g)].map((m) => m[0]),
  ];
}

/** True for a field that takes a password: by its type, or by a name or id saying so. */
function isPasswordField(field: string): boolean {
  return attr(field, 'type') === 'password' || /password/i.test(`${attr(field, 'name') ?? ''}`);
}

/** The words people read on the page, for matching sentences. */
const textOf = (html: string): string => visibleText(html);

describe(`ASVS and NIST requirements across the pages (${DB})`, function () {
  this.timeout(120_000);
  let running: RunningTestPortal;
  let client: TestClient;
  let people = 0;

  before(async () => {
    running = await startTestPortal();
    client = await registerTestClient(running);
  });
  after(async () => {
    await running?.stop();
  });
  beforeEach(async () => {
    // Every request comes from 127.0.0.1: each test starts with fresh per-address limits.
    await running.portal.services.db('throttle_counters').delete();
  });

  /** A new appointee with a password and a confirmed authenticator app. */
  async function appointee(given = 'Megan'): Promise<TestUser> {
    people += 1;
    return createClockedTestUser(running, running.portal.services.clock, {
      given,
      family: 'Lloyd',
      username: `${given.toLowerCase()}.lloyd${people}@wjec-appointees.co.uk`,
    });
  }

  describe('password fields (ASVS 6.2.6, 6.2.7; NIST 3.1.1.2)', () => {
    const templates = filesUnder(VIEWS, '.hbs').map((path) => ({
      path,
      text: readFileSync(join(VIEWS, path), 'utf8'),
    }));

    it('gives every password input type="password" and autocomplete current-password or new-password, in every template', () => {
      const passwordFields = templates.flatMap(({ path, text }) =>
        fieldsOf(text)
          .filter(isPasswordField)
          .map((field) => ({ path, field })),
      );
      // The pages that ask for a password: sign-in, migration, update, reset, invitation, AMP.
      expect(passwordFields.length).to.be.at.least(12);
      for (const { path, field } of passwordFields) {
        expect(attr(field, 'type'), `${path}: ${field}`).to.equal('password');
        expect(attr(field, 'autocomplete'), `${path}: ${field}`).to.be.oneOf([
          'current-password',
          'new-password',
        ]);
        expect(field, `${path}: no length limit that would cut a password short`).to.not.match(
          /\bmaxlength=/i,
        );
      }
      const newPasswords = passwordFields.filter(
        ({ field }) => attr(field, 'autocomplete') === 'new-password',
      );
      expect(
        newPasswords.every(({ field }) => /new_password|confirm_password/.test(field)),
      ).to.equal(true);
    });

    it('puts a username field with autocomplete="username" in every form that asks for a password', () => {
      let forms = 0;
      for (const { path, text } of templates) {
        for (const form of text.matchAll(/<form\b[\s\S]*?<\/form>/g)) {
          if (!fieldsOf(form[0]).some(isPasswordField)) continue;
          forms += 1;
          const username = fieldsOf(form[0]).filter((f) => attr(f, 'autocomplete') === 'username');
          expect(username, `${path}: a username for the password manager`).to.have.length(1);
        }
      }
      expect(forms).to.be.at.least(8);
    });

    it('blocks no paste, copy or drop anywhere: no such handlers in the templates or the scripts', () => {
      for (const { path, text } of templates) {
        expect(text, path).to.not.match(/\bon(paste|copy|cut|drop)\s*=/i);
        expect(text, path).to.not.match(
          /readonly[^>]*type="password"|type="password"[^>]*readonly/,
        );
      }
      for (const path of filesUnder(ASSETS, '.js')) {
        const script = readFileSync(join(ASSETS, path), 'utf8');
        expect(script, path).to.not.match(
          /['"](paste|copy|cut|drop)['"]|on(paste|copy|cut|drop)\b/,
        );
      }
    });

    it('serves the sign-in pages with a username field for password managers and a current-password field', async () => {
      const user = await appointee();
      const { browser } = await startSignIn(running, client);
      const username = /<input\b[^>]*name="username"[^>]*>/.exec(browser.html)?.[0] ?? '';
      expect(attr(username, 'autocomplete')).to.equal('username');
      expect(attr(username, 'type')).to.equal('text');
      await browser.submit({ username: user.username });
      const password = /<input\b[^>]*name="password"[^>]*>/.exec(browser.html)?.[0] ?? '';
      expect(attr(password, 'type')).to.equal('password');
      expect(attr(password, 'autocomplete')).to.equal('current-password');
      const hidden = /<input\b[^>]*name="username"[^>]*>/.exec(browser.html)?.[0] ?? '';
      expect(attr(hidden, 'autocomplete')).to.equal('username');
      expect(attr(hidden, 'value')).to.equal(user.username);
    });
  });

  describe('SMS and voice are restricted (ASVS 6.6.1; NIST 3.2.9)', () => {
    const ENGLISH = 'Text messages and phone calls are less secure than an authenticator app.';
    const WELSH = 'Mae negeseuon testun a galwadau ffôn yn llai diogel nag ap dilysu.';

    it('tells a person setting up text messages or calls at sign-in that they are less secure than an app, in English and Welsh', async () => {
      const person = {
        legacyUsername: 'bethan.risg',
        password: 'Hen-Gyfrinair-1!',
        givenName: 'Bethan',
        familyName: 'Rowlands',
        email: 'bethan.risg@example.org',
      };
      await insertLegacyAccount(running, person);
      const { browser } = await migrateAndSignIn(running, client, person);
      await post(browser, { action: 'choose', method: 'phone' });
      expect(browser.html).to.contain('<h1>Enter your phone number</h1>');
      expect(textOf(browser.html)).to.contain(ENGLISH).and.contain('SIM card');
      await browser.open(`/interaction/${interactionId(browser)}?lang=cy`);
      expect(textOf(browser.html)).to.contain(WELSH).and.contain('cerdyn SIM');
    });

    it('tells a person adding text messages or calls in AMP the same, in English and Welsh', async () => {
      const user = await appointee('Bethan');
      const browser = new Browser(running.url);
      await browser.open('/amp');
      await signInAtProvider(browser, user, await freshTotpCode(user.totpSecret));
      for (const method of ['sms', 'voice']) {
        await browser.open('/amp/security/add');
        await browser.submit({ method }, '/amp/security/add');
        expect(browser.url).to.equal(`${running.url}/amp/security/add/phone?delivery=${method}`);
        expect(textOf(browser.html), method).to.contain(ENGLISH);
      }
      await browser.open('/amp/security/add/phone?delivery=sms&lang=cy');
      expect(textOf(browser.html)).to.contain(WELSH);
      await browser.open('/amp?lang=en');
    });
  });

  describe('password reset and the second factor (ASVS 6.4.3; NIST 4.2)', () => {
    it('asks an account with an authenticator app for its code at the first sign-in after a password reset', async () => {
      const user = await appointee('Rhodri');
      const asker = new HttpBrowser(running.url);
      await asker.open('/forgotten-password');
      const asked = await postForm(asker, '/forgotten-password', {
        ...hiddenFields(asker.html),
        username: user.username,
        answer: answerOn(asker.html),
      });
      expect(asked.status).to.be.lessThan(400);
      const [mail] = (await mailTo(running, user.account.email ?? '', 'password_reset')).slice(-1);
      const reset = new HttpBrowser(running.url);
      await reset.open(linkIn(mail, '/forgotten-password/reset/'));
      const newPassword = 'Afon-Teifi-Las-2026!';
      await reset.submit({ new_password: newPassword, confirm_password: newPassword });
      expect(reset.html).to.contain('Your password has been changed');

      const signIn = await startSignIn(running, client);
      const { browser } = signIn;
      await browser.submit({ username: user.username });
      await browser.submit({ password: newPassword });
      expect(browser.location, 'no code for the client yet').to.not.contain(client.redirectUri);
      expect(browser.html).to.contain('name="code"');
      expect(browser.html).to.contain('autocomplete="one-time-code"');
      // The steps after the second factor refuse to be skipped to.
      await post(browser, { stay_signed_in: 'no' });
      expect(browser.location).to.not.contain(client.redirectUri);

      await browser.open(`/interaction/${interactionId(browser)}`);
      await post(browser, { action: 'verify', code: await freshTotpCode(user.totpSecret) });
      await post(browser, { stay_signed_in: 'no' });
      const claims = (await redeemCode(client, signIn)).claims();
      expect(claims?.sub).to.equal(user.account.id);
      expect(claims?.amr).to.deep.equal(['pwd', 'otp']);
      expect(claims?.acr).to.equal('urn:porth:acr:mfa');
    });
  });

  describe('applications that need more than email codes (ASVS 6.8.4)', () => {
    /** An authorization request of the test client with extra parameters. */
    async function requestWith(
      extra: Record<string, string>,
    ): Promise<StartedSignIn & { url: URL }> {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(client.config, {
        redirect_uri: client.redirectUri,
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...extra,
      });
      return { browser: new HttpBrowser(running.url), verifier, state, url };
    }

    it('asks a session signed in with an email code for another factor when a client sends acr_values=urn:porth:acr:mfa', async () => {
      const user = await appointee('Carys');
      const email = user.account.email ?? '';
      await addEmailFactor(running, user.account.id, email);

      const first = await requestWith({});
      const { browser } = first;
      await browser.open(first.url.toString());
      await browser.submit({ username: user.username });
      await browser.submit({ password: user.password });
      await post(browser, { action: 'verify', code: await emailedCode(running, email) });
      await post(browser, { stay_signed_in: 'no' });
      expect((await redeemCode(client, first)).claims()?.acr).to.equal('urn:porth:acr:mfa-email');

      // The same session is enough for a client that asks for nothing more …
      const plain = { ...(await requestWith({})), browser };
      await browser.open(plain.url.toString());
      expect(browser.location).to.contain(client.redirectUri);
      expect((await redeemCode(client, plain)).claims()?.acr).to.equal('urn:porth:acr:mfa-email');

      // … but not for one that asks for a factor stronger than email.
      const sentBefore = (await mailsTo(running, email, 'email_code')).length;
      const strong = { ...(await requestWith({ acr_values: 'urn:porth:acr:mfa' })), browser };
      await browser.open(strong.url.toString());
      expect(browser.location, 'sent to sign in again, not back to the client').to.match(
        /\/interaction\//,
      );
      if (browser.html.includes('name="username"'))
        await browser.submit({ username: user.username });
      if (browser.html.includes('name="password"'))
        await browser.submit({ password: user.password });
      // Email codes are not offered for it: the authenticator app is asked for at once, and
      // "Use another method" lists no email code.
      const codePage = browser.html;
      await browser.open(`/interaction/${interactionId(browser)}?method=choose`);
      expect(pageText(browser.html), 'no email code among the other methods').to.not.contain(email);
      expect((await mailsTo(running, email, 'email_code')).length, 'no code was emailed').to.equal(
        sentBefore,
      );
      expect(pageText(codePage)).to.match(/authenticator app/i);
      await post(browser, { action: 'verify', code: await freshTotpCode(user.totpSecret) });
      if (browser.html.includes('name="stay_signed_in"'))
        await post(browser, { stay_signed_in: 'no' });
      expect(browser.location).to.contain(client.redirectUri);
      const claims = (await redeemCode(client, strong)).claims();
      expect(claims?.acr).to.equal('urn:porth:acr:mfa');
      expect(claims?.amr).to.deep.equal(['pwd', 'otp']);
    });
    it('signs an account with nothing but email codes in once with one, and returns acr mfa-email to a client that asked for more', async () => {
      const user = await appointee('Osian');
      const email = user.account.email ?? '';
      await addEmailFactor(running, user.account.id, email);
      await running.portal.services
        .db('mfa_factors')
        .where({ account_id: user.account.id })
        .whereNot({ kind: 'email' })
        .delete();

      const first = await requestWith({});
      const { browser } = first;
      await browser.open(first.url.toString());
      await browser.submit({ username: user.username });
      await browser.submit({ password: user.password });
      await post(browser, { action: 'verify', code: await emailedCode(running, email) });
      await post(browser, { stay_signed_in: 'no' });
      const firstClaims = (await redeemCode(client, first)).claims();
      expect(firstClaims?.acr).to.equal('urn:porth:acr:mfa-email');

      // Asked for more, the session signs in again with the only factor there is …
      const strong = { ...(await requestWith({ acr_values: 'urn:porth:acr:mfa' })), browser };
      await browser.open(strong.url.toString());
      expect(browser.location, 'asked to sign in again').to.match(/\/interaction\//);
      if (browser.html.includes('name="username"'))
        await browser.submit({ username: user.username });
      if (browser.html.includes('name="password"'))
        await browser.submit({ password: user.password });
      await post(browser, { action: 'verify', code: await emailedCode(running, email) });
      if (browser.html.includes('name="stay_signed_in"'))
        await post(browser, { stay_signed_in: 'no' });
      // … and goes back to the client, which reads what it got, instead of round again.
      expect(browser.location, 'back at the client, not asked once more').to.contain(
        client.redirectUri,
      );
      const claims = (await redeemCode(client, strong)).claims();
      expect(claims?.acr).to.equal('urn:porth:acr:mfa-email');
      expect(claims?.amr).to.deep.equal(firstClaims?.amr);
    });
  });

  describe('a visible sign-out on every signed-in page (ASVS 7.4.4)', () => {
    /**
     * Follows every link of the application from `start` (same origin, under `area`, GET only,
     * at most `limit` pages) and returns the application's pages that answered (200, or a
     * refusal: 403, 404) with their HTML.
     */
    async function crawl(
      browser: Browser,
      area: '/amp' | '/portal',
      start: string,
      limit = 60,
    ): Promise<Map<string, string>> {
      const seen = new Map<string, string>();
      const queue = [start];
      while (queue.length > 0 && seen.size < limit) {
        const path = queue.shift() ?? '';
        if (seen.has(path)) continue;
        await browser.open(path);
        const here = new URL(browser.url);
        const signedInPage =
          [200, 403, 404].includes(browser.status) && here.pathname.startsWith(area);
        seen.set(path, signedInPage ? browser.html : '');
        if (browser.status !== 200 || !signedInPage) continue;
        for (const m of browser.html.matchAll(/<a\b[^>]*href="([^"#]+)"/g)) {
          const target = new URL((m[1] ?? '').replace(/&amp;/g, '&'), browser.url);
          if (target.origin !== here.origin || !target.pathname.startsWith(area)) continue;
          if (
            /sign-(in|out)|lang=|\.(csv|pdf|xlsx)$|download/.test(target.pathname + target.search)
          )
            continue;
          const next = target.pathname + target.search;
          if (!seen.has(next) && !queue.includes(next)) queue.push(next);
        }
      }
      return new Map([...seen].filter(([, html]) => html !== ''));
    }

    /** Asserts that each page has the application's sign-out form with a button labelled `label`. */
    function expectSignOutOnEvery(pages: Map<string, string>, area: string, label: string): void {
      for (const [path, html] of pages) {
        const form = new RegExp(
          `<form method="post" action="${area}/sign-out"[^>]*>[\\s\\S]*?<button type="submit"[^>]*>${label}</button>`,
        );
        expect(html, `${path} has "${label}"`).to.match(form);
      }
    }

    it('shows "Sign out" on every AMP page and on every Portal page of an appointee', async () => {
      const user = await appointee('Dylan');
      const browser = new Browser(running.url);
      await browser.open('/amp');
      await signInAtProvider(browser, user, await freshTotpCode(user.totpSecret));
      const amp = await crawl(browser, '/amp', '/amp');
      expect([...amp.keys()]).to.include.members([
        '/amp',
        '/amp/profile',
        '/amp/security',
        '/amp/status',
      ]);
      expectSignOutOnEvery(amp, '/amp', 'Sign out');

      await browser.open('/portal/sign-in?as=appointee');
      expect(new URL(browser.url).pathname).to.equal('/portal');
      const portal = await crawl(browser, '/portal', '/portal');
      expect(portal.size).to.be.at.least(2);
      expectSignOutOnEvery(portal, '/portal', 'Sign out');
    });

    it('shows "Sign out" on every Portal page of a centre Exams Officer and of support staff, and "Allgofnodi" in Welsh', async () => {
      const { db, clock, random, hasher } = running.portal.services;
      const domain = running.config.usernames.domain;
      await seedDemoData({
        db,
        clock,
        random,
        hasher,
        domain,
        clients: running.portal.services.clients,
      });
      const centre = await seedDemoCentres({ db, clock, random, hasher });
      await seedDemoMarks({ db, clock, random, domain });
      const [eo, , welshUser] = centre;
      const asEo = await signInToPortal(running, {
        email: eo?.username ?? '',
        password: eo?.password ?? '',
      });
      const eoPages = await crawl(asEo, '/portal', '/portal');
      expect([...eoPages.keys()].some((p) => p.startsWith('/portal/centres/68101/users'))).to.equal(
        true,
      );
      expect(
        [...eoPages.keys()].some((p) => p.startsWith('/portal/iamis/centres/68101/units/')),
        'the marks pages too',
      ).to.equal(true);
      expectSignOutOnEvery(eoPages, '/portal', 'Sign out');

      const asCy = await signInToPortal(running, {
        email: welshUser?.username ?? '',
        password: welshUser?.password ?? '',
      });
      expect(asCy.html).to.contain('<html lang="cy">');
      const cyPages = await crawl(asCy, '/portal', '/portal', 20);
      expectSignOutOnEvery(cyPages, '/portal', 'Allgofnodi');

      people += 1;
      const staff = await createPerson(running, {
        kind: 'staff',
        given: 'Nia',
        family: 'Staff',
        username: `nia.staff${people}@wjec.co.uk`,
        email: `nia.staff${people}@example.org`,
      });
      const asStaff = new Browser(running.url);
      await asStaff.open('/portal/support');
      await completeStaffSignIn(running, asStaff, staff);
      const staffPages = await crawl(asStaff, '/portal', '/portal/support');
      await asStaff.open(`/portal/support?q=${encodeURIComponent(eo?.username ?? '')}`);
      const accountLink = /href="(\/portal\/support\/accounts\/[^"]+)"/.exec(asStaff.html)?.[1];
      if (accountLink) {
        for (const [path, html] of await crawl(asStaff, '/portal', accountLink, 5))
          staffPages.set(path, html);
      }
      expect([...staffPages.keys()]).to.include('/portal/support');
      expectSignOutOnEvery(staffPages, '/portal', 'Sign out');
    });
  });

  describe('consent for applications that are not the exam board’s own (ASVS 10.7.1, 10.7.2)', () => {
    it('names the application and each thing it asks to see, in English and Welsh', async () => {
      const id = 'llyfrgell-ysgol';
      const redirectUri = `${running.url}/third-party-callback`;
      await running.portal.services.clients.save({
        id,
        redirectUris: [redirectUri],
        firstParty: false,
      });
      const config = await oidc.discovery(new URL(running.url), id, undefined, oidc.None(), {
        execute: [oidc.allowInsecureRequests],
      });
      const thirdParty: TestClient = { id, redirectUri, config };
      const user = await appointee('Elen');
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email phone',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: oidc.randomState(),
      });
      const browser = new HttpBrowser(running.url);
      await browser.open(url.toString());
      await browser.submit({ username: user.username });
      await browser.submit({ password: user.password });
      await post(browser, { action: 'verify', code: await freshTotpCode(user.totpSecret) });
      await post(browser, { stay_signed_in: 'no' });
      expect(browser.html).to.contain('<h1>Allow access to your account?</h1>');
      const english = textOf(browser.html);
      expect(english).to.contain(
        'The application "llyfrgell-ysgol" is asking to use your Porth account. It will be able to see:',
      );
      for (const scope of [
        'your name, username, language and centres',
        'your email address',
        'your phone number',
      ]) {
        expect(english).to.contain(scope);
      }
      expect(browser.html).to.contain('>Allow</button>').and.contain('>Do not allow</button>');
      await browser.open(`/interaction/${interactionId(browser)}?lang=cy`);
      const welsh = textOf(browser.html);
      expect(welsh).to.contain('Mae\'r rhaglen "llyfrgell-ysgol" yn gofyn');
      expect(welsh).to.contain('eich cyfeiriad e-bost').and.contain('eich rhif ffôn');
      void thirdParty;
    });
  });
});

describe('no default accounts in production (ASVS 6.3.2)', function () {
  this.timeout(60_000);

  const productionEnv = (databaseUrl: string): Record<string, string> => ({
    NODE_ENV: 'production',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    PUBLIC_URL: 'https://id.example.org',
    SMTP_URL: 'smtp://127.0.0.1:1',
    SECRET_KEY: 's'.repeat(40),
    COOKIE_KEYS: 'k'.repeat(40),
    MFA_SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
    TWILIO_AUTH_TOKEN: 'test-token',
    TWILIO_FROM: '+447700900000',
  });

  it('refuses `porth start --demo` when NODE_ENV=production, clearly and with exit code 2, seeding nothing', async () => {
    const database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
    const env = productionEnv(database.url);
    const saved = new Map(Object.keys(env).map((key) => [key, process.env[key]]));
    const errors: string[] = [];
    let code: number;
    try {
      Object.assign(process.env, env);
      code = await main(['node', 'porth', 'start', '--demo'], {
        out: () => undefined,
        err: (text) => errors.push(text),
      });
    } finally {
      for (const [key, value] of saved) {
        if (value === undefined) Reflect.deleteProperty(process.env, key);
        else process.env[key] = value;
      }
    }
    try {
      expect(code).to.equal(2);
      expect(errors.join('')).to.contain('--demo').and.contain('NODE_ENV=production');
      const accounts = await database.db('accounts').count({ n: '*' }).first();
      expect(Number((accounts as { n: number | string }).n)).to.equal(0);
    } finally {
      await database.destroy();
    }
  });

  it('seeds no demo account even when a production configuration asks for the demo', async () => {
    const database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
    try {
      expect(() => loadPortalConfig(productionEnv(database.url), { demo: true })).to.throw(
        ConfigError,
      );
      const config = { ...loadPortalConfig(productionEnv(database.url)), demo: true };
      const portal = await startPortal(config, { host: '127.0.0.1', random: cryptoRandom });
      try {
        expect(portal.demoAccounts).to.deep.equal([]);
        expect(
          (await portal.services.clients.list()).map((c) => c.id),
          'no demo client either',
        ).to.not.include('sharepoint');
      } finally {
        await portal.close();
      }
      const accounts = await database.db('accounts').count({ n: '*' }).first();
      expect(Number((accounts as { n: number | string }).n)).to.equal(0);
    } finally {
      await database.destroy();
    }
  });
});

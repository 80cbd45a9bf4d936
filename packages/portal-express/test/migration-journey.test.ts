import { expect } from 'chai';
import { generate } from 'otplib';
import {
  KnexAccountRepository,
  KnexAuditLog,
  KnexFlowRepository,
  checkPassword,
} from '@porth/identity-core';
import {
  registerTestClient,
  startTestPortal,
  type RunningTestPortal,
  type TestClient,
} from './support/server.js';
import {
  errorSummary,
  insertLegacyAccount,
  interactionId,
  mailsTo,
  pageText,
  post,
  redeemCode,
  startSignIn,
  temporaryPasswordFor,
  type LegacyPerson,
} from './support/sign-in-setup.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`the migration journey over HTTP (${DB})`, function () {
  this.timeout(120_000);
  let running: RunningTestPortal;
  let client: TestClient;

  before(async () => {
    running = await startTestPortal();
    client = await registerTestClient(running);
  });
  after(async () => {
    await running?.stop();
  });

  it('migrates a legacy account and walks the first sign-in to the client: app, recovery codes, new password, details', async () => {
    const person: LegacyPerson = {
      legacyUsername: 'sian.jones',
      password: 'hen-gyfrinair-AMP',
      givenName: 'Siân',
      familyName: 'Jones',
      email: 'sian.jones@example.org',
    };
    const legacy = await insertLegacyAccount(running, person);
    const signIn = await startSignIn(running, client);
    const { browser } = signIn;
    const { services } = running.portal;

    // Legacy username → the migration page.
    await browser.submit({ username: `${person.legacyUsername} ` });
    expect(browser.html).to.contain('<h1>Migrate your AMP account</h1>');
    expect(browser.html).to.contain('<strong class="break-word">sian.jones</strong>');
    expect(browser.html).to.contain('href="/forgotten-password"');

    // Current AMP password → Submit → IMPORTANT INFORMATION with the new username.
    await browser.submit({ password: person.password });
    expect(browser.status).to.equal(200);
    const page = pageText(browser.html);
    expect(page).to.contain('IMPORTANT INFORMATION');
    expect(page).to.contain('You must remember this!');
    expect(page).to.contain(
      'A new temporary password has been emailed to you at s***@example.org.',
    );
    expect(page).to.contain('check there are no spaces at the end');
    expect(browser.html).to.contain(
      '<p class="important" id="new-username">sian.jones@wjec-appointees.co.uk</p>',
    );
    const temporaryPassword = await temporaryPasswordFor(running, person.email ?? '');
    expect(browser.html).not.to.contain(temporaryPassword);

    // Proceed → "Sign in" with the new username filled in.
    await post(browser, { action: 'proceed' });
    expect(browser.html).to.contain('<h1>Sign in</h1>');
    expect(browser.html).to.contain('value="sian.jones@wjec-appointees.co.uk"');
    await browser.submit({ username: 'sian.jones@wjec-appointees.co.uk' });
    await browser.submit({ password: temporaryPassword });

    // Configure MFA: the authenticator app, secret read from the page.
    expect(browser.html).to.contain('<h1>Configure multi-factor authentication (MFA)</h1>');
    await post(browser, { action: 'choose', method: 'totp' });
    expect(browser.html).to.match(/<img class="qr" src="data:image\/png;base64,[^"]+"/);
    expect(browser.html).to.match(/alt="QR code that adds your account sian\.jones@/);
    const secret = (
      /<p class="secret" id="secret">([^<]+)<\/p>/.exec(browser.html)?.[1] ?? ''
    ).replace(/\s+/g, '');
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    await browser.open(browser.location);
    expect(browser.html, 'a reload shows the same secret').to.contain(
      secret.replace(/(.{4})(?!$)/g, '$1 '),
    );
    await post(browser, { action: 'verify', code: '000000' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('That code is not right');
    await post(browser, { action: 'verify', code: await generate({ secret }) });

    // Recovery codes, shown once.
    expect(browser.html).to.contain('<h1>Save your recovery codes</h1>');
    const codes = [
      ...(/<ul class="code-list"[^>]*>([\s\S]*?)<\/ul>/.exec(browser.html)?.[1] ?? '').matchAll(
        /<li>([^<]+)<\/li>/g,
      ),
    ].map((m) => m[1]);
    expect(codes).to.have.length(10);
    expect(await services.mfa.recoveryCodesRemaining(legacy.id)).to.equal(10);
    const flows = new KnexFlowRepository(services.db, services.clock, services.random);
    const flow = await flows.get('sign_in', interactionId(browser));
    expect(JSON.stringify(flow.context)).not.to.contain(String(codes[0]));
    await browser.open(browser.location);
    expect(browser.html).to.contain('already been shown');
    expect(browser.html).not.to.contain(String(codes[0]));
    await post(browser, {});

    // The temporary password must go: first a weak one, every unmet rule listed.
    expect(browser.html).to.contain('<h1>Change your temporary password</h1>');
    expect(pageText(browser.html)).to.contain(
      'Minimum 8 characters, including upper case, lower case, a symbol and a number.',
    );
    await post(browser, { new_password: 'jones', confirm_password: 'jones' });
    expect(browser.status).to.equal(400);
    const unmet = checkPassword('jones', {
      username: 'sian.jones@wjec-appointees.co.uk',
      legacyUsername: 'sian.jones',
      email: person.email,
      givenName: person.givenName,
      familyName: person.familyName,
    });
    expect(unmet.length).to.be.at.least(4);
    const summary = errorSummary(browser.html);
    for (const rule of unmet) expect(summary).to.contain(rule.message.en);
    await post(browser, { new_password: temporaryPassword, confirm_password: temporaryPassword });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('must be different from your temporary password');
    await post(browser, {
      new_password: 'Glas-Mynydd-Tywyll-48!',
      confirm_password: 'Glas-Mynydd-Tywyll-48?',
    });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('The two passwords are not the same');
    await post(browser, {
      new_password: 'Glas-Mynydd-Tywyll-48!',
      confirm_password: 'Glas-Mynydd-Tywyll-48!',
    });

    // Missing details: phone and teaching centre.
    expect(browser.html).to.contain('<h1>Check your details</h1>');
    expect(pageText(browser.html)).to.match(/Some of your details are missing[\s\S]*Phone number/);
    expect(browser.html).to.contain('value="Siân"');
    await post(browser, {
      given_name: 'Siân',
      family_name: 'Jones',
      email: 'not-an-email',
      phone: 'call me',
      teaching_centre: 'Ysgol Gyfun Aberaeron',
    });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('Enter an email address in the correct format');
    expect(errorSummary(browser.html)).to.contain('Enter a telephone number');
    await post(browser, {
      given_name: 'Siân',
      family_name: 'Jones',
      email: person.email ?? '',
      phone: '07700 900456',
      teaching_centre: 'Ysgol Gyfun Aberaeron',
    });

    // Stay signed in? → back to the client with a code.
    expect(browser.html).to.contain('Stay signed in?');
    await post(browser, { stay_signed_in: 'no' });
    expect(browser.location).to.match(new RegExp(`^${client.redirectUri}\\?code=`));
    const tokens = await redeemCode(client, signIn);
    const claims = tokens.claims();
    expect(claims?.sub).to.equal(legacy.id);
    expect(claims?.amr).to.deep.equal(['pwd', 'otp']);
    expect(claims?.acr).to.equal('urn:porth:acr:mfa');

    // What is stored: migrated, active, nothing left to do, every change audited and emailed.
    expect((await services.migration.findRecord(legacy.id))?.state).to.equal('active');
    const accounts = new KnexAccountRepository(services.db, services.clock, services.random);
    expect(await accounts.listRequiredActions(legacy.id)).to.deep.equal([]);
    const account = await accounts.findById(legacy.id);
    expect(account).to.deep.include({
      status: 'active',
      passwordTemporary: false,
      phone: '07700 900456',
      teachingCentre: 'Ysgol Gyfun Aberaeron',
    });
    const verified = await services.hasher.verify(
      (await accounts.getPasswordHash(legacy.id)) ?? '',
      'Glas-Mynydd-Tywyll-48!',
    );
    expect(verified.valid).to.equal(true);
    const events = await new KnexAuditLog(services.db, services.clock).list({
      accountId: legacy.id,
      limit: 100,
    });
    const types = events.map((e) => e.type);
    for (const type of [
      'account.migrated',
      'mfa.factor_added',
      'mfa.recovery_codes_generated',
      'password.changed',
      'account.profile_updated',
      'sign_in',
    ])
      expect(types, type).to.include(type);
    expect(JSON.stringify(events)).not.to.contain('Glas-Mynydd');
    const changes = await mailsTo(running, person.email ?? '', 'security_change');
    expect(changes.length).to.be.at.least(1);
  });

  it('answers a wrong legacy password with the sign-in wording, and counts it', async () => {
    await insertLegacyAccount(running, {
      legacyUsername: 'gareth.evans',
      password: 'cywir-AMP-1',
      givenName: 'Gareth',
      familyName: 'Evans',
      email: 'gareth@example.org',
    });
    const { browser } = await startSignIn(running, client);
    await browser.submit({ username: 'gareth.evans' });
    await browser.submit({ password: '' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('Enter your current AMP password');
    await browser.submit({ password: 'anghywir' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('The username or password is not right');
    expect(browser.html).to.contain('<h1>Migrate your AMP account</h1>');
    const events = await new KnexAuditLog(
      running.portal.services.db,
      running.portal.services.clock,
    ).list({ type: 'migration.legacy_password' });
    expect(events.some((e) => e.outcome === 'failure')).to.equal(true);
  });

  it('tells a legacy account without a usable email address to contact support', async () => {
    await insertLegacyAccount(running, {
      legacyUsername: 'dewi.heb.ebost',
      password: 'cywir-AMP-2',
      givenName: 'Dewi',
      familyName: 'Pugh',
      email: null,
    });
    const { browser } = await startSignIn(running, client);
    await browser.submit({ username: 'dewi.heb.ebost' });
    await browser.submit({ password: 'cywir-AMP-2' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('appointeesupport@wjec.co.uk');
    const account = await new KnexAccountRepository(
      running.portal.services.db,
      running.portal.services.clock,
      running.portal.services.random,
    ).findByLegacyUsername('dewi.heb.ebost');
    expect(account?.status).to.equal('legacy');
  });

  it('goes back to "Sign in" from the migration page with Change username', async () => {
    await insertLegacyAccount(running, {
      legacyUsername: 'elin.owen',
      password: 'cywir-AMP-3',
      givenName: 'Elin',
      familyName: 'Owen',
      email: 'elin@example.org',
    });
    const { browser } = await startSignIn(running, client);
    await browser.submit({ username: 'elin.owen' });
    await post(browser, { action: 'change_username' });
    expect(browser.html).to.contain('<h1>Sign in</h1>');
  });

  it('speaks Welsh on the migration page and in its errors with ?lang=cy', async () => {
    await insertLegacyAccount(running, {
      legacyUsername: 'llyr.williams',
      password: 'cywir-AMP-4',
      givenName: 'Llŷr',
      familyName: 'Williams',
      email: 'llyr@example.org',
      locale: 'cy',
    });
    const { browser } = await startSignIn(running, client, '?lang=cy');
    expect(browser.html).to.contain('<html lang="cy">');
    await browser.submit({ username: 'llyr.williams' });
    expect(browser.html).to.contain('<h1>Mudo eich cyfrif AMP</h1>');
    expect(browser.html).to.contain('>Cyflwyno</button>');
    expect(pageText(browser.html)).to.contain("Wedi anghofio'ch cyfrinair");
    await browser.submit({ password: '' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('Rhowch eich cyfrinair AMP presennol');
    await browser.submit({ password: 'anghywir' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain(
      "Dydy'r enw defnyddiwr neu'r cyfrinair ddim yn gywir",
    );
    await browser.submit({ password: 'cywir-AMP-4' });
    const page = pageText(browser.html);
    expect(page).to.contain('GWYBODAETH BWYSIG');
    expect(page).to.contain('Rhaid i chi gofio hwn!');
    expect(browser.html).to.contain('llyr.williams@wjec-appointees.co.uk');
    const [mail] = await mailsTo(running, 'llyr@example.org', 'migration_temporary_password');
    expect(mail?.text).to.contain('Eich cyfrinair dros dro');
  });

  it('sends the temporary password again from the confirmation page, and only the newest works', async () => {
    const person: LegacyPerson = {
      legacyUsername: 'rhys.price',
      password: 'cywir-AMP-5',
      givenName: 'Rhys',
      familyName: 'Price',
      email: 'rhys@example.org',
    };
    await insertLegacyAccount(running, person);
    const { browser } = await startSignIn(running, client);
    await browser.submit({ username: person.legacyUsername });
    await browser.submit({ password: person.password });
    const first = await temporaryPasswordFor(running, 'rhys@example.org');
    expect(browser.html).to.contain('Send my temporary password again');
    const flow = await new KnexFlowRepository(
      running.portal.services.db,
      running.portal.services.clock,
      running.portal.services.random,
    ).get<string, { migration?: { resendToken: string | null } }>(
      'sign_in',
      interactionId(browser),
    );
    const token = flow.context.migration?.resendToken ?? '';
    expect(token).not.to.equal('');
    expect(browser.html, 'the resend token stays on the server').not.to.contain(token);

    await post(browser, { action: 'resend' });
    expect(browser.status).to.equal(200);
    expect(pageText(browser.html)).to.contain(
      'We have emailed you a new temporary password at r***@example.org',
    );
    const second = await temporaryPasswordFor(running, 'rhys@example.org');
    expect(second).not.to.equal(first);
    expect(
      await mailsTo(running, 'rhys@example.org', 'migration_temporary_password'),
    ).to.have.length(2);

    await post(browser, { action: 'proceed' });
    await browser.submit({ username: 'rhys.price@wjec-appointees.co.uk' });
    await browser.submit({ password: first });
    expect(browser.status).to.equal(400);
    await browser.submit({ password: second });
    expect(browser.html).to.contain('<h1>Configure multi-factor authentication (MFA)</h1>');
  });

  it('shows the same new username in a second tab that migrates the same account, and emails once', async () => {
    const person: LegacyPerson = {
      legacyUsername: 'nia.morgan',
      password: 'cywir-AMP-6',
      givenName: 'Nia',
      familyName: 'Morgan',
      email: 'nia@example.org',
    };
    await insertLegacyAccount(running, person);
    const first = await startSignIn(running, client);
    const second = await startSignIn(running, client);
    await first.browser.submit({ username: person.legacyUsername });
    await second.browser.submit({ username: person.legacyUsername });
    await first.browser.submit({ password: person.password });
    await second.browser.submit({ password: person.password });
    for (const { browser } of [first, second]) {
      expect(browser.html).to.contain(
        '<p class="important" id="new-username">nia.morgan@wjec-appointees.co.uk</p>',
      );
    }
    expect(pageText(second.browser.html)).to.contain('Your account was migrated before');
    expect(
      await mailsTo(running, 'nia@example.org', 'migration_temporary_password'),
    ).to.have.length(1);
  });
});

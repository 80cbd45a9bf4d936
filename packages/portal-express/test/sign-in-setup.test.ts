import { expect } from 'chai';
import { KnexAccountRepository } from '@porth/identity-core';
import {
  registerTestClient,
  startTestPortal,
  type RunningTestPortal,
  type TestClient,
} from './support/server.js';
import {
  emailedCode,
  errorSummary,
  insertLegacyAccount,
  interactionId,
  migrateAndSignIn,
  pageText,
  phoneMessages,
  post,
  redeemCode,
  type LegacyPerson,
} from './support/sign-in-setup.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** A legacy person with every detail, so that no "Check your details" page comes. */
function person(name: string, email = `${name}@example.org`): LegacyPerson {
  return {
    legacyUsername: `${name}.hughes`,
    password: `hen-${name}-AMP`,
    givenName: name[0]?.toUpperCase() + name.slice(1),
    familyName: 'Hughes',
    email,
    phone: '01970 123456',
    teachingCentre: 'Coleg Ceredigion',
  };
}

const NEW_PASSWORD = 'Afon-Teifi-Glas-2026!';

describe(`setting up the first second factor at sign-in (${DB})`, function () {
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

  it('asks to choose a method before going on', async () => {
    const p = person('anwen');
    await insertLegacyAccount(running, p);
    const { browser } = await migrateAndSignIn(running, client, p);
    expect(browser.html).to.contain('Authenticator app (recommended)');
    expect(browser.html).to.contain('Text message or phone call');
    expect(browser.html).to.contain('Email (least secure)');
    await post(browser, { action: 'choose' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('Choose how you want to get your codes');
    expect(browser.html).to.contain('href="#method"');
  });

  it('sets up text messages through the development provider, then signs in with amr sms', async () => {
    const p = person('bethan');
    const legacy = await insertLegacyAccount(running, p);
    const signIn = await migrateAndSignIn(running, client, p);
    const { browser } = signIn;
    await post(browser, { action: 'choose', method: 'phone' });
    expect(browser.html).to.contain('<h1>Enter your phone number</h1>');
    expect(browser.html).to.contain('07700 900123');

    await post(browser, { action: 'phone_number', phone: '12' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('Enter a valid phone number');

    await post(browser, { action: 'phone_number', phone: '07700 900123' });
    expect(browser.html).to.contain('value="sms" checked');
    expect(browser.html).to.contain('value="voice"');
    expect(browser.html).to.contain('Text me a code');
    await post(browser, { action: 'send_phone', delivery: 'sms' });
    expect(pageText(browser.html)).to.contain('We have sent a text message with a 6-digit code');
    expect(browser.html).to.contain('07700 900123');
    const [text] = await phoneMessages(running, 'sms', '+447700900123');
    const code = /\b(\d{6})\b/.exec(text ?? '')?.[1] ?? '';
    expect(code).to.match(/^\d{6}$/);

    await post(browser, { action: 'resend' });
    expect(browser.status).to.equal(429);
    expect(errorSummary(browser.html)).to.contain('Wait a minute');

    await post(browser, { action: 'verify', code: code === '000000' ? '111111' : '000000' });
    expect(browser.status).to.equal(400);
    await post(browser, { action: 'verify', code });
    expect(browser.html).to.contain('<h1>Save your recovery codes</h1>');
    await post(browser, {});
    await post(browser, { new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(browser.html).to.contain('Stay signed in?');
    await post(browser, { stay_signed_in: 'yes' });
    const claims = (await redeemCode(client, signIn)).claims();
    expect(claims?.amr).to.deep.equal(['pwd', 'sms']);
    expect(claims?.acr).to.equal('urn:porth:acr:mfa');
    const factors = await running.portal.services.mfa.listFactors(legacy.id);
    expect(factors.map((f) => [f.kind, f.isDefault])).to.deep.equal([['sms', true]]);
    expect((await running.portal.services.migration.findRecord(legacy.id))?.state).to.equal(
      'active',
    );
  });

  it('refuses email codes without the risk checkbox, accepts them with it, and says so in acr', async () => {
    const p = person('ceri');
    const legacy = await insertLegacyAccount(running, p);
    const signIn = await migrateAndSignIn(running, client, p);
    const { browser } = signIn;
    await post(browser, { action: 'choose', method: 'email' });
    const page = pageText(browser.html);
    expect(page).to.contain('this is deemed the least secure method');
    expect(page).to.contain('I confirm that I am aware of the risks of using only email MFA');
    expect(page).to.contain('c•••@example.org');

    await post(browser, { action: 'send_email' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('Confirm that you understand the risks');
    expect(browser.html).to.contain('href="#risks"');
    const none = await running.portal.services.outbox.listRecent({ limit: 200 });
    expect(
      none.filter((e) => e.template === 'email_code' && e.recipient === p.email),
    ).to.have.length(0);

    await post(browser, { action: 'send_email', risks: 'yes' });
    expect(pageText(browser.html)).to.contain('We have emailed a 6-digit code to c•••@example.org');
    await post(browser, { action: 'verify', code: await emailedCode(running, p.email ?? '') });
    expect(browser.html).to.contain('<h1>Save your recovery codes</h1>');
    await post(browser, {});
    await post(browser, { new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    await post(browser, { stay_signed_in: 'no' });
    const claims = (await redeemCode(client, signIn)).claims();
    expect(claims?.acr).to.equal('urn:porth:acr:mfa-email');
    expect(claims?.amr).to.deep.equal(['pwd', 'mail']);
    const [factor] = await running.portal.services.mfa.listFactors(legacy.id);
    expect(factor).to.deep.include({ kind: 'email', weak: true });
  });

  it('offers a landline a call only, and calls it', async () => {
    const p = person('dafydd');
    await insertLegacyAccount(running, p);
    const { browser } = await migrateAndSignIn(running, client, p);
    await post(browser, { action: 'choose', method: 'phone' });
    await post(browser, { action: 'phone_number', phone: '01632 960123' });
    const page = pageText(browser.html);
    expect(page).to.contain('is a landline, so it cannot receive text messages');
    expect(browser.html).to.contain('>Call me</button>');
    expect(browser.html).not.to.contain('value="sms"');
    expect(browser.html).not.to.contain('Text me a code');

    // A text asked for by hand is refused, and nothing is sent.
    await post(browser, { action: 'send_phone', delivery: 'sms' });
    expect(browser.status).to.equal(400);
    expect(await phoneMessages(running, 'sms', '+441632960123')).to.have.length(0);

    await post(browser, { action: 'send_phone', delivery: 'voice' });
    expect(browser.html).to.contain('<h1>Enter the code from the phone call</h1>');
    expect(await phoneMessages(running, 'voice', '+441632960123')).to.have.length(1);
  });

  it('starts again from the choice of method with "Choose another method"', async () => {
    const p = person('efa');
    await insertLegacyAccount(running, p);
    const { browser } = await migrateAndSignIn(running, client, p);
    await post(browser, { action: 'choose', method: 'totp' });
    expect(browser.html).to.contain('<h1>Set up your authenticator app</h1>');
    await post(browser, { action: 'restart' });
    expect(browser.html).to.contain('<h1>Configure multi-factor authentication (MFA)</h1>');
  });

  it('cannot reach the recovery codes or the password change by posting to them', async () => {
    const p = person('ffion');
    await insertLegacyAccount(running, p);
    const { browser } = await migrateAndSignIn(running, client, p);
    const uid = interactionId(browser);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(browser.html)?.[1] ?? '';
    for (const state of ['recovery_codes', 'update_password', 'update_profile', 'stay_signed_in']) {
      const res = await browser.agent
        .post(`/interaction/${uid}/${state}`)
        .type('form')
        .send({ _csrf: csrf, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
      expect(res.status, state).to.equal(303);
    }
    await browser.open(`/interaction/${uid}`);
    expect(browser.html).to.contain('<h1>Configure multi-factor authentication (MFA)</h1>');
    const account = await new KnexAccountRepository(
      running.portal.services.db,
      running.portal.services.clock,
      running.portal.services.random,
    ).findByUsername('ffion.hughes@wjec-appointees.co.uk');
    expect(account?.passwordTemporary).to.equal(true);
  });

  it('speaks Welsh on the set-up pages, errors included', async () => {
    const p = { ...person('gwenllian'), locale: 'cy' as const };
    await insertLegacyAccount(running, p);
    const { browser } = await migrateAndSignIn(running, client, p);
    await browser.open(`/interaction/${interactionId(browser)}?lang=cy`);
    expect(browser.html).to.contain('<h1>Ffurfweddu dilysu aml-ffactor (MFA)</h1>');
    await post(browser, { action: 'choose', method: 'email' });
    expect(pageText(browser.html)).to.contain(
      "Rwy'n cadarnhau fy mod yn ymwybodol o'r risgiau o ddefnyddio MFA drwy e-bost yn unig",
    );
    await post(browser, { action: 'send_email' });
    expect(browser.status).to.equal(400);
    expect(errorSummary(browser.html)).to.contain('Cadarnhewch eich bod yn deall y risgiau');
  });
});

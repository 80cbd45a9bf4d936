import { expect } from 'chai';
import * as oidc from 'openid-client';
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

describe(`sign-in through the provider (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, function () {
  this.timeout(60_000);
  let running: RunningTestPortal;
  let client: TestClient;
  let user: TestUser;

  before(async () => {
    running = await startTestPortal();
    client = await registerTestClient(running);
    user = await createTestUser(running);
  });
  after(async () => {
    await running?.stop();
  });

  it('signs in with username, password, authenticator code and "Stay signed in? No", and issues tokens', async () => {
    const { url, verifier, state } = await authorizationRequest(client);
    const browser = new HttpBrowser(running.url);
    await browser.open(url.toString());
    expect(browser.html).to.contain('<h1>Sign in</h1>');
    await browser.submit({ username: `  ${user.username.toUpperCase()} ` });
    expect(browser.html).to.contain('Enter your password');
    await browser.submit({ password: user.password });
    expect(browser.html).to.contain('Enter the code from your authenticator app');
    await browser.submit({ action: 'verify', code: await nextTotpCode(user.totpSecret) });
    expect(browser.html).to.contain('Stay signed in?');
    await browser.submit({ stay_signed_in: 'no' });
    expect(browser.location).to.match(new RegExp(`^${client.redirectUri}\\?code=`));

    const tokens = await oidc.authorizationCodeGrant(client.config, new URL(browser.location), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const claims = tokens.claims();
    expect(claims?.sub).to.equal(user.account.id);
    expect(claims?.acr).to.equal('urn:porth:acr:mfa');
    expect(claims?.amr).to.deep.equal(['pwd', 'otp']);
    // The ID token itself carries what the scopes release, centres included.
    expect(claims).to.include({
      email: 'megan@example.org',
      given_name: 'Megan',
      account_kind: 'appointee',
    });
    expect(claims?.centres).to.deep.equal([]);
    const info = await oidc.fetchUserInfo(client.config, tokens.access_token, user.account.id);
    expect(info).to.include({
      email: 'megan@example.org',
      given_name: 'Megan',
      preferred_username: user.username,
    });
    expect(tokens.refresh_token).to.be.a('string');
  });

  it('gives the same answer for an unknown username as for a wrong password', async () => {
    const answers: { status: number; body: string }[] = [];
    for (const username of [user.username, 'nobody.here@wjec-appointees.co.uk']) {
      const { url } = await authorizationRequest(client);
      const browser = new HttpBrowser(running.url);
      await browser.open(url.toString());
      await browser.submit({ username });
      await browser.submit({ password: 'Not-The-Password-1!' });
      answers.push({
        status: browser.status,
        body: /<div class="error-summary"[\s\S]*?<\/div>/.exec(browser.html)?.[0] ?? '',
      });
    }
    expect(answers[0]?.status).to.equal(400);
    expect(answers[0]).to.deep.equal(answers[1]);
    expect(answers[0]?.body).to.contain('The username or password is not right');
  });

  it('never signs in by posting straight to a later step', async () => {
    const { url } = await authorizationRequest(client);
    const browser = new HttpBrowser(running.url);
    await browser.open(url.toString());
    const uid = /\/interaction\/([^/"?]+)/.exec(browser.location)?.[1];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(browser.html)?.[1] ?? '';
    for (const step of ['password', 'second_factor', 'stay_signed_in']) {
      const res = await browser.agent
        .post(`/interaction/${uid}/${step}`)
        .type('form')
        .send({ _csrf: csrf, password: user.password, code: '123456', stay_signed_in: 'yes' });
      expect(res.status, step).to.equal(303);
      expect(res.headers.location, step).to.equal(`/interaction/${uid}`);
    }
    await browser.open(`/interaction/${uid}`);
    expect(browser.html).to.contain('<h1>Sign in</h1>');
  });

  it('refuses a form posted without its CSRF token', async () => {
    const { url } = await authorizationRequest(client);
    const browser = new HttpBrowser(running.url);
    await browser.open(url.toString());
    const uid = /\/interaction\/([^/"?]+)/.exec(browser.location)?.[1];
    const res = await browser.agent
      .post(`/interaction/${uid}/username`)
      .type('form')
      .send({ username: user.username });
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('This form has expired');
  });
});

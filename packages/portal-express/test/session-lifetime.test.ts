import { expect } from 'chai';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import {
  HttpBrowser,
  authorizationRequest,
  createTestUser,
  registerTestClient,
  type TestClient,
} from './support/server.js';
import {
  oauthError,
  redeem,
  signIn,
  startClockedTestPortal,
  type ClockedTestPortal,
} from './support/provider.js';

const MINUTE = 60_000;

describe(`session lifetime (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, function () {
  this.timeout(60_000);
  let running: ClockedTestPortal;
  let client: TestClient;
  let names = 0;

  before(async () => {
    running = await startClockedTestPortal();
    client = await registerTestClient(running);
  });
  after(async () => {
    await running?.stop();
  });

  const newUser = () => {
    names += 1;
    return createTestUser(running, {
      given: `User${names}`,
      family: 'Test',
      username: `user${names}.test@wjec-appointees.co.uk`,
    });
  };

  it('keeps a "Stay signed in? No" session alive while an application renews its tokens, and ends it after 30 idle minutes', async () => {
    const user = await newUser();
    let tokens = await redeem(client, await signIn(running, client, user));
    for (let i = 0; i < 3; i++) {
      running.clock.advance(20 * MINUTE);
      tokens = await oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '');
      expect(tokens.access_token, `renewal ${i + 1}, ${(i + 1) * 20} minutes in`).to.be.a('string');
    }
    running.clock.advance(31 * MINUTE);
    expect(
      await oauthError(oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '')),
    ).to.equal('invalid_grant');
  });

  it('ends a "Stay signed in? No" session after 12 hours however active, asking for the password again', async () => {
    const user = await newUser();
    const signedIn = await signIn(running, client, user);
    let tokens = await redeem(client, signedIn);
    for (let minutes = 0; minutes < 11 * 60 + 40; minutes += 20) {
      running.clock.advance(20 * MINUTE);
      tokens = await oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '');
    }
    const early = await authorizationRequest(client);
    await signedIn.browser.open(early.url.toString());
    expect(
      signedIn.browser.location,
      'still inside 12 hours: straight back to the client',
    ).to.match(/\?code=/);
    running.clock.advance(25 * MINUTE);
    expect(
      await oauthError(oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '')),
      'past 12 hours, though active 25 minutes ago: the application cannot renew its tokens either',
    ).to.equal('invalid_grant');
    const late = await authorizationRequest(client);
    await signedIn.browser.open(late.url.toString());
    expect(signedIn.browser.html, 'past 12 hours: sign in again').to.contain('<h1>Sign in</h1>');
  });

  it('keeps a "Stay signed in? Yes" session through a day of no activity', async () => {
    const user = await newUser();
    running.clock.advance(30_000);
    const browser = new HttpBrowser(running.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    await browser.submit({ username: user.username });
    await browser.submit({ password: user.password });
    await browser.submit({
      action: 'verify',
      code: await generate({
        secret: user.totpSecret,
        epoch: Math.floor(running.clock.now().getTime() / 1000),
      }),
    });
    await browser.submit({ stay_signed_in: 'yes' });
    expect(browser.location).to.match(/\?code=/);
    running.clock.advance(24 * 60 * MINUTE);
    const again = await authorizationRequest(client);
    await browser.open(again.url.toString());
    expect(browser.location, 'a day later: signed in without a prompt').to.match(/\?code=/);
  });
});

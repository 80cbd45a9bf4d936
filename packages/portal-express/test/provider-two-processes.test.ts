import { expect } from 'chai';
import * as oidc from 'openid-client';
import {
  createTestUser,
  registerTestClient,
  type TestClient,
  type TestUser,
} from './support/server.js';
import {
  oauthError,
  redeem,
  signIn,
  startPortalPair,
  type PortalPair,
} from './support/provider.js';

/** openid-client talking to one portal directly, with the shared issuer's metadata. */
function configFor(client: TestClient, directUrl: string): oidc.Configuration {
  const { supportsPKCE: _method, ...metadata } = client.config.serverMetadata();
  const config = new oidc.Configuration(
    { ...metadata, token_endpoint: `${directUrl}/token`, userinfo_endpoint: `${directUrl}/me` },
    client.id,
    undefined,
    oidc.None(),
  );
  oidc.allowInsecureRequests(config);
  return config;
}

// Two processes serving one user needs a database server both can reach; a SQLite file
// belongs to one process, so these tests run only with DATABASE_URL=mysql://….
describe('two portal processes over one MariaDB/MySQL database behind a round-robin proxy', function () {
  this.timeout(60_000);
  let pair: PortalPair;
  let client: TestClient;
  let user: TestUser;

  before(async function () {
    if (!process.env.DATABASE_URL?.startsWith('mysql')) {
      // Skipped on SQLite: two processes sharing one user need a shared database server.
      this.skip();
    }
    pair = await startPortalPair();
    client = await registerTestClient(pair.front);
    user = await createTestUser(pair.front);
  });
  after(async () => {
    await pair?.stop();
  });

  it('signs a user in while every request goes to the other process than the one before', async () => {
    const firstRequest = pair.proxy.served.length;
    const signedIn = await signIn(pair.front, client, user);
    const served = pair.proxy.served.slice(firstRequest);
    // The journey (authorize, each sign-in page and post, resume, callback) crossed processes at every step.
    expect(served.length).to.be.greaterThan(8);
    expect(served.filter((i) => i === 0).length).to.be.within(
      Math.floor(served.length / 2),
      Math.ceil(served.length / 2),
    );
    const tokens = await redeem(client, signedIn);
    expect(tokens.claims()?.sub).to.equal(user.account.id);
    const info = await oidc.fetchUserInfo(client.config, tokens.access_token, user.account.id);
    expect(info.preferred_username).to.equal(user.username);
  });

  it('accepts a refresh token at either process, and refuses a used one at the other', async () => {
    const tokens = await redeem(client, await signIn(pair.front, client, user));
    const [atFirst, atSecond] = pair.directUrls.map((url) => configFor(client, url)) as [
      oidc.Configuration,
      oidc.Configuration,
    ];
    const once = await oidc.refreshTokenGrant(atFirst, tokens.refresh_token ?? '');
    expect(once.claims()?.sub).to.equal(user.account.id);
    const twice = await oidc.refreshTokenGrant(atSecond, once.refresh_token ?? '');
    expect(twice.claims()?.sub).to.equal(user.account.id);
    expect(await oidc.fetchUserInfo(atFirst, twice.access_token, user.account.id)).to.include({
      sub: user.account.id,
    });
    // Refresh tokens rotate: the one used at the first process is refused at the second.
    expect(await oauthError(oidc.refreshTokenGrant(atSecond, once.refresh_token ?? ''))).to.equal(
      'invalid_grant',
    );
  });
});

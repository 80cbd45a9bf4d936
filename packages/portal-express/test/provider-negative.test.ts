import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import Handlebars from 'handlebars';
import request from 'supertest';
import * as oidc from 'openid-client';
import { hashClientSecret } from '../src/oidc/clients.js';
import {
  createTestUser,
  registerTestClient,
  type TestClient,
  type TestUser,
} from './support/server.js';
import {
  confirmLogout,
  oauthError,
  redeem,
  signIn,
  startClockedTestPortal,
  type ClockedTestPortal,
} from './support/provider.js';

const database = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** The escaped page title of the provider's error page in a language, from the catalogue. */
function errorTitle(lang: 'en' | 'cy'): string {
  const catalogue = JSON.parse(
    readFileSync(new URL(`../locales/${lang}/core.json`, import.meta.url), 'utf8'),
  ) as { oidc_error: { title: string } };
  return Handlebars.escapeExpression(catalogue.oidc_error.title);
}

/** An authorization URL for `client` with PKCE, then `changes` applied to its parameters. */
async function authorizeUrl(
  client: TestClient,
  changes: Record<string, string | null> = {},
): Promise<URL> {
  const url = oidc.buildAuthorizationUrl(client.config, {
    redirect_uri: client.redirectUri,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: oidc.randomState(),
  });
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  return url;
}

describe(`the provider's negative cases (${database})`, function () {
  this.timeout(60_000);
  let running: ClockedTestPortal;
  let client: TestClient;
  let user: TestUser;

  before(async () => {
    running = await startClockedTestPortal();
    client = await registerTestClient(running);
    user = await createTestUser(running);
  });
  after(async () => {
    await running?.stop();
  });

  describe('at the authorization endpoint', () => {
    for (const lang of ['en', 'cy'] as const) {
      it(`shows an unknown client an error page in the user's language (${lang}) and sends nobody anywhere`, async () => {
        const url = await authorizeUrl(client, {
          client_id: 'no-such-client',
          redirect_uri: 'https://attacker.example/callback',
        });
        const res = await request(running.url)
          .get(url.pathname + url.search)
          .set('Accept-Language', lang === 'cy' ? 'cy-GB,cy;q=0.9' : 'en-GB,en;q=0.9');
        expect(res.status).to.equal(400);
        expect(res.headers.location).to.equal(undefined);
        expect(res.type).to.equal('text/html');
        expect(res.text).to.contain(`<html lang="${lang}">`);
        expect(res.text).to.contain(errorTitle(lang));
        expect(res.text).not.to.match(/(href|action)="https?:\/\/attacker\.example/);
      });
    }

    it('refuses a redirect URI that is not registered with an error page, never redirecting to it', async () => {
      for (const redirect of [
        'https://attacker.example/callback',
        `${client.redirectUri}/more`,
        `${client.redirectUri}?next=https://attacker.example`,
        client.redirectUri.replace('127.0.0.1', 'localhost'),
      ]) {
        const url = await authorizeUrl(client, { redirect_uri: redirect });
        const res = await request(running.url).get(url.pathname + url.search);
        expect(res.status, redirect).to.equal(400);
        expect(res.headers.location, redirect).to.equal(undefined);
        expect(res.text, redirect).to.contain(errorTitle('en'));
      }
    });

    it('sends invalid_request back to the client when PKCE is missing or not S256', async () => {
      const cases: Record<string, string | null>[] = [
        { code_challenge: null, code_challenge_method: null },
        { code_challenge_method: 'plain' },
      ];
      for (const changes of cases) {
        const url = await authorizeUrl(client, changes);
        const res = await request(running.url).get(url.pathname + url.search);
        expect(res.status).to.be.oneOf([302, 303]);
        const callback = new URL(res.headers.location ?? '');
        expect(`${callback.origin}${callback.pathname}`).to.equal(client.redirectUri);
        const error = await oauthError(
          oidc.authorizationCodeGrant(client.config, callback, {
            pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
            expectedState: url.searchParams.get('state') ?? undefined,
          }),
        );
        expect(error, JSON.stringify(changes)).to.equal('invalid_request');
      }
    });
  });

  describe('at the token endpoint', () => {
    it('refuses a code with the wrong PKCE verifier with invalid_grant', async () => {
      const signedIn = await signIn(running, client, user);
      expect(await oauthError(redeem(client, signedIn, oidc.randomPKCECodeVerifier()))).to.equal(
        'invalid_grant',
      );
    });

    it('refuses a code used twice with invalid_grant, and revokes the tokens of its first use', async () => {
      const signedIn = await signIn(running, client, user);
      const first = await redeem(client, signedIn);
      const info = await oidc.fetchUserInfo(client.config, first.access_token, user.account.id);
      expect(info.sub).to.equal(user.account.id);

      expect(await oauthError(redeem(client, signedIn))).to.equal('invalid_grant');
      expect(
        await oauthError(oidc.fetchUserInfo(client.config, first.access_token, user.account.id)),
      ).to.equal('invalid_token');
      expect(
        await oauthError(oidc.refreshTokenGrant(client.config, first.refresh_token ?? '')),
      ).to.equal('invalid_grant');
    });

    it('lets exactly one of ten simultaneous redemptions of a code succeed', async () => {
      const signedIn = await signIn(running, client, user);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, () => redeem(client, signedIn)),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).to.have.length(1);
      for (const o of lost) {
        expect(o.reason).to.be.instanceOf(oidc.ResponseBodyError);
        expect((o.reason as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      }
    });

    it('refuses an expired code with invalid_grant', async () => {
      const signedIn = await signIn(running, client, user);
      running.clock.advance(61_000);
      expect(await oauthError(redeem(client, signedIn))).to.equal('invalid_grant');
    });

    it('refuses a refresh token after the user signed out (RP-initiated logout) with invalid_grant', async () => {
      const signedIn = await signIn(running, client, user);
      const tokens = await redeem(client, signedIn);
      const refreshed = await oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '');
      expect(refreshed.access_token).to.be.a('string');

      const where = await confirmLogout(
        signedIn.browser,
        oidc.buildEndSessionUrl(client.config, {
          id_token_hint: tokens.id_token ?? '',
          post_logout_redirect_uri: `${running.url}/test-signed-out`,
          state: 'bye',
        }),
      );
      expect(where).to.equal(`${running.url}/test-signed-out?state=bye`);
      expect(
        await oauthError(oidc.refreshTokenGrant(client.config, refreshed.refresh_token ?? '')),
      ).to.equal('invalid_grant');
      expect(
        await oauthError(
          oidc.fetchUserInfo(client.config, refreshed.access_token, user.account.id),
        ),
      ).to.equal('invalid_token');
    });
  });

  describe('at the end-session endpoint', () => {
    it('refuses a post-logout redirect URI that is not registered, without redirecting', async () => {
      const signedIn = await signIn(running, client, user);
      const tokens = await redeem(client, signedIn);
      for (const params of [{ id_token_hint: tokens.id_token ?? '' }, { client_id: client.id }]) {
        const url = new URL('/session/end', running.url);
        for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
        url.searchParams.set('post_logout_redirect_uri', 'https://attacker.example/signed-out');
        const res = await signedIn.browser.agent
          .get(url.pathname + url.search)
          .set('Accept', 'text/html');
        expect(res.status, Object.keys(params)[0]).to.equal(400);
        expect(res.headers.location).to.equal(undefined);
        expect(res.text).to.contain(errorTitle('en'));
      }
      // The session is still there: signing out properly still works.
      const where = await confirmLogout(
        signedIn.browser,
        oidc.buildEndSessionUrl(client.config, {
          id_token_hint: tokens.id_token ?? '',
          post_logout_redirect_uri: `${running.url}/test-signed-out`,
        }),
      );
      expect(where).to.equal(`${running.url}/test-signed-out`);
    });
  });

  describe('with a confidential client', () => {
    const secret = 'a-confidential-client-secret-of-40-chars!';
    let confidential: TestClient;

    before(async () => {
      const redirectUri = `${running.url}/confidential-callback`;
      await running.portal.services.clients.save({
        id: 'confidential-app',
        secret,
        redirectUris: [redirectUri],
        firstParty: true,
      });
      const config = await oidc.discovery(
        new URL(running.url),
        'confidential-app',
        undefined,
        oidc.ClientSecretBasic(secret),
        { execute: [oidc.allowInsecureRequests] },
      );
      confidential = { id: 'confidential-app', redirectUri, config };
    });

    it('refuses a wrong client secret with invalid_client, and accepts the right one', async () => {
      const signedIn = await signIn(running, confidential, user);
      const wrong = new oidc.Configuration(
        confidential.config.serverMetadata(),
        confidential.id,
        undefined,
        oidc.ClientSecretBasic(`${secret.slice(0, -1)}?`),
      );
      oidc.allowInsecureRequests(wrong);
      expect(
        await oauthError(
          oidc.authorizationCodeGrant(wrong, signedIn.callbackUrl, {
            pkceCodeVerifier: signedIn.verifier,
            expectedState: signedIn.state,
          }),
        ),
      ).to.equal('invalid_client');
      const tokens = await redeem(confidential, signedIn);
      expect(tokens.claims()?.sub).to.equal(user.account.id);
    });

    it('stores only a hash of the client secret', async () => {
      const row = (await running.portal
        .db('oidc_clients')
        .where({ client_id: 'confidential-app' })
        .first()) as { metadata: string };
      expect(row.metadata).not.to.contain(secret);
      expect((JSON.parse(row.metadata) as { client_secret?: string }).client_secret).to.equal(
        hashClientSecret(secret),
      );
    });
  });

  describe('with a client that is removed', () => {
    it('refuses its refresh tokens and access tokens from the moment it is removed', async () => {
      const leaving = await registerTestClient(running, 'leaving-app');
      const signedIn = await signIn(running, leaving, user);
      const tokens = await redeem(leaving, signedIn);
      const info = await oidc.fetchUserInfo(leaving.config, tokens.access_token, user.account.id);
      expect(info.sub).to.equal(user.account.id);

      expect(await running.portal.services.clients.remove('leaving-app')).to.equal(true);
      expect(
        await oauthError(oidc.refreshTokenGrant(leaving.config, tokens.refresh_token ?? '')),
      ).to.equal('invalid_client');
      expect(
        await oauthError(oidc.fetchUserInfo(leaving.config, tokens.access_token, user.account.id)),
      ).to.equal('invalid_token');
    });
  });
});

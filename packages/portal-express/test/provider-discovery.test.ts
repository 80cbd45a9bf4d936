import { expect } from 'chai';
import request from 'supertest';
import * as oidc from 'openid-client';
import { startTestPortal, type RunningTestPortal } from './support/server.js';

describe(`the provider's discovery document (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, function () {
  this.timeout(30_000);
  let running: RunningTestPortal;

  before(async () => {
    running = await startTestPortal();
  });
  after(async () => {
    await running?.stop();
  });

  it('is served at /.well-known/openid-configuration with PUBLIC_URL as the issuer', async () => {
    const res = await request(running.url).get('/.well-known/openid-configuration');
    expect(res.status).to.equal(200);
    expect(res.type).to.equal('application/json');
    expect(res.body.issuer).to.equal(running.config.publicUrl);
    for (const endpoint of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'end_session_endpoint',
    ]) {
      expect(String(res.body[endpoint]), endpoint).to.match(
        new RegExp(`^${running.config.publicUrl}/`),
      );
    }
  });

  it('offers only the authorization code flow with S256 PKCE, and refresh tokens', async () => {
    const { body } = await request(running.url).get('/.well-known/openid-configuration');
    expect(body.response_types_supported).to.deep.equal(['code']);
    expect(body.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(body.grant_types_supported).to.have.members(['authorization_code', 'refresh_token']);
    expect(body.grant_types_supported).not.to.include('implicit');
    expect(body.grant_types_supported).not.to.include('client_credentials');
  });

  it('advertises only the client authentication methods a hashed secret can serve', async () => {
    const { body } = await request(running.url).get('/.well-known/openid-configuration');
    // client_secret_jwt would need the secret in clear to check the signature; only its hash is kept.
    expect(body.token_endpoint_auth_methods_supported).to.have.members([
      'client_secret_basic',
      'client_secret_post',
      'none',
    ]);
  });

  it('advertises RP-initiated and back-channel logout with session ids', async () => {
    const { body } = await request(running.url).get('/.well-known/openid-configuration');
    expect(body.end_session_endpoint).to.equal(`${running.config.publicUrl}/session/end`);
    expect(body.backchannel_logout_supported).to.equal(true);
    expect(body.backchannel_logout_session_supported).to.equal(true);
  });

  it('signs ID tokens with ES256 and publishes EC P-256 keys', async () => {
    const { body } = await request(running.url).get('/.well-known/openid-configuration');
    expect(body.id_token_signing_alg_values_supported).to.deep.equal(['ES256']);
    const jwks = await request(running.url).get(new URL(body.jwks_uri).pathname);
    expect(jwks.status).to.equal(200);
    const keys = jwks.body.keys as Record<string, unknown>[];
    expect(keys).to.have.length.greaterThan(0);
    for (const key of keys) {
      expect(key).to.include({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key).not.to.have.property('d');
    }
  });

  it('is accepted by openid-client, which checks the issuer', async () => {
    const config = await oidc.discovery(new URL(running.url), 'anyone', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().issuer).to.equal(running.config.publicUrl);
  });
});

import { expect } from 'chai';
import request from 'supertest';
import * as jose from 'jose';
import {
  createTestUser,
  registerTestClient,
  type TestClient,
  type TestUser,
} from './support/server.js';
import {
  redeem,
  signIn,
  startClockedTestPortal,
  type ClockedTestPortal,
} from './support/provider.js';

describe(`signing key rotation (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, function () {
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

  async function idToken(): Promise<string> {
    const tokens = await redeem(client, await signIn(running, client, user));
    expect(tokens.id_token).to.be.a('string');
    return tokens.id_token ?? '';
  }

  async function publishedKids(): Promise<{ kids: string[]; jwks: jose.JSONWebKeySet }> {
    const res = await request(running.url).get('/jwks');
    expect(res.status).to.equal(200);
    const jwks = res.body as jose.JSONWebKeySet;
    return { kids: jwks.keys.map((k) => String(k.kid)), jwks };
  }

  it('signs with the new key after rotation, publishes both, and still verifies tokens of the old one', async () => {
    const before = await idToken();
    const oldKid = jose.decodeProtectedHeader(before).kid;
    expect((await publishedKids()).kids).to.deep.equal([oldKid]);

    const rotated = await running.portal.services.signingKeys.rotate();
    expect(rotated.kid).not.to.equal(oldKid);
    // The new key is published as soon as the process looks again (at most 30 s later).
    running.clock.advance(30_001);
    const { kids, jwks } = await publishedKids();
    expect(kids).to.have.members([rotated.kid, oldKid]);
    expect(kids[0], 'the signing key first').to.equal(rotated.kid);

    const after = await idToken();
    expect(jose.decodeProtectedHeader(after)).to.include({ kid: rotated.kid, alg: 'ES256' });

    const keySet = jose.createLocalJWKSet(jwks);
    for (const token of [before, after]) {
      const { payload } = await jose.jwtVerify(token, keySet, {
        issuer: running.config.publicUrl,
        audience: client.id,
        algorithms: ['ES256'],
      });
      expect(payload.sub).to.equal(user.account.id);
    }
  });

  it('stops publishing a retired key a day after its rotation', async () => {
    const { kids: before } = await publishedKids();
    expect(before.length).to.be.greaterThan(1);
    const signing = before[0];
    running.clock.advance(24 * 60 * 60 * 1000 + 31_000);
    const { kids } = await publishedKids();
    expect(kids).to.deep.equal([signing]);
  });
});

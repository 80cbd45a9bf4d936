import { expect } from 'chai';
import * as oidc from 'openid-client';
import {
  authorizationRequest,
  registerTestClient,
  type RunningTestPortal,
  type TestClient,
} from './support/server.js';
import { Browser, startRpTestPortal } from './support/rp.js';
import {
  addToCentre,
  completeSignInAtClient,
  createCentre,
  createCentrePerson,
  type CentrePerson,
} from './support/centres.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`the centres claim (${DB})`, function () {
  this.timeout(60_000);
  let running: RunningTestPortal;
  let client: TestClient;
  let person: CentrePerson;

  before(async () => {
    running = await startRpTestPortal();
    client = await registerTestClient(running);
    const eo = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol.example.org',
    });
    person = await createCentrePerson(running, {
      given: 'Gareth',
      family: 'Price',
      email: 'gareth@ysgol.example.org',
    });
    await createCentre(running, '68101', 'Ysgol Glan Môr', eo);
    await createCentre(running, '68102', 'Coleg Enghraifft', eo);
    await addToCentre(running, '68102', person, 'user', ['resources', 'iamis']);
    await addToCentre(running, '68101', person, 'admin');
  });
  after(async () => {
    await running?.stop();
  });

  it('answers UserInfo with every centre of the account, its role and permissions', async () => {
    const { url, verifier, state } = await authorizationRequest(client, 'openid profile email');
    const browser = new Browser(running.url);
    await browser.open(url.toString());
    await completeSignInAtClient(running, browser, person);
    const tokens = await oidc.authorizationCodeGrant(client.config, new URL(browser.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const expected = [
      {
        number: '68101',
        name: 'Ysgol Glan Môr',
        role: 'admin',
        permissions: [
          'access_arrangements',
          'entries_results',
          'iamis',
          'view_scripts',
          'post_results',
          'resources',
          'a2c_keys',
          'item_level_data',
        ],
      },
      {
        number: '68102',
        name: 'Coleg Enghraifft',
        role: 'user',
        permissions: ['iamis', 'resources'],
      },
    ];
    const userinfo = await oidc.fetchUserInfo(
      client.config,
      tokens.access_token,
      tokens.claims()?.sub ?? '',
    );
    expect(userinfo.centres).to.deep.equal(expected);
    expect(userinfo.account_kind).to.equal('centre_user');
  });
});

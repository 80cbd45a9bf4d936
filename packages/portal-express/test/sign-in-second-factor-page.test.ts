import { expect } from 'chai';
import {
  HttpBrowser,
  authorizationRequest,
  createTestUser,
  registerTestClient,
  startTestPortal,
  type RunningTestPortal,
  type TestClient,
  type TestUser,
} from './support/server.js';

describe(`the second-factor page after the password (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, function () {
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

  it('is served by the first request after the password, with the default factor already chosen', async () => {
    const { url } = await authorizationRequest(client);
    const browser = new HttpBrowser(running.url);
    await browser.open(url.toString());
    await browser.submit({ username: user.username });
    expect(browser.html).to.contain('Enter your password');
    const action = /<form[^>]*action="(\/interaction\/[^"]+\/password)"/.exec(browser.html)?.[1];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(browser.html)?.[1];
    expect(action, 'the password form').to.be.a('string');

    const posted = await browser.agent
      .post(action ?? '')
      .type('form')
      .send({ _csrf: csrf ?? '', password: user.password });
    expect(posted.status).to.equal(303);
    const page = await browser.agent.get(String(posted.headers.location));
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('Enter the code from your authenticator app');
  });
});

import { expect } from 'chai';
import { KnexAuditLog } from '@porth/identity-core';
import type { RunningTestPortal } from './support/server.js';
import { Browser, startRpTestPortal } from './support/rp.js';
import {
  addToCentre,
  createCentre,
  createCentrePerson,
  errorText,
  signInToPortal,
  snapshot,
  type CentrePerson,
} from './support/centres.js';
import { pageText } from './support/sign-in-setup.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const A = '68101';
const B = '68201';

/** The CSRF token of the browser (any form of the Portal carries one). */
async function csrfOf(browser: Browser): Promise<string> {
  await browser.open('/portal/profile');
  const token = browser.forms().find((f) => f.hidden._csrf)?.hidden._csrf;
  if (!token) throw new Error(`no CSRF token on ${browser.url}`);
  return token;
}

describe(`Portal centre pages: who may use them (${DB})`, function () {
  this.timeout(120_000);
  let running: RunningTestPortal;
  let eoA: CentrePerson;
  let adminA: CentrePerson;
  let userA: CentrePerson;
  let eoB: CentrePerson;
  let userMemberId: string;
  let eoMemberId: string;
  let invitedMemberId: string;
  let asUser: Browser;
  let asOtherEo: Browser;
  let asAdmin: Browser;

  before(async () => {
    running = await startRpTestPortal();
    eoA = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol-a.example.org',
    });
    adminA = await createCentrePerson(running, {
      given: 'Gareth',
      family: 'Price',
      email: 'gareth@ysgol-a.example.org',
    });
    userA = await createCentrePerson(running, {
      given: 'Ffion',
      family: 'Hughes',
      email: 'ffion@ysgol-a.example.org',
      locale: 'cy',
    });
    eoB = await createCentrePerson(running, {
      given: 'Owain',
      family: 'Rees',
      email: 'owain@coleg-b.example.org',
    });
    eoMemberId = (await createCentre(running, A, 'Ysgol Gyfun Enghraifft', eoA)).id;
    await addToCentre(running, A, adminA, 'admin');
    userMemberId = (await addToCentre(running, A, userA, 'user', ['resources'])).id;
    await createCentre(running, B, 'Coleg Enghraifft', eoB);
    asUser = await signInToPortal(running, userA);
    asOtherEo = await signInToPortal(running, eoB);
    asAdmin = await signInToPortal(running, adminA);
    // A waiting invitation, so that "send the invitation again" has something to refuse.
    await asAdmin.open(`/portal/centres/${A}/users/invite`);
    await asAdmin.submit(
      {
        given_name: 'Aled',
        family_name: 'Jones',
        email: 'aled@ysgol-a.example.org',
        locale: 'en',
        permissions: 'resources',
      },
      `/portal/centres/${A}/users/invite`,
    );
    expect(asAdmin.status).to.equal(200);
    await asAdmin.open(`/portal/centres/${A}/users?search=aled`);
    invitedMemberId = /\/users\/([0-9a-f]+)\/resend/.exec(asAdmin.html)?.[1] ?? '';
    expect(invitedMemberId, 'the invitation row').to.not.equal('');
  });
  after(async () => {
    await running?.stop();
  });

  const users = `/portal/centres/${A}/users`;
  const endpoints = (): {
    method: 'GET' | 'POST';
    path: string;
    fields?: Record<string, string>;
  }[] => [
    { method: 'GET', path: users },
    { method: 'GET', path: `${users}?search=eleri` },
    { method: 'GET', path: `${users}/invite` },
    { method: 'GET', path: `${users}/invite?type=admin` },
    {
      method: 'POST',
      path: `${users}/invite`,
      fields: {
        given_name: 'Mallory',
        family_name: 'Evil',
        email: 'mallory@example.org',
        locale: 'en',
        role: 'admin',
        permissions: 'a2c_keys',
      },
    },
    { method: 'GET', path: `${users}/${userMemberId}/access` },
    { method: 'GET', path: `${users}/${eoMemberId}/access` },
    {
      method: 'POST',
      path: `${users}/${userMemberId}/access`,
      fields: { role: 'admin', permissions: 'a2c_keys', version: '1' },
    },
    { method: 'POST', path: `${users}/${userMemberId}/access`, fields: { role: 'user' } },
    { method: 'GET', path: `${users}/${userMemberId}/delete` },
    { method: 'POST', path: `${users}/${userMemberId}/delete`, fields: {} },
    { method: 'POST', path: `${users}/${eoMemberId}/delete`, fields: {} },
    { method: 'POST', path: `${users}/${invitedMemberId}/resend`, fields: {} },
  ];

  for (const who of ['a User of the centre', 'the Exams Officer of another centre'] as const) {
    it(`answers 403 to ${who} at every centre-admin page, GET and POST, and changes nothing`, async () => {
      const browser = who === 'a User of the centre' ? asUser : asOtherEo;
      const csrf = await csrfOf(browser);
      const before = await snapshot(running);
      for (const endpoint of endpoints()) {
        if (endpoint.method === 'GET') await browser.open(endpoint.path);
        else await browser.post(endpoint.path, { _csrf: csrf, ...endpoint.fields });
        const label = `${endpoint.method} ${endpoint.path}`;
        expect(browser.status, label).to.equal(403);
        expect(new URL(browser.url).pathname, label).to.equal(endpoint.path.split('?')[0]);
        const text = pageText(browser.html);
        expect(text, label).to.not.contain('Mallory');
        expect(text, label).to.not.contain('gareth@ysgol-a.example.org');
        if (who === 'a User of the centre') {
          // In Welsh: the User's account speaks Welsh, and so does the refusal.
          expect(text, label).to.contain('Dim ond cyfrifon y Swyddog Arholiadau');
        } else {
          expect(text, label).to.contain('You do not have access to this centre.');
        }
      }
      expect(await snapshot(running)).to.deep.equal(before);
      const refusals = await new KnexAuditLog(
        running.portal.db,
        running.portal.services.clock,
      ).list({ type: 'centre.access_denied', limit: 100 });
      const mine = refusals.filter(
        (e) => e.actorId === (who === 'a User of the centre' ? userA : eoB).account.id,
      );
      expect(mine.length).to.be.at.least(endpoints().length);
    });
  }

  it('shows a User and the other centre no centre-admin links, and the Admin all of them', async () => {
    await asUser.open('/portal');
    expect(asUser.html).to.not.contain(`/portal/centres/${A}/users`);
    expect(pageText(asUser.html)).to.contain('Canolfan 68101: Ysgol Gyfun Enghraifft');
    await asOtherEo.open('/portal');
    expect(asOtherEo.html).to.not.contain(`/portal/centres/${A}/`);
    expect(asOtherEo.html).to.contain(`/portal/centres/${B}/users`);
    await asAdmin.open('/portal');
    expect(asAdmin.html).to.contain(`/portal/centres/${A}/users`);
    expect(pageText(asAdmin.html)).to.contain('Manage Users').and.contain('Invite User');
  });

  it('refuses a fourth Admin, invitations waiting included, with the reason, and changes nothing', async () => {
    const invite = async (name: string) => {
      await asAdmin.open(`${users}/invite?type=admin`);
      await asAdmin.submit(
        {
          given_name: name,
          family_name: 'Admin',
          email: `${name.toLowerCase()}@ysgol-a.example.org`,
          locale: 'en',
        },
        `${users}/invite`,
      );
    };
    await invite('Second');
    expect(asAdmin.status).to.equal(200);
    await invite('Third');
    expect(asAdmin.status).to.equal(200);
    const before = await snapshot(running);
    await invite('Fourth');
    expect(asAdmin.status).to.equal(409);
    expect(errorText(asAdmin.html)).to.contain('already has 3 Admin accounts');
    expect(asAdmin.html).to.contain('href="#role"');
    expect(await snapshot(running)).to.deep.equal(before);
    // Changing a User into an Admin is refused the same way.
    await asAdmin.open(`${users}/${userMemberId}/access?type=admin`);
    await asAdmin.submit({}, `${users}/${userMemberId}/access`);
    expect(asAdmin.status).to.equal(409);
    expect(errorText(asAdmin.html)).to.contain('already has 3 Admin accounts');
    expect(await snapshot(running)).to.deep.equal(before);
  });

  it('refuses a duplicate email and permissions a User cannot hold, saying why', async () => {
    const before = await snapshot(running);
    await asAdmin.open(`${users}/invite`);
    // A User is never offered A2C Keys or Post Results Services …
    expect(asAdmin.html).to.not.contain('value="a2c_keys"');
    expect(asAdmin.html).to.not.contain('value="post_results"');
    expect(asAdmin.html).to.contain('value="item_level_data"');
    // … and is refused them when they are posted anyway.
    await asAdmin.submit(
      {
        given_name: 'Nia',
        family_name: 'Thomas',
        email: 'nia@ysgol-a.example.org',
        locale: 'cy',
        permissions: 'a2c_keys',
      },
      `${users}/invite`,
    );
    expect(asAdmin.status).to.equal(400);
    expect(errorText(asAdmin.html)).to.contain('A User account cannot have: A2C Keys.');
    expect(asAdmin.html).to.contain('value="Nia"');

    await asAdmin.open(`${users}/invite`);
    await asAdmin.submit(
      {
        given_name: 'Ffion',
        family_name: 'Hughes',
        email: ' FFION@ysgol-a.example.org ',
        locale: 'cy',
      },
      `${users}/invite`,
    );
    expect(asAdmin.status).to.equal(409);
    expect(errorText(asAdmin.html)).to.contain(
      'This email address already belongs to a user at this centre.',
    );
    expect(asAdmin.html).to.contain('href="#email"');

    await asAdmin.open(`${users}/invite`);
    await asAdmin.submit(
      { given_name: '', family_name: 'Thomas', email: 'not-an-email', locale: 'en' },
      `${users}/invite`,
    );
    expect(asAdmin.status).to.equal(400);
    expect(asAdmin.html).to.contain('href="#given_name"').and.contain('href="#email"');
    expect(await snapshot(running)).to.deep.equal(before);
  });

  it('never lets anyone delete the Exams Officer, not even an Admin of the centre', async () => {
    const before = await snapshot(running);
    await asAdmin.open(`${users}/${eoMemberId}/delete`);
    expect(asAdmin.status).to.equal(403);
    expect(pageText(asAdmin.html)).to.contain('The Exams Officer account cannot be deleted.');
    await asAdmin.post(`${users}/${eoMemberId}/delete`, { _csrf: await csrfOf(asAdmin) });
    expect(asAdmin.status).to.equal(403);
    // An Admin cannot change the Exams Officer's access either.
    await asAdmin.open(`${users}/${eoMemberId}/access`);
    expect(asAdmin.status).to.equal(403);
    await asAdmin.post(`${users}/${eoMemberId}/access`, {
      _csrf: await csrfOf(asAdmin),
      permissions: 'resources',
    });
    expect(asAdmin.status).to.equal(403);
    expect(await snapshot(running)).to.deep.equal(before);
    await asAdmin.open(users);
    expect(pageText(asAdmin.html)).to.contain('Nobody can delete the Exams Officer’s account.');
    expect(pageText(asAdmin.html)).to.contain(
      'To change someone’s email address, delete their account and invite them again',
    );
  });

  it('asks someone signed out to sign in, and changes nothing', async () => {
    const anonymous = new Browser(running.url);
    const before = await snapshot(running);
    await anonymous.open(users);
    expect(new URL(anonymous.url).pathname).to.equal('/portal');
    expect(anonymous.html).to.contain('Sign in as a centre user');
    await anonymous.post(`${users}/${userMemberId}/delete`, {});
    expect(anonymous.status).to.equal(403);
    expect(await snapshot(running)).to.deep.equal(before);
  });
});

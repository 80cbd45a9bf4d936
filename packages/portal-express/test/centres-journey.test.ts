import { expect } from 'chai';
import { KnexAccountRepository } from '@porth/identity-core';
import { createManualClock, type ManualClock } from '@porth/identity-core/testing';
import type { RunningTestPortal } from './support/server.js';
import { Browser, startRpTestPortal } from './support/rp.js';
import {
  CENTRE_PASSWORD,
  createCentre,
  createCentrePerson,
  errorText,
  invitationLink,
  setUpAuthenticator,
  signInToPortal,
  visibleText,
  type CentrePerson,
} from './support/centres.js';
import { mailsTo, pageText } from './support/sign-in-setup.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const CENTRE = '68101';
const USERS = `/portal/centres/${CENTRE}/users`;
const NEW_PASSWORD = 'Afon-Teifi-Glas-2026!';
const DAY = 24 * 60 * 60 * 1000;

/** The Manage Users row (its HTML) of the user with this email. */
function rowOf(html: string, email: string): string {
  const rows = html.split('<tr>').filter((r) => r.includes(email));
  if (rows.length !== 1) throw new Error(`expected one row for ${email}, found ${rows.length}`);
  return rows[0] ?? '';
}

/** The member id in a Manage Users row. */
function memberIdIn(row: string): string {
  const id = /\/users\/([0-9a-f]+)\/(?:access|delete|resend)/.exec(row)?.[1];
  if (!id) throw new Error(`no member id in ${row}`);
  return id;
}

async function countRows(running: RunningTestPortal, table: string, accountId: string) {
  const row = (await running.portal
    .db(table)
    .where({ account_id: accountId })
    .count({ n: '*' })
    .first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

describe(`Portal centres: invite, accept, manage access, delete (${DB})`, function () {
  this.timeout(180_000);
  let running: RunningTestPortal;
  let clock: ManualClock;
  let eo: CentrePerson;
  let asEo: Browser;

  before(async () => {
    clock = createManualClock(Date.now());
    running = await startRpTestPortal({ clock });
    eo = await createCentrePerson(running, {
      given: 'Eleri',
      family: 'Morgan',
      email: 'eleri@ysgol.example.org',
    });
    await createCentre(running, CENTRE, 'Ysgol Gyfun Enghraifft', eo);
    asEo = await signInToPortal(running, eo);
  });
  after(async () => {
    await running?.stop();
  });

  /** The EO invites someone with the Invite User form (with at most one permission ticked). */
  async function invite(
    person: { given: string; family: string; email: string; locale: 'en' | 'cy' },
    role: 'admin' | 'user',
    permission?: string,
  ): Promise<void> {
    await asEo.open(`${USERS}/invite${role === 'admin' ? '?type=admin' : ''}`);
    expect(asEo.status).to.equal(200);
    await asEo.submit(
      {
        given_name: person.given,
        family_name: person.family,
        email: person.email,
        locale: person.locale,
        ...(permission ? { permissions: permission } : {}),
      },
      `${USERS}/invite`,
    );
  }

  it('shows the Exams Officer the centre, the profile menu and Manage Users', async () => {
    await asEo.open('/portal');
    const text = visibleText(asEo.html);
    expect(text).to.contain('Centre 68101: Ysgol Gyfun Enghraifft');
    expect(text).to.contain('Your account type: Exams Officer');
    expect(asEo.html).to.contain('<summary>Profile</summary>');
    expect(asEo.html).to.contain(`href="${USERS}"`);
    await asEo.open(USERS);
    expect(asEo.status).to.equal(200);
    expect(pageText(asEo.html)).to.contain('Manage Users').and.contain('eleri@ysgol.example.org');
    expect(pageText(asEo.html)).to.contain('Users at this centre: 1');
  });

  /**
   * The invitee's side: opens the emailed link in a new browser, creates a password, signs in
   * at the provider with it and sets up an authenticator app, and lands at the Portal.
   */
  async function acceptAndSignIn(url: string, email: string): Promise<Browser> {
    const invitee = new Browser(running.url);
    await invitee.open(url);
    expect(invitee.status, visibleText(invitee.html).slice(0, 500)).to.equal(200);
    await invitee.submit({ new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(new URL(invitee.url).pathname).to.match(/^\/interaction\//);
    await invitee.submit({ username: email });
    await invitee.submit({ password: NEW_PASSWORD });
    await setUpAuthenticator(invitee, clock);
    expect(invitee.html).to.contain('id="recovery-codes"');
    await invitee.submit({});
    await invitee.submit({ stay_signed_in: 'no' });
    expect(new URL(invitee.url).pathname).to.equal('/portal');
    return invitee;
  }

  /** The "your centre" part of the Portal home page, as text. */
  function centreSection(html: string): string {
    return visibleText(
      /<section aria-labelledby="your-centre">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '',
    );
  }

  it('invites an Admin in Welsh; the invitee accepts from the email, sets a password and an authenticator app, and arrives at the Portal', async () => {
    const email = 'sian.prys@ysgol.example.org';
    await invite({ given: 'Siân', family: 'Prys', email, locale: 'cy' }, 'admin');
    expect(asEo.url).to.equal(`${running.url}${USERS}?done=invited`);
    expect(visibleText(asEo.html)).to.contain('The invitation has been sent.');
    const row = visibleText(rowOf(asEo.html, email));
    expect(row).to.contain('Siân Prys').and.contain('Admin').and.contain('Invitation sent');

    // The email is in the invitee's language, with a link to this portal's acceptance page.
    const mail = await invitationLink(running, email);
    expect(mail.subject).to.equal(
      'Gwahoddiad i greu cyfrif ar gyfer Ysgol Gyfun Enghraifft (68101)',
    );
    expect(mail.url.startsWith(`${running.url}/invitation/`)).to.equal(true);
    expect(mail.url.endsWith('?lang=cy')).to.equal(true);

    const invitee = new Browser(running.url);
    await invitee.open(mail.url);
    expect(invitee.status).to.equal(200);
    expect(invitee.html).to.contain('<html lang="cy">');
    const page = visibleText(invitee.html);
    expect(page).to.contain('Derbyn eich gwahoddiad');
    expect(page).to.contain('Ysgol Gyfun Enghraifft (canolfan 68101)');
    expect(page).to.contain('Gweinyddwr');
    expect(page).to.contain(email);
    // Every rule of the password policy is listed before anything is typed.
    expect(page).to.contain('Rhaid i’ch cyfrinair:');
    expect(page).to.contain('O leiaf 8 nod').and.contain('Priflythyren').and.contain('Symbol');

    await invitee.submit({ new_password: 'cyfrin', confirm_password: 'cyfrin' });
    expect(invitee.status).to.equal(400);
    const problems = errorText(invitee.html);
    expect(problems).to.contain('8');
    // Every rule it breaks, at once: too short, no capital, no number, no symbol.
    expect(problems.match(/<li>/g)?.length ?? 0).to.be.at.least(4);
    await invitee.submit({ new_password: NEW_PASSWORD, confirm_password: 'Rhywbeth-Arall-1!' });
    expect(invitee.status).to.equal(400);
    expect(errorText(invitee.html)).to.contain('Dydy’r ddau gyfrinair ddim yr un fath');

    // A good password: the link is used up and the sign-in starts at the provider.
    await invitee.submit({ new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(new URL(invitee.url).pathname).to.match(/^\/interaction\//);
    await invitee.submit({ username: email });
    await invitee.submit({ password: NEW_PASSWORD });
    expect(visibleText(invitee.html)).to.contain('Ffurfweddu dilysu aml-ffactor (MFA)');
    await setUpAuthenticator(invitee, clock);
    await invitee.submit({});
    await invitee.submit({ stay_signed_in: 'no' });
    expect(invitee.url).to.equal(`${running.url}/portal`);
    const home = centreSection(invitee.html);
    expect(home).to.contain('Canolfan 68101: Ysgol Gyfun Enghraifft');
    expect(home).to.contain('Gweinyddwr');
    expect(invitee.html).to.contain(`href="${USERS}"`);

    const { db, clock: c, random } = running.portal.services;
    const account = await new KnexAccountRepository(db, c, random).findByUsername(email);
    expect(account?.kind).to.equal('centre_user');
    expect(account?.locale).to.equal('cy');
    expect(
      await new KnexAccountRepository(db, c, random).listRequiredActions(account?.id ?? ''),
    ).to.deep.equal([]);
    const factors = await running.portal.services.mfa.listFactors(account?.id ?? '');
    expect(factors.map((f) => f.kind)).to.deep.equal(['totp']);

    // The link works once.
    const again = new Browser(running.url);
    await again.open(mail.url);
    expect(again.status).to.equal(410);
    expect(visibleText(again.html)).to.contain('Does dim modd defnyddio’r ddolen wahoddiad hon');
    await asEo.open(USERS);
    expect(visibleText(rowOf(asEo.html, email))).to.contain('Active');
  });

  let asUser: Browser;
  let userEmail: string;

  it("invites a User; a change of access by the Exams Officer shows at the User's next page view", async () => {
    userEmail = 'ffion.hughes@ysgol.example.org';
    await invite(
      { given: 'Ffion', family: 'Hughes', email: userEmail, locale: 'en' },
      'user',
      'iamis',
    );
    const mail = await invitationLink(running, userEmail);
    expect(mail.subject).to.equal(
      'Invitation to create an account for Ysgol Gyfun Enghraifft (68101)',
    );
    asUser = await acceptAndSignIn(mail.url, userEmail);
    let home = centreSection(asUser.html);
    expect(home).to.contain('Your account type: User');
    expect(home).to.contain('IAMIS');
    expect(home).to.not.contain('View Scripts');
    expect(asUser.html).to.not.contain(`href="${USERS}"`);
    await asUser.open(USERS);
    expect(asUser.status).to.equal(403);

    await asEo.open(USERS);
    const id = memberIdIn(rowOf(asEo.html, userEmail));
    await asEo.open(`${USERS}/${id}/access`);
    expect(asEo.status).to.equal(200);
    const form = visibleText(asEo.html);
    expect(form).to.contain('Manage Access').and.contain('Confirm access permissions');
    expect(form).to.contain(
      'Grants access to view candidate scripts after results. Scripts should only be accessed with candidate permission.',
    );
    expect(asEo.html).to.not.contain('value="a2c_keys"');
    expect(asEo.html).to.match(/value="iamis" checked/);
    await asEo.submit({ permissions: 'view_scripts' }, `${USERS}/${id}/access`);
    expect(asEo.url).to.equal(`${running.url}${USERS}?done=access_changed`);
    expect(visibleText(rowOf(asEo.html, userEmail))).to.contain('View Scripts');

    const [told] = await mailsTo(running, userEmail, 'centre_access_changed');
    expect(told?.subject).to.contain('Your access to Ysgol Gyfun Enghraifft (68101) has changed');

    // The User's very next page view shows the new access, long before any token renewal.
    await asUser.open('/portal');
    home = centreSection(asUser.html);
    expect(home).to.contain('View Scripts');
    expect(home).to.not.contain('IAMIS');
    await asUser.open('/portal/centres');
    expect(visibleText(asUser.html)).to.contain('View Scripts');
  });

  it('deletes the User: they are told by email, and their next Portal page asks them to sign in', async () => {
    await asEo.open(USERS);
    const id = memberIdIn(rowOf(asEo.html, userEmail));
    await asEo.open(`${USERS}/${id}/delete`);
    expect(asEo.status).to.equal(200);
    expect(visibleText(asEo.html)).to.contain(
      `Are you sure you want to delete Ffion Hughes (${userEmail}) from centre 68101?`,
    );
    const { db, clock: c, random } = running.portal.services;
    const account = await new KnexAccountRepository(db, c, random).findByUsername(userEmail);
    const accountId = account?.id ?? '';
    expect(await countRows(running, 'rp_sessions', accountId)).to.equal(1);
    expect(await countRows(running, 'oidc_models', accountId)).to.be.greaterThan(0);

    await asEo.submit({}, `${USERS}/${id}/delete`);
    expect(asEo.url).to.equal(`${running.url}${USERS}?done=deleted`);
    expect(asEo.html).to.not.contain(userEmail);
    const told = await mailsTo(running, userEmail, 'centre_access_changed');
    expect(told.map((m) => m.subject)).to.include(
      'You have been removed from Ysgol Gyfun Enghraifft (68101)',
    );
    expect((await new KnexAccountRepository(db, c, random).findById(accountId))?.status).to.equal(
      'deleted',
    );
    expect(await countRows(running, 'rp_sessions', accountId)).to.equal(0);
    expect(await countRows(running, 'oidc_models', accountId)).to.equal(0);

    await asUser.open('/portal');
    expect(visibleText(asUser.html)).to.contain('Sign in as a centre user');
    await asUser.open(USERS);
    expect(new URL(asUser.url).pathname).to.equal('/portal');
    await asUser.open('/portal/sign-in?as=centre_user');
    expect(asUser.sawSignInPage).to.equal(true);
    expect(asUser.html).to.contain('name="username"');
    // The Exams Officer is still signed in.
    await asEo.open(USERS);
    expect(asEo.status).to.equal(200);
  });

  it('adds the centre to an existing account with the same email, which then switches between its centres', async () => {
    const gareth = await createCentrePerson(running, {
      given: 'Gareth',
      family: 'Price',
      email: 'gareth@coleg.example.org',
    });
    await createCentre(running, '68102', 'Coleg Enghraifft', gareth);
    await invite(
      { given: 'Gareth', family: 'Price', email: gareth.email, locale: 'en' },
      'user',
      'resources',
    );
    const mail = await invitationLink(running, gareth.email);
    const browser = new Browser(running.url);
    await browser.open(mail.url);
    const page = visibleText(browser.html);
    expect(page).to.contain('You already have an account with this email address.');
    expect(browser.html).to.not.contain('name="new_password"');
    await browser.submit({}, mail.url.replace(running.url, '').replace(/\?lang=en$/, ''));
    expect(browser.html).to.contain('name="username"');
    await browser.submit({ username: gareth.email });
    await browser.submit({ password: CENTRE_PASSWORD });
    const { emailedCode } = await import('./support/sign-in-setup.js');
    await browser.submit({ action: 'verify', code: await emailedCode(running, gareth.email) });
    await browser.submit({ stay_signed_in: 'no' });
    expect(browser.url).to.equal(`${running.url}/portal`);
    expect(centreSection(browser.html)).to.contain('Centre 68101: Ysgol Gyfun Enghraifft');
    expect(browser.html).to.contain('href="/portal/centres"');

    await browser.open('/portal/centres');
    const centres = visibleText(browser.html);
    expect(centres).to.contain('Centre 68101: Ysgol Gyfun Enghraifft');
    expect(centres).to.contain('Centre 68102: Coleg Enghraifft');
    await browser.submit({ centre: '68102' }, '/portal/centres');
    expect(visibleText(browser.html)).to.contain(
      'You are now working at centre 68102: Coleg Enghraifft.',
    );
    await browser.open('/portal');
    expect(centreSection(browser.html)).to.contain('Centre 68102: Coleg Enghraifft');
    expect(centreSection(browser.html)).to.contain('Exams Officer');
    expect(browser.html).to.contain('href="/portal/centres/68102/users"');
    // At 68101 Gareth is only a User.
    await browser.open(USERS);
    expect(browser.status).to.equal(403);
    // A centre he does not belong to cannot be chosen.
    await browser.open('/portal/centres');
    const csrf = browser.forms().find((f) => f.hidden._csrf)?.hidden._csrf ?? '';
    await browser.post('/portal/centres', { _csrf: csrf, centre: '68999' });
    expect(browser.status).to.equal(403);

    // The Exams Officer of 68101 makes him an Admin there: his next page view can manage it.
    await asEo.open(USERS);
    const id = memberIdIn(rowOf(asEo.html, gareth.email));
    await asEo.open(`${USERS}/${id}/access?type=admin`);
    expect(visibleText(asEo.html)).to.contain(
      'The account type will change from User to Admin when you confirm.',
    );
    expect(asEo.html).to.contain('value="a2c_keys" checked');
    await asEo.submit({ permissions: 'a2c_keys' }, `${USERS}/${id}/access`);
    expect(asEo.url).to.equal(`${running.url}${USERS}?done=access_changed`);
    expect(visibleText(rowOf(asEo.html, gareth.email))).to.contain('Admin A2C Keys');
    await browser.open(USERS);
    expect(browser.status).to.equal(200);
    expect(visibleText(browser.html)).to.contain('Manage Users');
  });

  it('speaks Welsh on the centre pages, refusals included', async () => {
    await asEo.open(`${USERS}?lang=cy`);
    let text = visibleText(asEo.html);
    expect(asEo.html).to.contain('<html lang="cy">');
    expect(text).to.contain('Rheoli Defnyddwyr').and.contain('Gwahodd Defnyddiwr');
    expect(text).to.contain('I newid cyfeiriad e-bost rhywun, dilëwch ei gyfrif');
    await asEo.open(`${USERS}/invite`);
    text = visibleText(asEo.html);
    expect(text)
      .to.contain('Math o gyfrif')
      .and.contain('Dewis iaith')
      .and.contain('Anfon gwahoddiad');
    expect(text).to.contain('Trefniadau Mynediad/CAP');
    await asEo.submit(
      {
        given_name: 'Siân',
        family_name: 'Prys',
        email: 'sian.prys@ysgol.example.org',
        locale: 'cy',
      },
      `${USERS}/invite`,
    );
    expect(asEo.status).to.equal(409);
    expect(errorText(asEo.html)).to.contain(
      'Mae’r cyfeiriad e-bost hwn yn perthyn i ddefnyddiwr yn y ganolfan hon yn barod.'.replace(
        /’/g,
        "'",
      ),
    );
    await asEo.open(`${USERS}?lang=en`);
  });

  it('edits the profile: names, phone and language, but not the email address', async () => {
    await asEo.open('/portal/profile');
    expect(asEo.status).to.equal(200);
    const text = visibleText(asEo.html);
    expect(text).to.contain('eleri@ysgol.example.org');
    expect(text).to.contain('To use a new address, ask your Exams Officer to delete your account');
    expect(asEo.html).to.not.contain('name="email"');
    await asEo.submit(
      { given_name: 'Eleri Haf', family_name: 'Morgan', phone: '07700 900123', locale: 'en' },
      '/portal/profile',
    );
    expect(asEo.url).to.equal(`${running.url}/portal/profile?saved=1`);
    expect(visibleText(asEo.html)).to.contain('Signed in as Eleri Haf Morgan');
    const [notice] = await mailsTo(running, eo.email, 'security_change');
    expect(notice?.text).to.contain('phone');

    // A later phone change, more than 15 minutes after signing in, asks for the password.
    clock.advance(16 * 60 * 1000);
    await asEo.open('/portal/profile');
    await asEo.submit(
      { given_name: 'Eleri Haf', family_name: 'Morgan', phone: '07700 900456', locale: 'cy' },
      '/portal/profile',
    );
    expect(asEo.status).to.equal(400);
    expect(asEo.html).to.contain('href="#password"');
    await asEo.submit(
      {
        given_name: 'Eleri Haf',
        family_name: 'Morgan',
        phone: '07700 900456',
        locale: 'cy',
        password: CENTRE_PASSWORD,
      },
      '/portal/profile',
    );
    expect(asEo.url).to.equal(`${running.url}/portal/profile?saved=1`);
    expect(asEo.html).to.contain('<html lang="cy">');
    expect(visibleText(asEo.html)).to.contain('Mae eich proffil wedi’i gadw.');
  });

  it('answers a replaced, cancelled or expired invitation link with a clear page (410)', async () => {
    const email = 'hwyr@ysgol.example.org';
    await invite({ given: 'Rhys', family: 'Hwyr', email, locale: 'en' }, 'user');
    const first = (await invitationLink(running, email)).url;
    const browser = new Browser(running.url);
    await browser.open(first);
    expect(browser.status).to.equal(200);

    // "Send the invitation again": a new link, and the old one stops working.
    await asEo.open(`${USERS}?lang=en`);
    const id = memberIdIn(rowOf(asEo.html, email));
    clock.advance(1000); // so that the newest email is the newest by time
    await asEo.submit({}, `${USERS}/${id}/resend`);
    expect(asEo.url).to.equal(`${running.url}${USERS}?done=resent`);
    const second = (await invitationLink(running, email)).url;
    expect(second).to.not.equal(first);
    await browser.open(first);
    expect(browser.status).to.equal(410);
    await browser.open(second);
    expect(browser.status).to.equal(200);

    // Deleting a waiting invitation cancels it (sending it again gave the row a new id).
    const renewed = memberIdIn(rowOf(asEo.html, email));
    await asEo.open(`${USERS}/${renewed}/delete`);
    expect(visibleText(asEo.html)).to.contain('They have not accepted their invitation yet.');
    await asEo.submit({}, `${USERS}/${renewed}/delete`);
    expect(asEo.url).to.equal(`${running.url}${USERS}?done=deleted`);
    await browser.open(second);
    expect(browser.status).to.equal(410);
    await browser.post(second.replace(/\?lang=en$/, ''), {
      new_password: NEW_PASSWORD,
      confirm_password: NEW_PASSWORD,
    });
    expect(browser.status).to.be.oneOf([403, 410]);

    // A link left for longer than 7 days has expired.
    clock.advance(1000);
    await invite({ given: 'Rhys', family: 'Hwyr', email, locale: 'en' }, 'user');
    const third = (await invitationLink(running, email)).url;
    clock.advance(8 * DAY);
    await browser.open(third);
    expect(browser.status).to.equal(410);
    expect(visibleText(browser.html)).to.contain('This invitation link cannot be used');
    await browser.open('/invitation/not-a-real-token');
    expect(browser.status).to.equal(410);
  });
});

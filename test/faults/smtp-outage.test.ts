import { expect } from 'chai';
import request from 'supertest';
import { createManualClock, type ManualClock } from '@porth/identity-core/testing';
import { createTestDatabase, type TestDatabase } from '@porth/identity-core/testing';
import { allMigrations } from '../../packages/portal-express/src/db/migrations.js';
import {
  HttpBrowser,
  createTestUser,
  type RunningTestPortal,
  type TestUser,
} from '../../packages/portal-express/test/support/server.js';
import { insertLegacyAccount } from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  answerOn,
  hiddenFields,
  postForm,
} from '../../packages/portal-express/test/support/recovery.js';
import { SmtpTestServer, type ReceivedMail } from '../support/smtp-test-server.js';
import { DATABASE_LABEL } from './support/outage.js';
import { startPortalOver } from './support/portal.js';

interface OutboxRow {
  id: string;
  recipient: string;
  template: string;
  status: string;
  attempts: number | string;
  last_error: string | null;
}

/** Polls `check` every 50 ms until it returns true; fails with `what` after `timeoutMs`. */
async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function messageIdOf(mail: ReceivedMail): string {
  return String(mail.parsed.headers.get('x-porth-message-id') ?? '');
}

describe(`the SMTP server is down for a while (${DATABASE_LABEL})`, function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let smtp: SmtpTestServer;
  let running: RunningTestPortal;
  let clock: ManualClock;
  const users: TestUser[] = [];

  before(async () => {
    database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
    smtp = await SmtpTestServer.start();
    clock = createManualClock(Date.now());
    running = await startPortalOver(database, {
      clock,
      env: { SMTP_URL: smtp.url },
      mailIntervalMs: 100,
    });
    for (const [given, family] of [
      ['Alaw', 'Bowen'],
      ['Bethan', 'Cadwaladr'],
      ['Carys', 'Dafis'],
    ] as const) {
      users.push(
        await createTestUser(running, {
          given,
          family,
          username: `${given.toLowerCase()}.${family.toLowerCase()}@wjec-appointees.co.uk`,
        }),
      );
    }
  });

  after(async () => {
    await running?.stop();
    await smtp?.stop();
    await database?.destroy();
  });

  /** The outbox as the dispatcher sees it, oldest first. */
  async function outbox(): Promise<OutboxRow[]> {
    return (await running.portal
      .db('outbox_messages')
      .select('id', 'recipient', 'template', 'status', 'attempts', 'last_error')
      .where('channel', 'email')
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])) as OutboxRow[];
  }

  it('keeps temporary passwords and reset links pending, and delivers each exactly once when it returns', async () => {
    // Mail set up before the outage (the users' factors) goes out first.
    await eventually('the set-up mail is sent', async () =>
      (await outbox()).every((m) => m.status === 'sent'),
    );
    smtp.clear();
    const before = new Set((await outbox()).map((m) => m.id));
    await smtp.stop();

    // Three legacy accounts migrate (a temporary password each) and three people ask for a
    // reset link on the forgotten-password page, while no mail can leave.
    const migrated: { email: string; newUsername: string }[] = [];
    for (const [i, name] of ['Dyfan', 'Eirian', 'Ffion'].entries()) {
      const person = {
        legacyUsername: `${name.toLowerCase()}.legacy`,
        password: `Hen-Gyfrinair-${i}`,
        givenName: name,
        familyName: 'Gruffydd',
        email: `${name.toLowerCase()}.gruffydd@example.org`,
      };
      await insertLegacyAccount(running, person);
      const result = await running.portal.services.migration.migrate({
        legacyUsername: person.legacyUsername,
        password: person.password,
      });
      if (result.outcome !== 'migrated') throw new Error(`not migrated: ${result.outcome}`);
      migrated.push({ email: person.email, newUsername: result.newUsername });
    }
    for (const user of users) {
      const browser = new HttpBrowser(running.url);
      await browser.open('/forgotten-password');
      const answer = await postForm(browser, '/forgotten-password', {
        ...hiddenFields(browser.html),
        username: user.username,
        answer: answerOn(browser.html),
      });
      expect(answer.status, answer.body.slice(0, 300)).to.equal(303);
    }
    const queued = (await outbox()).filter((m) => !before.has(m.id));
    expect(queued.map((m) => m.template).sort()).to.deep.equal([
      ...Array<string>(3).fill('migration_temporary_password'),
      ...Array<string>(3).fill('password_reset'),
    ]);
    const ids = queued.map((m) => m.id);

    // The dispatcher inside the portal tries, fails and keeps every message pending; time goes
    // on and it tries again with back-off (5 s, then 10 s), failing each time. After the third
    // failure the clock stands still until the server is back, so no fourth attempt (and its
    // 40-second back-off) can slip in before it.
    for (const attempt of [1, 2, 3]) {
      await eventually(`every message has failed attempt ${attempt}`, async () =>
        (await outbox())
          .filter((m) => ids.includes(m.id))
          .every((m) => Number(m.attempts) >= attempt && m.status === 'pending'),
      );
      if (attempt < 3) clock.advance(5_000 * 2 ** (attempt - 1) + 1_000);
    }
    for (const m of (await outbox()).filter((row) => ids.includes(row.id))) {
      expect(m.status).to.equal('pending');
      expect(Number(m.attempts)).to.equal(3);
      expect(m.last_error).to.match(/ECONNREFUSED/);
    }
    expect(smtp.messages).to.have.length(0);
    expect((await request(running.url).get('/healthz')).status, 'the portal is up').to.equal(200);

    // The server comes back: the next attempt (20 s later) delivers everything.
    await smtp.restart();
    clock.advance(21_000);
    const delivered = await smtp.waitForMessages(6, 15_000);
    await eventually('every message is marked sent', async () =>
      (await outbox()).filter((m) => ids.includes(m.id)).every((m) => m.status === 'sent'),
    );
    // More dispatcher rounds, and more time, send nothing again.
    clock.advance(60 * 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(smtp.messages).to.have.length(6);
    expect(delivered.map(messageIdOf).sort()).to.deep.equal([...ids].sort());

    // What arrived works: each temporary password signs its account in, each link opens its form.
    for (const { email, newUsername } of migrated) {
      const mail = smtp.messages.find((m) => m.envelopeTo.includes(email));
      const temporary = /Your temporary password: (\S+)/.exec(mail?.parsed.text ?? '')?.[1];
      expect(temporary, `the temporary password for ${email}`).to.be.a('string');
      const check = await running.portal.services.authenticator.check({
        username: newUsername,
        password: temporary ?? '',
      });
      expect(check.outcome, email).to.equal('success');
    }
    for (const user of users) {
      const email = `${user.account.givenName?.toLowerCase()}@example.org`;
      const mail = smtp.messages.find((m) => m.envelopeTo.includes(email));
      const path = /https?:\/\/[^/\s]+(\/forgotten-password\/reset\/[A-Za-z0-9_%-]+)/.exec(
        mail?.parsed.text ?? '',
      )?.[1];
      expect(path, `the reset link for ${email}`).to.be.a('string');
      const form = await request(running.url).get(path ?? '/');
      expect(form.status, email).to.equal(200);
      expect(form.text).to.contain('name="new_password"');
    }
  });
});

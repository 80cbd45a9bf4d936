import { expect } from 'chai';
import type { Knex } from 'knex';
import {
  createManualClock,
  createTestDatabase,
  type TestDatabase,
} from '../../src/testing/index.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { cryptoRandom } from '../../src/random.js';
import { MailOutbox } from '../../src/mail/outbox.js';
import {
  MESSAGE_ID_HEADER,
  MailDispatcher,
  describeDeliveryError,
  retryDelayMs,
  type MailDispatcherOptions,
} from '../../src/mail/dispatcher.js';
import { SmtpTransport } from '../../src/mail/smtp-transport.js';
import { KnexOutboxRepository } from '../../src/mail/knex-outbox-repository.js';
import type { MailTransport, OutgoingMail } from '../../src/mail/mail-transport.js';
import type { MailLocale, MailRequest } from '../../src/mail/mail-message.js';
import { SmtpTestServer } from '../../../../test/support/smtp-test-server.js';

const SECRET = 'dispatcher-test-secret-key-0123456789-xyz';
const FROM = 'Porth <no-reply@porth.example>';
const START = Date.UTC(2026, 0, 1, 9);

function temporaryPasswordMail(
  to: string,
  locale: MailLocale,
  password: string,
): MailRequest<'migration_temporary_password'> {
  return {
    to,
    template: 'migration_temporary_password',
    locale,
    data: {
      name: 'Siân Jones',
      newUsername: 'sian.jones@wjec-appointees.co.uk',
      temporaryPassword: password,
      signInUrl: 'https://id.example.org/sign-in',
      expiresAt: new Date(START + 14 * 24 * 3600_000),
    },
  };
}

function codeMail(to: string, code: string): MailRequest<'email_code'> {
  return { to, template: 'email_code', locale: 'en', data: { code, minutes: 10 } };
}

interface Row {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  payload: string | null;
  sent_at: number | null;
}

async function rows(db: Knex): Promise<Row[]> {
  const raw = (await db('outbox_messages')
    .select('*')
    .orderBy('created_at')
    .orderBy('id')) as Record<string, unknown>[];
  return raw.map((r) => ({
    id: String(r.id),
    status: String(r.status),
    attempts: Number(r.attempts),
    next_attempt_at: Number(r.next_attempt_at),
    last_error: r.last_error === null ? null : String(r.last_error),
    payload: r.payload === null ? null : String(r.payload),
    sent_at: r.sent_at === null ? null : Number(r.sent_at),
  }));
}

function idsReceived(smtp: SmtpTestServer): string[] {
  return smtp.messages.map((m) => String(m.parsed.headers.get(MESSAGE_ID_HEADER.toLowerCase())));
}

/** A transport that fails with the given error, counting its calls. */
function failingTransport(error: Error): MailTransport & { calls: number } {
  const transport = {
    calls: 0,
    async send(): Promise<void> {
      transport.calls++;
      throw error;
    },
  };
  return transport;
}

describe(`mail dispatcher (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, () => {
  let t: TestDatabase;
  let smtp: SmtpTestServer;
  let transport: SmtpTransport;
  const clock = createManualClock(START);

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
    smtp = await SmtpTestServer.start();
    transport = new SmtpTransport({ url: smtp.url, connectionTimeoutMs: 2000 });
  });
  after(async () => {
    transport?.close();
    await smtp?.stop();
    await t?.destroy();
  });
  beforeEach(async () => {
    await t.db('outbox_messages').delete();
    if (!smtp.running) await smtp.restart();
    smtp.clear();
    clock.set(START);
  });

  function outbox(): MailOutbox {
    return new MailOutbox({ db: t.db, clock, random: cryptoRandom, secretKey: SECRET });
  }

  function dispatcher(options: Partial<MailDispatcherOptions> = {}): MailDispatcher {
    return new MailDispatcher({
      db: t.db,
      clock,
      secretKey: SECRET,
      from: FROM,
      transport,
      ...options,
    });
  }

  it('delivers an enqueued email to the SMTP server with recipient, subject, text and HTML, in Welsh for a Welsh reader', async () => {
    const box = outbox();
    const welsh = await box.enqueue(
      t.db,
      temporaryPasswordMail('sian.jones@example.org', 'cy', 'Dros-Dro-7x!'),
    );
    const english = await box.enqueue(
      t.db,
      temporaryPasswordMail('sam.smith@example.org', 'en', 'Temp-Pass-8y!'),
    );

    expect(await dispatcher().runOnce()).to.deep.equal({
      sent: 2,
      retrying: 0,
      failed: 0,
      skipped: 0,
    });

    const received = await smtp.waitForMessages(2);
    const byId = new Map(
      received.map((m) => [String(m.parsed.headers.get('x-porth-message-id')), m]),
    );
    const cy = byId.get(welsh);
    const en = byId.get(english);
    if (!cy || !en) throw new Error('a message did not arrive');

    expect(cy.envelopeTo).to.deep.equal(['sian.jones@example.org']);
    expect(cy.envelopeFrom).to.equal('no-reply@porth.example');
    expect(cy.parsed.to && !Array.isArray(cy.parsed.to) ? cy.parsed.to.text : null).to.equal(
      'sian.jones@example.org',
    );
    expect(cy.parsed.subject).to.equal("Eich enw defnyddiwr newydd a'ch cyfrinair dros dro");
    expect(cy.parsed.text).to.include('Eich cyfrinair dros dro: Dros-Dro-7x!');
    expect(cy.parsed.text).to.include('sian.jones@wjec-appointees.co.uk');
    expect(cy.parsed.html).to.be.a('string');
    expect(cy.parsed.html).to.include('<html lang="cy">');
    expect(cy.parsed.html).to.include('Dros-Dro-7x!');
    expect(cy.parsed.html).to.include('Mewngofnodi');
    expect(cy.parsed.headers.get('content-language')).to.equal('cy');
    expect(cy.parsed.headers.get('auto-submitted')).to.equal('auto-generated');

    expect(en.envelopeTo).to.deep.equal(['sam.smith@example.org']);
    expect(en.parsed.subject).to.equal('Your new username and temporary password');
    expect(en.parsed.text).to.include('Your temporary password: Temp-Pass-8y!');
    expect(en.parsed.html).to.include('<html lang="en">');

    for (const row of await rows(t.db)) {
      expect(row.status).to.equal('sent');
      expect(row.sent_at).to.equal(START);
      expect(row.attempts).to.equal(1);
      expect(row.payload, 'payload erased once sent').to.equal(null);
    }
  });

  it('keeps the encrypted payload of sent messages when asked to, never the plain password', async () => {
    await outbox().enqueue(
      t.db,
      temporaryPasswordMail('keep@example.org', 'en', 'Kept-Secret-5z!'),
    );
    await dispatcher({ keepSentPayload: true }).runOnce();
    const [row] = await rows(t.db);
    expect(row?.status).to.equal('sent');
    expect(row?.payload).to.be.a('string').and.not.include('Kept-Secret-5z!');
  });

  it('keeps messages pending while the server is down and delivers each exactly once after it is back', async () => {
    const box = outbox();
    const ids = [
      await box.enqueue(t.db, codeMail('a@example.org', '111111')),
      await box.enqueue(t.db, codeMail('b@example.org', '222222')),
      await box.enqueue(t.db, codeMail('c@example.org', '333333')),
    ];
    await smtp.stop();
    const d = dispatcher();

    expect(await d.runOnce()).to.deep.equal({ sent: 0, retrying: 3, failed: 0, skipped: 0 });
    for (const row of await rows(t.db)) {
      expect(row.status).to.equal('pending');
      expect(row.attempts).to.equal(1);
      expect(row.last_error).to.be.a('string').and.include('ECONNREFUSED');
      expect(row.next_attempt_at).to.equal(START + retryDelayMs(1));
      expect(row.payload).to.be.a('string');
    }

    await smtp.restart();
    expect(await d.runOnce(), 'nothing is due before the back-off ends').to.deep.equal({
      sent: 0,
      retrying: 0,
      failed: 0,
      skipped: 0,
    });
    expect(smtp.messages).to.have.length(0);

    clock.advance(retryDelayMs(1));
    expect(await d.runOnce()).to.deep.equal({ sent: 3, retrying: 0, failed: 0, skipped: 0 });
    clock.advance(60 * 60_000);
    expect(await d.runOnce()).to.deep.equal({ sent: 0, retrying: 0, failed: 0, skipped: 0 });

    await smtp.waitForMessages(3);
    expect(idsReceived(smtp).sort()).to.deep.equal([...ids].sort());
    expect(smtp.messages.map((m) => m.envelopeTo[0]).sort()).to.deep.equal([
      'a@example.org',
      'b@example.org',
      'c@example.org',
    ]);
    for (const row of await rows(t.db)) {
      expect(row.status).to.equal('sent');
      expect(row.attempts).to.equal(2);
      expect(row.last_error).to.equal(null);
    }
  });

  it('lets two dispatchers over separate connection pools deliver 20 messages with no duplicate', async () => {
    const box = outbox();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(await box.enqueue(t.db, codeMail(`user${i}@example.org`, String(100000 + i))));

    const runners = [t.connectAgain(), t.connectAgain()].map(
      (db) =>
        new MailDispatcher({
          db,
          clock,
          secretKey: SECRET,
          from: FROM,
          transport: new SmtpTransport({ url: smtp.url }),
          batchSize: 20,
        }),
    );
    const drain = async (d: MailDispatcher): Promise<{ sent: number; skipped: number }> => {
      let sent = 0;
      let skipped = 0;
      for (;;) {
        const r = await d.runOnce();
        sent += r.sent;
        skipped += r.skipped;
        if (r.sent + r.retrying + r.failed + r.skipped === 0) return { sent, skipped };
      }
    };
    const results = await Promise.all(runners.map(drain));

    expect(results.reduce((n, r) => n + r.sent, 0)).to.equal(20);
    // Both took part: each found messages the other had claimed first.
    expect(
      results.every((r) => r.sent > 0),
      JSON.stringify(results),
    ).to.equal(true);
    await smtp.waitForMessages(20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const received = idsReceived(smtp);
    expect(received).to.have.length(20);
    expect(new Set(received).size).to.equal(20);
    expect([...received].sort()).to.deep.equal([...ids].sort());
    for (const row of await rows(t.db)) {
      expect(row.status).to.equal('sent');
      expect(row.attempts).to.equal(1);
    }
  });

  it('waits longer after each failure, up to the cap', async () => {
    expect([1, 2, 3, 4, 8, 9, 10, 50].map((n) => retryDelayMs(n))).to.deep.equal([
      5_000, 10_000, 20_000, 40_000, 640_000, 900_000, 900_000, 900_000,
    ]);
    expect(retryDelayMs(3, { baseDelayMs: 1000, maxDelayMs: 3000 })).to.equal(3000);

    await outbox().enqueue(t.db, codeMail('x@example.org', '999999'));
    const failing = failingTransport(new Error('421 try again later'));
    const d = dispatcher({ transport: failing });
    const expectedWaits = [5_000, 10_000, 20_000];
    for (const wait of expectedWaits) {
      const before = clock.now().getTime();
      expect((await d.runOnce()).retrying).to.equal(1);
      const [row] = await rows(t.db);
      expect(row?.next_attempt_at).to.equal(before + wait);
      clock.advance(wait - 1);
      expect((await d.runOnce()).retrying, 'not yet due').to.equal(0);
      clock.advance(1);
    }
    expect(failing.calls).to.equal(3);
  });

  it('gives up after the maximum attempts, marks the message failed and keeps the row', async () => {
    const id = await outbox().enqueue(t.db, codeMail('x@example.org', '424242'));
    await smtp.stop();
    const d = dispatcher({ retry: { maxAttempts: 2 } });
    expect((await d.runOnce()).retrying).to.equal(1);
    clock.advance(retryDelayMs(1));
    expect(await d.runOnce()).to.deep.equal({ sent: 0, retrying: 0, failed: 1, skipped: 0 });
    clock.advance(60 * 60_000);
    await smtp.restart();
    expect((await d.runOnce()).sent).to.equal(0);
    const [row] = await rows(t.db);
    expect(row?.id).to.equal(id);
    expect(row?.status).to.equal('failed');
    expect(row?.attempts).to.equal(2);
    expect(row?.last_error).to.include('gave up after 2 attempts').and.include('ECONNREFUSED');
    expect(row?.payload).to.equal(null);
    expect(smtp.messages).to.have.length(0);
  });

  it('gives up on messages older than the maximum age, even if never tried', async () => {
    await outbox().enqueue(t.db, codeMail('old@example.org', '111222'));
    await smtp.stop();
    const d = dispatcher({ retry: { maxAgeMs: 60_000 } });
    expect((await d.runOnce()).retrying).to.equal(1);
    clock.advance(1000);
    await outbox().enqueue(t.db, codeMail('never-tried@example.org', '333444'));
    clock.advance(60_001);
    await smtp.restart();
    expect(await d.runOnce()).to.deep.equal({ sent: 0, retrying: 0, failed: 2, skipped: 0 });
    const [tried, untried] = await rows(t.db);
    expect(tried?.status).to.equal('failed');
    expect(tried?.last_error).to.include('not delivered within 1 min').and.include('ECONNREFUSED');
    expect(untried?.status).to.equal('failed');
    expect(untried?.last_error).to.equal('not delivered within 1 min; last error: none');
    expect(smtp.messages).to.have.length(0);
  });

  it('leaves a message claimed by another process alone until its lease runs out, then sends it once', async () => {
    const id = await outbox().enqueue(t.db, codeMail('lease@example.org', '555666'));
    const repo = new KnexOutboxRepository(t.db);
    // Another process claimed it and then died.
    expect(await repo.claim(id, 0, clock.now(), new Date(clock.now().getTime() + 60_000))).to.equal(
      true,
    );
    expect(await repo.claim(id, 0, clock.now(), new Date(clock.now().getTime() + 60_000))).to.equal(
      false,
    );
    const d = dispatcher({ leaseMs: 60_000 });
    expect((await d.runOnce()).sent).to.equal(0);
    clock.advance(60_001);
    expect((await d.runOnce()).sent).to.equal(1);
    await smtp.waitForMessages(1);
    expect(idsReceived(smtp)).to.deep.equal([id]);
    // The dead process's late result cannot overwrite the new claim's.
    expect(await repo.markRetry(id, 1, clock.now(), 'late')).to.equal(false);
    const [row] = await rows(t.db);
    expect(row?.status).to.equal('sent');
    expect(row?.attempts).to.equal(2);
  });

  it('marks a message it cannot decrypt as failed instead of retrying it forever', async () => {
    const foreign = new MailOutbox({
      db: t.db,
      clock,
      random: cryptoRandom,
      secretKey: 'a-different-deployment-secret-key-000000',
    });
    await foreign.enqueue(t.db, codeMail('x@example.org', '777888'));
    expect(await dispatcher().runOnce()).to.deep.equal({
      sent: 0,
      retrying: 0,
      failed: 1,
      skipped: 0,
    });
    const [row] = await rows(t.db);
    expect(row?.status).to.equal('failed');
    expect(row?.last_error).to.include('MAIL_PAYLOAD_UNREADABLE');
    expect(smtp.messages).to.have.length(0);
  });

  it('logs in with the credentials in the SMTP URL and never records the password in last_error', async () => {
    const secured = await SmtpTestServer.start({
      credentials: { user: 'mailer', pass: 'S3cret-Pa55' },
    });
    const good = new SmtpTransport({ url: secured.url });
    const bad = new SmtpTransport({ url: secured.url.replace('S3cret-Pa55', 'Wrong-Pa55') });
    try {
      await outbox().enqueue(t.db, codeMail('auth@example.org', '121212'));
      expect((await dispatcher({ transport: bad }).runOnce()).retrying).to.equal(1);
      const [row] = await rows(t.db);
      expect(row?.last_error).to.be.a('string').and.include('EAUTH');
      expect(row?.last_error).not.to.include('Wrong-Pa55');
      expect(row?.last_error).not.to.include('S3cret-Pa55');

      clock.advance(retryDelayMs(1));
      expect((await dispatcher({ transport: good }).runOnce()).sent).to.equal(1);
      expect((await secured.waitForMessages(1))[0]?.envelopeTo).to.deep.equal(['auth@example.org']);
    } finally {
      good.close();
      bad.close();
      await secured.stop();
    }
  });

  it('describes an error in one line with any credentials in a URL hidden', () => {
    const err = Object.assign(
      new Error('connect failed to smtp://user:hunter2@mail.example.org:587\n  at stack'),
      {
        code: 'ECONNECTION',
      },
    );
    const line = describeDeliveryError(err);
    expect(line).to.equal(
      'Error [ECONNECTION]: connect failed to smtp://***@mail.example.org:587 at stack',
    );
    expect(line).not.to.include('hunter2');
  });

  it('polls until stopped, and a failing run neither stops the loop nor escapes it', async () => {
    const box = outbox();
    const sent: OutgoingMail[] = [];
    const d = dispatcher({
      transport: {
        async send(mail) {
          sent.push(mail);
        },
      },
    });
    d.start({ intervalMs: 10 });
    try {
      await box.enqueue(t.db, codeMail('loop@example.org', '313131'));
      for (let i = 0; i < 200 && sent.length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(sent.map((m) => m.to)).to.deep.equal(['loop@example.org']);
    } finally {
      await d.stop();
    }
    await box.enqueue(t.db, codeMail('after-stop@example.org', '414141'));
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).to.have.length(1);

    const broken = t.connectAgain();
    await broken.destroy();
    const errors: unknown[] = [];
    const failing = dispatcher({ db: broken, onError: (err) => errors.push(err) });
    failing.start({ intervalMs: 10 });
    for (let i = 0; i < 200 && errors.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    await failing.stop();
    expect(errors.length).to.be.at.least(3);
    expect(errors[0]).to.be.instanceOf(Error);
  });
});

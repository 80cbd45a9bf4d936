import { expect } from 'chai';
import {
  createManualClock,
  createTestDatabase,
  type TestDatabase,
} from '../../src/testing/index.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { transaction } from '../../src/db/transaction.js';
import { cryptoRandom } from '../../src/random.js';
import { IdentityError } from '../../src/errors.js';
import { MailOutbox } from '../../src/mail/outbox.js';
import { MailDispatcher } from '../../src/mail/dispatcher.js';
import { LocalOutboxTransport, type OutgoingMail } from '../../src/mail/mail-transport.js';
import { PayloadCipher } from '../../src/mail/payload-crypto.js';
import type { MailRequest } from '../../src/mail/mail-message.js';

const SECRET = 'outbox-test-secret-key-0123456789-abcdef';
const OTHER_SECRET = 'another-deployment-secret-key-9876543210';
const FROM = 'Porth <no-reply@porth.example>';

function temporaryPasswordMail(
  password: string,
  to = 'sian.jones@example.org',
): MailRequest<'migration_temporary_password'> {
  return {
    to,
    template: 'migration_temporary_password',
    locale: 'cy',
    accountId: null,
    data: {
      name: 'Siân Jones',
      newUsername: 'sian.jones@wjec-appointees.co.uk',
      temporaryPassword: password,
      signInUrl: 'https://id.example.org/sign-in',
      expiresAt: new Date(Date.UTC(2026, 0, 15)),
    },
  };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe(`mail outbox (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, () => {
  let t: TestDatabase;
  const clock = createManualClock(Date.UTC(2026, 0, 1, 9));

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });
  beforeEach(async () => {
    await t.db('outbox_messages').delete();
  });

  function outbox(secretKey = SECRET): MailOutbox {
    return new MailOutbox({ db: t.db, clock, random: cryptoRandom, secretKey });
  }

  it('stores a pending email with its recipient, template, language and account', async () => {
    const id = await outbox().enqueue(t.db, {
      ...temporaryPasswordMail('Tmp-Aa1!'),
      to: '  Sian.Jones@Example.org ',
      accountId: 'acc0000000000000000000000000001',
    });
    expect(id).to.match(/^[0-9a-f]{32}$/);
    const row = await t.db('outbox_messages').where({ id }).first();
    expect(row.channel).to.equal('email');
    expect(row.recipient).to.equal('Sian.Jones@Example.org');
    expect(row.template).to.equal('migration_temporary_password');
    expect(row.locale).to.equal('cy');
    expect(row.account_id).to.equal('acc0000000000000000000000000001');
    expect(row.status).to.equal('pending');
    expect(Number(row.attempts)).to.equal(0);
    expect(Number(row.created_at)).to.equal(clock.now().getTime());
    expect(Number(row.next_attempt_at)).to.equal(clock.now().getTime());
    expect(row.sent_at).to.equal(null);
  });

  it('never stores the temporary password, or any words of the message, in plain text', async () => {
    const password = 'Plain-Secret-Zq9!';
    const id = await outbox().enqueue(t.db, temporaryPasswordMail(password));
    const { payload } = await t.db('outbox_messages').where({ id }).first();
    expect(payload).to.be.a('string').and.match(/^v1\./);
    for (const forbidden of [
      password,
      'sian.jones@wjec-appointees.co.uk',
      'Siân',
      'cyfrinair',
      'https://id.example.org',
    ]) {
      expect(payload).not.to.include(forbidden);
    }
    // Neither is it merely encoded.
    expect(Buffer.from(payload.slice(3), 'base64url').toString('latin1')).not.to.include(password);
    expect(payload).not.to.include(Buffer.from(password).toString('base64'));
    expect(payload).not.to.include(Buffer.from(password).toString('hex'));
    // It decrypts with the deployment key, and only for its own message id.
    const cipher = new PayloadCipher(SECRET);
    expect(cipher.open(id, payload).text).to.include(password);
    expect(() => cipher.open('0'.repeat(32), payload)).to.throw(
      IdentityError,
      'cannot be decrypted',
    );
  });

  it('encrypts the same message differently each time', async () => {
    const a = await outbox().enqueue(t.db, temporaryPasswordMail('Same-Pass1!'));
    const b = await outbox().enqueue(t.db, temporaryPasswordMail('Same-Pass1!'));
    const rows = await t.db('outbox_messages').whereIn('id', [a, b]).pluck('payload');
    expect(rows[0]).not.to.equal(rows[1]);
  });

  it('joins the caller’s transaction: a rolled-back change leaves no message behind', async () => {
    const box = outbox();
    await errorOf(
      transaction(t.db, async (trx) => {
        await box.enqueue(trx, temporaryPasswordMail('Rolled-Back1!'));
        throw new Error('the migration failed');
      }),
    );
    const committed = await transaction(t.db, (trx) =>
      box.enqueue(trx, temporaryPasswordMail('Committed1!')),
    );
    expect(await t.db('outbox_messages').pluck('id')).to.deep.equal([committed]);
  });

  it('refuses a recipient that is not one plain email address, and stores nothing', async () => {
    for (const to of [
      '',
      'no-at-sign',
      'a@b',
      'two@example.org, three@example.org',
      'x@example.org\r\nBcc: y@example.org',
      'Name <x@example.org>',
    ]) {
      const err = await errorOf(
        outbox().enqueue(t.db, { ...temporaryPasswordMail('Pw-1234!'), to }),
      );
      expect(err, JSON.stringify(to)).to.be.instanceOf(IdentityError);
      expect((err as IdentityError).code).to.equal('EMAIL_INVALID');
    }
    expect(await t.db('outbox_messages').count({ n: '*' }).first()).to.satisfy(
      (r: { n: number | string }) => Number(r.n) === 0,
    );
  });

  it('refuses an unknown template with MAIL_TEMPLATE_UNKNOWN, and stores nothing', async () => {
    const err = await errorOf(
      outbox().enqueue(t.db, {
        ...temporaryPasswordMail('Pw-1234!'),
        template: 'newsletter',
      } as unknown as MailRequest),
    );
    expect((err as IdentityError).code).to.equal('MAIL_TEMPLATE_UNKNOWN');
    expect(await t.db('outbox_messages').pluck('id')).to.deep.equal([]);
  });

  it('delivers to the local outbox in development, keeps the message and lists it decrypted, newest first', async () => {
    const seen: OutgoingMail[] = [];
    const dispatcher = new MailDispatcher({
      db: t.db,
      clock,
      secretKey: SECRET,
      from: FROM,
      transport: new LocalOutboxTransport((mail) => seen.push(mail)),
    });
    const box = outbox();
    const first = await box.enqueue(
      t.db,
      temporaryPasswordMail('First-Pass1!', 'first@example.org'),
    );
    clock.advance(1000);
    const second = await box.enqueue(t.db, {
      to: 'second@example.org',
      template: 'email_code',
      locale: 'en',
      data: { code: '246810', minutes: 10 },
    });
    expect(await dispatcher.runOnce()).to.deep.equal({
      sent: 2,
      retrying: 0,
      failed: 0,
      skipped: 0,
    });
    expect(seen.map((m) => m.to)).to.have.members(['first@example.org', 'second@example.org']);

    const rows = await t.db('outbox_messages').select('status', 'payload', 'sent_at');
    for (const row of rows) {
      expect(row.status).to.equal('sent');
      expect(row.payload).to.be.a('string');
      expect(Number(row.sent_at)).to.equal(clock.now().getTime());
    }

    const listed = await box.listRecent({ limit: 10 });
    expect(listed.map((m) => m.id)).to.deep.equal([second, first]);
    expect(listed[0]?.content?.subject).to.equal('Your verification code');
    expect(listed[0]?.content?.text).to.include('246810');
    expect(listed[1]?.content?.text).to.include('First-Pass1!');
    expect(listed[1]?.content?.html).to.include('First-Pass1!');
    expect(listed[1]?.status).to.equal('sent');
    expect(listed[1]?.locale).to.equal('cy');
    expect(await box.listRecent({ limit: 1 })).to.have.length(1);
  });

  it('lists an erased message without content, and one sealed under another key as unreadable', async () => {
    const erased = await outbox().enqueue(t.db, temporaryPasswordMail('Erased-Pass1!'));
    await t.db('outbox_messages').where({ id: erased }).update({ payload: null, status: 'sent' });
    clock.advance(1000);
    const foreign = await outbox(OTHER_SECRET).enqueue(
      t.db,
      temporaryPasswordMail('Foreign-Pass1!'),
    );
    const listed = await outbox().listRecent();
    expect(listed.map((m) => [m.id, m.content, m.contentMissing])).to.deep.equal([
      [foreign, null, 'unreadable'],
      [erased, null, 'erased'],
    ]);
  });
});

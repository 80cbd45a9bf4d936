import { createReadStream, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import {
  MailDispatcher,
  SmtpTransport,
  createManualClock,
  cryptoRandom,
  type ManualClock,
} from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import { SmtpTestServer } from '../../../test/support/smtp-test-server.js';
import { importLegacyAccounts, readLegacyCsv, type RejectedRow } from '../src/index.js';
import {
  DATABASE_LABEL,
  TEST_SECRET_KEY,
  VECTORS,
  createMigrationTestDatabase,
  migrationKit,
  temporaryPasswordIn,
  type MigrationKit,
} from './support/migration-test-kit.js';

const FIXTURE = new URL('./fixtures/legacy-accounts.csv', import.meta.url);
const fixtureRows = parse(readFileSync(FIXTURE, 'utf8'), { columns: true }) as Record<
  string,
  string
>[];

/** The independent-tool vector whose hash a fixture row carries. */
function vectorOf(legacyUsername: string) {
  const row = fixtureRows.find((r) => r.legacy_username === legacyUsername);
  const found = VECTORS.find((v) => v.hash === row?.password_hash);
  if (!found) throw new Error(`${legacyUsername}: its hash is not one of the vectors`);
  return found;
}

describe(`end to end: CSV import → migration → email over SMTP → sign-in (${DATABASE_LABEL})`, function () {
  this.timeout(60_000);
  let t: TestDatabase;
  let clock: ManualClock;
  let kit: MigrationKit;
  let smtp: SmtpTestServer;

  before(async () => {
    t = await createMigrationTestDatabase();
    smtp = await SmtpTestServer.start();
    clock = createManualClock(Date.UTC(2026, 10, 24, 9));
    kit = migrationKit(t.db, clock);
  });
  after(async () => {
    await smtp?.stop();
    await t?.destroy();
  });

  it('uses only hashes made by independent tools in the fixture', () => {
    const hashes = fixtureRows
      .map((r) => r.password_hash)
      .filter((h) => h && !h.startsWith('{MD5}'));
    expect(hashes).to.have.length(7);
    for (const hash of hashes) {
      const found = VECTORS.find((v) => v.hash === hash);
      expect(found, hash).to.not.equal(undefined);
      expect(found?.command).to.match(/^(htpasswd|openssl|mkpasswd|python3|S=)/);
    }
  });

  it('imports the CSV, migrates four accounts and signs each in with the emailed password', async () => {
    const rejected: RejectedRow[] = [];
    const summary = await importLegacyAccounts({
      db: t.db,
      clock,
      random: cryptoRandom,
      rows: readLegacyCsv(createReadStream(FIXTURE)),
      onRejected: (row) => {
        rejected.push(row);
      },
    });
    expect(summary).to.include({ read: 8, imported: 5, rejected: 3 });
    expect(rejected.map((r) => `${r.legacyUsername}:${r.reason}`)).to.deep.equal([
      'old.format:unknown_hash_format',
      'bad.email:malformed_email',
      'Gwen.Morgan:duplicate_in_source',
    ]);

    const dispatcher = new MailDispatcher({
      db: t.db,
      clock,
      secretKey: TEST_SECRET_KEY,
      transport: new SmtpTransport({ url: smtp.url }),
      from: 'AMP <applications.support@example.org>',
    });
    const journeys = [
      { legacy: 'gwen.morgan', username: 'gwen.morgan@wjec-appointees.co.uk', format: 'bcrypt' },
      {
        legacy: 'llyr.williams',
        username: 'llyr.williams@wjec-appointees.co.uk',
        format: 'md5-crypt',
      },
      {
        legacy: 'sian.jones',
        username: 'sian.jones@wjec-appointees.co.uk',
        format: 'django-pbkdf2-sha256',
      },
      {
        legacy: 'dafydd.ap.gwilym',
        username: 'dafydd.ap-gwilym@wjec-appointees.co.uk',
        format: 'ssha',
      },
    ];
    for (const [i, journey] of journeys.entries()) {
      const legacyVector = vectorOf(journey.legacy);
      expect(legacyVector.format).to.equal(journey.format);
      const result = await kit.flow.migrate({
        legacyUsername: journey.legacy,
        password: legacyVector.password,
        ip: '192.0.2.10',
      });
      expect(result).to.include({ outcome: 'migrated', newUsername: journey.username });

      expect(await dispatcher.runOnce()).to.include({ sent: 1, failed: 0 });
      const messages = await smtp.waitForMessages(i + 1);
      const mail = messages[i];
      expect(mail?.envelopeTo).to.deep.equal([
        `${fixtureRows.find((r) => r.legacy_username === journey.legacy)?.email}`,
      ]);
      expect(mail?.parsed.subject).to.equal('Your new username and temporary password');
      const text = mail?.parsed.text ?? '';
      expect(text).to.include(journey.username);
      const temporaryPassword = temporaryPasswordIn(text);

      const signIn = await kit.authenticator.check({
        username: ` ${journey.username.toUpperCase()} `,
        password: temporaryPassword,
        ip: '192.0.2.10',
      });
      expect(signIn.outcome, journey.legacy).to.equal('success');
      // The legacy password does nothing any more, with either username.
      for (const username of [journey.legacy, journey.username]) {
        const old = await kit.authenticator.check({ username, password: legacyVector.password });
        expect(old.outcome, `${username} + legacy password`).to.equal('invalid');
      }
    }

    const noEmail = vectorOf('no.email');
    expect(
      await kit.flow.migrate({ legacyUsername: 'no.email', password: noEmail.password }),
    ).to.deep.equal({ outcome: 'contact_support', reason: 'no_usable_email' });
  });
});

import {
  KnexAccountRepository,
  KnexAuditLog,
  MailOutbox,
  cryptoRandom,
  identityCoreMigrations,
  type Account,
  type AuditEvent,
  type Executor,
  type Locale,
  type RandomSource,
} from '@porth/identity-core';
import {
  createManualClock,
  createTestDatabase,
  type ManualClock,
  type TestDatabase,
} from '@porth/identity-core/testing';
import {
  MfaService,
  mfaMigrations,
  type MfaServiceOptions,
  type ProviderReceipt,
  type SmsSender,
  type TextMessage,
  type VoiceCaller,
  type VoiceMessage,
} from '../../src/index.js';

/** Which database the suite runs on, for its title. */
export const DATABASE = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** The deployment secret of the tests. */
export const SECRET_KEY = 'test-secret-key-for-porth-mfa-tests-0123456789';

/** A fresh database with identity-core's and mfa's tables. */
export function createMfaTestDatabase(): Promise<TestDatabase> {
  return createTestDatabase(
    [...identityCoreMigrations, ...mfaMigrations],
    process.env.DATABASE_URL,
  );
}

/** A clock at a fixed, ordinary time (Monday 23 November 2026, 09:00 UTC). */
export function testClock(): ManualClock {
  return createManualClock(Date.UTC(2026, 10, 23, 9, 0, 0));
}

/** An SMS and voice provider that keeps what it was asked to send. */
export class RecordingPhone implements SmsSender, VoiceCaller {
  readonly texts: TextMessage[] = [];
  readonly calls: VoiceMessage[] = [];
  /** When set, every send throws it. */
  failWith: Error | null = null;

  /** Records a text. */
  async sendText(message: TextMessage): Promise<ProviderReceipt> {
    if (this.failWith) throw this.failWith;
    this.texts.push(message);
    return { providerId: `SM${this.texts.length}` };
  }

  /** Records a call. */
  async placeCall(message: VoiceMessage): Promise<ProviderReceipt> {
    if (this.failWith) throw this.failWith;
    this.calls.push(message);
    return { providerId: `CA${this.calls.length}` };
  }

  /** The code in the last text. */
  lastTextCode(): string {
    const text = this.texts.at(-1);
    const code = text ? /\b(\d{6})\b/.exec(text.body)?.[1] : undefined;
    if (!code) throw new Error('no text with a code was sent');
    return code;
  }

  /** The code spoken in the last call (its digits are said one by one). */
  lastCallCode(): string {
    const call = this.calls.at(-1);
    const spoken = call?.sentences.find((s) => /\d, \d/.test(s));
    const code = spoken ? (spoken.match(/\d/g) ?? []).join('') : '';
    if (code.length !== 6) throw new Error('no call with a code was placed');
    return code;
  }
}

/** A random source that hands out `pinned` for the next request of that length, then real bytes. */
export function pinnedRandom(
  pinned: Uint8Array,
): RandomSource & { pinNext(bytes: Uint8Array): void } {
  let next: Uint8Array | null = pinned;
  return {
    bytes(length: number) {
      if (next && next.length === length) {
        const out = next;
        next = null;
        return out;
      }
      return cryptoRandom.bytes(length);
    },
    pinNext(bytes: Uint8Array) {
      next = bytes;
    },
  };
}

/** Everything a service test needs. */
export interface Harness {
  readonly db: Executor;
  readonly clock: ManualClock;
  readonly phone: RecordingPhone;
  readonly mailOutbox: MailOutbox;
  readonly service: MfaService;
  /** A service on another connection pool to the same database. */
  serviceOn(db: Executor, overrides?: Partial<MfaServiceOptions>): MfaService;
  /** Creates an active account. */
  createAccount(options?: {
    locale?: Locale;
    email?: string | null;
    kind?: Account['kind'];
  }): Promise<Account>;
  /** The account's audit events, oldest first. */
  audit(accountId: string): Promise<AuditEvent[]>;
  /** The emails queued for `to`, oldest first, decrypted. */
  emailsTo(to: string): Promise<{ template: string; text: string; subject: string }[]>;
}

let accountNumber = 0;

/** Builds a service with a recording phone on `t`'s database. */
export function createHarness(
  t: TestDatabase,
  clock: ManualClock,
  overrides: Partial<MfaServiceOptions> = {},
): Harness {
  const phone = new RecordingPhone();
  const random = overrides.random ?? cryptoRandom;
  const mailOutbox = new MailOutbox({ db: t.db, clock, random, secretKey: SECRET_KEY });
  const serviceOn = (db: Executor, more: Partial<MfaServiceOptions> = {}) =>
    new MfaService({
      db,
      clock,
      random,
      secretKey: SECRET_KEY,
      mailOutbox,
      smsSender: phone,
      voiceCaller: phone,
      issuer: 'Porth',
      signInUrl: 'https://id.example.org/sign-in',
      ...overrides,
      ...more,
    });
  return {
    db: t.db,
    clock,
    phone,
    mailOutbox,
    service: serviceOn(t.db),
    serviceOn,
    async createAccount(options = {}) {
      accountNumber += 1;
      return new KnexAccountRepository(t.db, clock, cryptoRandom).createActive({
        kind: options.kind ?? 'appointee',
        username: `sian.jones${accountNumber}@wjec-appointees.co.uk`,
        email: options.email === undefined ? `sian${accountNumber}@example.org` : options.email,
        givenName: 'Siân',
        familyName: 'Jones',
        locale: options.locale ?? 'en',
      });
    },
    async audit(accountId) {
      const events = await new KnexAuditLog(t.db, clock).list({ accountId, limit: 1000 });
      return events.reverse();
    },
    async emailsTo(to) {
      const entries = await mailOutbox.listRecent({ limit: 1000 });
      return entries
        .filter((e) => e.recipient === to)
        .reverse()
        .map((e) => ({
          template: e.template,
          text: e.content?.text ?? '',
          subject: e.content?.subject ?? '',
        }));
    },
  };
}

/** The 6-digit code in an email's text. */
export function codeIn(text: string): string {
  const code = /\b(\d{6})\b/.exec(text)?.[1];
  if (!code) throw new Error('no code in the email');
  return code;
}

/** `value`, which the test expects to be there; fails the test with `what` otherwise. */
export function defined<T>(value: T | null | undefined, what = 'a value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}

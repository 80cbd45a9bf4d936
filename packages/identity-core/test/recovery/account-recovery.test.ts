import { expect } from 'chai';
import {
  createManualClock,
  createTestDatabase,
  type ManualClock,
  type TestDatabase,
} from '../../src/testing/index.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { KnexAccountRepository } from '../../src/accounts/knex-account-repository.js';
import type { Account, Locale } from '../../src/accounts/account.js';
import { KnexAuditLog } from '../../src/audit/knex-audit-log.js';
import { PasswordAuthenticator } from '../../src/authentication/password-authenticator.js';
import { MailOutbox } from '../../src/mail/outbox.js';
import type { OutboxEntry } from '../../src/mail/mail-message.js';
import { Argon2PasswordHasher } from '../../src/passwords/hasher.js';
import { cryptoRandom } from '../../src/random.js';
import { KnexLockouts } from '../../src/throttling/knex-lockout.js';
import { KnexRateLimiter } from '../../src/throttling/knex-throttle.js';
import { SignInThrottle } from '../../src/throttling/sign-in-throttle.js';
import { KnexTokenRepository } from '../../src/tokens/knex-token-repository.js';
import {
  AccountRecovery,
  PASSWORD_RESET_EVENT,
  PASSWORD_RESET_REQUESTED_EVENT,
  USERNAME_REMINDER_EVENT,
  type LegacyPasswordResetDelegation,
} from '../../src/recovery/account-recovery.js';
import {
  PASSWORD_RESET_PURPOSE,
  resolveRecoverySettings,
} from '../../src/recovery/recovery-settings.js';

const SECRET = 'recovery-test-secret-key-0123456789-abcdef';
const BASE = 'https://id.example.org';
const HOUR = 60 * 60 * 1000;
const OLD_PASSWORD = 'Hen-Gyfrinair-2025!';
const NEW_PASSWORD = 'Cyfrinair-Newydd-2026!';
const DOMAIN = 'wjec-appointees.co.uk';

describe(`account recovery (${process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite'})`, function () {
  this.timeout(20_000);
  let t: TestDatabase;
  let clock: ManualClock;
  let accounts: KnexAccountRepository;
  let outbox: MailOutbox;
  let throttle: SignInThrottle;
  let recovery: AccountRecovery;
  let delegated: LegacyPasswordResetDelegation[];
  const hasher = new Argon2PasswordHasher({ random: cryptoRandom });
  const context = { ip: '203.0.113.9', userAgent: 'test' };

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
  });
  after(async () => {
    await t?.destroy();
  });

  function build(overrides: { legacy?: boolean } = {}): AccountRecovery {
    return new AccountRecovery({
      db: t.db,
      clock,
      random: cryptoRandom,
      hasher,
      throttle,
      rateLimiter: new KnexRateLimiter(t.db, clock),
      outbox,
      settings: resolveRecoverySettings({
        signInUrl: `${BASE}/amp`,
        passwordResetUrl: (token) => `${BASE}/forgotten-password/reset/${token}`,
        compositionRule: true,
      }),
      ...(overrides.legacy === false
        ? {}
        : {
            legacyPasswordReset: async (request: LegacyPasswordResetDelegation) => {
              delegated.push(request);
            },
          }),
    });
  }

  beforeEach(async () => {
    for (const table of [
      'audit_events',
      'outbox_messages',
      'one_time_tokens',
      'lockouts',
      'throttle_counters',
      'account_required_actions',
      'accounts',
    ]) {
      await t.db(table).delete();
    }
    clock = createManualClock(Date.UTC(2026, 10, 24, 9));
    accounts = new KnexAccountRepository(t.db, clock, cryptoRandom);
    outbox = new MailOutbox({ db: t.db, clock, random: cryptoRandom, secretKey: SECRET });
    throttle = new SignInThrottle(new KnexRateLimiter(t.db, clock), new KnexLockouts(t.db, clock), {
      lockoutThreshold: 3,
      lockoutMs: 15 * 60_000,
      ipLimitPer15Minutes: 1000,
      hardLockoutThreshold: 100,
    });
    delegated = [];
    recovery = build();
  });

  async function activeAccount(
    username: string,
    options: { email?: string; locale?: Locale; given?: string; family?: string } = {},
  ): Promise<Account> {
    const account = await accounts.createActive({
      kind: 'appointee',
      username,
      email: options.email ?? 'sian@example.org',
      givenName: options.given ?? 'Siân',
      familyName: options.family ?? 'Jones',
      locale: options.locale ?? 'en',
    });
    await accounts.setPasswordHash(account.id, await hasher.hash(OLD_PASSWORD));
    return account;
  }

  async function legacyAccount(legacyUsername: string, email = 'sian@example.org') {
    return accounts.insertLegacy({
      legacyUsername,
      passwordHash: await hasher.hash(OLD_PASSWORD),
      email,
      givenName: 'Siân',
      familyName: 'Jones',
    });
  }

  async function migratedAccount(legacyUsername: string, email = 'sian@example.org') {
    const legacy = await legacyAccount(legacyUsername, email);
    const username = await accounts.issueUsername(legacy.id, 'Siân', 'Jones', DOMAIN);
    await accounts.changeStatus(legacy.id, 'legacy', 'active');
    await accounts.setPasswordHash(legacy.id, await hasher.hash(OLD_PASSWORD));
    return { id: legacy.id, username };
  }

  async function mail(): Promise<OutboxEntry[]> {
    return (await outbox.listRecent({ limit: 100 })).reverse();
  }

  async function resetLink(): Promise<string> {
    const sent = (await mail()).filter((m) => m.template === 'password_reset');
    const text = sent[sent.length - 1]?.content?.text ?? '';
    const token = /\/forgotten-password\/reset\/([A-Za-z0-9_-]{43})/.exec(text)?.[1];
    if (!token) throw new Error(`no reset link in:\n${text}`);
    return token;
  }

  async function auditTypes(type: string) {
    return new KnexAuditLog(t.db, clock).list({ type });
  }

  /** Counts the statements of each kind that `work` sends to the database. */
  async function statementsOf(work: () => Promise<unknown>): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const listener = (query: { sql: string }) => {
      const kind = /^\s*(\w+)/.exec(query.sql)?.[1]?.toLowerCase() ?? '?';
      counts[kind] = (counts[kind] ?? 0) + 1;
    };
    t.db.on('query', listener);
    try {
      await work();
    } finally {
      t.db.off('query', listener);
    }
    return counts;
  }

  describe('forgotten username', () => {
    it('emails the username of an active account to its address, with a sign-in link', async () => {
      const account = await activeAccount(`sian.jones@${DOMAIN}`);
      const receipt = await recovery.remindUsername({ email: '  SIAN@Example.org ', ...context });
      expect(receipt).to.deep.equal({ outcome: 'accepted' });
      const sent = await mail();
      expect(sent).to.have.length(1);
      expect(sent[0]).to.include({
        recipient: 'sian@example.org',
        template: 'forgotten_username',
        locale: 'en',
        accountId: account.id,
      });
      expect(sent[0]?.content?.text).to.contain(`sian.jones@${DOMAIN}`);
      expect(sent[0]?.content?.text).to.contain(`${BASE}/amp`);
      const events = await auditTypes(USERNAME_REMINDER_EVENT);
      expect(events.map((e) => [e.outcome, e.accountId])).to.deep.equal([['success', account.id]]);
    });

    it('lists the legacy username of an unmigrated account and only the new username of a migrated one', async () => {
      await legacyAccount('gwen.evans');
      const migrated = await migratedAccount('sian.jones');
      await recovery.remindUsername({ email: 'sian@example.org', ...context });
      const text = (await mail())[0]?.content?.text ?? '';
      expect(text).to.contain('gwen.evans');
      expect(text).to.contain(migrated.username);
      expect(text).not.to.match(/^sian\.jones$/m);
      expect(text).to.contain('These usernames are linked to this email address');
    });

    it("writes to each account in that account's language", async () => {
      await activeAccount(`sian.jones@${DOMAIN}`, { locale: 'cy' });
      await activeAccount(`sian.jones2@${DOMAIN}`, { locale: 'en' });
      await recovery.remindUsername({ email: 'sian@example.org', ...context });
      const sent = await mail();
      expect(sent.map((m) => m.locale).sort()).to.deep.equal(['cy', 'en']);
      const welsh = sent.find((m) => m.locale === 'cy');
      expect(welsh?.content?.subject).to.equal('Eich enw defnyddiwr');
      expect(welsh?.content?.text).to.contain(`sian.jones@${DOMAIN}`);
      expect(welsh?.content?.text).not.to.contain(`sian.jones2@${DOMAIN}`);
    });

    it('returns the same receipt and sends nothing for an address no account uses', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      const known = await recovery.remindUsername({ email: 'sian@example.org', ...context });
      const unknown = await recovery.remindUsername({ email: 'nobody@example.org', ...context });
      const empty = await recovery.remindUsername({ email: '', ...context });
      expect(unknown).to.deep.equal(known);
      expect(empty).to.deep.equal(known);
      expect(await mail()).to.have.length(1);
      const failures = (await auditTypes(USERNAME_REMINDER_EVENT)).filter(
        (e) => e.outcome === 'failure',
      );
      expect(failures).to.have.length(2);
      expect(failures.every((e) => e.details?.reason === 'no_account')).to.equal(true);
      expect(JSON.stringify(failures)).not.to.contain('nobody@example.org');
    });

    it('leaves out disabled accounts', async () => {
      const disabled = await activeAccount(`sian.jones@${DOMAIN}`);
      await accounts.changeStatus(disabled.id, 'active', 'disabled');
      await recovery.remindUsername({ email: 'sian@example.org', ...context });
      expect(await mail()).to.have.length(0);
    });

    it('stops emailing an address after 3 reminders an hour, with the same receipt', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      const receipts = [];
      for (let i = 0; i < 4; i++) {
        receipts.push(
          await recovery.remindUsername({ email: 'sian@example.org', ip: `198.51.100.${i}` }),
        );
      }
      expect(new Set(receipts.map((r) => JSON.stringify(r))).size).to.equal(1);
      expect(await mail()).to.have.length(3);
      const limited = (await auditTypes(USERNAME_REMINDER_EVENT)).filter(
        (e) => e.details?.reason === 'rate_limited',
      );
      expect(limited).to.have.length(1);
      clock.advance(HOUR);
      await recovery.remindUsername({ email: 'sian@example.org', ip: '198.51.100.9' });
      expect(await mail()).to.have.length(4);
    });

    it('stops answering one client address after 30 requests an hour', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      for (let i = 0; i < 30; i++) {
        await recovery.remindUsername({ email: `someone${i}@example.org`, ...context });
      }
      await recovery.remindUsername({ email: 'sian@example.org', ...context });
      expect(await mail()).to.have.length(0);
      await recovery.remindUsername({ email: 'sian@example.org', ip: '192.0.2.1' });
      expect(await mail()).to.have.length(1);
    });
  });

  describe('forgotten password', () => {
    it('emails a single-use 24-hour link for a new username typed with spaces and capitals', async () => {
      const account = await activeAccount(`sian.jones@${DOMAIN}`, { locale: 'cy' });
      const receipt = await recovery.requestPasswordReset({
        username: `  Sian.Jones@${DOMAIN.toUpperCase()} `,
        ...context,
      });
      expect(receipt).to.deep.equal({ outcome: 'accepted' });
      const sent = await mail();
      expect(sent).to.have.length(1);
      expect(sent[0]).to.include({
        recipient: 'sian@example.org',
        template: 'password_reset',
        locale: 'cy',
        accountId: account.id,
      });
      expect(sent[0]?.content?.text).to.contain('24 awr');
      const token = await resetLink();
      const link = await recovery.checkPasswordResetToken(token);
      expect(link).to.deep.include({ accountId: account.id, username: `sian.jones@${DOMAIN}` });
      expect(link?.expiresAt.getTime()).to.equal(clock.now().getTime() + 24 * HOUR);
      const stored = await t.db('one_time_tokens').where({ purpose: PASSWORD_RESET_PURPOSE });
      expect(JSON.stringify(stored)).not.to.contain(token);
      expect(JSON.stringify(stored)).not.to.contain('sian@example.org');
    });

    it('returns the same receipt and sends nothing for an unknown username', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      const known = await recovery.requestPasswordReset({
        username: `sian.jones@${DOMAIN}`,
        ...context,
      });
      const unknown = await recovery.requestPasswordReset({
        username: `nobody.here@${DOMAIN}`,
        ...context,
      });
      expect(unknown).to.deep.equal(known);
      expect(await mail()).to.have.length(1);
      expect(delegated).to.deep.equal([]);
      const events = await auditTypes(PASSWORD_RESET_REQUESTED_EVENT);
      expect(events.map((e) => e.details?.reason ?? e.outcome).sort()).to.deep.equal([
        'success',
        'unknown_username',
      ]);
    });

    it('does the same database work for an unknown username, but for the inserts of the link itself', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      const known = await statementsOf(() =>
        recovery.requestPasswordReset({ username: `sian.jones@${DOMAIN}`, ...context }),
      );
      const unknown = await statementsOf(() =>
        recovery.requestPasswordReset({ username: `nobody.here@${DOMAIN}`, ...context }),
      );
      const withoutInserts = (counts: Record<string, number>) => {
        const { insert: _insert, ...rest } = counts;
        return rest;
      };
      expect(withoutInserts(unknown)).to.deep.equal(withoutInserts(known));
      expect((known.insert ?? 0) - (unknown.insert ?? 0)).to.equal(2);
    });

    it('sends nothing for a disabled account', async () => {
      const account = await activeAccount(`sian.jones@${DOMAIN}`);
      await accounts.changeStatus(account.id, 'active', 'disabled');
      await recovery.requestPasswordReset({ username: `sian.jones@${DOMAIN}`, ...context });
      expect(await mail()).to.have.length(0);
      const [event] = await auditTypes(PASSWORD_RESET_REQUESTED_EVENT);
      expect(event?.details).to.deep.equal({ reason: 'not_active' });
    });

    it("hands an unmigrated legacy username to the migration package's reset, and only that", async () => {
      await legacyAccount('gwen.evans');
      const receipt = await recovery.requestPasswordReset({ username: ' Gwen.Evans ', ...context });
      expect(receipt).to.deep.equal({ outcome: 'accepted' });
      expect(delegated).to.deep.equal([{ legacyUsername: 'gwen.evans', ...context }]);
      expect(await mail()).to.have.length(0);

      const without = build({ legacy: false });
      expect(
        await without.requestPasswordReset({ username: 'gwen.evans', ...context }),
      ).to.deep.equal(receipt);
      expect(delegated).to.have.length(1);
    });

    it("accepts a migrated account's legacy username and sends the link for its new account", async () => {
      const migrated = await migratedAccount('sian.jones');
      await recovery.requestPasswordReset({ username: 'sian.jones', ...context });
      expect(delegated).to.deep.equal([]);
      const link = await recovery.checkPasswordResetToken(await resetLink());
      expect(link?.accountId).to.equal(migrated.id);
      expect(link?.username).to.equal(migrated.username);
    });

    it('voids the previous link when a new one is sent', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      await recovery.requestPasswordReset({ username: `sian.jones@${DOMAIN}`, ...context });
      const first = await resetLink();
      clock.advance(60_000);
      await recovery.requestPasswordReset({ username: `sian.jones@${DOMAIN}`, ...context });
      const second = await resetLink();
      expect(second).not.to.equal(first);
      expect(await recovery.checkPasswordResetToken(first)).to.equal(null);
      expect(await recovery.checkPasswordResetToken(second)).not.to.equal(null);
    });

    it('stops sending links for a username after 3 an hour, and from one address after 30', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      for (let i = 0; i < 4; i++) {
        await recovery.requestPasswordReset({
          username: `sian.jones@${DOMAIN}`,
          ip: `198.51.100.${i}`,
        });
      }
      expect(await mail()).to.have.length(3);
      clock.advance(HOUR);
      for (let i = 0; i < 30; i++) {
        await recovery.requestPasswordReset({ username: `someone${i}@${DOMAIN}`, ...context });
      }
      await recovery.requestPasswordReset({ username: `sian.jones@${DOMAIN}`, ...context });
      await legacyAccount('gwen.evans', 'gwen@example.org');
      await recovery.requestPasswordReset({ username: 'gwen.evans', ...context });
      expect(await mail()).to.have.length(3);
      expect(delegated).to.deep.equal([]);
      const limited = (await auditTypes(PASSWORD_RESET_REQUESTED_EVENT)).filter(
        (e) => e.details?.reason === 'rate_limited',
      );
      expect(limited).to.have.length(3);
    });
  });

  describe('choosing a new password through the link', () => {
    async function requestLink(username = `sian.jones@${DOMAIN}`): Promise<string> {
      await recovery.requestPasswordReset({ username, ...context });
      return resetLink();
    }

    it('sets the new password, ends the temporary one and its required action, and tells the user', async () => {
      const account = await activeAccount(`sian.jones@${DOMAIN}`);
      await accounts.setPasswordHash(account.id, await hasher.hash(OLD_PASSWORD), {
        temporary: true,
        expiresAt: new Date(clock.now().getTime() + HOUR),
      });
      await accounts.addRequiredAction(account.id, 'configure_mfa');
      await accounts.addRequiredAction(account.id, 'update_password');
      const token = await requestLink();
      const result = await recovery.completePasswordReset({
        token,
        newPassword: NEW_PASSWORD,
        ...context,
      });
      expect(result).to.deep.equal({
        outcome: 'reset',
        accountId: account.id,
        username: `sian.jones@${DOMAIN}`,
      });
      const after = await accounts.findById(account.id);
      expect(after?.passwordTemporary).to.equal(false);
      expect(after?.passwordExpiresAt).to.equal(null);
      const hash = (await accounts.getPasswordHash(account.id)) ?? '';
      expect(hash.startsWith('$argon2id$')).to.equal(true);
      expect((await hasher.verify(hash, NEW_PASSWORD)).valid).to.equal(true);
      expect((await hasher.verify(hash, OLD_PASSWORD)).valid).to.equal(false);
      expect(await accounts.listRequiredActions(account.id)).to.deep.equal(['configure_mfa']);
      const notice = (await mail()).find((m) => m.template === 'security_change');
      expect(notice?.recipient).to.equal('sian@example.org');
      expect(notice?.content?.text).to.contain('Your password has been changed');
      const [event] = await auditTypes(PASSWORD_RESET_EVENT);
      expect(event).to.include({ outcome: 'success', accountId: account.id });
      expect(JSON.stringify(event)).not.to.contain(NEW_PASSWORD);
    });

    it('refuses a link used twice', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      const token = await requestLink();
      const first = await recovery.completePasswordReset({
        token,
        newPassword: NEW_PASSWORD,
        ...context,
      });
      expect(first.outcome).to.equal('reset');
      expect(await recovery.checkPasswordResetToken(token)).to.equal(null);
      const second = await recovery.completePasswordReset({
        token,
        newPassword: 'Another-Password-2027#',
        ...context,
      });
      expect(second).to.deep.equal({ outcome: 'invalid_token' });
    });

    it('lets only one of two racing requests use the link', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      const token = await requestLink();
      const results = await Promise.all(
        ['First-Choice-2026!', 'Second-Choice-2026!'].map((newPassword) =>
          recovery.completePasswordReset({ token, newPassword, ...context }),
        ),
      );
      expect(results.map((r) => r.outcome).sort()).to.deep.equal(['invalid_token', 'reset']);
    });

    it('stops accepting the link 24 hours after it was sent', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      const token = await requestLink();
      clock.advance(24 * HOUR - 1);
      expect(await recovery.checkPasswordResetToken(token)).not.to.equal(null);
      clock.advance(1);
      expect(await recovery.checkPasswordResetToken(token)).to.equal(null);
      const result = await recovery.completePasswordReset({
        token,
        newPassword: NEW_PASSWORD,
        ...context,
      });
      expect(result).to.deep.equal({ outcome: 'invalid_token' });
    });

    it('returns every rule a new password breaks and keeps the link working', async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      const token = await requestLink();
      const result = await recovery.completePasswordReset({
        token,
        newPassword: 'jones',
        ...context,
      });
      expect(result.outcome).to.equal('rejected');
      const codes = result.outcome === 'rejected' ? result.violations.map((v) => v.code) : [];
      expect(codes).to.include.members([
        'TOO_SHORT',
        'NO_UPPER_CASE',
        'NO_NUMBER',
        'NO_SYMBOL',
        'CONTAINS_NAME',
      ]);
      expect(result.outcome === 'rejected' ? result.violations[0]?.message.cy : '').to.be.a(
        'string',
      );
      expect(await recovery.checkPasswordResetToken(token)).not.to.equal(null);
      const retry = await recovery.completePasswordReset({
        token,
        newPassword: NEW_PASSWORD,
        ...context,
      });
      expect(retry.outcome).to.equal('reset');
    });

    it("lifts the account's lockout, after which the new password signs in and the old one does not", async () => {
      await activeAccount(`sian.jones@${DOMAIN}`);
      const authenticator = new PasswordAuthenticator({
        db: t.db,
        clock,
        hasher,
        random: cryptoRandom,
        throttle,
      });
      for (let i = 0; i < 3; i++) {
        await authenticator.check({
          username: `sian.jones@${DOMAIN}`,
          password: 'wrong',
          ...context,
        });
      }
      const locked = await authenticator.check({
        username: `sian.jones@${DOMAIN}`,
        password: OLD_PASSWORD,
        ...context,
      });
      expect(locked.outcome).to.equal('throttled');

      const token = await requestLink();
      await recovery.completePasswordReset({ token, newPassword: NEW_PASSWORD, ...context });
      const old = await authenticator.check({
        username: `sian.jones@${DOMAIN}`,
        password: OLD_PASSWORD,
        ...context,
      });
      expect(old.outcome).to.equal('invalid');
      const fresh = await authenticator.check({
        username: `sian.jones@${DOMAIN}`,
        password: NEW_PASSWORD,
        ...context,
      });
      expect(fresh.outcome).to.equal('success');
    });

    it('gets an account whose temporary password expired going again', async () => {
      const account = await activeAccount(`sian.jones@${DOMAIN}`);
      await accounts.setPasswordHash(account.id, await hasher.hash(OLD_PASSWORD), {
        temporary: true,
        expiresAt: new Date(clock.now().getTime() - 1),
      });
      const authenticator = new PasswordAuthenticator({
        db: t.db,
        clock,
        hasher,
        random: cryptoRandom,
        throttle,
      });
      const expired = await authenticator.check({
        username: `sian.jones@${DOMAIN}`,
        password: OLD_PASSWORD,
        ...context,
      });
      expect(expired.outcome).to.equal('temporary_password_expired');
      const token = await requestLink();
      await recovery.completePasswordReset({ token, newPassword: NEW_PASSWORD, ...context });
      const fresh = await authenticator.check({
        username: `sian.jones@${DOMAIN}`,
        password: NEW_PASSWORD,
        ...context,
      });
      expect(fresh.outcome).to.equal('success');
    });

    it('refuses a link once the email address it was sent to has changed', async () => {
      const account = await activeAccount(`sian.jones@${DOMAIN}`);
      const token = await requestLink();
      const current = await accounts.findById(account.id);
      await accounts.updateProfile(account.id, current?.version ?? 0, {
        email: 'new-address@example.org',
      });
      expect(await recovery.checkPasswordResetToken(token)).to.equal(null);
      const result = await recovery.completePasswordReset({
        token,
        newPassword: NEW_PASSWORD,
        ...context,
      });
      expect(result).to.deep.equal({ outcome: 'invalid_token' });
    });

    it('refuses tokens of another purpose, malformed tokens and links of disabled accounts', async () => {
      const account = await activeAccount(`sian.jones@${DOMAIN}`);
      const other = await new KnexTokenRepository(t.db, clock, cryptoRandom).issue({
        purpose: 'invitation',
        accountId: account.id,
      });
      expect(await recovery.checkPasswordResetToken(other.token)).to.equal(null);
      expect(await recovery.checkPasswordResetToken('not a token')).to.equal(null);
      const token = await requestLink();
      await accounts.changeStatus(account.id, 'active', 'disabled');
      const result = await recovery.completePasswordReset({
        token,
        newPassword: NEW_PASSWORD,
        ...context,
      });
      expect(result).to.deep.equal({ outcome: 'invalid_token' });
      expect((await accounts.getPasswordHash(account.id)) ?? '').not.to.equal('');
      const hash = (await accounts.getPasswordHash(account.id)) ?? '';
      expect((await hasher.verify(hash, OLD_PASSWORD)).valid).to.equal(true);
    });
  });

  describe('settings', () => {
    it('refuse a sign-in address that is not http(s) and a lifetime under a minute', () => {
      const passwordResetUrl = (token: string) => `${BASE}/r/${token}`;
      expect(() => resolveRecoverySettings({ signInUrl: 'ftp://x', passwordResetUrl })).to.throw(
        RangeError,
        /signInUrl/,
      );
      expect(() =>
        resolveRecoverySettings({
          signInUrl: `${BASE}/amp`,
          passwordResetUrl,
          passwordResetLifetimeMs: 1000,
        }),
      ).to.throw(RangeError, /passwordResetLifetimeMs/);
      const settings = resolveRecoverySettings({ signInUrl: `${BASE}/amp`, passwordResetUrl });
      expect(settings.passwordResetLifetimeMs).to.equal(24 * HOUR);
      expect(settings.compositionRule).to.equal(true);
    });
  });
});

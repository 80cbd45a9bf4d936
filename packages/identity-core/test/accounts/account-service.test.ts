import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { KnexAuditLog } from '../../src/audit/knex-audit-log.js';
import type { AuditLog, NewAuditEvent } from '../../src/audit/audit-event.js';
import { identityCoreMigrations } from '../../src/db/migrations/index.js';
import { transaction, type Executor } from '../../src/db/transaction.js';
import { ConcurrentUpdateError } from '../../src/errors.js';
import { cryptoRandom } from '../../src/random.js';
import {
  AccountNotFoundError,
  InvalidProfileError,
  InvalidStatusChangeError,
  UsernameTakenError,
} from '../../src/errors.js';
import {
  AccountService,
  type ActorContext,
  type CreateAccountInput,
} from '../../src/accounts/account-service.js';
import { KnexAccountRepository } from '../../src/accounts/knex-account-repository.js';
import { missingProfileFields } from '../../src/accounts/profile.js';

const DATABASE = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to be rejected');
}

describe(`AccountService (${DATABASE})`, () => {
  let t: TestDatabase;
  let clock: ManualClock;
  let service: AccountService;
  let audit: KnexAuditLog;
  let counter = 0;
  const support: ActorContext = {
    actorId: 'f'.repeat(32),
    ip: '203.0.113.9',
    userAgent: 'Mozilla/5.0 test',
  };

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
    clock = createManualClock(Date.UTC(2026, 10, 23, 9, 0, 0));
    service = new AccountService(t.db, clock, cryptoRandom);
    audit = new KnexAuditLog(t.db, clock);
  });
  after(async () => {
    await t?.destroy();
  });

  const input = (overrides: Partial<CreateAccountInput> = {}): CreateAccountInput => ({
    kind: 'appointee',
    username: `user${++counter}@example.org`,
    givenName: ' Siân ',
    familyName: 'Jones',
    email: 'sian@example.org',
    ...overrides,
  });

  const eventsOf = async (accountId: string) => audit.list({ accountId });
  const countAccounts = async () => Number((await t.db('accounts').count({ n: '*' }))[0]?.n);
  const countEvents = async () => Number((await t.db('audit_events').count({ n: '*' }))[0]?.n);

  describe('create', () => {
    it('creates a validated account and records who created it and from where', async () => {
      const account = await service.create(
        input({ phone: ' 07700 900982 ', requiredActions: ['configure_mfa', 'update_password'] }),
        support,
      );
      expect(account).to.include({
        status: 'active',
        givenName: 'Siân',
        phone: '07700 900982',
        locale: 'en',
      });
      const events = await eventsOf(account.id);
      expect(events).to.have.length(1);
      expect(events[0]).to.include({
        type: 'account.created',
        outcome: 'success',
        actorId: support.actorId,
        ip: support.ip,
        userAgent: support.userAgent,
      });
      expect(events[0]?.details).to.deep.equal({
        kind: 'appointee',
        requiredActions: ['configure_mfa', 'update_password'],
      });
      expect(events[0]?.occurredAt.getTime()).to.equal(clock.now().getTime());
      const repo = new KnexAccountRepository(t.db, clock, cryptoRandom);
      expect(await repo.listRequiredActions(account.id)).to.deep.equal([
        'configure_mfa',
        'update_password',
      ]);
    });

    it('refuses an invalid profile with a message per field in English and Welsh, storing nothing', async () => {
      const before = [await countAccounts(), await countEvents()];
      const err = await rejection(
        service.create(input({ givenName: '', email: 'not an email', locale: 'fr' }), support),
      );
      expect(err).to.be.instanceOf(InvalidProfileError);
      const issues = (err as InvalidProfileError).issues;
      expect(issues.map((i) => i.field)).to.deep.equal(['givenName', 'email', 'locale']);
      expect(issues[0]?.message).to.deep.equal({
        en: 'Enter your first name',
        cy: 'Rhowch eich enw cyntaf',
      });
      expect([await countAccounts(), await countEvents()]).to.deep.equal(before);
    });

    it('writes no audit event when the username is taken', async () => {
      const first = await service.create(input(), support);
      const before = await countEvents();
      const err = await rejection(
        service.create(input({ username: first.username ?? '' }), support),
      );
      expect(err).to.be.instanceOf(UsernameTakenError);
      expect(await countEvents()).to.equal(before);
    });

    it('stores neither account nor event when the audit write fails', async () => {
      const failing = new AccountService(t.db, clock, cryptoRandom, (trx: Executor) => ({
        accounts: new KnexAccountRepository(trx, clock, cryptoRandom),
        audit: failingAudit(),
      }));
      const username = `audit-failure${++counter}@example.org`;
      const err = await rejection(failing.create(input({ username }), support));
      expect((err as Error).message).to.equal('audit log unavailable');
      const repo = new KnexAccountRepository(t.db, clock, cryptoRandom);
      expect(await repo.findByUsername(username)).to.equal(null);
    });

    it('joins a caller’s transaction, so a later failure undoes both account and event', async () => {
      const username = `joined${++counter}@example.org`;
      const before = await countEvents();
      await rejection(
        transaction(t.db, async (trx) => {
          await new AccountService(trx, clock, cryptoRandom).create(input({ username }), support);
          throw new Error('invitation email could not be queued');
        }),
      );
      const repo = new KnexAccountRepository(t.db, clock, cryptoRandom);
      expect(await repo.findByUsername(username)).to.equal(null);
      expect(await countEvents()).to.equal(before);
    });
  });

  describe('updateProfile', () => {
    it('updates the profile and records the names of the changed fields, not their values', async () => {
      const account = await service.create(input({ phone: '01632 960001' }), support);
      const updated = await service.updateProfile(
        account.id,
        account.version,
        {
          email: ' sian.new@example.org ',
          phone: '01632 960001',
          teachingCentre: 'Ysgol y Preseli',
        },
        { actorId: account.id, ip: '198.51.100.7' },
      );
      expect(updated).to.include({
        email: 'sian.new@example.org',
        teachingCentre: 'Ysgol y Preseli',
      });
      const [event] = await audit.list({ accountId: account.id, type: 'account.profile_updated' });
      expect(event).to.include({ actorId: account.id, ip: '198.51.100.7', outcome: 'success' });
      expect(event?.details).to.deep.equal({ fields: ['email', 'teachingCentre'] });
      expect(JSON.stringify(event)).to.not.include('sian.new@example.org');
    });

    it('refuses a stale version and records nothing', async () => {
      const account = await service.create(input(), support);
      await service.updateProfile(account.id, account.version, { givenName: 'Nia' }, support);
      const err = await rejection(
        service.updateProfile(account.id, account.version, { givenName: 'Non' }, support),
      );
      expect(err).to.be.instanceOf(ConcurrentUpdateError);
      const events = await audit.list({ accountId: account.id, type: 'account.profile_updated' });
      expect(events).to.have.length(1);
    });

    it('refuses invalid changes with Welsh messages for the form', async () => {
      const account = await service.create(input(), support);
      const err = await rejection(
        service.updateProfile(account.id, account.version, {
          familyName: 'x'.repeat(101),
          phone: 'ring me',
        }),
      );
      expect(err).to.be.instanceOf(InvalidProfileError);
      expect((err as InvalidProfileError).issues.map((i) => i.message.cy)).to.deep.equal([
        'Rhaid i’r cyfenw fod yn 100 nod neu lai',
        'Rhowch rif ffôn, fel 01632 960 001, 07700 900 982 neu +44 808 157 0192',
      ]);
    });

    it('fills in what the migration flow reports as missing', async () => {
      const account = await service.create(input(), support);
      expect(missingProfileFields(account)).to.deep.equal(['phone', 'teachingCentre']);
      const updated = await service.updateProfile(account.id, account.version, {
        phone: '07700 900982',
        teachingCentre: 'Coleg Cambria',
      });
      expect(missingProfileFields(updated)).to.deep.equal([]);
    });
  });

  describe('status changes and deletion', () => {
    it('disables and re-enables an account with an audit event for each change', async () => {
      const account = await service.create(input(), support);
      await service.changeStatus(account.id, 'active', 'disabled', {
        ...support,
        reason: 'left the panel',
      });
      const enabled = await service.changeStatus(account.id, 'disabled', 'active', support);
      expect(enabled.status).to.equal('active');
      const events = await audit.list({ accountId: account.id, type: 'account.status_changed' });
      expect(events.map((e) => e.details)).to.deep.equal([
        { from: 'disabled', to: 'active' },
        { from: 'active', to: 'disabled', reason: 'left the panel' },
      ]);
    });

    it('refuses a forbidden or stale status change and records nothing', async () => {
      const account = await service.create(input(), support);
      expect(
        await rejection(service.changeStatus(account.id, 'active', 'legacy', support)),
      ).to.be.instanceOf(InvalidStatusChangeError);
      expect(
        await rejection(service.changeStatus(account.id, 'disabled', 'active', support)),
      ).to.be.instanceOf(ConcurrentUpdateError);
      expect(
        await audit.list({ accountId: account.id, type: 'account.status_changed' }),
      ).to.deep.equal([]);
    });

    it('soft-deletes with an audit event; the same email can then be invited again', async () => {
      const email = `invitee${++counter}@example.org`;
      const account = await service.create(input({ email, username: email }), support);
      const deleted = await service.softDelete(account.id, 'active', {
        ...support,
        reason: 'email changed',
      });
      expect(deleted.status).to.equal('deleted');
      const [event] = await audit.list({ accountId: account.id, type: 'account.deleted' });
      expect(event).to.include({ actorId: support.actorId, outcome: 'success' });
      expect(event?.details).to.deep.equal({ from: 'active', reason: 'email changed' });
      const again = await service.create(input({ email, username: email }), support);
      expect(again.id).to.not.equal(account.id);
    });

    it('treats a change to deleted as a soft delete', async () => {
      const account = await service.create(input(), support);
      const deleted = await service.changeStatus(account.id, 'active', 'deleted', support);
      expect(deleted.deletedAt?.getTime()).to.equal(clock.now().getTime());
      expect(await audit.list({ accountId: account.id, type: 'account.deleted' })).to.have.length(
        1,
      );
    });

    it('lets only one of two simultaneous deletions succeed and audits it once', async () => {
      const account = await service.create(input(), support);
      // better-sqlite3 waits for a lock synchronously, which would stall the other pool of this
      // same process for the whole busy timeout; on SQLite both requests share the one pool.
      const other = new AccountService(
        t.dialect === 'mysql' ? t.connectAgain() : t.db,
        clock,
        cryptoRandom,
      );
      const results = await Promise.allSettled([
        service.softDelete(account.id, 'active', support),
        other.softDelete(account.id, 'active', support),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      expect(await audit.list({ accountId: account.id, type: 'account.deleted' })).to.have.length(
        1,
      );
    });

    it('reports an unknown account as not found', async () => {
      expect(
        await rejection(service.softDelete('0'.repeat(32), 'active', support)),
      ).to.be.instanceOf(AccountNotFoundError);
    });
  });
});

function failingAudit(): AuditLog {
  return {
    async append(event: NewAuditEvent) {
      throw new Error(event.type ? 'audit log unavailable' : 'unreachable');
    },
    async list() {
      return [];
    },
  };
}

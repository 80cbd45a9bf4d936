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
import type { OutboxEntry } from '../../src/mail/mail-message.js';
import { Argon2PasswordHasher } from '../../src/passwords/hasher.js';
import { KnexAccountRepository } from '../../src/accounts/knex-account-repository.js';
import type { Account } from '../../src/accounts/account.js';
import { KnexAuditLog } from '../../src/audit/knex-audit-log.js';
import { transaction } from '../../src/db/transaction.js';
import { CentreService, centreClaims } from '../../src/centres/centre-service.js';
import { KnexCentreRepository } from '../../src/centres/knex-centre-repository.js';
import type { CentreMembership } from '../../src/centres/centre.js';
import { CENTRE_PERMISSIONS, type CentreRole } from '../../src/centres/permissions.js';
import { IdentityError, type IdentityErrorCode } from '../../src/errors.js';

const LABEL = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const SECRET = 'centre-tests-secret-key-0123456789-abcdef';
const STRONG_PASSWORD = 'Mynydd-Eira!2026';
const DAY = 24 * 60 * 60 * 1000;

/** The tables a refused operation must leave exactly as they were (the audit log may gain a refusal). */
const DATA_TABLES: readonly [string, string][] = [
  ['centres', 'number'],
  ['centre_memberships', 'id'],
  ['accounts', 'id'],
  ['account_required_actions', 'account_id'],
  ['one_time_tokens', 'token_hash'],
  ['outbox_messages', 'id'],
];

async function errorOf(promise: Promise<unknown>): Promise<IdentityError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof IdentityError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

async function expectRefused(
  promise: Promise<unknown>,
  code: IdentityErrorCode,
  reason?: string,
): Promise<IdentityError> {
  const err = await errorOf(promise);
  expect(err.code, err.message).to.equal(code);
  if (reason !== undefined) {
    expect((err as IdentityError & { reason?: string }).reason).to.equal(reason);
  }
  return err;
}

describe(`centres (${LABEL})`, () => {
  let t: TestDatabase;
  const clock = createManualClock(Date.UTC(2026, 8, 1, 9));
  const hasher = new Argon2PasswordHasher({ random: cryptoRandom });
  let outbox: MailOutbox;
  let centres: CentreService;
  let nextCentre = 68100;
  let nextPerson = 0;

  function serviceOn(db: Knex, options: { invitationLifetimeMs?: number } = {}): CentreService {
    return new CentreService({
      db,
      clock,
      random: cryptoRandom,
      outbox: new MailOutbox({ db, clock, random: cryptoRandom, secretKey: SECRET }),
      hasher,
      acceptUrl: (token, locale) =>
        `https://portal.example.org/invitations/${token}?lang=${locale}`,
      ...options,
    });
  }

  before(async () => {
    t = await createTestDatabase(identityCoreMigrations, process.env.DATABASE_URL);
    outbox = new MailOutbox({ db: t.db, clock, random: cryptoRandom, secretKey: SECRET });
    centres = serviceOn(t.db);
  });
  after(async () => {
    await t?.destroy();
  });

  const accounts = () => new KnexAccountRepository(t.db, clock, cryptoRandom);
  const audit = () => new KnexAuditLog(t.db, clock);

  async function newAccount(
    options: { kind?: Account['kind']; locale?: 'en' | 'cy'; givenName?: string } = {},
  ): Promise<Account> {
    nextPerson += 1;
    const email = `person${nextPerson}@ysgol.example.org`;
    return accounts().createActive({
      kind: options.kind ?? 'centre_user',
      username: email,
      email,
      givenName: options.givenName ?? `Person${nextPerson}`,
      familyName: 'Jones',
      locale: options.locale ?? 'en',
    });
  }

  /** A new centre whose Exams Officer is a new account. */
  async function newCentre(name = 'Ysgol Glan Môr'): Promise<{ number: string; eo: Account }> {
    nextCentre += 1;
    const number = String(nextCentre);
    const eo = await newAccount({ givenName: 'Eleri' });
    await centres.provisionCentre({ number, name, examsOfficer: { accountId: eo.id } });
    return { number, eo };
  }

  /** Every email of `template` queued for `to`, decrypted. */
  async function mailsTo(to: string, template: string): Promise<OutboxEntry[]> {
    return (await outbox.listRecent({ limit: 1000 })).filter(
      (m) => m.recipient.toLowerCase() === to.toLowerCase() && m.template === template,
    );
  }

  /** The one email of `template` queued for `to`. */
  async function mailTo(to: string, template: string): Promise<OutboxEntry> {
    const found = await mailsTo(to, template);
    expect(found, `${template} emails to ${to}`).to.have.length(1);
    return found[0] as OutboxEntry;
  }

  function linkToken(mail: OutboxEntry): string {
    const match = /invitations\/([A-Za-z0-9_-]{43})\?lang=/.exec(mail.content?.text ?? '');
    if (!match?.[1]) throw new Error('no invitation link in the email');
    return match[1];
  }

  /**
   * The token of the invitation emailed to `to` that works now, as the invitee would follow
   * it (several emails to one address are told apart by which link still works).
   */
  async function invitationToken(to: string): Promise<string> {
    const tokens = (await mailsTo(to, 'invitation')).map(linkToken);
    for (const token of tokens) if (await centres.peekInvitation(token)) return token;
    throw new Error(`no working invitation link emailed to ${to}`);
  }

  let nextInvitee = 0;
  function inviteeEmail(): string {
    nextInvitee += 1;
    return `invitee${nextInvitee}@ysgol.example.org`;
  }

  /** Invites and accepts a member; returns the account and membership. */
  async function addMember(
    number: string,
    actor: Account,
    role: 'admin' | 'user',
    options: { permissions?: string[]; locale?: 'en' | 'cy' } = {},
  ): Promise<{ account: Account; membership: CentreMembership }> {
    const email = inviteeEmail();
    await centres.inviteUser({ accountId: actor.id }, number, {
      givenName: 'Aled',
      familyName: `Member${nextInvitee}`,
      email,
      locale: options.locale ?? 'en',
      role,
      permissions: options.permissions,
    });
    const accepted = await centres.acceptInvitation({
      token: await invitationToken(email),
      password: STRONG_PASSWORD,
    });
    return { account: accepted.account, membership: accepted.membership };
  }

  async function snapshot(): Promise<unknown> {
    const tables: Record<string, unknown> = {};
    for (const [table, key] of DATA_TABLES) tables[table] = await t.db(table).orderBy(key);
    return tables;
  }

  async function memberships(number: string): Promise<{ role: string; state: string }[]> {
    return t.db('centre_memberships').where({ centre_number: number }).select('role', 'state');
  }

  describe('provisioning', () => {
    it('creates a centre with its Exams Officer holding every permission, shown in the ID token claim', async () => {
      const { number, eo } = await newCentre('Ysgol Bro Dinefwr');
      expect(await centreClaims(t.db, eo.id)).to.deep.equal([
        {
          number,
          name: 'Ysgol Bro Dinefwr',
          role: 'exams_officer',
          permissions: [...CENTRE_PERMISSIONS],
        },
      ]);
      const events = await audit().list({ type: 'centre.created' });
      expect(events.some((e) => e.details?.centre === number)).to.equal(true);
    });

    it('refuses a centre number that is not five digits and a number already in use', async () => {
      const eo = await newAccount();
      await expectRefused(
        centres.provisionCentre({ number: '6810', name: 'X', examsOfficer: { accountId: eo.id } }),
        'CENTRE_INVALID',
      );
      const { number } = await newCentre();
      const before = await snapshot();
      await expectRefused(
        centres.provisionCentre({ number, name: 'Y', examsOfficer: { accountId: eo.id } }),
        'CENTRE_EXISTS',
      );
      expect(await snapshot()).to.deep.equal(before);
    });

    it('creates a centre by inviting its Exams Officer, who takes the role on accepting', async () => {
      const staff = await newAccount({ kind: 'staff', givenName: 'Staff' });
      nextCentre += 1;
      const number = String(nextCentre);
      const email = inviteeEmail();
      await centres.provisionCentre(
        {
          number,
          name: 'Coleg Caerdydd',
          examsOfficer: { givenName: 'Gwen', familyName: 'Ellis', email, locale: 'cy' },
        },
        { actorId: staff.id },
      );
      const mail = await mailTo(email, 'invitation');
      expect(mail.locale).to.equal('cy');
      expect(mail.content?.subject).to.equal(
        'Gwahoddiad i greu cyfrif ar gyfer Coleg Caerdydd (' + number + ')',
      );
      const { account } = await centres.acceptInvitation({
        token: await invitationToken(email),
        password: STRONG_PASSWORD,
      });
      expect((await centreClaims(t.db, account.id))[0]?.role).to.equal('exams_officer');
    });

    it('lets only exam-board staff create centres', async () => {
      const notStaff = await newAccount();
      const eo = await newAccount();
      const before = await snapshot();
      await expectRefused(
        centres.provisionCentre(
          { number: '69999', name: 'Z', examsOfficer: { accountId: eo.id } },
          { actorId: notStaff.id },
        ),
        'CENTRE_ACCESS_DENIED',
        'not_staff',
      );
      expect(await snapshot()).to.deep.equal(before);
    });
  });

  describe('invitations', () => {
    it('sends an invitation in the invitee’s language with a single-use link that works for 7 days', async () => {
      const { number, eo } = await newCentre('Ysgol y Preseli');
      const welsh = inviteeEmail();
      const english = inviteeEmail();
      await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Rhys',
        familyName: 'Prys',
        email: welsh,
        locale: 'cy',
        role: 'user',
      });
      await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Ann',
        familyName: 'Smith',
        email: english,
        locale: 'en',
        role: 'admin',
      });
      const cy = await mailTo(welsh, 'invitation');
      expect(cy.locale).to.equal('cy');
      expect(cy.content?.subject).to.equal(
        `Gwahoddiad i greu cyfrif ar gyfer Ysgol y Preseli (${number})`,
      );
      expect(cy.content?.text).to.include('Mae Eleri Jones wedi eich gwahodd chi');
      expect(cy.content?.text).to.include('?lang=cy');
      const en = await mailTo(english, 'invitation');
      expect(en.locale).to.equal('en');
      expect(en.content?.text).to.include('works for 7 days');

      const details = await centres.peekInvitation(await invitationToken(welsh));
      expect(details?.expiresAt.getTime()).to.equal(clock.now().getTime() + 7 * DAY);
      expect(details?.role).to.equal('user');
      expect(details?.permissions).to.deep.equal(['resources']);
      expect(details?.existingAccount).to.equal(false);
      const admin = await centres.peekInvitation(await invitationToken(english));
      expect(admin?.permissions).to.deep.equal([...CENTRE_PERMISSIONS]);

      const events = await audit().list({ type: 'centre.invitation_sent' });
      const sent = events.find((e) => e.details?.email === welsh);
      expect(sent?.actorId).to.equal(eo.id);
      expect(sent?.details).to.deep.include({
        centre: number,
        before: null,
        after: { role: 'user', permissions: ['resources'] },
      });
      expect(JSON.stringify(events)).not.to.include(await invitationToken(welsh));
    });

    it('refuses permissions a User cannot hold, naming them, and changes nothing', async () => {
      const { number, eo } = await newCentre();
      const before = await snapshot();
      const err = await expectRefused(
        centres.inviteUser({ accountId: eo.id }, number, {
          givenName: 'Bob',
          familyName: 'Hughes',
          email: inviteeEmail(),
          locale: 'en',
          role: 'user',
          permissions: ['resources', 'a2c_keys', 'post_results'],
        }),
        'CENTRE_PERMISSION_NOT_ALLOWED',
      );
      expect((err as IdentityError & { permissions: string[] }).permissions).to.deep.equal([
        'a2c_keys',
        'post_results',
      ]);
      expect(await snapshot()).to.deep.equal(before);
    });

    it('refuses an email already invited or already a member, however it is typed', async () => {
      const { number, eo } = await newCentre();
      const email = inviteeEmail();
      const input = { givenName: 'Cai', familyName: 'Rees', locale: 'en', role: 'user' } as const;
      await centres.inviteUser({ accountId: eo.id }, number, { ...input, email });
      const before = await snapshot();
      await expectRefused(
        centres.inviteUser({ accountId: eo.id }, number, {
          ...input,
          email: `  ${email.toUpperCase()} `,
        }),
        'CENTRE_MEMBER_DUPLICATE',
        'invited',
      );
      expect(await snapshot()).to.deep.equal(before);
      await expectRefused(
        centres.inviteUser({ accountId: eo.id }, number, { ...input, email: eo.email ?? '' }),
        'CENTRE_MEMBER_DUPLICATE',
        'member',
      );
      expect(await snapshot()).to.deep.equal(before);
    });

    it('refuses a fourth Admin, counting invitations still waiting', async () => {
      const { number, eo } = await newCentre();
      await addMember(number, eo, 'admin');
      for (let i = 0; i < 2; i++) {
        await centres.inviteUser({ accountId: eo.id }, number, {
          givenName: 'Admin',
          familyName: `Pending${i}`,
          email: inviteeEmail(),
          locale: 'en',
          role: 'admin',
        });
      }
      const before = await snapshot();
      await expectRefused(
        centres.inviteUser({ accountId: eo.id }, number, {
          givenName: 'Fourth',
          familyName: 'Admin',
          email: inviteeEmail(),
          locale: 'en',
          role: 'admin',
        }),
        'CENTRE_ADMIN_LIMIT',
      );
      expect(await snapshot()).to.deep.equal(before);
    });

    it('refuses to invite an Exams Officer, and names and emails that are not valid, in English and Welsh', async () => {
      const { number, eo } = await newCentre();
      const before = await snapshot();
      await expectRefused(
        centres.inviteUser({ accountId: eo.id }, number, {
          givenName: 'Dai',
          familyName: 'Lewis',
          email: inviteeEmail(),
          locale: 'en',
          role: 'exams_officer',
        }),
        'EXAMS_OFFICER_PROTECTED',
      );
      const err = await expectRefused(
        centres.inviteUser({ accountId: eo.id }, number, {
          givenName: ' ',
          familyName: 'Lewis',
          email: 'not-an-email',
          locale: 'fr',
          role: 'user',
        }),
        'INVALID_PROFILE',
      );
      const issues = (
        err as IdentityError & { issues: { field: string; message: { cy: string } }[] }
      ).issues;
      expect(issues.map((i) => i.field)).to.deep.equal(['givenName', 'email', 'locale']);
      expect(issues[0]?.message.cy).to.equal('Rhowch eich enw cyntaf');
      expect(await snapshot()).to.deep.equal(before);
    });

    it('lets an expired invitation be sent again, with the old link refused and the new one working', async () => {
      const { number, eo } = await newCentre();
      const email = inviteeEmail();
      const invited = await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Nia',
        familyName: 'Owen',
        email,
        locale: 'cy',
        role: 'user',
      });
      const old = await invitationToken(email);
      clock.advance(8 * DAY);
      expect(await centres.peekInvitation(old)).to.equal(null);
      const listed = await centres.listMembers({ accountId: eo.id }, number, { search: 'nia' });
      expect(listed.map((m) => m.status)).to.deep.equal(['invitation_expired']);
      const renewed = await centres.resendInvitation({ accountId: eo.id }, number, invited.id);
      const fresh = await invitationToken(email);
      expect(fresh).not.to.equal(old);
      await expectRefused(
        centres.acceptInvitation({ token: old, password: STRONG_PASSWORD }),
        'TOKEN_INVALID',
      );
      const accepted = await centres.acceptInvitation({ token: fresh, password: STRONG_PASSWORD });
      expect(accepted.membership.id).to.equal(renewed.id);
    });

    it('frees an expired invitation’s email and Admin place for a new invitation, and audits it', async () => {
      const { number, eo } = await newCentre();
      const lifetime = serviceOn(t.db, { invitationLifetimeMs: DAY });
      const email = inviteeEmail();
      const input = { givenName: 'Ifan', familyName: 'Wyn', email, locale: 'en', role: 'admin' };
      await lifetime.inviteUser({ accountId: eo.id }, number, input);
      expect(
        (await lifetime.peekInvitation(await invitationToken(email)))?.expiresAt.getTime(),
      ).to.equal(clock.now().getTime() + DAY);
      clock.advance(DAY);
      await lifetime.inviteUser({ accountId: eo.id }, number, input);
      const expired = await audit().list({ type: 'centre.invitation_expired' });
      expect(expired.some((e) => e.details?.email === email)).to.equal(true);
      expect((await memberships(number)).filter((m) => m.role === 'admin')).to.have.length(1);
    });
  });

  describe('accepting an invitation', () => {
    it('creates a centre user who signs in with their email, has set a password and must set up MFA', async () => {
      const { number, eo } = await newCentre('Ysgol Penweddig');
      const email = inviteeEmail();
      await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Siân',
        familyName: 'Hughes',
        email: email.replace('invitee', 'Invitee'),
        locale: 'cy',
        role: 'user',
        permissions: ['resources', 'iamis'],
      });
      const result = await centres.acceptInvitation({
        token: await invitationToken(email),
        password: STRONG_PASSWORD,
      });
      expect(result.created).to.equal(true);
      expect(result.account.kind).to.equal('centre_user');
      expect(result.account.username).to.equal(email);
      expect(result.account.emailVerified).to.equal(true);
      expect(result.account.locale).to.equal('cy');
      expect(await accounts().listRequiredActions(result.account.id)).to.deep.equal([
        'configure_mfa',
      ]);
      const stored = await accounts().getPasswordHash(result.account.id);
      expect((await hasher.verify(stored ?? '', STRONG_PASSWORD)).valid).to.equal(true);
      expect(await centreClaims(t.db, result.account.id)).to.deep.equal([
        { number, name: 'Ysgol Penweddig', role: 'user', permissions: ['iamis', 'resources'] },
      ]);
      const accepted = await audit().list({ type: 'centre.invitation_accepted' });
      expect(accepted.some((e) => e.accountId === result.account.id)).to.equal(true);
    });

    it('refuses a password the policy does not allow and leaves the link working', async () => {
      const { number, eo } = await newCentre();
      const email = inviteeEmail();
      await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Huw',
        familyName: 'Parry',
        email,
        locale: 'en',
        role: 'user',
      });
      const token = await invitationToken(email);
      const before = await snapshot();
      const err = await expectRefused(
        centres.acceptInvitation({ token, password: 'huwparry1' }),
        'PASSWORD_POLICY_VIOLATION',
      );
      expect(
        (err as IdentityError & { violations: { code: string }[] }).violations.map((v) => v.code),
      )
        .to.include('NO_UPPER_CASE')
        .and.include('CONTAINS_NAME');
      expect(await snapshot()).to.deep.equal(before);
      expect(await centres.peekInvitation(token)).to.not.equal(null);
    });

    it('adds a second centre to the account of a person who already has one, leaving their password alone', async () => {
      const a = await newCentre('Ysgol A');
      const b = await newCentre('Ysgol B');
      const { account } = await addMember(a.number, a.eo, 'user');
      const hashBefore = await accounts().getPasswordHash(account.id);
      await centres.inviteUser({ accountId: b.eo.id }, b.number, {
        givenName: 'Aled',
        familyName: 'Other',
        email: (account.email ?? '').toUpperCase(),
        locale: 'en',
        role: 'admin',
      });
      const token = await invitationToken(account.email ?? '');
      expect((await centres.peekInvitation(token))?.existingAccount).to.equal(true);
      const result = await centres.acceptInvitation({ token });
      expect(result.created).to.equal(false);
      expect(result.account.id).to.equal(account.id);
      expect(await accounts().getPasswordHash(account.id)).to.equal(hashBefore);
      expect((await centreClaims(t.db, account.id)).map((c) => [c.number, c.role])).to.deep.equal([
        [a.number, 'user'],
        [b.number, 'admin'],
      ]);
    });

    it('accepts an invitation only once when the link is used twice at the same time: one account', async () => {
      const { number, eo } = await newCentre();
      const email = inviteeEmail();
      await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Twm',
        familyName: 'Sion',
        email,
        locale: 'en',
        role: 'user',
      });
      const token = await invitationToken(email);
      // SQLite runs in this process: a second pool's transaction would block the event loop.
      const other = t.dialect === 'mysql' ? serviceOn(t.connectAgain()) : centres;
      const results = await Promise.allSettled([
        centres.acceptInvitation({ token, password: STRONG_PASSWORD }),
        other.acceptInvitation({ token, password: STRONG_PASSWORD }),
        centres.acceptInvitation({ token, password: STRONG_PASSWORD }),
        other.acceptInvitation({ token, password: STRONG_PASSWORD }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      for (const r of results) {
        if (r.status === 'rejected')
          expect((r.reason as IdentityError).code).to.equal('TOKEN_INVALID');
      }
      expect(await t.db('accounts').where({ username_key: email })).to.have.length(1);
      expect(
        await t
          .db('centre_memberships')
          .where({ centre_number: number, state: 'active', role: 'user' }),
      ).to.have.length(1);
    });

    it('makes one account when a person accepts invitations from two centres at the same time', async () => {
      const a = await newCentre();
      const b = await newCentre();
      const email = inviteeEmail();
      for (const centre of [a, b]) {
        await centres.inviteUser({ accountId: centre.eo.id }, centre.number, {
          givenName: 'Gwyn',
          familyName: 'Morris',
          email,
          locale: 'en',
          role: 'user',
        });
      }
      const tokens = (await mailsTo(email, 'invitation')).map(linkToken);
      expect(tokens).to.have.length(2);
      const other = t.dialect === 'mysql' ? serviceOn(t.connectAgain()) : centres;
      const results = await Promise.all([
        centres.acceptInvitation({ token: tokens[0] ?? '', password: STRONG_PASSWORD }),
        other.acceptInvitation({ token: tokens[1] ?? '', password: STRONG_PASSWORD }),
      ]);
      expect(results.map((r) => r.created).sort()).to.deep.equal([false, true]);
      expect(results[0]?.account.id).to.equal(results[1]?.account.id);
      expect(await t.db('accounts').where({ username_key: email })).to.have.length(1);
      const claims = await centreClaims(t.db, results[0]?.account.id ?? '');
      expect(claims.map((c) => c.number)).to.deep.equal([a.number, b.number]);
      expect(await centres.accessAt(results[0]?.account.id ?? '', b.number)).to.deep.equal(
        claims[1],
      );
      expect(await centres.accessAt(results[0]?.account.id ?? '', '99999')).to.equal(null);
    });

    it('refuses the link of an invitation that was cancelled', async () => {
      const { number, eo } = await newCentre();
      const email = inviteeEmail();
      const invited = await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Mali',
        familyName: 'Puw',
        email,
        locale: 'en',
        role: 'user',
      });
      const token = await invitationToken(email);
      await centres.removeMember({ accountId: eo.id }, number, invited.id);
      expect(await centres.peekInvitation(token)).to.equal(null);
      await expectRefused(
        centres.acceptInvitation({ token, password: STRONG_PASSWORD }),
        'TOKEN_INVALID',
      );
      const cancelled = await audit().list({ type: 'centre.invitation_cancelled' });
      expect(cancelled.some((e) => e.details?.memberId === invited.id)).to.equal(true);
    });
  });

  describe('managing access', () => {
    it('changes a User’s access, audits before and after, and emails them in their language', async () => {
      const { number, eo } = await newCentre('Ysgol Bryn Tawe');
      const { account, membership } = await addMember(number, eo, 'user', { locale: 'cy' });
      const changed = await centres.changeAccess(
        { accountId: eo.id, ip: '203.0.113.9' },
        number,
        membership.id,
        {
          permissions: [
            'resources',
            'iamis',
            'entries_results',
            'view_scripts',
            'item_level_data',
            'access_arrangements',
          ],
        },
      );
      expect(changed.permissions).to.deep.equal([
        'access_arrangements',
        'entries_results',
        'iamis',
        'view_scripts',
        'resources',
        'item_level_data',
      ]);
      expect((await centreClaims(t.db, account.id))[0]?.permissions).to.deep.equal(
        changed.permissions,
      );
      const [event] = await audit().list({ type: 'centre.access_changed', accountId: account.id });
      expect(event?.actorId).to.equal(eo.id);
      expect(event?.ip).to.equal('203.0.113.9');
      expect(event?.details).to.deep.include({
        centre: number,
        memberId: membership.id,
        before: { role: 'user', permissions: ['resources'] },
        after: { role: 'user', permissions: changed.permissions },
      });
      const mail = await mailTo(account.email ?? '', 'centre_access_changed');
      expect(mail.locale).to.equal('cy');
      expect(mail.content?.subject).to.equal(
        `Mae eich mynediad i Ysgol Bryn Tawe (${number}) wedi newid`,
      );
      expect(mail.content?.text).to.include('- IAMIS');
    });

    it('never gives a User A2C Keys or Post Results Services, and changes nothing when asked to', async () => {
      const { number, eo } = await newCentre();
      const { membership } = await addMember(number, eo, 'user');
      for (const permission of ['a2c_keys', 'post_results']) {
        const before = await snapshot();
        await expectRefused(
          centres.changeAccess({ accountId: eo.id }, number, membership.id, {
            permissions: ['resources', permission],
          }),
          'CENTRE_PERMISSION_NOT_ALLOWED',
        );
        expect(await snapshot()).to.deep.equal(before);
      }
    });

    it('promotes a User to Admin with every permission and back to User with a User’s defaults', async () => {
      const { number, eo } = await newCentre();
      const { membership } = await addMember(number, eo, 'user');
      const admin = await centres.changeAccess({ accountId: eo.id }, number, membership.id, {
        role: 'admin',
      });
      expect(admin.role).to.equal('admin');
      expect(admin.permissions).to.deep.equal([...CENTRE_PERMISSIONS]);
      const user = await centres.changeAccess({ accountId: eo.id }, number, membership.id, {
        role: 'user',
      });
      expect(user.permissions).to.deep.equal(['resources']);
      const refused = await errorOf(
        centres.changeAccess({ accountId: eo.id }, number, membership.id, {
          role: 'user',
          permissions: ['a2c_keys'],
        }),
      );
      expect(refused.code).to.equal('CENTRE_PERMISSION_NOT_ALLOWED');
    });

    it('refuses to make a fourth Admin by changing access', async () => {
      const { number, eo } = await newCentre();
      for (let i = 0; i < 3; i++) await addMember(number, eo, 'admin');
      const { membership } = await addMember(number, eo, 'user');
      const before = await snapshot();
      await expectRefused(
        centres.changeAccess({ accountId: eo.id }, number, membership.id, { role: 'admin' }),
        'CENTRE_ADMIN_LIMIT',
      );
      expect(await snapshot()).to.deep.equal(before);
    });

    it('lets the Exams Officer change their own access but not an Admin, and nobody their role', async () => {
      const { number, eo } = await newCentre();
      const admin = await addMember(number, eo, 'admin');
      const eoMembership = (await centres.listMembers({ accountId: eo.id }, number)).find(
        (m) => m.role === 'exams_officer',
      );
      const id = eoMembership?.id ?? '';
      const before = await snapshot();
      await expectRefused(
        centres.changeAccess({ accountId: admin.account.id }, number, id, {
          permissions: ['resources'],
        }),
        'CENTRE_ACCESS_DENIED',
        'exams_officer_only',
      );
      await expectRefused(
        centres.changeAccess({ accountId: eo.id }, number, id, { role: 'admin' }),
        'EXAMS_OFFICER_PROTECTED',
      );
      await expectRefused(
        centres.changeAccess({ accountId: eo.id }, number, admin.membership.id, {
          role: 'exams_officer',
        }),
        'EXAMS_OFFICER_PROTECTED',
      );
      expect(await snapshot()).to.deep.equal(before);
      const own = await centres.changeAccess({ accountId: eo.id }, number, id, {
        permissions: ['resources', 'a2c_keys'],
      });
      expect(own.permissions).to.deep.equal(['resources', 'a2c_keys']);
      expect(own.role).to.equal('exams_officer');
    });

    it('refuses a change made from a stale page', async () => {
      const { number, eo } = await newCentre();
      const { membership } = await addMember(number, eo, 'user');
      await centres.changeAccess({ accountId: eo.id }, number, membership.id, {
        permissions: ['iamis'],
        expectedVersion: membership.version,
      });
      await expectRefused(
        centres.changeAccess({ accountId: eo.id }, number, membership.id, {
          permissions: ['view_scripts'],
          expectedVersion: membership.version,
        }),
        'CONCURRENT_UPDATE',
      );
    });
  });

  describe('deleting users', () => {
    it('never deletes the Exams Officer, whoever asks', async () => {
      const { number, eo } = await newCentre();
      const admin = await addMember(number, eo, 'admin');
      const id =
        (await centres.listMembers({ accountId: eo.id }, number)).find(
          (m) => m.role === 'exams_officer',
        )?.id ?? '';
      const before = await snapshot();
      for (const actor of [eo, admin.account]) {
        await expectRefused(
          centres.removeMember({ accountId: actor.id }, number, id),
          'EXAMS_OFFICER_PROTECTED',
        );
      }
      expect(await snapshot()).to.deep.equal(before);
      // Even the repository's guarded delete refuses the Exams Officer's row.
      const repository = new KnexCentreRepository(t.db, clock, cryptoRandom);
      const row = await repository.findMembership(number, id);
      expect(await repository.deleteMembership(id, row?.version ?? 0)).to.equal(false);
    });

    it('deletes a User, emails them, and closes an account left with no centre', async () => {
      const { number, eo } = await newCentre('Ysgol Gyfun');
      const admin = await addMember(number, eo, 'admin');
      const { account, membership } = await addMember(number, eo, 'user', { locale: 'cy' });
      await centres.removeMember({ accountId: admin.account.id }, number, membership.id);
      expect(await centreClaims(t.db, account.id)).to.deep.equal([]);
      expect((await accounts().findById(account.id))?.status).to.equal('deleted');
      const mail = await mailTo(account.email ?? '', 'centre_access_changed');
      expect(mail.locale).to.equal('cy');
      expect(mail.content?.subject).to.equal(
        `Rydych chi wedi cael eich tynnu o Ysgol Gyfun (${number})`,
      );
      const [removed] = await audit().list({
        type: 'centre.member_removed',
        accountId: account.id,
      });
      expect(removed?.actorId).to.equal(admin.account.id);
      expect(removed?.details).to.deep.include({
        before: { role: 'user', permissions: ['resources'] },
        after: null,
      });
      // Changing an email means delete and re-invite: the address is free again.
      await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Aled',
        familyName: 'Again',
        email: account.email ?? '',
        locale: 'cy',
        role: 'user',
      });
    });

    it('keeps the account of a person removed from one of their centres', async () => {
      const a = await newCentre();
      const b = await newCentre();
      const { account, membership } = await addMember(a.number, a.eo, 'user');
      await centres.inviteUser({ accountId: b.eo.id }, b.number, {
        givenName: 'Aled',
        familyName: 'Two',
        email: account.email ?? '',
        locale: 'en',
        role: 'user',
      });
      await centres.acceptInvitation({ token: await invitationToken(account.email ?? '') });
      await centres.removeMember({ accountId: a.eo.id }, a.number, membership.id);
      expect((await accounts().findById(account.id))?.status).to.equal('active');
      expect((await centreClaims(t.db, account.id)).map((c) => c.number)).to.deep.equal([b.number]);
    });
  });

  describe('who may act', () => {
    it('refuses a User everywhere, their own access included, and changes nothing', async () => {
      const { number, eo } = await newCentre();
      const user = await addMember(number, eo, 'user');
      const other = await addMember(number, eo, 'user');
      const eoId =
        (await centres.listMembers({ accountId: eo.id }, number)).find(
          (m) => m.role === 'exams_officer',
        )?.id ?? '';
      const actor = { accountId: user.account.id };
      const before = await snapshot();
      const attempts: [string, () => Promise<unknown>][] = [
        [
          'invite',
          () =>
            centres.inviteUser(actor, number, {
              givenName: 'X',
              familyName: 'Y',
              email: inviteeEmail(),
              locale: 'en',
              role: 'user',
            }),
        ],
        [
          'own access',
          () => centres.changeAccess(actor, number, user.membership.id, { permissions: ['iamis'] }),
        ],
        [
          'other access',
          () =>
            centres.changeAccess(actor, number, other.membership.id, { permissions: ['iamis'] }),
        ],
        ['delete', () => centres.removeMember(actor, number, other.membership.id)],
        ['delete EO', () => centres.removeMember(actor, number, eoId)],
        ['transfer', () => centres.transferExamsOfficer(actor, number, user.membership.id)],
        ['list', () => centres.listMembers(actor, number)],
        ['resend', () => centres.resendInvitation(actor, number, other.membership.id)],
      ];
      for (const [what, attempt] of attempts) {
        const err = await errorOf(attempt());
        expect(err.code, what).to.equal('CENTRE_ACCESS_DENIED');
        expect((err as IdentityError & { reason: string }).reason, what).to.equal(
          'not_a_centre_admin',
        );
      }
      expect(await snapshot()).to.deep.equal(before);
      const denied = await audit().list({
        type: 'centre.access_denied',
        accountId: user.account.id,
      });
      expect(denied).to.have.length(attempts.length);
      expect(denied.every((e) => e.outcome === 'failure' && e.details?.centre === number)).to.equal(
        true,
      );
    });

    it('refuses the Exams Officer of centre A everything at centre B, and changes nothing', async () => {
      const a = await newCentre();
      const b = await newCentre();
      const bUser = await addMember(b.number, b.eo, 'user');
      const bEo =
        (await centres.listMembers({ accountId: b.eo.id }, b.number)).find(
          (m) => m.role === 'exams_officer',
        )?.id ?? '';
      const actor = { accountId: a.eo.id };
      const before = await snapshot();
      const attempts: (() => Promise<unknown>)[] = [
        () =>
          centres.inviteUser(actor, b.number, {
            givenName: 'X',
            familyName: 'Y',
            email: inviteeEmail(),
            locale: 'en',
            role: 'admin',
          }),
        () => centres.changeAccess(actor, b.number, bUser.membership.id, { role: 'admin' }),
        () => centres.removeMember(actor, b.number, bUser.membership.id),
        () => centres.transferExamsOfficer(actor, b.number, bUser.membership.id),
        () => centres.listMembers(actor, b.number),
        () => centres.resendInvitation(actor, b.number, bUser.membership.id),
        // Centre A's own admin naming a member of B through A's number finds nobody.
        () => centres.changeAccess(actor, a.number, bUser.membership.id, { permissions: [] }),
        () => centres.removeMember(actor, a.number, bEo),
      ];
      const codes = [];
      for (const attempt of attempts) codes.push((await errorOf(attempt())).code);
      expect(codes).to.deep.equal([
        ...Array<string>(6).fill('CENTRE_ACCESS_DENIED'),
        'CENTRE_MEMBER_NOT_FOUND',
        'CENTRE_MEMBER_NOT_FOUND',
      ]);
      expect(await snapshot()).to.deep.equal(before);
    });

    it('refuses an Exams Officer whose account is disabled', async () => {
      const { number, eo } = await newCentre();
      await accounts().changeStatus(eo.id, 'active', 'disabled');
      await expectRefused(
        centres.listMembers({ accountId: eo.id }, number),
        'CENTRE_ACCESS_DENIED',
        'account_not_active',
      );
    });
  });

  describe('transferring the Exams Officer role', () => {
    it('hands the role to an Admin, makes the former Exams Officer an Admin, and emails both', async () => {
      const { number, eo } = await newCentre();
      const admin = await addMember(number, eo, 'admin', { permissions: ['resources'] });
      const { from, to } = await centres.transferExamsOfficer(
        { accountId: eo.id },
        number,
        admin.membership.id,
      );
      expect(to.role).to.equal('exams_officer');
      expect(to.permissions).to.deep.equal([...CENTRE_PERMISSIONS]);
      expect(from.role).to.equal('admin');
      const roles = (await memberships(number)).map((m) => m.role).sort();
      expect(roles).to.deep.equal(['admin', 'exams_officer']);
      expect((await mailTo(eo.email ?? '', 'centre_access_changed')).content?.text).to.include(
        'Your account type: Admin',
      );
      expect(
        (await mailTo(admin.account.email ?? '', 'centre_access_changed')).content?.text,
      ).to.include('Your account type: Exams Officer');
      expect(
        await audit().list({ type: 'centre.exams_officer_transferred' }),
      ).to.have.length.at.least(2);
      // The former Exams Officer can now be deleted like anyone else.
      await centres.removeMember({ accountId: admin.account.id }, number, from.id);
    });

    it('lets only the Exams Officer transfer the role, and only to an active member', async () => {
      const { number, eo } = await newCentre();
      const admin = await addMember(number, eo, 'admin');
      const user = await addMember(number, eo, 'user');
      const invited = await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Not',
        familyName: 'Yet',
        email: inviteeEmail(),
        locale: 'en',
        role: 'user',
      });
      const before = await snapshot();
      await expectRefused(
        centres.transferExamsOfficer({ accountId: admin.account.id }, number, user.membership.id),
        'CENTRE_ACCESS_DENIED',
        'exams_officer_only',
      );
      await expectRefused(
        centres.transferExamsOfficer({ accountId: eo.id }, number, invited.id),
        'CENTRE_MEMBER_NOT_ACTIVE',
      );
      expect(await snapshot()).to.deep.equal(before);
    });

    it('refuses to make the former Exams Officer a fourth Admin, leaving the role where it was', async () => {
      const { number, eo } = await newCentre();
      for (let i = 0; i < 3; i++) await addMember(number, eo, 'admin');
      const user = await addMember(number, eo, 'user');
      const before = await snapshot();
      await expectRefused(
        centres.transferExamsOfficer({ accountId: eo.id }, number, user.membership.id),
        'CENTRE_ADMIN_LIMIT',
      );
      expect(await snapshot()).to.deep.equal(before);
      const done = await centres.transferExamsOfficer(
        { accountId: eo.id },
        number,
        user.membership.id,
        {
          formerRole: 'user',
        },
      );
      expect(done.from.permissions).to.deep.equal(['resources']);
    });
  });

  describe('listing members', () => {
    it('lists the Exams Officer, Admins and Users with their access and status, searched without regard to case or accents', async () => {
      const { number, eo } = await newCentre();
      const emails = [inviteeEmail(), inviteeEmail(), inviteeEmail()];
      await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Siân',
        familyName: 'Llŷr',
        email: emails[0] ?? '',
        locale: 'cy',
        role: 'user',
      });
      const accepted = await centres.acceptInvitation({
        token: await invitationToken(emails[0] ?? ''),
        password: STRONG_PASSWORD,
      });
      await centres.inviteUser({ accountId: eo.id }, number, {
        givenName: 'Bethan',
        familyName: 'Ŵyn',
        email: emails[1] ?? '',
        locale: 'en',
        role: 'admin',
      });
      await accounts().changeStatus(accepted.account.id, 'active', 'disabled');

      const all = await centres.listMembers({ accountId: eo.id }, number);
      expect(all.map((m) => [m.role, m.status])).to.deep.equal([
        ['exams_officer', 'active'],
        ['admin', 'invited'],
        ['user', 'disabled'],
      ]);
      expect(all[2]).to.deep.include({
        givenName: 'Siân',
        familyName: 'Llŷr',
        email: emails[0],
        permissions: ['resources'],
      });
      const search = async (text: string) =>
        (await centres.listMembers({ accountId: eo.id }, number, { search: text })).map(
          (m) => m.givenName,
        );
      expect(await search('SIAN')).to.deep.equal(['Siân']);
      expect(await search('llyr')).to.deep.equal(['Siân']);
      expect(await search('wyn')).to.deep.equal(['Bethan']);
      expect(await search(emails[1]?.toUpperCase() ?? '')).to.deep.equal(['Bethan']);
      expect(await search('nobody')).to.deep.equal([]);
    });
  });

  describe('under concurrency', () => {
    /**
     * Services on several connection pools on MariaDB, so the attempts really overlap. SQLite
     * has one writer and runs in this process (a second pool waiting for a lock would block the
     * event loop), so there the attempts queue on one connection and the keys still decide.
     */
    function services(count: number): CentreService[] {
      if (t.dialect !== 'mysql') return [centres];
      return Array.from({ length: count }, (_, i) =>
        i === 0 ? centres : serviceOn(t.connectAgain()),
      );
    }

    it('never lets 10 concurrent invitations to Admin make a fourth Admin', async () => {
      const { number, eo } = await newCentre();
      const pools = services(3);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          (pools[i % pools.length] as CentreService).inviteUser({ accountId: eo.id }, number, {
            givenName: 'Racing',
            familyName: `Admin${i}`,
            email: inviteeEmail(),
            locale: 'en',
            role: 'admin',
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(3);
      for (const r of results) {
        if (r.status === 'rejected')
          expect((r.reason as IdentityError).code).to.equal('CENTRE_ADMIN_LIMIT');
      }
      expect((await memberships(number)).filter((m) => m.role === 'admin')).to.have.length(3);
    });

    it('never lets 10 concurrent promotions to Admin make a fourth Admin', async () => {
      const { number, eo } = await newCentre();
      await addMember(number, eo, 'admin');
      const users = [];
      for (let i = 0; i < 10; i++) users.push(await addMember(number, eo, 'user'));
      const pools = services(3);
      const results = await Promise.allSettled(
        users.map((u, i) =>
          (pools[i % pools.length] as CentreService).changeAccess(
            { accountId: eo.id },
            number,
            u.membership.id,
            { role: 'admin' },
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(2);
      expect((await memberships(number)).filter((m) => m.role === 'admin')).to.have.length(3);
    });

    it('keeps exactly one Exams Officer when the role is handed to 10 members at once', async () => {
      const { number, eo } = await newCentre();
      const targets = [];
      for (let i = 0; i < 10; i++) targets.push(await addMember(number, eo, 'user'));
      const pools = services(3);
      const results = await Promise.allSettled(
        targets.map((u, i) =>
          (pools[i % pools.length] as CentreService).transferExamsOfficer(
            { accountId: eo.id },
            number,
            u.membership.id,
            { formerRole: 'user' },
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      expect((await memberships(number)).filter((m) => m.role === 'exams_officer')).to.have.length(
        1,
      );
    });

    it('lets the database hold a second Exams Officer out, however many writers try at once', async () => {
      nextCentre += 1;
      const number = String(nextCentre);
      const owners = [];
      for (let i = 0; i < 10; i++) owners.push(await newAccount());
      const dbs = t.dialect === 'mysql' ? [t.db, t.connectAgain(), t.connectAgain()] : [t.db];
      await new KnexCentreRepository(t.db, clock, cryptoRandom).createCentre(number, 'Raw');
      const results = await Promise.allSettled(
        owners.map((owner, i) =>
          transaction(dbs[i % dbs.length] as Knex, (trx) =>
            new KnexCentreRepository(trx, clock, cryptoRandom).insertMembership({
              centreNumber: number,
              accountId: owner.id,
              role: 'exams_officer' as CentreRole,
              permissions: [...CENTRE_PERMISSIONS],
              email: owner.email ?? '',
              givenName: 'Racing',
              familyName: 'Officer',
              locale: 'en',
              invitedBy: null,
              invitationExpiresAt: null,
            }),
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      for (const r of results) {
        if (r.status === 'rejected')
          expect((r.reason as IdentityError).code).to.equal('EXAMS_OFFICER_PROTECTED');
      }
      expect((await memberships(number)).filter((m) => m.role === 'exams_officer')).to.have.length(
        1,
      );
    });

    it('creates one centre when the same number is provisioned twice at once', async () => {
      nextCentre += 1;
      const number = String(nextCentre);
      const [x, y] = [await newAccount(), await newAccount()];
      const pools = services(2);
      const results = await Promise.allSettled([
        (pools[0] as CentreService).provisionCentre({
          number,
          name: 'One',
          examsOfficer: { accountId: x.id },
        }),
        (pools[1 % pools.length] as CentreService).provisionCentre({
          number,
          name: 'Two',
          examsOfficer: { accountId: y.id },
        }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      expect((await memberships(number)).filter((m) => m.role === 'exams_officer')).to.have.length(
        1,
      );
    });
  });
});

import type { Account, Locale } from '../accounts/account.js';
import { isLocale } from '../accounts/account.js';
import type { ActorContext } from '../accounts/account-service.js';
import { KnexAccountRepository } from '../accounts/knex-account-repository.js';
import { profileIssue, validateProfileChanges, type ProfileIssue } from '../accounts/profile.js';
import { normaliseEmail } from '../accounts/usernames.js';
import type { RequestContext } from '../audit/audit-event.js';
import { KnexAuditLog } from '../audit/knex-audit-log.js';
import type { Clock } from '../clock.js';
import { transaction, type Executor } from '../db/transaction.js';
import {
  CentreAccessDeniedError,
  CentreInvalidError,
  CentreMemberDuplicateError,
  CentreMemberNotActiveError,
  CentreMemberNotFoundError,
  CentreNotFoundError,
  CentrePermissionNotAllowedError,
  ConcurrentUpdateError,
  ExamsOfficerProtectedError,
  InvalidProfileError,
  InvitationInvalidError,
  UsernameTakenError,
  type CentreAccessDeniedReason,
} from '../errors.js';
import type { MailOutbox } from '../mail/outbox.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import {
  PasswordPolicyError,
  checkPassword,
  type PasswordPolicyOptions,
} from '../passwords/password-policy.js';
import type { RandomSource } from '../random.js';
import { KnexTokenRepository } from '../tokens/knex-token-repository.js';
import {
  CENTRE_INVITATION_PURPOSE,
  DEFAULT_INVITATION_LIFETIME_MS,
  MAX_CENTRE_NAME_LENGTH,
  isCentreNumber,
  memberMatches,
  type Centre,
  type CentreClaim,
  type CentreMember,
  type CentreMembership,
} from './centre.js';
import { KnexCentreRepository } from './knex-centre-repository.js';
import {
  INVITABLE_CENTRE_ROLES,
  checkPermissions,
  defaultPermissions,
  isCentreRole,
  type CentrePermission,
  type CentreRole,
  type InvitableCentreRole,
} from './permissions.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

/** The account acting on a centre (an Exams Officer or Admin), and where the request came from. */
export interface CentreActor extends RequestContext {
  readonly accountId: string;
}

/** What the Invite User form sends. */
export interface CentreInvitationInput {
  readonly givenName: string;
  readonly familyName: string;
  readonly email: string;
  /** The invitee's language: the invitation email is written in it. */
  readonly locale: Locale | string;
  /** `admin` or `user`; the Exams Officer role is never invited. */
  readonly role: InvitableCentreRole | string;
  /** The permissions chosen on the form; the role's defaults when left out. */
  readonly permissions?: readonly string[];
}

/** What the Manage Access form sends. */
export interface CentreAccessUpdate {
  /** The new account type (`admin` or `user`); unchanged when left out. */
  readonly role?: CentreRole | string;
  /**
   * The full list of permissions after the change. Left out: unchanged when the role stays,
   * the new role's defaults when it changes.
   */
  readonly permissions?: readonly string[];
  /** The membership version the form was built from; ConcurrentUpdateError when it moved on. */
  readonly expectedVersion?: number;
}

/** Who becomes the centre's first Exams Officer when it is created. */
export type ExamsOfficerSeat =
  /** An existing live account with an email address: it becomes the Exams Officer at once. */
  | { readonly accountId: string }
  /** A person invited by email; their invitation row already holds the Exams Officer role. */
  | {
      readonly givenName: string;
      readonly familyName: string;
      readonly email: string;
      readonly locale: Locale | string;
      /** Who the invitation says it is from (default: the acting staff member, else the organisation). */
      readonly inviterName?: string;
    };

/** What provisionCentre needs. */
export interface NewCentreInput {
  readonly number: string;
  readonly name: string;
  readonly examsOfficer: ExamsOfficerSeat;
}

/** What an invitation link stands for, to show before the invitee sets a password. */
export interface InvitationDetails {
  readonly centreNumber: string;
  readonly centreName: string;
  readonly email: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly locale: Locale;
  readonly role: CentreRole;
  readonly permissions: readonly CentrePermission[];
  readonly expiresAt: Date;
  /**
   * True when a live account already signs in with this email: accepting attaches the centre
   * to it and leaves its password alone (the page asks the person to sign in as usual).
   */
  readonly existingAccount: boolean;
}

/** What acceptInvitation needs. */
export interface AcceptInvitationInput extends RequestContext {
  /** The raw token from the link. */
  readonly token: string;
  /** The new account's password; required (and checked against the policy) unless `existingAccount`. */
  readonly password?: string | null;
}

/** The outcome of acceptInvitation. */
export interface AcceptedInvitation {
  readonly account: Account;
  readonly membership: CentreMembership;
  /** True when a new account was created (it must set up MFA: `configure_mfa` is required). */
  readonly created: boolean;
}

/** Options for CentreService. */
export interface CentreServiceOptions {
  readonly db: Executor;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Queues the invitation and access-change emails in the same transaction as the change. */
  readonly outbox: MailOutbox;
  /** Hashes the password an invitee chooses. */
  readonly hasher: PasswordHasher;
  /** Builds the link in the invitation email from the raw token and the invitee's language. */
  readonly acceptUrl: (token: string, locale: Locale) => string;
  /** How long an invitation link works (default 7 days). */
  readonly invitationLifetimeMs?: number;
  /** The password policy's switches (default: the seeds' composition rule on). */
  readonly passwordPolicy?: PasswordPolicyOptions;
  /** Who an Exams Officer invitation is from when no staff member is named (default `Porth`). */
  readonly organisationName?: string;
  /** Retries of a transaction after a deadlock or busy database (default 8). */
  readonly transactionRetries?: number;
}

/** The repositories one transaction works through. */
interface Stores {
  /** The transaction (or knex instance) the repositories below write through. */
  readonly db: Executor;
  readonly centres: KnexCentreRepository;
  readonly accounts: KnexAccountRepository;
  readonly tokens: KnexTokenRepository;
  readonly audit: KnexAuditLog;
}

/** The acting member, checked. */
interface Manager {
  readonly account: Account;
  readonly membership: CentreMembership;
}

/**
 * The centre rules from the Portal's user guides, framework-free:
 * - only the Exams Officer and Admins invite, change access and delete, and only at their own
 *   centre: every operation takes the acting account and checks its active membership of THAT
 *   centre (CentreAccessDeniedError otherwise, audited as `centre.access_denied`, nothing changed);
 * - a User cannot assign permissions, not even their own;
 * - nobody deletes or demotes the Exams Officer, and an Admin cannot change the Exams Officer's
 *   access; the role moves only by transferExamsOfficer, by the Exams Officer;
 * - at most three Admins (pending invitations included), each account type only the permissions
 *   it may hold (`CENTRE_ROLE_RULES`);
 * - an email address is never changed on a membership: delete the user and invite the new address.
 *
 * Every change runs in one transaction with its audit event (`centre.*`, with actor, centre,
 * target and before/after access) and the email to the person affected, in their language.
 *
 * Centre users sign in with their email address: an invitation accepted by someone without an
 * account creates a `centre_user` account whose username is the normalised email; when a live
 * account already has that username (the same person at another centre), the centre is added
 * to it instead.
 */
export class CentreService {
  private readonly db: Executor;
  private readonly clock: Clock;
  private readonly lifetimeMs: number;
  private readonly retries: number;

  constructor(private readonly options: CentreServiceOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.lifetimeMs = options.invitationLifetimeMs ?? DEFAULT_INVITATION_LIFETIME_MS;
    if (!Number.isSafeInteger(this.lifetimeMs) || this.lifetimeMs <= 0) {
      throw new RangeError('invitationLifetimeMs must be a positive whole number of milliseconds');
    }
    this.retries = options.transactionRetries ?? 8;
  }

  /**
   * Creates a centre together with its Exams Officer (an existing account, or an invitation),
   * so a centre never exists without one. An exam-board operation: when `context.actorId` is
   * given it must be an active staff account (CentreAccessDeniedError `not_staff`); with no
   * actor it is the system (seed data, imports). CentreExistsError for a number in use.
   */
  async provisionCentre(input: NewCentreInput, context: ActorContext = {}): Promise<Centre> {
    const number = checkCentreNumber(input.number);
    const name = checkCentreName(input.name);
    return this.run(async (s) => {
      let inviterName = this.options.organisationName ?? 'Porth';
      if (context.actorId) {
        const staff = await s.accounts.findById(context.actorId);
        if (!staff || staff.kind !== 'staff' || staff.status !== 'active') {
          throw new CentreAccessDeniedError('not_staff');
        }
        inviterName = displayName(staff);
      }
      const centre = await s.centres.createCentre(number, name);
      await s.audit.append({
        ...auditContext(context),
        actorId: context.actorId ?? null,
        type: 'centre.created',
        outcome: 'success',
        details: { centre: number, name },
      });
      const seat = input.examsOfficer;
      if ('accountId' in seat) {
        const account = await s.accounts.findById(seat.accountId);
        if (!account || account.status === 'deleted') throw new CentreMemberNotFoundError();
        if (!account.email)
          throw new CentreInvalidError('email', 'the account has no email address');
        const membership = await s.centres.insertMembership({
          centreNumber: number,
          accountId: account.id,
          role: 'exams_officer',
          permissions: defaultPermissions('exams_officer'),
          email: account.email,
          givenName: account.givenName ?? '',
          familyName: account.familyName ?? '',
          locale: account.locale,
          invitedBy: context.actorId ?? null,
          invitationExpiresAt: null,
        });
        await this.auditChange(s, context, 'centre.member_added', centre, membership, null);
      } else {
        const invitee = validInvitee(seat);
        await this.invite(
          s,
          centre,
          invitee,
          'exams_officer',
          defaultPermissions('exams_officer'),
          {
            inviterName: seat.inviterName?.trim() || inviterName,
            invitedBy: context.actorId ?? null,
            context,
          },
        );
      }
      return centre;
    });
  }

  /**
   * Invites a person to the centre as an Admin or a User (Invite User). Refused with a clear
   * reason: a User or an outsider acting (CentreAccessDeniedError), a bad name or email
   * (InvalidProfileError, en + cy per field), the Exams Officer role (ExamsOfficerProtectedError),
   * permissions the account type cannot hold (CentrePermissionNotAllowedError), an email already
   * a member or invited (CentreMemberDuplicateError), a fourth Admin (CentreAdminLimitError).
   * Sends the invitation email in the invitee's language with a single-use link.
   */
  async inviteUser(
    actor: CentreActor,
    centreNumber: string,
    input: CentreInvitationInput,
  ): Promise<CentreMembership> {
    return this.asActor(actor, centreNumber, 'invite', () =>
      this.run(async (s) => {
        const manager = await this.requireManager(s, actor, centreNumber);
        const invitee = validInvitee(input);
        const role = invitableRole(input.role);
        const permissions = allowedPermissions(role, input.permissions);
        const centre = await this.requireCentre(s, centreNumber);
        return this.invite(s, centre, invitee, role, permissions, {
          inviterName: displayName(manager.account),
          invitedBy: actor.accountId,
          context: { ...actor, actorId: actor.accountId },
        });
      }),
    );
  }

  /**
   * Sends a waiting (or expired) invitation again with a new link and a new expiry; links sent
   * before stop working. By the centre's Exams Officer or an Admin, or by exam-board staff (an
   * Exams Officer invitation made with the centre has nobody at the centre to resend it).
   * CentreMemberDuplicateError(`member`) when it was accepted already.
   */
  async resendInvitation(
    actor: CentreActor,
    centreNumber: string,
    memberId: string,
  ): Promise<CentreMembership> {
    return this.asActor(actor, centreNumber, 'resend_invitation', () =>
      this.run(async (s) => {
        const inviter = await this.requireManagerOrStaff(s, actor, centreNumber);
        const target = await s.centres.findMembership(centreNumber, memberId);
        if (!target) throw new CentreMemberNotFoundError();
        if (target.state !== 'invited') throw new CentreMemberDuplicateError('member');
        const centre = await this.requireCentre(s, centreNumber);
        const expiresAt = new Date(this.clock.now().getTime() + this.lifetimeMs);
        const renewed = await s.centres.renewInvitation(target.id, target.version, expiresAt);
        if (!renewed) throw new ConcurrentUpdateError('Centre membership');
        await this.sendInvitation(s, centre, renewed, displayName(inviter));
        const context = { ...actor, actorId: actor.accountId };
        await this.auditChange(s, context, 'centre.invitation_resent', centre, renewed, target);
        return renewed;
      }),
    );
  }

  /**
   * Tells what an invitation link stands for, without using it up; null when the link is
   * unknown, expired, used or cancelled (the same answer for each).
   */
  async peekInvitation(token: string): Promise<InvitationDetails | null> {
    const s = this.stores(this.db);
    const contents = await s.tokens.peek<{ membershipId?: unknown }>(
      CENTRE_INVITATION_PURPOSE,
      token,
    );
    const membershipId = contents?.data?.membershipId;
    if (!contents || typeof membershipId !== 'string') return null;
    const membership = await s.centres.findMembershipById(membershipId);
    if (!membership || membership.state !== 'invited') return null;
    const centre = await s.centres.findCentre(membership.centreNumber);
    if (!centre) return null;
    const existing = await s.accounts.findByUsername(membership.email);
    return {
      centreNumber: centre.number,
      centreName: centre.name,
      email: membership.email,
      givenName: membership.givenName,
      familyName: membership.familyName,
      locale: membership.locale,
      role: membership.role,
      permissions: membership.permissions,
      expiresAt: contents.expiresAt,
      existingAccount: existing !== null,
    };
  }

  /**
   * Accepts an invitation: uses the token up exactly once (of two concurrent accepts, one
   * succeeds and the other gets InvitationInvalidError), creates the `centre_user` account
   * (username = email, email verified, `configure_mfa` required, password checked against the
   * policy and hashed) or attaches the existing account that signs in with this email, and
   * makes the membership active. The password is checked before the token is used, so a
   * refused password (PasswordPolicyError) leaves the link working.
   */
  async acceptInvitation(input: AcceptInvitationInput): Promise<AcceptedInvitation> {
    const details = await this.peekInvitation(input.token);
    if (!details) throw new InvitationInvalidError();
    let hash: string | null = null;
    if (!details.existingAccount) {
      const password = input.password ?? '';
      const violations = checkPassword(
        password,
        {
          username: details.email,
          email: details.email,
          givenName: details.givenName,
          familyName: details.familyName,
        },
        this.options.passwordPolicy,
      );
      if (violations.length > 0) throw new PasswordPolicyError(violations);
      hash = await this.options.hasher.hash(password);
    }
    // A second try only when someone created the account between our look-up and our insert:
    // the retry finds it (in a fresh transaction, so MySQL's snapshot sees it) and attaches.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.run((s) => this.accept(s, input, hash));
      } catch (err) {
        if (attempt === 0 && err instanceof UsernameTakenError) continue;
        throw err;
      }
    }
  }

  /**
   * Changes a member's account type and permissions (Manage Access). Only the Exams Officer and
   * Admins of this centre; an Admin cannot change the Exams Officer's access; the Exams Officer
   * keeps the role (ExamsOfficerProtectedError); permissions the account type cannot hold are
   * refused; a fourth Admin is refused. Audited, and the member is emailed in their language.
   */
  async changeAccess(
    actor: CentreActor,
    centreNumber: string,
    memberId: string,
    change: CentreAccessUpdate,
  ): Promise<CentreMembership> {
    return this.asActor(actor, centreNumber, 'change_access', () =>
      this.run(async (s) => {
        const manager = await this.requireManager(s, actor, centreNumber);
        const target = await s.centres.findMembership(centreNumber, memberId);
        if (!target) throw new CentreMemberNotFoundError();
        if (target.role === 'exams_officer' && manager.membership.id !== target.id) {
          throw new CentreAccessDeniedError('exams_officer_only');
        }
        const role = change.role === undefined ? target.role : knownRole(change.role);
        if (target.role === 'exams_officer' && role !== 'exams_officer') {
          throw new ExamsOfficerProtectedError('change_role');
        }
        if (role === 'exams_officer' && target.role !== 'exams_officer') {
          throw new ExamsOfficerProtectedError('assign');
        }
        let permissions: CentrePermission[];
        if (change.permissions !== undefined)
          permissions = allowedPermissions(role, change.permissions);
        else if (role !== target.role) permissions = defaultPermissions(role);
        else permissions = [...target.permissions];
        if (change.expectedVersion !== undefined && change.expectedVersion !== target.version) {
          throw new ConcurrentUpdateError('Centre membership');
        }
        if (role === target.role && samePermissions(permissions, target.permissions)) return target;

        const centre = await this.requireCentre(s, centreNumber);
        if (role === 'admin' && target.role !== 'admin') {
          await this.removeStale(s, centre, actor);
        }
        const after = await s.centres.updateAccess(target.id, target.version, role, permissions);
        const context = { ...actor, actorId: actor.accountId };
        await this.auditChange(s, context, 'centre.access_changed', centre, after, target);
        await this.tellMember(s, centre, after, 'access_changed', displayName(manager.account));
        return after;
      }),
    );
  }

  /**
   * Deletes a member from the centre (Delete User), or cancels an invitation. Never the Exams
   * Officer (ExamsOfficerProtectedError). The member is emailed in their language; a
   * `centre_user` account left with no centre at all is soft-deleted (its sessions end, its
   * email can be invited again), in the same transaction.
   */
  async removeMember(
    actor: CentreActor,
    centreNumber: string,
    memberId: string,
    options: { readonly expectedVersion?: number } = {},
  ): Promise<void> {
    await this.asActor(actor, centreNumber, 'remove_member', () =>
      this.run(async (s) => {
        const manager = await this.requireManager(s, actor, centreNumber);
        const target = await s.centres.findMembership(centreNumber, memberId);
        if (!target) throw new CentreMemberNotFoundError();
        if (target.role === 'exams_officer') throw new ExamsOfficerProtectedError('remove');
        if (options.expectedVersion !== undefined && options.expectedVersion !== target.version) {
          throw new ConcurrentUpdateError('Centre membership');
        }
        if (!(await s.centres.deleteMembership(target.id, target.version))) {
          throw new ConcurrentUpdateError('Centre membership');
        }
        const centre = await this.requireCentre(s, centreNumber);
        const context = { ...actor, actorId: actor.accountId };
        const type =
          target.state === 'invited' ? 'centre.invitation_cancelled' : 'centre.member_removed';
        await this.auditChange(s, context, type, centre, null, target);
        if (target.state !== 'active' || target.accountId === null) return;
        await this.tellMember(s, centre, target, 'removed', displayName(manager.account));
        const account = await s.accounts.findById(target.accountId);
        if (
          account &&
          account.kind === 'centre_user' &&
          account.status !== 'deleted' &&
          (await s.centres.countActiveMemberships(account.id)) === 0
        ) {
          await s.accounts.softDelete(account.id, account.status);
          await s.audit.append({
            ...auditContext(context),
            type: 'account.deleted',
            outcome: 'success',
            accountId: account.id,
            details: {
              from: account.status,
              reason: 'removed_from_last_centre',
              centre: centreNumber,
            },
          });
        }
      }),
    );
  }

  /**
   * Hands the Exams Officer role to another active member of the centre, by the Exams Officer
   * only (CentreAccessDeniedError `exams_officer_only` otherwise). The new Exams Officer gets
   * every permission; the former one becomes `formerRole` (default Admin; CentreAdminLimitError
   * when three Admins remain) with that role's defaults. One transaction: the centre has exactly
   * one Exams Officer before and after. Both are emailed.
   */
  async transferExamsOfficer(
    actor: CentreActor,
    centreNumber: string,
    toMemberId: string,
    options: { readonly formerRole?: 'admin' | 'user'; readonly expectedVersion?: number } = {},
  ): Promise<{ readonly from: CentreMembership; readonly to: CentreMembership }> {
    return this.asActor(actor, centreNumber, 'transfer_exams_officer', () =>
      this.run(async (s) => {
        const manager = await this.requireManager(s, actor, centreNumber);
        if (manager.membership.role !== 'exams_officer') {
          throw new CentreAccessDeniedError('exams_officer_only');
        }
        const formerRole = options.formerRole ?? 'admin';
        if (formerRole !== 'admin' && formerRole !== 'user') {
          throw new CentreInvalidError('role', 'the former Exams Officer becomes admin or user');
        }
        const target = await s.centres.findMembership(centreNumber, toMemberId);
        if (!target) throw new CentreMemberNotFoundError();
        if (target.id === manager.membership.id) {
          throw new CentreInvalidError('role', 'the member is already the Exams Officer');
        }
        if (options.expectedVersion !== undefined && options.expectedVersion !== target.version) {
          throw new ConcurrentUpdateError('Centre membership');
        }
        const targetAccount =
          target.accountId === null ? null : await s.accounts.findById(target.accountId);
        if (target.state !== 'active' || !targetAccount || targetAccount.status !== 'active') {
          throw new CentreMemberNotActiveError();
        }
        const centre = await this.requireCentre(s, centreNumber);
        if (formerRole === 'admin') await this.removeStale(s, centre, actor);
        const result = await s.centres.transferExamsOfficer({
          centreNumber,
          fromId: manager.membership.id,
          toId: target.id,
          toVersion: target.version,
          toPermissions: defaultPermissions('exams_officer'),
          formerRole,
          formerPermissions: defaultPermissions(formerRole),
        });
        const context = { ...actor, actorId: actor.accountId };
        await this.auditChange(
          s,
          context,
          'centre.exams_officer_transferred',
          centre,
          result.to,
          target,
        );
        await this.auditChange(
          s,
          context,
          'centre.exams_officer_transferred',
          centre,
          result.from,
          manager.membership,
        );
        const by = displayName(manager.account);
        await this.tellMember(s, centre, result.to, 'access_changed', by);
        await this.tellMember(s, centre, result.from, 'access_changed', by);
        return result;
      }),
    );
  }

  /**
   * The centre's members for the Manage Users page (Exams Officer and Admins only), with
   * account type, permissions, name, email and status, filtered by `search`: every word must
   * appear in the name or email, ignoring case and accents.
   */
  async listMembers(
    actor: CentreActor,
    centreNumber: string,
    options: { readonly search?: string } = {},
  ): Promise<CentreMember[]> {
    return this.asActor(actor, centreNumber, 'list_members', async () => {
      const s = this.stores(this.db);
      await this.requireManager(s, actor, centreNumber);
      const members = await s.centres.listMembers(centreNumber, this.clock.now());
      const search = options.search ?? '';
      return members.filter((member) => memberMatches(member, search));
    });
  }

  /** The account's centres, exactly as the ID token's `centres` claim carries them. */
  async centresOf(accountId: string): Promise<CentreClaim[]> {
    return centreClaims(this.db, accountId);
  }

  /** The account's role and permissions at one centre, for a page's server-side check; null when not a member. */
  async accessAt(accountId: string, centreNumber: string): Promise<CentreClaim | null> {
    const claims = await centreClaims(this.db, accountId);
    return claims.find((claim) => claim.number === centreNumber) ?? null;
  }

  private stores(db: Executor): Stores {
    return {
      db,
      centres: new KnexCentreRepository(db, this.clock, this.options.random),
      accounts: new KnexAccountRepository(db, this.clock, this.options.random),
      tokens: new KnexTokenRepository(db, this.clock, this.options.random),
      audit: new KnexAuditLog(db, this.clock),
    };
  }

  private run<T>(work: (s: Stores) => Promise<T>): Promise<T> {
    return transaction(this.db, (trx) => work(this.stores(trx)), { retries: this.retries });
  }

  /**
   * Runs an operation for `actor`; a refusal for lack of rights is recorded as a failed
   * `centre.access_denied` event (after the operation's own transaction was rolled back).
   */
  private async asActor<T>(
    actor: CentreActor,
    centreNumber: string,
    operation: string,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof CentreAccessDeniedError) {
        await new KnexAuditLog(this.db, this.clock).append({
          type: 'centre.access_denied',
          outcome: 'failure',
          accountId: typeof actor.accountId === 'string' ? actor.accountId.slice(0, 32) : null,
          actorId: typeof actor.accountId === 'string' ? actor.accountId.slice(0, 32) : null,
          ip: actor.ip ?? null,
          userAgent: actor.userAgent ?? null,
          details: { centre: String(centreNumber).slice(0, 16), operation, reason: err.reason },
        });
      }
      throw err;
    }
  }

  /**
   * The acting account's active membership of THIS centre, read with a shared lock so it cannot
   * be removed or demoted before the transaction ends; it must be the Exams Officer or an Admin
   * and its account active.
   */
  private async requireManager(
    s: Stores,
    actor: CentreActor,
    centreNumber: string,
  ): Promise<Manager> {
    const deny = (reason: CentreAccessDeniedReason) => new CentreAccessDeniedError(reason);
    if (!isCentreNumber(centreNumber) || typeof actor?.accountId !== 'string') {
      throw deny('not_a_member');
    }
    const membership = await s.centres.findActiveMembership(centreNumber, actor.accountId, {
      lock: true,
    });
    if (!membership) throw deny('not_a_member');
    const account = await s.accounts.findById(actor.accountId);
    if (!account || account.status !== 'active') throw deny('account_not_active');
    if (membership.role !== 'exams_officer' && membership.role !== 'admin') {
      throw deny('not_a_centre_admin');
    }
    return { account, membership };
  }

  /** The centre's Exams Officer or an Admin (see requireManager), or else an active staff account. */
  private async requireManagerOrStaff(
    s: Stores,
    actor: CentreActor,
    centreNumber: string,
  ): Promise<Account> {
    try {
      return (await this.requireManager(s, actor, centreNumber)).account;
    } catch (err) {
      if (!(err instanceof CentreAccessDeniedError) || err.reason !== 'not_a_member') throw err;
      const staff = await s.accounts.findById(actor.accountId);
      if (staff?.kind === 'staff' && staff.status === 'active') return staff;
      throw err;
    }
  }

  private async requireCentre(s: Stores, centreNumber: string): Promise<Centre> {
    const centre = await s.centres.findCentre(centreNumber);
    if (!centre) throw new CentreNotFoundError();
    return centre;
  }

  /** Stores an invitation row, issues its token and queues the email, in the caller's transaction. */
  private async invite(
    s: Stores,
    centre: Centre,
    invitee: ValidInvitee,
    role: CentreRole,
    permissions: readonly CentrePermission[],
    from: { inviterName: string; invitedBy: string | null; context: ActorContext },
  ): Promise<CentreMembership> {
    await this.removeStale(s, centre, from.context);
    const emailKey = normaliseEmail(invitee.email);
    const already = await s.centres.emailAtCentre(centre.number, emailKey);
    if (already) throw new CentreMemberDuplicateError(already);
    const expiresAt = new Date(this.clock.now().getTime() + this.lifetimeMs);
    const membership = await s.centres.insertMembership({
      centreNumber: centre.number,
      accountId: null,
      role,
      permissions,
      email: invitee.email,
      givenName: invitee.givenName,
      familyName: invitee.familyName,
      locale: invitee.locale,
      invitedBy: from.invitedBy,
      invitationExpiresAt: expiresAt,
    });
    await this.sendInvitation(s, centre, membership, from.inviterName);
    await this.auditChange(s, from.context, 'centre.invitation_sent', centre, membership, null);
    return membership;
  }

  /** Issues a single-use link for an invitation row and queues the email in the invitee's language. */
  private async sendInvitation(
    s: Stores,
    centre: Centre,
    membership: CentreMembership,
    inviterName: string,
  ): Promise<void> {
    const { token } = await s.tokens.issue({
      purpose: CENTRE_INVITATION_PURPOSE,
      data: { membershipId: membership.id },
      lifetimeMs: this.lifetimeMs,
    });
    await this.options.outbox.enqueue(s.db, {
      to: membership.email,
      template: 'invitation',
      locale: membership.locale,
      accountId: null,
      data: {
        inviterName,
        centreName: centre.name,
        centreNumber: centre.number,
        acceptUrl: this.options.acceptUrl(token, membership.locale),
        expiresDays: Math.max(1, Math.round(this.lifetimeMs / DAY_MS)),
      },
    });
  }

  /** The body of acceptInvitation, in one transaction. */
  private async accept(
    s: Stores,
    input: AcceptInvitationInput,
    hash: string | null,
  ): Promise<AcceptedInvitation> {
    const contents = await s.tokens.consume<{ membershipId?: unknown }>(
      CENTRE_INVITATION_PURPOSE,
      input.token,
    );
    const membershipId = contents?.data?.membershipId;
    if (!contents || typeof membershipId !== 'string') throw new InvitationInvalidError();
    const invited = await s.centres.findMembershipById(membershipId);
    if (!invited || invited.state !== 'invited') throw new InvitationInvalidError();
    const centre = await this.requireCentre(s, invited.centreNumber);

    let account = await s.accounts.findByUsername(invited.email);
    const created = account === null;
    if (account === null) {
      // The page asked for no password because an account existed, and it has gone since.
      if (hash === null) throw new ConcurrentUpdateError('Invitation');
      account = await s.accounts.createActive({
        kind: 'centre_user',
        username: normaliseEmail(invited.email),
        email: invited.email,
        emailVerified: true,
        givenName: invited.givenName,
        familyName: invited.familyName,
        locale: invited.locale,
        requiredActions: ['configure_mfa'],
      });
      await s.accounts.setPasswordHash(account.id, hash);
      await s.audit.append({
        ...auditContext(input),
        type: 'account.created',
        outcome: 'success',
        accountId: account.id,
        details: {
          kind: account.kind,
          requiredActions: ['configure_mfa'],
          via: 'centre_invitation',
          centre: centre.number,
        },
      });
    }
    const membership = await s.centres.activateInvitation(invited.id, account.id);
    if (!membership) throw new InvitationInvalidError();
    await this.auditChange(
      s,
      { ...input, actorId: account.id },
      'centre.invitation_accepted',
      centre,
      membership,
      invited,
    );
    const fresh = (await s.accounts.findById(account.id)) ?? account;
    return { account: fresh, membership, created };
  }

  /** Deletes expired invitations and memberships of deleted accounts, each audited. */
  private async removeStale(s: Stores, centre: Centre, context: ActorContext): Promise<void> {
    for (const stale of await s.centres.deleteStaleMemberships(centre.number, this.clock.now())) {
      await this.auditChange(
        s,
        { ...context, actorId: null },
        stale.state === 'invited' ? 'centre.invitation_expired' : 'centre.member_removed',
        centre,
        null,
        stale,
      );
    }
  }

  /** Appends a `centre.*` event: actor, centre, target and the access before and after. */
  private async auditChange(
    s: Stores,
    context: ActorContext,
    type: string,
    centre: Centre,
    after: CentreMembership | null,
    before: CentreMembership | null,
  ): Promise<void> {
    const target = after ?? before;
    await s.audit.append({
      ...auditContext(context),
      type,
      outcome: 'success',
      accountId: target?.accountId ?? null,
      details: {
        centre: centre.number,
        memberId: target?.id ?? null,
        email: target?.email ?? null,
        before: before ? { role: before.role, permissions: [...before.permissions] } : null,
        after: after ? { role: after.role, permissions: [...after.permissions] } : null,
      },
    });
  }

  /** Emails an active member about a change to their access, in their language. */
  private async tellMember(
    s: Stores,
    centre: Centre,
    membership: CentreMembership,
    change: 'access_changed' | 'removed',
    changedBy: string,
  ): Promise<void> {
    if (membership.state !== 'active' || membership.accountId === null) return;
    const account = await s.accounts.findById(membership.accountId);
    const to = account?.email ?? membership.email;
    await this.options.outbox.enqueue(s.db, {
      to,
      template: 'centre_access_changed',
      locale: account?.locale ?? membership.locale,
      accountId: membership.accountId,
      data: {
        name: account ? displayName(account, '') : '',
        change,
        centreName: centre.name,
        centreNumber: centre.number,
        changedBy,
        role: membership.role,
        permissions: [...membership.permissions],
        time: this.clock.now(),
      },
    });
  }
}

/**
 * The account's centres for the ID token's `centres` claim: exactly
 * `[{ number, name, role, permissions }]`, active memberships only, ordered by centre number.
 * @example
 * const centres = await centreClaims(db, account.id);
 * // [{ number: '68101', name: 'Ysgol Glan Môr', role: 'admin', permissions: ['iamis', 'resources'] }]
 */
export async function centreClaims(db: Executor, accountId: string): Promise<CentreClaim[]> {
  return new KnexCentreRepository(db, READ_ONLY_CLOCK, READ_ONLY_RANDOM).claimsOf(accountId);
}

/** Reading claims needs neither the time nor random numbers; these say so loudly if that changes. */
const READ_ONLY_CLOCK: Clock = {
  now: () => {
    throw new Error('centreClaims does not need the time');
  },
};
const READ_ONLY_RANDOM: RandomSource = {
  bytes: () => {
    throw new Error('centreClaims does not need random bytes');
  },
};

/** A validated invitee. */
interface ValidInvitee {
  readonly givenName: string;
  readonly familyName: string;
  readonly email: string;
  readonly locale: Locale;
}

/** Checks the invitee's names, email and language; InvalidProfileError (en + cy per field) otherwise. */
function validInvitee(input: {
  readonly givenName: string;
  readonly familyName: string;
  readonly email: string;
  readonly locale: Locale | string;
}): ValidInvitee {
  const { value, issues } = validateProfileChanges({
    givenName: input.givenName ?? '',
    familyName: input.familyName ?? '',
    email: input.email ?? '',
  });
  const all: ProfileIssue[] = [...issues];
  if (!isLocale(input.locale)) all.push(profileIssue('locale', 'invalid_format'));
  if (all.length > 0 || !value.givenName || !value.familyName || !value.email) {
    throw new InvalidProfileError(all);
  }
  return {
    givenName: value.givenName,
    familyName: value.familyName,
    email: value.email,
    locale: input.locale as Locale,
  };
}

function checkCentreNumber(value: unknown): string {
  const number = typeof value === 'string' ? value.trim() : '';
  if (!isCentreNumber(number)) throw new CentreInvalidError('number', 'must be five digits');
  return number;
}

function checkCentreName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim().normalize('NFC') : '';
  if (name === '') throw new CentreInvalidError('name', 'is empty');
  if (CONTROL.test(name)) throw new CentreInvalidError('name', 'contains control characters');
  if ([...name].length > MAX_CENTRE_NAME_LENGTH) {
    throw new CentreInvalidError('name', `is longer than ${MAX_CENTRE_NAME_LENGTH} characters`);
  }
  return name;
}

/** `admin` or `user`; the Exams Officer role cannot be invited. */
function invitableRole(value: unknown): InvitableCentreRole {
  if (value === 'exams_officer') throw new ExamsOfficerProtectedError('assign');
  if (!(INVITABLE_CENTRE_ROLES as readonly unknown[]).includes(value)) {
    throw new CentreInvalidError('role', `"${String(value)}" is not an account type`);
  }
  return value as InvitableCentreRole;
}

function knownRole(value: unknown): CentreRole {
  if (!isCentreRole(value)) {
    throw new CentreInvalidError('role', `"${String(value)}" is not an account type`);
  }
  return value;
}

/** The permissions asked for, or the role's defaults; CentrePermissionNotAllowedError for any the role cannot hold. */
function allowedPermissions(
  role: CentreRole,
  requested: readonly string[] | undefined,
): CentrePermission[] {
  if (requested === undefined) return defaultPermissions(role);
  if (!Array.isArray(requested))
    throw new CentrePermissionNotAllowedError(role, [String(requested)]);
  const { allowed, refused } = checkPermissions(role, requested);
  if (refused.length > 0) throw new CentrePermissionNotAllowedError(role, refused);
  return allowed;
}

function samePermissions(a: readonly CentrePermission[], b: readonly CentrePermission[]): boolean {
  return a.length === b.length && a.every((p) => b.includes(p));
}

/** "Given Family", else the email, else `fallback`. */
function displayName(account: Account, fallback = 'Porth'): string {
  const name = [account.givenName, account.familyName]
    .filter((part): part is string => Boolean(part && part.trim()))
    .join(' ')
    .trim();
  return name || account.email || fallback;
}

function auditContext(context: ActorContext): {
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
} {
  return {
    actorId: context.actorId ?? null,
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
  };
}

import { isLocale, type Locale } from '../accounts/account.js';
import type { Clock } from '../clock.js';
import { dialectOf } from '../db/connect.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Executor } from '../db/transaction.js';
import {
  CentreAdminLimitError,
  CentreExistsError,
  CentreMemberDuplicateError,
  ConcurrentUpdateError,
  ExamsOfficerProtectedError,
} from '../errors.js';
import { randomId, type RandomSource } from '../random.js';
import {
  CENTRE_PERMISSIONS,
  CENTRE_ROLES,
  MAX_CENTRE_ADMINS,
  isCentrePermission,
  isCentreRole,
  type CentrePermission,
  type CentreRole,
} from './permissions.js';
import type {
  Centre,
  CentreClaim,
  CentreMember,
  CentreMemberStatus,
  CentreMembership,
} from './centre.js';
import type {
  CentreRepository,
  MembershipReadOptions,
  NewMembership,
} from './centre-repository.js';
import { normaliseEmail } from '../accounts/usernames.js';

const CENTRES = 'centres';
const MEMBERSHIPS = 'centre_memberships';

/** The Exams Officer's slot; Admins take 1..MAX_CENTRE_ADMINS; Users have none. */
const EXAMS_OFFICER_SLOT = 0;
const ADMIN_SLOTS = Array.from({ length: MAX_CENTRE_ADMINS }, (_, i) => i + 1);

interface CentreRow {
  number: string;
  name: string;
  created_at: number | string;
}

interface MembershipRow {
  id: string;
  centre_number: string;
  account_id: string | null;
  state: string;
  role: string;
  role_slot: number | string | null;
  permissions: string;
  email: string;
  email_key: string;
  given_name: string;
  family_name: string;
  locale: string;
  invited_by: string | null;
  invitation_expires_at: number | string | null;
  accepted_at: number | string | null;
  created_at: number | string;
  updated_at: number | string;
  version: number | string;
}

interface MemberRow extends MembershipRow {
  account_given_name: string | null;
  account_family_name: string | null;
  account_email: string | null;
  account_locale: string | null;
  account_status: string | null;
}

/** Which unique key an insert or update broke, read from the driver's message (it names the columns). */
function violatedKey(err: unknown): 'slot' | 'email' | 'account' | 'other' {
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes('role_slot')) return 'slot';
  if (message.includes('email_key')) return 'email';
  if (message.includes('account_id')) return 'account';
  return 'other';
}

/**
 * Centres and memberships in the `centres` and `centre_memberships` tables, on SQLite and
 * MySQL/MariaDB. Pass a transaction as `db` to make its writes part of a larger change.
 */
export class KnexCentreRepository implements CentreRepository {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Creates a centre; throws CentreExistsError when the number is taken. */
  async createCentre(number: string, name: string): Promise<Centre> {
    const now = this.clock.now().getTime();
    try {
      await this.db(CENTRES).insert({ number, name, created_at: now, updated_at: now });
    } catch (err) {
      if (isUniqueViolation(err)) throw new CentreExistsError();
      throw err;
    }
    return { number, name, createdAt: new Date(now) };
  }

  /** The centre with this number; null when there is none. */
  async findCentre(number: string): Promise<Centre | null> {
    if (typeof number !== 'string' || number.length > 5) return null;
    const row = (await this.db(CENTRES).where({ number }).first()) as CentreRow | undefined;
    return row ? { number: row.number, name: row.name, createdAt: toDate(row.created_at) } : null;
  }

  /** Stores a membership; the unique keys decide about the Exams Officer, Admins, emails and accounts. */
  async insertMembership(input: NewMembership): Promise<CentreMembership> {
    const now = this.clock.now().getTime();
    const row: MembershipRow = {
      id: randomId(this.random),
      centre_number: input.centreNumber,
      account_id: input.accountId,
      state: input.accountId === null ? 'invited' : 'active',
      role: input.role,
      role_slot: null,
      permissions: serialisePermissions(input.permissions),
      email: input.email,
      email_key: normaliseEmail(input.email),
      given_name: input.givenName,
      family_name: input.familyName,
      locale: input.locale,
      invited_by: input.invitedBy,
      invitation_expires_at: input.invitationExpiresAt?.getTime() ?? null,
      accepted_at: input.accountId === null ? null : now,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    const insert = async (slot: number | null): Promise<void> => {
      await this.db(MEMBERSHIPS).insert({ ...row, role_slot: slot });
    };
    try {
      if (input.role === 'admin') {
        row.role_slot = await this.takeAdminSlot(input.centreNumber, insert);
      } else {
        row.role_slot = input.role === 'exams_officer' ? EXAMS_OFFICER_SLOT : null;
        await insert(row.role_slot);
      }
    } catch (err) {
      throw await this.translateInsertError(err, input.centreNumber, row.email_key);
    }
    return toMembership(row);
  }

  /** The membership with this id at this centre; null when there is none. */
  async findMembership(centreNumber: string, id: string): Promise<CentreMembership | null> {
    if (!isId(id)) return null;
    const row = (await this.db(MEMBERSHIPS).where({ id, centre_number: centreNumber }).first()) as
      MembershipRow | undefined;
    return row ? toMembership(row) : null;
  }

  /** The membership with this id, at any centre; null when there is none. */
  async findMembershipById(id: string): Promise<CentreMembership | null> {
    if (!isId(id)) return null;
    const row = (await this.db(MEMBERSHIPS).where({ id }).first()) as MembershipRow | undefined;
    return row ? toMembership(row) : null;
  }

  /** The account's active membership of this centre; null when it has none. */
  async findActiveMembership(
    centreNumber: string,
    accountId: string,
    options: MembershipReadOptions = {},
  ): Promise<CentreMembership | null> {
    if (typeof centreNumber !== 'string' || !isId(accountId)) return null;
    let query = this.db(MEMBERSHIPS)
      .where({ centre_number: centreNumber, account_id: accountId, state: 'active' })
      .first();
    if (options.lock && this.db.isTransaction && dialectOf(this.db) === 'mysql') {
      query = query.forShare();
    }
    const row = (await query) as MembershipRow | undefined;
    return row ? toMembership(row) : null;
  }

  /** Whether the normalised email is already at the centre (a first check; insertMembership decides). */
  async emailAtCentre(
    centreNumber: string,
    emailKey: string,
  ): Promise<'member' | 'invited' | null> {
    const states = (await this.db(`${MEMBERSHIPS} as m`)
      .leftJoin('accounts as a', 'a.id', 'm.account_id')
      .where('m.centre_number', centreNumber)
      .where((q) =>
        q.where('m.email_key', emailKey).orWhere((active) =>
          active
            .where('m.state', 'active')
            .whereNot('a.status', 'deleted')
            .where((k) => k.where('a.email_key', emailKey).orWhere('a.username_key', emailKey)),
        ),
      )
      .pluck('m.state')) as string[];
    if (states.includes('active')) return 'member';
    return states.includes('invited') ? 'invited' : null;
  }

  /** Every membership of the centre whose account is not deleted, most senior first, then by name. */
  async listMembers(centreNumber: string, now: Date): Promise<CentreMember[]> {
    const rows = (await this.db(`${MEMBERSHIPS} as m`)
      .leftJoin('accounts as a', 'a.id', 'm.account_id')
      .where('m.centre_number', centreNumber)
      .where((q) => q.whereNull('m.account_id').orWhereNot('a.status', 'deleted'))
      .select(
        'm.*',
        'a.given_name as account_given_name',
        'a.family_name as account_family_name',
        'a.email as account_email',
        'a.locale as account_locale',
        'a.status as account_status',
      )) as MemberRow[];
    const members = rows.map((row) => toMember(row, now.getTime()));
    const collator = new Intl.Collator('en-GB', { sensitivity: 'base' });
    return members.sort(
      (a, b) =>
        CENTRE_ROLES.indexOf(a.role) - CENTRE_ROLES.indexOf(b.role) ||
        collator.compare(a.familyName, b.familyName) ||
        collator.compare(a.givenName, b.givenName) ||
        collator.compare(a.email, b.email) ||
        (a.id < b.id ? -1 : 1),
    );
  }

  /** Sets role and permissions if still at `expectedVersion`, taking or freeing an Admin slot. */
  async updateAccess(
    id: string,
    expectedVersion: number,
    role: CentreRole,
    permissions: readonly CentrePermission[],
  ): Promise<CentreMembership> {
    const current = await this.findMembershipById(id);
    if (!current || current.version !== expectedVersion) {
      throw new ConcurrentUpdateError('Centre membership');
    }
    if (current.role === 'exams_officer' && role !== 'exams_officer') {
      throw new ExamsOfficerProtectedError('change_role');
    }
    if (role === 'exams_officer' && current.role !== 'exams_officer') {
      throw new ExamsOfficerProtectedError('assign');
    }
    const guard = { id, version: expectedVersion, role: current.role };
    await this.assignRole(current.centreNumber, guard, current.role, role, permissions);
    return this.requireMembership(id);
  }

  /** Turns an invited row into an active membership, only if it is still invited. */
  async activateInvitation(id: string, accountId: string): Promise<CentreMembership | null> {
    if (!isId(id)) return null;
    const now = this.clock.now().getTime();
    let updated: number;
    try {
      updated = await this.db(MEMBERSHIPS)
        .where({ id, state: 'invited' })
        .update({
          state: 'active',
          account_id: accountId,
          accepted_at: now,
          updated_at: now,
          version: this.db.raw('?? + 1', ['version']),
        });
    } catch (err) {
      if (isUniqueViolation(err)) throw new CentreMemberDuplicateError('member');
      throw err;
    }
    return updated === 1 ? this.findMembershipById(id) : null;
  }

  /**
   * Gives an invitation that is still waiting (at `expectedVersion`) a new id and expiry, so
   * that links to the old id stop working; null when it is no longer an invitation at that version.
   */
  async renewInvitation(
    id: string,
    expectedVersion: number,
    expiresAt: Date,
  ): Promise<CentreMembership | null> {
    if (!isId(id)) return null;
    const newId = randomId(this.random);
    const updated = await this.db(MEMBERSHIPS)
      .where({ id, version: expectedVersion, state: 'invited' })
      .update({
        id: newId,
        invitation_expires_at: expiresAt.getTime(),
        updated_at: this.clock.now().getTime(),
        version: this.db.raw('?? + 1', ['version']),
      });
    return updated === 1 ? this.findMembershipById(newId) : null;
  }

  /** Deletes the row if it is still at `expectedVersion` and is not the Exams Officer's. */
  async deleteMembership(id: string, expectedVersion: number): Promise<boolean> {
    if (!isId(id)) return false;
    const deleted = await this.db(MEMBERSHIPS)
      .where({ id, version: expectedVersion })
      .whereNot('role', 'exams_officer')
      .delete();
    return deleted === 1;
  }

  /** Deletes expired invitations and memberships of deleted accounts (never the Exams Officer's). */
  async deleteStaleMemberships(centreNumber: string, now: Date): Promise<CentreMembership[]> {
    const stale = (await this.db(`${MEMBERSHIPS} as m`)
      .leftJoin('accounts as a', 'a.id', 'm.account_id')
      .where('m.centre_number', centreNumber)
      .whereNot('m.role', 'exams_officer')
      .where((q) =>
        q
          .where((invited) =>
            invited
              .where('m.state', 'invited')
              .where('m.invitation_expires_at', '<=', now.getTime()),
          )
          .orWhere((gone) => gone.where('m.state', 'active').where('a.status', 'deleted')),
      )
      .select('m.*')) as MembershipRow[];
    const deleted: CentreMembership[] = [];
    for (const row of stale) {
      const count = await this.db(MEMBERSHIPS)
        .where({ id: row.id, version: row.version })
        .whereNot('role', 'exams_officer')
        .delete();
      if (count === 1) deleted.push(toMembership(row));
    }
    return deleted;
  }

  /** Hands the Exams Officer role over inside the caller's transaction (see the interface). */
  async transferExamsOfficer(input: {
    readonly centreNumber: string;
    readonly fromId: string;
    readonly toId: string;
    readonly toVersion: number;
    readonly toPermissions: readonly CentrePermission[];
    readonly formerRole: 'admin' | 'user';
    readonly formerPermissions: readonly CentrePermission[];
  }): Promise<{ readonly from: CentreMembership; readonly to: CentreMembership }> {
    if (!this.db.isTransaction) {
      throw new Error('transferExamsOfficer must run inside a transaction');
    }
    const now = this.clock.now().getTime();
    const bump = { updated_at: now, version: this.db.raw('?? + 1', ['version']) };
    // 1. The Exams Officer steps down to User for a moment, freeing slot 0.
    const freed = await this.db(MEMBERSHIPS)
      .where({
        id: input.fromId,
        centre_number: input.centreNumber,
        role: 'exams_officer',
        state: 'active',
      })
      .update({ role: 'user', role_slot: null, ...bump });
    if (freed !== 1) throw new ConcurrentUpdateError('Exams Officer membership');
    // 2. The new Exams Officer takes slot 0 (giving up an Admin slot if it had one).
    let taken: number;
    try {
      taken = await this.db(MEMBERSHIPS)
        .where({
          id: input.toId,
          centre_number: input.centreNumber,
          version: input.toVersion,
          state: 'active',
        })
        .whereNot('role', 'exams_officer')
        .update({
          role: 'exams_officer',
          role_slot: EXAMS_OFFICER_SLOT,
          permissions: serialisePermissions(input.toPermissions),
          ...bump,
        });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConcurrentUpdateError('Exams Officer membership');
      throw err;
    }
    if (taken !== 1) throw new ConcurrentUpdateError('Centre membership');
    // 3. The former Exams Officer takes the role they asked for.
    const from = await this.requireMembership(input.fromId);
    await this.assignRole(
      input.centreNumber,
      { id: input.fromId, version: from.version, role: 'user' },
      'user',
      input.formerRole,
      input.formerPermissions,
    );
    return {
      from: await this.requireMembership(input.fromId),
      to: await this.requireMembership(input.toId),
    };
  }

  /** How many active memberships the account has, at every centre. */
  async countActiveMemberships(accountId: string): Promise<number> {
    if (!isId(accountId)) return 0;
    const row = (await this.db(MEMBERSHIPS)
      .where({ account_id: accountId, state: 'active' })
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  /** The account's centres for the ID token, ordered by centre number. */
  async claimsOf(accountId: string): Promise<CentreClaim[]> {
    if (!isId(accountId)) return [];
    const rows = (await this.db(`${MEMBERSHIPS} as m`)
      .join(`${CENTRES} as c`, 'c.number', 'm.centre_number')
      .where({ 'm.account_id': accountId, 'm.state': 'active' })
      .orderBy('c.number')
      .select('c.number', 'c.name', 'm.role', 'm.permissions', 'm.id')) as {
      number: string;
      name: string;
      role: string;
      permissions: string;
      id: string;
    }[];
    return rows.map((row) => ({
      number: row.number,
      name: row.name,
      role: parseRole(row.id, row.role),
      permissions: parsePermissions(row.permissions),
    }));
  }

  /**
   * Moves a row from role `from` to role `to` with `permissions`, guarded by id, version and
   * role. Becoming an Admin tries the free slots (the unique key decides); otherwise the slot
   * follows the role. 0 rows → ConcurrentUpdateError.
   */
  private async assignRole(
    centreNumber: string,
    guard: { readonly id: string; readonly version: number; readonly role: CentreRole },
    from: CentreRole,
    to: CentreRole,
    permissions: readonly CentrePermission[],
  ): Promise<void> {
    const set = {
      role: to,
      permissions: serialisePermissions(permissions),
      updated_at: this.clock.now().getTime(),
      version: this.db.raw('?? + 1', ['version']),
    };
    const update = async (slot: number | null | undefined): Promise<void> => {
      const updated = await this.db(MEMBERSHIPS)
        .where(guard)
        .update(slot === undefined ? set : { ...set, role_slot: slot });
      if (updated !== 1) throw new ConcurrentUpdateError('Centre membership');
    };
    if (to === 'admin' && from !== 'admin') {
      try {
        await this.takeAdminSlot(centreNumber, update);
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConcurrentUpdateError('Centre membership');
        throw err;
      }
    } else if (to === from) {
      await update(undefined);
    } else {
      await update(to === 'exams_officer' ? EXAMS_OFFICER_SLOT : null);
    }
  }

  /**
   * Runs `write(slot)` with each Admin slot that looks free, until one is not refused by the
   * unique key on (centre_number, role_slot); CentreAdminLimitError when none is left. Which
   * slots are taken is read first only as a hint.
   */
  private async takeAdminSlot(
    centreNumber: string,
    write: (slot: number) => Promise<void>,
  ): Promise<number> {
    const taken = new Set(
      (
        (await this.db(MEMBERSHIPS)
          .where('centre_number', centreNumber)
          .whereNotNull('role_slot')
          .pluck('role_slot')) as (number | string)[]
      ).map(Number),
    );
    for (const slot of ADMIN_SLOTS) {
      if (taken.has(slot)) continue;
      try {
        await write(slot);
        return slot;
      } catch (err) {
        if (isUniqueViolation(err) && violatedKey(err) === 'slot') continue;
        throw err;
      }
    }
    throw new CentreAdminLimitError(MAX_CENTRE_ADMINS);
  }

  /** The domain error for a unique key an insert broke; other errors pass through. */
  private async translateInsertError(
    err: unknown,
    centreNumber: string,
    emailKey: string,
  ): Promise<unknown> {
    if (!isUniqueViolation(err)) return err;
    switch (violatedKey(err)) {
      case 'slot':
        return new ExamsOfficerProtectedError('assign');
      case 'email': {
        let query = this.db(MEMBERSHIPS)
          .where({ centre_number: centreNumber, email_key: emailKey })
          .first('state');
        if (this.db.isTransaction && dialectOf(this.db) === 'mysql') query = query.forShare();
        const row = (await query) as { state: string } | undefined;
        return new CentreMemberDuplicateError(row?.state === 'active' ? 'member' : 'invited');
      }
      case 'account':
        return new CentreMemberDuplicateError('member');
      default:
        return err;
    }
  }

  private async requireMembership(id: string): Promise<CentreMembership> {
    const membership = await this.findMembershipById(id);
    if (!membership) throw new ConcurrentUpdateError('Centre membership');
    return membership;
  }
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 32;
}

function toDate(value: number | string): Date {
  return new Date(Number(value));
}

function toDateOrNull(value: number | string | null): Date | null {
  return value === null ? null : new Date(Number(value));
}

/** Permissions as stored: a JSON array in form order, without duplicates. */
function serialisePermissions(permissions: readonly CentrePermission[]): string {
  return JSON.stringify(CENTRE_PERMISSIONS.filter((p) => permissions.includes(p)));
}

/** Stored permissions back as a list in form order; names no longer known are dropped. */
function parsePermissions(text: string): CentrePermission[] {
  const value: unknown = JSON.parse(text);
  const list = Array.isArray(value) ? value : [];
  return CENTRE_PERMISSIONS.filter((p) => list.includes(p) && isCentrePermission(p));
}

function parseRole(id: string, role: string): CentreRole {
  if (!isCentreRole(role)) throw new Error(`Centre membership ${id} has an unknown role "${role}"`);
  return role;
}

function parseLocale(id: string, locale: string): Locale {
  if (!isLocale(locale)) {
    throw new Error(`Centre membership ${id} has an unknown locale "${locale}"`);
  }
  return locale;
}

function toMembership(row: MembershipRow): CentreMembership {
  if (row.state !== 'invited' && row.state !== 'active') {
    throw new Error(`Centre membership ${row.id} has an unknown state "${row.state}"`);
  }
  return {
    id: row.id,
    centreNumber: row.centre_number,
    accountId: row.account_id,
    state: row.state,
    role: parseRole(row.id, row.role),
    permissions: parsePermissions(row.permissions),
    email: row.email,
    givenName: row.given_name,
    familyName: row.family_name,
    locale: parseLocale(row.id, row.locale),
    invitedBy: row.invited_by,
    invitationExpiresAt: toDateOrNull(row.invitation_expires_at),
    acceptedAt: toDateOrNull(row.accepted_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: Number(row.version),
  };
}

function toMember(row: MemberRow, now: number): CentreMember {
  const membership = toMembership(row);
  let status: CentreMemberStatus;
  if (membership.state === 'invited') {
    const expires = membership.invitationExpiresAt?.getTime() ?? Infinity;
    status = expires <= now ? 'invitation_expired' : 'invited';
  } else {
    status = row.account_status === 'active' ? 'active' : 'disabled';
  }
  const account = membership.state === 'active';
  return {
    id: membership.id,
    centreNumber: membership.centreNumber,
    accountId: membership.accountId,
    role: membership.role,
    permissions: membership.permissions,
    givenName: (account ? row.account_given_name : null) ?? membership.givenName,
    familyName: (account ? row.account_family_name : null) ?? membership.familyName,
    email: (account ? row.account_email : null) ?? membership.email,
    locale:
      account && row.account_locale && isLocale(row.account_locale)
        ? row.account_locale
        : membership.locale,
    status,
    invitationExpiresAt: membership.invitationExpiresAt,
    acceptedAt: membership.acceptedAt,
    version: membership.version,
  };
}

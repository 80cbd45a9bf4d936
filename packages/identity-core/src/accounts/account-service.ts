import { KnexAuditLog } from '../audit/knex-audit-log.js';
import type { AuditLog, RequestContext } from '../audit/audit-event.js';
import type { Clock } from '../clock.js';
import { transaction, type Executor } from '../db/transaction.js';
import type { RandomSource } from '../random.js';
import type { Account, AccountKind, AccountStatus, Locale, RequiredAction } from './account.js';
import { InvalidProfileError } from '../errors.js';
import type { AccountRepository, ProfileUpdate } from './account-repository.js';
import { KnexAccountRepository } from './knex-account-repository.js';
import {
  validateProfileChanges,
  type ProfileChanges,
  type ValidProfileChanges,
} from './profile.js';

/** Who asked for a change and from where, for the audit log. */
export interface ActorContext extends RequestContext {
  /** The account that acted (support staff, a centre admin, the user themselves); null for the system. */
  readonly actorId?: string | null;
}

/** What is needed to create an active account through the service. */
export interface CreateAccountInput {
  readonly kind: AccountKind;
  readonly username: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly email: string;
  readonly emailVerified?: boolean;
  readonly phone?: string | null;
  readonly teachingCentre?: string | null;
  readonly locale?: Locale | string;
  readonly profileExtra?: Readonly<Record<string, unknown>>;
  readonly requiredActions?: readonly RequiredAction[];
}

/** Builds the repository and audit log that one transaction writes through. */
export interface AccountStores {
  readonly accounts: AccountRepository;
  readonly audit: AuditLog;
}

/**
 * Account changes that are validated and audited: each runs in one transaction together with its
 * audit event, so a change is never stored without its event, nor an event without its change.
 */
export class AccountService {
  private readonly stores: (trx: Executor) => AccountStores;

  constructor(
    private readonly db: Executor,
    clock: Clock,
    random: RandomSource,
    stores?: (trx: Executor) => AccountStores,
  ) {
    this.stores =
      stores ??
      ((trx) => ({
        accounts: new KnexAccountRepository(trx, clock, random),
        audit: new KnexAuditLog(trx, clock),
      }));
  }

  /**
   * Creates an active account after validating its profile (throws InvalidProfileError with
   * English and Welsh messages per field) and records `account.created`.
   */
  async create(input: CreateAccountInput, context: ActorContext = {}): Promise<Account> {
    const profile = validated({
      givenName: input.givenName,
      familyName: input.familyName,
      email: input.email,
      phone: input.phone ?? null,
      teachingCentre: input.teachingCentre ?? null,
      locale: input.locale ?? 'en',
    });
    return transaction(this.db, async (trx) => {
      const { accounts, audit } = this.stores(trx);
      const account = await accounts.createActive({
        kind: input.kind,
        username: input.username,
        givenName: profile.givenName ?? null,
        familyName: profile.familyName ?? null,
        email: profile.email ?? null,
        emailVerified: input.emailVerified ?? false,
        phone: profile.phone ?? null,
        teachingCentre: profile.teachingCentre ?? null,
        locale: profile.locale ?? 'en',
        profileExtra: input.profileExtra,
        requiredActions: input.requiredActions,
      });
      await audit.append({
        ...auditContext(context),
        type: 'account.created',
        outcome: 'success',
        accountId: account.id,
        details: { kind: account.kind, requiredActions: [...(input.requiredActions ?? [])] },
      });
      return account;
    });
  }

  /**
   * Changes the fields present in `changes` if the account is still at `expectedVersion`
   * (ConcurrentUpdateError otherwise) and records `account.profile_updated` with the names —
   * not the values — of the fields that changed.
   */
  async updateProfile(
    id: string,
    expectedVersion: number,
    changes: ProfileChanges,
    context: ActorContext = {},
  ): Promise<Account> {
    const clean = validated(changes);
    return transaction(this.db, async (trx) => {
      const { accounts, audit } = this.stores(trx);
      const before = await accounts.findById(id);
      const update: ProfileUpdate = clean;
      const after = await accounts.updateProfile(id, expectedVersion, update);
      const fields = before ? changedFields(before, after) : Object.keys(clean);
      await audit.append({
        ...auditContext(context),
        type: 'account.profile_updated',
        outcome: 'success',
        accountId: id,
        details: { fields },
      });
      return after;
    });
  }

  /**
   * Moves the account from status `from` to `to` (see STATUS_TRANSITIONS), guarded by `from`,
   * and records `account.status_changed`; a move to `deleted` is a soft delete.
   */
  async changeStatus(
    id: string,
    from: AccountStatus,
    to: AccountStatus,
    context: ActorContext & { readonly reason?: string } = {},
  ): Promise<Account> {
    if (to === 'deleted') return this.softDelete(id, from, context);
    return transaction(this.db, async (trx) => {
      const { accounts, audit } = this.stores(trx);
      const account = await accounts.changeStatus(id, from, to);
      await audit.append({
        ...auditContext(context),
        type: 'account.status_changed',
        outcome: 'success',
        accountId: id,
        details: { from, to, ...(context.reason ? { reason: context.reason } : {}) },
      });
      return account;
    });
  }

  /**
   * Soft-deletes an account still in status `from` (it keeps its record but never signs in and
   * frees its username and email) and records `account.deleted`.
   */
  async softDelete(
    id: string,
    from: AccountStatus,
    context: ActorContext & { readonly reason?: string } = {},
  ): Promise<Account> {
    return transaction(this.db, async (trx) => {
      const { accounts, audit } = this.stores(trx);
      const account = await accounts.softDelete(id, from);
      await audit.append({
        ...auditContext(context),
        type: 'account.deleted',
        outcome: 'success',
        accountId: id,
        details: { from, ...(context.reason ? { reason: context.reason } : {}) },
      });
      return account;
    });
  }
}

function validated(changes: ProfileChanges): ValidProfileChanges {
  const { value, issues } = validateProfileChanges(changes);
  if (issues.length > 0) throw new InvalidProfileError(issues);
  return value;
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

const PROFILE_KEYS = [
  'givenName',
  'familyName',
  'email',
  'phone',
  'teachingCentre',
  'locale',
] as const;

function changedFields(before: Account, after: Account): string[] {
  const fields: string[] = PROFILE_KEYS.filter((k) => before[k] !== after[k]);
  if (JSON.stringify(before.profileExtra) !== JSON.stringify(after.profileExtra))
    fields.push('profileExtra');
  return fields;
}

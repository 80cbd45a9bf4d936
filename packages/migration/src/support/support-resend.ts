/**
 * "Resend the temporary password" from the support console: a support person sends a migrated
 * user a new temporary password without the user's resend token (the user has lost the email, or
 * it never arrived). The same rules as the user's own resend decide when it is allowed.
 */
import type { Knex } from 'knex';
import {
  KnexAccountRepository,
  KnexAuditLog,
  generateTemporaryPassword,
  isEmailAddress,
  transaction,
  type Account,
  type Clock,
  type MailOutbox,
  type PasswordHasher,
  type RandomSource,
  type RequestContext,
} from '@porth/identity-core';
import type { MigrationSettings } from '../defaults.js';
import { KnexMigrationFlowRepository } from '../flow/knex-migration-flow-repository.js';
import { maskEmail } from '../flow/migration-flow.js';
import type { MigrationRecord } from '../flow/states.js';
import { withTemporaryPassword } from '../flow/transitions.js';

/** What a support resend needs: the migration flow's own dependencies, less throttling. */
export interface SupportResendDependencies {
  /** A knex instance (not a transaction): the resend runs its own transaction. */
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Makes the argon2id hash of the new temporary password. */
  readonly hasher: PasswordHasher;
  /** The email goes through the outbox, in the same transaction as the new password. */
  readonly outbox: MailOutbox;
  /** The sign-in page (in the email) and how long a temporary password works. */
  readonly settings: Pick<MigrationSettings, 'signInUrl' | 'temporaryPasswordLifetimeMs'>;
}

/** A support person's request to send an account a new temporary password. */
export interface SupportResendRequest extends RequestContext {
  /** The migrated account. */
  readonly accountId: string;
  /** The support person: must be an active `staff` account. */
  readonly actorId: string;
  /** Why, for the audit log (at most 500 characters are kept). */
  readonly reason?: string;
}

/** The answer of resendTemporaryPasswordForSupport. */
export type SupportResendResult =
  /** A new temporary password was emailed to the account's address; the previous one no longer works. */
  | {
      readonly outcome: 'sent';
      /** The address it went to, partly hidden (`s***@example.org`). */
      readonly emailedTo: string;
      readonly temporaryPasswordExpiresAt: Date;
    }
  /**
   * Nothing to resend: the account is not a migrated account whose temporary password is still
   * unused (nobody has signed in since the migration), is not active, or has no usable email.
   */
  | { readonly outcome: 'not_available' }
  /** The actor is not an active staff account; nothing was changed. */
  | { readonly outcome: 'not_allowed' };

/**
 * True while a temporary password may be sent again: the account is active and migrated, its
 * password is still the temporary one, and nobody has signed in since the migration.
 */
export function temporaryPasswordResendable(
  account: Account,
  record: MigrationRecord | null,
): boolean {
  if (!record || record.state !== 'migrated' || record.firstSignInAt !== null) return false;
  if (account.status !== 'active' || !account.passwordTemporary) return false;
  if (account.email === null || !isEmailAddress(account.email.trim())) return false;
  const migratedAt = record.migratedAt?.getTime() ?? 0;
  return account.lastSignInAt === null || account.lastSignInAt.getTime() < migratedAt;
}

/**
 * Sends a migrated account a new temporary password on a support person's request, in one
 * transaction: the new password (argon2id, expiring) replaces the old one, the migration record
 * counts the resend, the `migration_temporary_password` email is queued in the user's language,
 * and `migration.temporary_password_resent` is audited with the support person as actor. The
 * actor is checked to be an active staff account first (`not_allowed` otherwise). Not counted
 * against the user's own resend limit.
 *
 * @example
 * const result = await resendTemporaryPasswordForSupport(
 *   { db, clock, random, hasher, outbox, settings: { signInUrl, temporaryPasswordLifetimeMs } },
 *   { accountId, actorId: staff.id, ip, userAgent },
 * );
 * if (result.outcome === 'sent') show(result.emailedTo);
 */
export async function resendTemporaryPasswordForSupport(
  deps: SupportResendDependencies,
  request: SupportResendRequest,
): Promise<SupportResendResult> {
  const { db, clock, random } = deps;
  const accounts = new KnexAccountRepository(db, clock, random);
  const actor = await accounts.findById(request.actorId);
  if (!isActiveStaff(actor)) return { outcome: 'not_allowed' };
  const before = await accounts.findById(request.accountId);
  const records = new KnexMigrationFlowRepository(db, clock);
  if (!before || !temporaryPasswordResendable(before, await records.find(before.id))) {
    return { outcome: 'not_available' };
  }

  // argon2id is slow: hash before the transaction so that it stays short.
  const temporaryPassword = generateTemporaryPassword(random, {
    username: before.username,
    legacyUsername: before.legacyUsername,
    email: before.email,
    givenName: before.givenName,
    familyName: before.familyName,
  });
  const temporaryHash = await deps.hasher.hash(temporaryPassword);

  return transaction(db, async (trx): Promise<SupportResendResult> => {
    const trxRecords = new KnexMigrationFlowRepository(trx, clock);
    // Lock the record first (as the user's own resend does), then decide on fresh rows.
    const record = await trxRecords.lock(before.id);
    const trxAccounts = new KnexAccountRepository(trx, clock, random);
    if (!isActiveStaff(await trxAccounts.findById(request.actorId))) {
      return { outcome: 'not_allowed' };
    }
    const account = await trxAccounts.findById(before.id);
    if (!account || !record || !temporaryPasswordResendable(account, record)) {
      return { outcome: 'not_available' };
    }
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + deps.settings.temporaryPasswordLifetimeMs);
    await trxAccounts.setPasswordHash(account.id, temporaryHash, { temporary: true, expiresAt });
    const saved = await trxRecords.save(record, withTemporaryPassword(record, now, expiresAt));
    const email = (account.email ?? '').trim();
    await deps.outbox.enqueue(trx, {
      to: email,
      template: 'migration_temporary_password',
      locale: account.locale,
      accountId: account.id,
      data: {
        name: [account.givenName, account.familyName].filter(Boolean).join(' '),
        newUsername: account.username ?? '',
        temporaryPassword,
        signInUrl: deps.settings.signInUrl,
        expiresAt,
      },
    });
    await new KnexAuditLog(trx, clock).append({
      type: 'migration.temporary_password_resent',
      outcome: 'success',
      accountId: account.id,
      actorId: request.actorId,
      ip: request.ip ?? null,
      userAgent: request.userAgent ?? null,
      details: {
        by: 'support',
        resends: saved.temporaryPasswordResends,
        ...(request.reason ? { reason: request.reason.slice(0, 500) } : {}),
      },
    });
    return { outcome: 'sent', emailedTo: maskEmail(email), temporaryPasswordExpiresAt: expiresAt };
  });
}

function isActiveStaff(account: Account | null): boolean {
  return account !== null && account.kind === 'staff' && account.status === 'active';
}

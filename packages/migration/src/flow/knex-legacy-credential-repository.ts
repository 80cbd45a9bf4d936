import { dialectOf, type Clock, type Executor } from '@porth/identity-core';

/** What lockLegacyAccount reads. */
export interface LockedAccount {
  readonly status: string;
  /** The stored password hash: the legacy hash while the account is `legacy`. */
  readonly passwordHash: string | null;
}

const TABLE = 'legacy_credentials';

/**
 * The legacy password of migrated accounts, as argon2id, in `legacy_credentials`. It is kept only so
 * that the right legacy username and password can show the new username again; no sign-in
 * ever reads it (the accounts table holds the new password). Pass a transaction as `db`.
 */
export class KnexLegacyCredentialRepository {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {}

  /**
   * Reads an account's status and stored hash and, on MySQL/MariaDB, locks its row until the
   * transaction ends (`SELECT … FOR UPDATE`), so that concurrent migrations of one account
   * queue behind each other and each sees what the one before it committed. Null when there
   * is no such account.
   */
  async lockAccount(accountId: string): Promise<LockedAccount | null> {
    let query = this.db('accounts').select('status', 'password_hash').where('id', accountId);
    if (dialectOf(this.db) === 'mysql') query = query.forUpdate();
    const row = (await query.first()) as
      { status: string; password_hash: string | null } | undefined;
    return row ? { status: row.status, passwordHash: row.password_hash } : null;
  }

  /** Keeps `hash` (of the legacy password) for the account, replacing one kept before. */
  async keep(accountId: string, hash: string): Promise<void> {
    const now = this.clock.now().getTime();
    const insert = this.db(TABLE)
      .insert({ account_id: accountId, password_hash: hash, created_at: now, updated_at: now })
      .onConflict('account_id');
    await insert.merge({ password_hash: hash, updated_at: now });
  }

  /** The hash of the legacy password kept for a migrated account; null when none was kept. */
  async find(accountId: string): Promise<string | null> {
    const row = (await this.db(TABLE)
      .select('password_hash')
      .where('account_id', accountId)
      .first()) as { password_hash: string } | undefined;
    return row?.password_hash ?? null;
  }
}

import { createHash } from 'node:crypto';
import { isUniqueViolation, type Clock, type Executor } from '@porth/identity-core';

const TABLE = 'rp_sessions';

/** The prefix of the ids of rows that only remember a used logout token (never a session). */
const LOGOUT_TOKEN_PREFIX = 'jti.';

interface RpSessionRow {
  id: string;
  app: string;
  account_id: string | null;
  sid: string | null;
  sealed: string;
  created_at: number | string;
  expires_at: number | string;
}

/** One row of `rp_sessions`: a signed-in session of a built-in application, or a sign-in in progress. */
export interface RpSessionRecord {
  /** Random; the value of the application's session cookie. */
  readonly id: string;
  /** `amp` or `portal`. */
  readonly app: string;
  /** The signed-in account (the ID token's `sub`); null while the sign-in is still pending. */
  readonly accountId: string | null;
  /** The provider session's id (the ID token's `sid`), for back-channel logout. */
  readonly sid: string | null;
  /** The tokens (or the pending request), sealed with SealedBox; opened by the caller. */
  readonly sealed: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** What is stored for a new row. */
export interface NewRpSession {
  readonly id: string;
  readonly app: string;
  readonly accountId: string | null;
  readonly sid: string | null;
  readonly sealed: string;
  readonly expiresAt: Date;
}

function toRecord(row: RpSessionRow): RpSessionRecord {
  return {
    id: row.id,
    app: row.app,
    accountId: row.account_id,
    sid: row.sid,
    sealed: row.sealed,
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
  };
}

/**
 * The sessions of the relying applications built into the portal (AMP, Portal), in the
 * `rp_sessions` table, so that any portal process can serve any request. The table also holds
 * short-lived markers of back-channel logout tokens already used (ids starting `jti.`, nothing
 * sealed), so that a replayed token is refused by the primary key.
 */
export class KnexRpSessions {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {}

  /** Stores a new row. */
  async insert(session: NewRpSession): Promise<void> {
    await this.db(TABLE).insert({
      id: session.id,
      app: session.app,
      account_id: session.accountId,
      sid: session.sid,
      sealed: session.sealed,
      created_at: this.clock.now().getTime(),
      expires_at: session.expiresAt.getTime(),
    });
  }

  /** The live (unexpired) row of `app` with this id; null when there is none. */
  async find(app: string, id: string): Promise<RpSessionRecord | null> {
    if (!isSessionId(id)) return null;
    const row = (await this.db<RpSessionRow>(TABLE)
      .where({ id, app })
      .where('expires_at', '>', this.clock.now().getTime())
      .first()) as RpSessionRow | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * Removes and returns the live pending sign-in (no account yet) of `app` with this id, exactly
   * once: of two concurrent callers only the one whose DELETE removed the row gets it (a sign-in
   * callback replayed or raced gets null). A signed-in session is never taken.
   */
  async takePending(app: string, id: string): Promise<RpSessionRecord | null> {
    const found = await this.find(app, id);
    if (!found || found.accountId !== null) return null;
    const deleted = await this.db(TABLE).where({ id, app }).whereNull('account_id').delete();
    return deleted === 1 ? found : null;
  }

  /**
   * Replaces the sealed contents of a live row, only if they are still `expected` (what the
   * caller read): false when the row has gone (signed out meanwhile) or another request changed
   * it first.
   */
  async updateSealed(app: string, id: string, sealed: string, expected: string): Promise<boolean> {
    if (!isSessionId(id)) return false;
    const updated = await this.db(TABLE)
      .where({ id, app, sealed: expected })
      .where('expires_at', '>', this.clock.now().getTime())
      .update({ sealed });
    return updated === 1;
  }

  /** Deletes one row; true when it existed. */
  async delete(app: string, id: string): Promise<boolean> {
    if (!isSessionId(id)) return false;
    return (await this.db(TABLE).where({ id, app }).delete()) === 1;
  }

  /**
   * Deletes the sessions of `app` that a back-channel logout names: those of the provider
   * session `sid` (and of `accountId` too, when both are given), or every session of
   * `accountId` when only it is given. Returns how many were deleted.
   */
  async deleteForLogout(
    app: string,
    target: { readonly sid?: string; readonly accountId?: string },
  ): Promise<number> {
    if (!target.sid && !target.accountId) return 0;
    const query = this.db(TABLE).where({ app });
    if (target.sid) query.where({ sid: target.sid });
    if (target.accountId) query.where({ account_id: target.accountId });
    return query.delete();
  }

  /** Deletes every session of an account in every application ("sign out everywhere"). */
  async deleteAllOfAccount(accountId: string): Promise<number> {
    return this.db(TABLE).where({ account_id: accountId }).delete();
  }

  /** How many live sessions an account has in `app`. */
  async countForAccount(app: string, accountId: string): Promise<number> {
    const row = (await this.db(TABLE)
      .where({ app, account_id: accountId })
      .where('expires_at', '>', this.clock.now().getTime())
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  /**
   * Remembers that a logout token (its `jti`, for `app`) was used, until `expiresAt`. Returns
   * false when it was already used: the primary key refuses the second insert, so of two
   * concurrent deliveries only one is accepted.
   */
  async rememberLogoutToken(app: string, jti: string, expiresAt: Date): Promise<boolean> {
    const digest = createHash('sha256').update(`${app}\n${jti}`, 'utf8').digest('base64url');
    try {
      await this.db(TABLE).insert({
        id: `${LOGOUT_TOKEN_PREFIX}${digest}`,
        app,
        account_id: null,
        sid: null,
        sealed: '',
        created_at: this.clock.now().getTime(),
        expires_at: expiresAt.getTime(),
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Deletes rows that expired before now (sessions, pending sign-ins, used-token markers). */
  async deleteExpired(): Promise<number> {
    return this.db(TABLE).where('expires_at', '<=', this.clock.now().getTime()).delete();
  }
}

/** Session and pending ids are 256-bit random base64url strings (43 characters). */
function isSessionId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{43}$/.test(id);
}

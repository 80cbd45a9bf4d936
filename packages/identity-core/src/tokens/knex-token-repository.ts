import type { Clock } from '../clock.js';
import type { Executor } from '../db/transaction.js';
import { randomSecret, type RandomSource } from '../random.js';
import {
  DEFAULT_TOKEN_LIFETIME_MS,
  MAX_TOKEN_PURPOSE_LENGTH,
  TOKEN_BYTES,
  hashToken,
  isValidTokenPurpose,
  isWellFormedToken,
  type IssueTokenInput,
  type IssuedToken,
  type OneTimeTokens,
  type TokenContents,
} from './one-time-token.js';

interface TokenRow {
  token_hash: string;
  purpose: string;
  account_id: string | null;
  data: string | null;
  created_at: number | string;
  expires_at: number | string;
  consumed_at: number | string | null;
}

const TABLE = 'one_time_tokens';

/**
 * One-time tokens in the `one_time_tokens` table, keyed by SHA-256(token). `consume` is a
 * guarded `UPDATE … WHERE consumed_at IS NULL AND expires_at > now` whose affected-row count
 * decides, so it is exactly-once across processes, inside or outside a caller's transaction.
 *
 * @example
 * const tokens = new KnexTokenRepository(db, systemClock, cryptoRandom);
 * const { token } = await tokens.issue({ purpose: 'password_reset', accountId });
 * const found = await tokens.consume('password_reset', tokenFromLink); // null when not valid
 */
export class KnexTokenRepository implements OneTimeTokens {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /**
   * Issues a new 256-bit token and stores only its hash. Throws RangeError for a purpose that is
   * empty or longer than 40 characters, or a lifetime that is not a positive whole number.
   */
  async issue<D extends object>(input: IssueTokenInput<D>): Promise<IssuedToken> {
    if (!isValidTokenPurpose(input.purpose)) {
      throw new RangeError(`purpose must be 1–${MAX_TOKEN_PURPOSE_LENGTH} characters`);
    }
    const lifetimeMs = input.lifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS;
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0) {
      throw new RangeError('lifetimeMs must be a positive whole number of milliseconds');
    }
    const token = randomSecret(this.random, TOKEN_BYTES);
    const now = this.clock.now().getTime();
    const expiresAt = now + lifetimeMs;
    await this.db(TABLE).insert({
      token_hash: hashToken(token),
      purpose: input.purpose,
      account_id: input.accountId ?? null,
      data: input.data === undefined || input.data === null ? null : JSON.stringify(input.data),
      created_at: now,
      expires_at: expiresAt,
      consumed_at: null,
    });
    return { token, expiresAt: new Date(expiresAt) };
  }

  /**
   * Uses the token up: returns its account and data to exactly one caller, then null to every
   * later or concurrent one. Unknown, expired, used, revoked, wrong-purpose or malformed → null.
   */
  async consume<D extends object = Record<string, unknown>>(
    purpose: string,
    token: string,
  ): Promise<TokenContents<D> | null> {
    const tokenHash = lookupHash(purpose, token);
    if (tokenHash === null) return null;
    const now = this.clock.now().getTime();
    const updated = await this.db(TABLE)
      .where({ token_hash: tokenHash, purpose })
      .whereNull('consumed_at')
      .where('expires_at', '>', now)
      .update({ consumed_at: now });
    if (updated !== 1) return null;
    // Only this caller got here. The row's account and data never change after issue, so
    // reading them now (in the caller's transaction, if any) returns what was consumed.
    const row = (await this.db<TokenRow>(TABLE).where({ token_hash: tokenHash }).first()) as
      TokenRow | undefined;
    return row ? toContents<D>(row) : null;
  }

  /** Returns what the token stands for if it would be accepted now; does not use it up. */
  async peek<D extends object = Record<string, unknown>>(
    purpose: string,
    token: string,
  ): Promise<TokenContents<D> | null> {
    const tokenHash = lookupHash(purpose, token);
    if (tokenHash === null) return null;
    const row = (await this.db<TokenRow>(TABLE)
      .where({ token_hash: tokenHash, purpose })
      .whereNull('consumed_at')
      .where('expires_at', '>', this.clock.now().getTime())
      .first()) as TokenRow | undefined;
    return row ? toContents<D>(row) : null;
  }

  /**
   * Voids every unused token of `purpose` for the account (marks it used), so a new reset link
   * or invitation replaces the older ones. Call it before issue, in the same transaction.
   */
  async revoke(purpose: string, accountId: string): Promise<number> {
    if (!isValidTokenPurpose(purpose) || typeof accountId !== 'string') return 0;
    return this.db(TABLE)
      .where({ purpose, account_id: accountId })
      .whereNull('consumed_at')
      .update({ consumed_at: this.clock.now().getTime() });
  }

  /** Removes tokens whose lifetime has ended, used or not, in batches; returns how many. */
  async deleteExpired(batch = 1000): Promise<number> {
    const now = this.clock.now().getTime();
    let total = 0;
    for (;;) {
      const hashes = (await this.db(TABLE)
        .where('expires_at', '<=', now)
        .limit(batch)
        .pluck('token_hash')) as string[];
      if (hashes.length === 0) return total;
      total += await this.db(TABLE)
        .whereIn('token_hash', hashes)
        .where('expires_at', '<=', now)
        .delete();
      if (hashes.length < batch) return total;
    }
  }
}

/** The hash to look a token up by, or null when the input cannot be a valid token. */
function lookupHash(purpose: unknown, token: unknown): string | null {
  if (!isValidTokenPurpose(purpose) || !isWellFormedToken(token)) return null;
  return hashToken(token);
}

function toContents<D extends object>(row: TokenRow): TokenContents<D> {
  return {
    accountId: row.account_id,
    data: row.data === null ? null : (JSON.parse(row.data) as D),
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
  };
}

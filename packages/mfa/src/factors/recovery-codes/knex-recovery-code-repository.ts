import type { Executor } from '@porth/identity-core';

const TABLE = 'mfa_recovery_codes';

interface RecoveryCodeRow {
  id: string;
  account_id: string;
  code_hash: string;
}

/** A stored, unused recovery code: its id and HMAC. */
export interface StoredRecoveryCode {
  readonly id: string;
  readonly codeHash: string;
}

/**
 * Recovery codes in the `mfa_recovery_codes` table, stored as HMACs. `consume` is a guarded
 * `UPDATE … WHERE used_at IS NULL`: a code works for exactly one caller.
 */
export class KnexRecoveryCodeRepository {
  constructor(private readonly db: Executor) {}

  /** Replaces the account's codes with `codes` (the old set stops working). */
  async replaceAll(
    accountId: string,
    codes: readonly StoredRecoveryCode[],
    createdAt: Date,
  ): Promise<void> {
    await this.db(TABLE).where({ account_id: accountId }).delete();
    if (codes.length === 0) return;
    await this.db(TABLE).insert(
      codes.map((c) => ({
        id: c.id,
        account_id: accountId,
        code_hash: c.codeHash,
        created_at: createdAt.getTime(),
        used_at: null,
      })),
    );
  }

  /** The account's unused codes. */
  async listUnused(accountId: string): Promise<StoredRecoveryCode[]> {
    const rows = (await this.db<RecoveryCodeRow>(TABLE)
      .where({ account_id: accountId })
      .whereNull('used_at')
      .select('id', 'code_hash')) as RecoveryCodeRow[];
    return rows.map((r) => ({ id: r.id, codeHash: r.code_hash }));
  }

  /** How many unused codes the account has. */
  async countUnused(accountId: string): Promise<number> {
    const row = (await this.db(TABLE)
      .where({ account_id: accountId })
      .whereNull('used_at')
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  /** True when the account has any codes, used or not. */
  async hasAny(accountId: string): Promise<boolean> {
    return (await this.db(TABLE).where({ account_id: accountId }).first('id')) !== undefined;
  }

  /** Uses the code up, exactly once; false when it was already used (or removed). */
  async consume(codeId: string, at: Date): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id: codeId })
      .whereNull('used_at')
      .update({ used_at: at.getTime() });
    return updated === 1;
  }

  /** Deletes every code of the account; returns how many. */
  async deleteAll(accountId: string): Promise<number> {
    return this.db(TABLE).where({ account_id: accountId }).delete();
  }
}

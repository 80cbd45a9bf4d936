import type { Executor } from '@porth/identity-core';
import type { CodeFactorKind } from '../factors/factor.js';
import type { ChallengePurpose, ChallengeRecord, ChallengeStatus } from './challenge.js';

const TABLE = 'mfa_challenges';

interface ChallengeRow {
  id: string;
  account_id: string;
  factor_id: string;
  purpose: string;
  channel: string;
  code_hash: string;
  attempts: number | string;
  status: string;
  created_at: number | string;
  expires_at: number | string;
  finished_at: number | string | null;
}

/** What insert stores: a new open challenge. */
export interface NewChallenge {
  readonly id: string;
  readonly accountId: string;
  readonly factorId: string;
  readonly purpose: ChallengePurpose;
  readonly channel: CodeFactorKind;
  readonly codeHash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/**
 * Code challenges in the `mfa_challenges` table. Both race-safe steps are guarded UPDATEs whose
 * affected-row count decides: `countAttempt` (the `attempts < max` guard is the selector, so
 * concurrent guesses can never exceed the limit) and `complete` (open → used, exactly once).
 */
export class KnexChallengeRepository {
  constructor(private readonly db: Executor) {}

  /** Stores a new open challenge. */
  async insert(challenge: NewChallenge): Promise<void> {
    await this.db(TABLE).insert({
      id: challenge.id,
      account_id: challenge.accountId,
      factor_id: challenge.factorId,
      purpose: challenge.purpose,
      channel: challenge.channel,
      code_hash: challenge.codeHash,
      attempts: 0,
      status: 'open',
      created_at: challenge.createdAt.getTime(),
      expires_at: challenge.expiresAt.getTime(),
      finished_at: null,
    });
  }

  /** The account's challenge with this id, or null (also when it belongs to another account). */
  async find(accountId: string, challengeId: string): Promise<ChallengeRecord | null> {
    const row = (await this.db<ChallengeRow>(TABLE)
      .where({ id: challengeId, account_id: accountId })
      .first()) as ChallengeRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Closes the factor's open challenges (a new code replaces them); returns how many. */
  async supersedeOpen(factorId: string, at: Date): Promise<number> {
    return this.db(TABLE)
      .where({ factor_id: factorId, status: 'open' })
      .update({ status: 'superseded', finished_at: at.getTime() });
  }

  /**
   * Counts one try at the challenge's code, only while it is open, unexpired at `now` and has
   * had fewer than `maxAttempts` tries. Returns false when the try is not allowed; the code must
   * then not be compared.
   */
  async countAttempt(challengeId: string, maxAttempts: number, now: Date): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id: challengeId, status: 'open' })
      .andWhere('attempts', '<', maxAttempts)
      .andWhere('expires_at', '>', now.getTime())
      .update({ attempts: this.db.raw('?? + 1', ['attempts']) });
    return updated === 1;
  }

  /** Marks an open challenge used, exactly once; false when it was no longer open. */
  async complete(challengeId: string, at: Date): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id: challengeId, status: 'open' })
      .update({ status: 'used', finished_at: at.getTime() });
    return updated === 1;
  }

  /** Marks an open challenge failed (its code could not be delivered). */
  async fail(challengeId: string, at: Date): Promise<void> {
    await this.db(TABLE)
      .where({ id: challengeId, status: 'open' })
      .update({ status: 'failed', finished_at: at.getTime() });
  }

  /** Deletes challenges that expired before `before`; returns how many. */
  async deleteExpiredBefore(before: Date): Promise<number> {
    return this.db(TABLE).where('expires_at', '<', before.getTime()).delete();
  }
}

function toRecord(row: ChallengeRow): ChallengeRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    factorId: row.factor_id,
    purpose: row.purpose === 'enrol' ? 'enrol' : 'sign_in',
    channel: row.channel as CodeFactorKind,
    codeHash: row.code_hash,
    attempts: Number(row.attempts),
    status: row.status as ChallengeStatus,
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
    finishedAt: row.finished_at === null ? null : new Date(Number(row.finished_at)),
  };
}

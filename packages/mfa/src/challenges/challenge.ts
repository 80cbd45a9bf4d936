import type { CodeFactorKind } from '../factors/factor.js';

/** Why a code was sent: to confirm a new factor, or to sign in with an active one. */
export type ChallengePurpose = 'enrol' | 'sign_in';

/**
 * Where a code challenge is: `open` until its code is accepted (`used`), a newer code for the
 * same factor replaces it (`superseded`), or the provider refused to deliver it (`failed`).
 * Expiry and the attempt limit are checked on `expires_at` and `attempts`, not stored as states.
 */
export type ChallengeStatus = 'open' | 'used' | 'superseded' | 'failed';

/** A code sent to a factor, stored with the code's HMAC only. */
export interface ChallengeRecord {
  readonly id: string;
  readonly accountId: string;
  readonly factorId: string;
  readonly purpose: ChallengePurpose;
  /** How the code was delivered; an SMS factor's code may be delivered by a call on request. */
  readonly channel: CodeFactorKind;
  readonly codeHash: string;
  /** Tries counted so far (each counted before the code is compared). */
  readonly attempts: number;
  readonly status: ChallengeStatus;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly finishedAt: Date | null;
}

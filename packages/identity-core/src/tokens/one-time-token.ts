import { createHash } from 'node:crypto';

/** How many random bytes a one-time token carries: 256 bits. */
export const TOKEN_BYTES = 32;

/** How long a one-time token lives unless told otherwise: 24 hours. */
export const DEFAULT_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** The longest purpose the `one_time_tokens` table holds. */
export const MAX_TOKEN_PURPOSE_LENGTH = 40;

/** A token is 32 bytes as unpadded base64url: exactly 43 characters of A–Z a–z 0–9 `-` `_`. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What is needed to issue a one-time token. */
export interface IssueTokenInput<D extends object = Record<string, unknown>> {
  /** What the token is for, e.g. `password_reset`, `invitation`, `email_verification` (1–40 characters). */
  readonly purpose: string;
  /** The account the token acts for, if any (an invitation may have none yet). */
  readonly accountId?: string | null;
  /** Facts to hand back on consume, stored as JSON in clear text: never a password or secret. */
  readonly data?: D | null;
  /** How long the token is valid, in milliseconds (default 24 hours). */
  readonly lifetimeMs?: number;
}

/** A freshly issued token: the raw value goes into the link and is stored nowhere. */
export interface IssuedToken {
  /** 256 random bits as unpadded base64url; only its SHA-256 is kept. */
  readonly token: string;
  /** The first moment at which the token is no longer accepted. */
  readonly expiresAt: Date;
}

/** What a valid token stands for. */
export interface TokenContents<D extends object = Record<string, unknown>> {
  readonly accountId: string | null;
  /** The data given to issue, after a JSON round trip (dates come back as strings). */
  readonly data: D | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/**
 * Single-use tokens for password-reset links, invitations and email verification. Invalid,
 * expired, used, revoked, wrong-purpose and malformed tokens all give `null`; nothing throws
 * for bad input, and nothing tells the caller which of these it was.
 */
export interface OneTimeTokens {
  /** Issues a new token; returns the raw token, which is never stored. */
  issue<D extends object>(input: IssueTokenInput<D>): Promise<IssuedToken>;
  /** Uses the token up and returns what it stands for; exactly one caller ever gets it, however many race. */
  consume<D extends object = Record<string, unknown>>(
    purpose: string,
    token: string,
  ): Promise<TokenContents<D> | null>;
  /** Tells whether the token would be accepted now, without using it up (to show a form first). */
  peek<D extends object = Record<string, unknown>>(
    purpose: string,
    token: string,
  ): Promise<TokenContents<D> | null>;
  /** Voids every unused token of `purpose` for the account; returns how many. */
  revoke(purpose: string, accountId: string): Promise<number>;
  /** Removes tokens whose lifetime has ended, used or not; returns how many. */
  deleteExpired(): Promise<number>;
}

/** The SHA-256 of a token as 64 lower-case hex characters: what the database keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `token` has the shape of an issued token (43 base64url characters). */
export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_PATTERN.test(token);
}

/** True when `purpose` fits the `one_time_tokens.purpose` column. */
export function isValidTokenPurpose(purpose: unknown): purpose is string {
  return (
    typeof purpose === 'string' && purpose.length > 0 && purpose.length <= MAX_TOKEN_PURPOSE_LENGTH
  );
}

import type { Account } from '@porth/identity-core';

/** The Authentication Context Class a session reached, carried in the ID token's `acr`. */
export const ACR = {
  /** Password and a second factor other than email. */
  mfa: 'urn:porth:acr:mfa',
  /** Password and an email code: the weakest second factor (NIST does not count email as out-of-band). */
  mfaEmail: 'urn:porth:acr:mfa-email',
} as const;

/** Which claims each scope releases; `acr`, `amr` and `auth_time` are in every ID token. */
export const SCOPE_CLAIMS = {
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: [
    'name',
    'given_name',
    'family_name',
    'preferred_username',
    'locale',
    'account_kind',
    'centres',
  ],
  email: ['email', 'email_verified'],
  phone: ['phone_number'],
} as const;

/** A centre the account belongs to, with its role and permissions (filled in by the centres feature). */
export interface CentreClaim {
  readonly number: string;
  readonly name: string;
  readonly role: string;
  readonly permissions: readonly string[];
}

/** The claims of an account; the provider releases those its scopes allow. */
export function accountClaims(
  account: Account,
  centres: readonly CentreClaim[] = [],
): Record<string, unknown> {
  const name = [account.givenName, account.familyName].filter(Boolean).join(' ');
  return {
    sub: account.id,
    ...(name ? { name } : {}),
    ...(account.givenName ? { given_name: account.givenName } : {}),
    ...(account.familyName ? { family_name: account.familyName } : {}),
    ...(account.username ? { preferred_username: account.username } : {}),
    locale: account.locale,
    account_kind: account.kind,
    centres,
    ...(account.email ? { email: account.email, email_verified: account.emailVerified } : {}),
    ...(account.phone ? { phone_number: account.phone } : {}),
  };
}

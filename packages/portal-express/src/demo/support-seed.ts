import type { Knex } from 'knex';
import {
  KnexAccountRepository,
  transaction,
  type Clock,
  type PasswordHasher,
  type RandomSource,
} from '@porth/identity-core';
import {
  KnexFactorRepository,
  SecretCipher,
  TotpFactor,
  base32Decode,
  base32Encode,
  groupForTyping,
  type MfaService,
} from '@porth/mfa';
import type { DemoAccount } from './seed.js';

/** What seeding the demo support account needs. */
export interface SupportSeedDependencies {
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly hasher: PasswordHasher;
  /** Enrols the account's authenticator app, as a person would. */
  readonly mfa: MfaService;
  /** SECRET_KEY: reads the authenticator key back on later starts, to print it again. */
  readonly secretKey: string;
}

/** The demo support person's username (staff accounts are not appointees: no @wjec-appointees). */
export const DEMO_SUPPORT_USERNAME = 'nia.thomas@support.example.org';

const DEMO_SUPPORT_PASSWORD = 'Porth-Cymorth-2026!';

/**
 * Puts a demo support-staff account in the database, once: an active `staff` account with a
 * password and a confirmed authenticator app, so the support console at /portal/support can be
 * tried. Running it again changes nothing (and prints the same key). For development only: the
 * password and the authenticator key are printed on the console.
 */
export async function seedDemoSupport(deps: SupportSeedDependencies): Promise<DemoAccount[]> {
  const accounts = new KnexAccountRepository(deps.db, deps.clock, deps.random);
  let account = await accounts.findByUsername(DEMO_SUPPORT_USERNAME);
  if (!account) {
    const hash = await deps.hasher.hash(DEMO_SUPPORT_PASSWORD);
    account = await transaction(deps.db, async (trx) => {
      const repo = new KnexAccountRepository(trx, deps.clock, deps.random);
      const created = await repo.createActive({
        kind: 'staff',
        username: DEMO_SUPPORT_USERNAME,
        email: 'nia.thomas@example.org',
        emailVerified: true,
        givenName: 'Nia',
        familyName: 'Thomas',
        locale: 'en',
      });
      await repo.setPasswordHash(created.id, hash);
      return created;
    });
  }
  const key = account.status === 'active' ? await authenticatorKey(deps, account.id) : null;
  return [
    {
      description: key
        ? `Support staff: the support console at /portal/support (authenticator key ${key})`
        : 'Support staff: the support console at /portal/support',
      username: DEMO_SUPPORT_USERNAME,
      password: DEMO_SUPPORT_PASSWORD,
    },
  ];
}

/**
 * The key of the account's authenticator app, grouped for typing into an app; one is enrolled
 * and confirmed first when the account has no second factor at all (new, or reset by support).
 * Null when it has other factors only.
 */
async function authenticatorKey(
  deps: SupportSeedDependencies,
  accountId: string,
): Promise<string | null> {
  const factors = await new KnexFactorRepository(deps.db).list(accountId, 'active');
  const totp = factors.find((f) => f.kind === 'totp' && f.secretSealed !== null);
  if (totp?.secretSealed) {
    const secret = new SecretCipher(deps.secretKey, deps.random).open(totp.id, totp.secretSealed);
    return groupForTyping(base32Encode(secret));
  }
  if (factors.length > 0) return null;
  const enrolment = await deps.mfa.startTotpEnrolment(accountId);
  const secret = base32Decode(enrolment.secretForTyping);
  if (!secret) throw new Error('The authenticator key could not be read back');
  const confirmed = await deps.mfa.confirmEnrolment(accountId, {
    factorId: enrolment.factorId,
    code: await new TotpFactor().codeAt(secret, deps.clock.now()),
  });
  if (!confirmed.ok) throw new Error(`The demo authenticator app was refused: ${confirmed.reason}`);
  return enrolment.secretForTyping;
}

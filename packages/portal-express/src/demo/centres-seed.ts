import type { Knex } from 'knex';
import {
  KnexAccountRepository,
  KnexAuditLog,
  KnexCentreRepository,
  defaultPermissions,
  normaliseEmail,
  randomId,
  transaction,
  type Account,
  type CentrePermission,
  type CentreRole,
  type Clock,
  type Executor,
  type Locale,
  type PasswordHasher,
  type RandomSource,
} from '@porth/identity-core';
import { KnexFactorRepository } from '@porth/mfa';
import type { DemoAccount } from './seed.js';

/** What seeding the demo centres needs (a subset of the demo seed's dependencies). */
export interface CentreDemoDependencies {
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly hasher: PasswordHasher;
}

/** The demo centre every centre journey starts from. */
export const DEMO_CENTRE = { number: '68101', name: 'Ysgol Gyfun Enghraifft' } as const;
/** A second demo centre, so that switching centres can be tried. */
export const DEMO_SECOND_CENTRE = { number: '68102', name: 'Coleg Enghraifft' } as const;

/** The demo centre users' password (development only; printed at start-up). */
const CENTRE_PASSWORD = 'Porth-Canolfan-2026!';

interface DemoPerson {
  readonly email: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly locale: Locale;
  readonly description: string;
  /** Memberships: centre number → account type and (optionally) permissions. */
  readonly centres: readonly {
    readonly number: string;
    readonly role: CentreRole;
    readonly permissions?: readonly CentrePermission[];
  }[];
}

const PEOPLE: readonly DemoPerson[] = [
  {
    email: 'eleri.morgan@ysgol-enghraifft.example.org',
    givenName: 'Eleri',
    familyName: 'Morgan',
    locale: 'en',
    description: 'Exams Officer of centre 68101 (Manage Users, Invite User)',
    centres: [{ number: DEMO_CENTRE.number, role: 'exams_officer' }],
  },
  {
    email: 'gareth.price@ysgol-enghraifft.example.org',
    givenName: 'Gareth',
    familyName: 'Price',
    locale: 'en',
    description: 'Admin of centre 68101 and Exams Officer of 68102 (switch centre)',
    centres: [
      { number: DEMO_CENTRE.number, role: 'admin' },
      { number: DEMO_SECOND_CENTRE.number, role: 'exams_officer' },
    ],
  },
  {
    email: 'ffion.hughes@ysgol-enghraifft.example.org',
    givenName: 'Ffion',
    familyName: 'Hughes',
    locale: 'cy',
    description: 'User of centre 68101, in Welsh (cannot manage users)',
    centres: [{ number: DEMO_CENTRE.number, role: 'user', permissions: ['iamis', 'resources'] }],
  },
];

/**
 * Puts the demo centres in the database, once (running it again changes nothing): centre 68101
 * "Ysgol Gyfun Enghraifft" with an Exams Officer, an Admin and a User, and centre 68102 whose
 * Exams Officer is that Admin. Each person signs in with their email address, the printed
 * password and an email code (their second factor is set up already: the code arrives at the
 * development outbox, /dev/outbox). For development only.
 */
export async function seedDemoCentres(deps: CentreDemoDependencies): Promise<DemoAccount[]> {
  const centres = new KnexCentreRepository(deps.db, deps.clock, deps.random);
  if (!(await centres.findCentre(DEMO_CENTRE.number))) {
    const hash = await deps.hasher.hash(CENTRE_PASSWORD);
    await transaction(deps.db, async (trx) => {
      const repo = new KnexCentreRepository(trx, deps.clock, deps.random);
      const audit = new KnexAuditLog(trx, deps.clock);
      for (const centre of [DEMO_CENTRE, DEMO_SECOND_CENTRE]) {
        await repo.createCentre(centre.number, centre.name);
        await audit.append({
          type: 'centre.created',
          outcome: 'success',
          details: { centre: centre.number, name: centre.name, via: 'demo_seed' },
        });
      }
      for (const person of PEOPLE) {
        const account = await demoAccount(trx, deps, person, hash);
        for (const membership of person.centres) {
          await repo.insertMembership({
            centreNumber: membership.number,
            accountId: account.id,
            role: membership.role,
            permissions: membership.permissions ?? defaultPermissions(membership.role),
            email: person.email,
            givenName: person.givenName,
            familyName: person.familyName,
            locale: person.locale,
            invitedBy: null,
            invitationExpiresAt: null,
          });
        }
      }
    });
  }
  return PEOPLE.map((p) => ({
    description: `${p.description}; second step: email code at /dev/outbox`,
    username: p.email,
    password: CENTRE_PASSWORD,
  }));
}

/** An active centre user with a password and a confirmed email-code second factor. */
async function demoAccount(
  trx: Executor,
  deps: CentreDemoDependencies,
  person: DemoPerson,
  passwordHash: string,
): Promise<Account> {
  const accounts = new KnexAccountRepository(trx, deps.clock, deps.random);
  const account = await accounts.createActive({
    kind: 'centre_user',
    username: normaliseEmail(person.email),
    email: person.email,
    emailVerified: true,
    givenName: person.givenName,
    familyName: person.familyName,
    locale: person.locale,
  });
  await accounts.setPasswordHash(account.id, passwordHash);
  const now = deps.clock.now();
  const factors = new KnexFactorRepository(trx);
  const factorId = randomId(deps.random);
  await factors.lockAccount(account.id, now);
  await factors.insertPending({
    id: factorId,
    accountId: account.id,
    kind: 'email',
    destination: person.email,
    phoneType: null,
    secretSealed: null,
    riskAcknowledgedAt: now,
    createdAt: now,
  });
  await factors.activate(factorId, now);
  await factors.setDefault(account.id, factorId);
  return account;
}

import type { Knex } from 'knex';
import type { KnexClientRegistry } from '../oidc/clients.js';
import type { PortalConfig } from '../config.js';
import type { PortalServices } from '../services.js';
import { seedDemoCentres } from './centres-seed.js';
import { seedDemoMarks } from './marks-seed.js';
import { seedDemoSupport } from './support-seed.js';
import {
  KnexAccountRepository,
  transaction,
  type Clock,
  type LegacyAccountInput,
  type PasswordHasher,
  type RandomSource,
} from '@porth/identity-core';

/** A demo account and how to use it, printed at start-up in development. */
export interface DemoAccount {
  readonly description: string;
  readonly username: string;
  readonly password: string;
}

/** What seeding needs. */
export interface DemoSeedDependencies {
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly hasher: PasswordHasher;
  /** The domain of new usernames (USERNAME_DOMAIN). */
  readonly domain: string;
  /** Registers the SharePoint example (examples/sharepoint-rp) as a first-party client. */
  readonly clients: KnexClientRegistry;
}

// Legacy AMP records as an import would bring them: the hashes were made by independent tools
// (`htpasswd -nbB -C 10 x PASSWORD`, `openssl passwd -1 PASSWORD`), as the old system made them.
const LEGACY_ACCOUNTS: readonly (LegacyAccountInput & { password: string; description: string })[] =
  [
    {
      description: 'Legacy AMP account, ready to migrate',
      legacyUsername: 'rhys.evans',
      password: 'Hen-Gyfrinair-1',
      passwordHash: '$2y$10$vO9fG0HX8aHkVeE.LuA2xu9K8ExgLaHKJlACXu7alDuPkF4SyZ3F2',
      email: 'rhys.evans@example.org',
      givenName: 'Rhys',
      familyName: 'Evans',
      phone: '07700 900123',
      teachingCentre: 'Ysgol Gyfun Aberystwyth',
      locale: 'en',
    },
    {
      description: 'Legacy AMP account with missing details, in Welsh',
      legacyUsername: 'sian.jones',
      password: 'Hen-Gyfrinair-2',
      passwordHash: '$1$ogbZZPEV$dqV.mLDplTkvYVTjTY9.2/',
      email: 'sian.jones@example.org',
      givenName: 'Siân',
      familyName: 'Jones',
      locale: 'cy',
    },
    {
      description: 'Legacy AMP account with no email (must contact support)',
      legacyUsername: 'dafydd.ap.gwilym',
      password: 'Hen-Gyfrinair-3',
      passwordHash: '$2y$10$nGSv/mNdyGML93sDFhzvt.8itW8HwzwT6lw1XvWyDOqEXC1a6177a',
      givenName: 'Dafydd',
      familyName: 'ap Gwilym',
    },
  ];

const ACTIVE_PASSWORD = 'Porth-Demo-2026!';

/** The SharePoint example's client secret in the demo (development only; printed at start-up). */
export const DEMO_SHAREPOINT_SECRET = 'demo-only-sharepoint-secret-not-for-production';

/**
 * Puts demo accounts in the database, once: running it again changes nothing. For development
 * only; the passwords are printed on the console.
 */
export async function seedDemoData(deps: DemoSeedDependencies): Promise<DemoAccount[]> {
  const accounts = new KnexAccountRepository(deps.db, deps.clock, deps.random);
  await accounts.insertLegacyMany(
    LEGACY_ACCOUNTS.map(({ password: _p, description: _d, ...row }) => ({
      kind: 'appointee',
      ...row,
    })),
  );

  const activeUsername = `megan.lloyd@${deps.domain}`;
  if (!(await accounts.findByUsername(activeUsername))) {
    const hash = await deps.hasher.hash(ACTIVE_PASSWORD);
    await transaction(deps.db, async (trx) => {
      const repo = new KnexAccountRepository(trx, deps.clock, deps.random);
      const account = await repo.createActive({
        kind: 'appointee',
        username: activeUsername,
        email: 'megan.lloyd@example.org',
        emailVerified: true,
        givenName: 'Megan',
        familyName: 'Lloyd',
        phone: '07700 900456',
        teachingCentre: 'Ysgol Bro Teifi',
        locale: 'en',
        requiredActions: ['configure_mfa'],
      });
      await repo.setPasswordHash(account.id, hash);
    });
  }

  await deps.clients.save({
    id: 'sharepoint',
    secret: DEMO_SHAREPOINT_SECRET,
    redirectUris: ['http://localhost:3100/callback'],
    postLogoutRedirectUris: ['http://localhost:3100/'],
    backchannelLogoutUri: 'http://localhost:3100/backchannel-logout',
    firstParty: true,
  });

  return [
    ...LEGACY_ACCOUNTS.map((a) => ({
      description: a.description,
      username: a.legacyUsername,
      password: a.password,
    })),
    { description: 'Migrated appointee', username: activeUsername, password: ACTIVE_PASSWORD },
  ];
}

/**
 * Seeds every demo data set once — legacy and migrated appointees, the SharePoint client,
 * centres 68101 and 68102 with their staff, mark-input units and allocations, and a support
 * staff account — and returns the accounts to print.
 */
export async function seedDemo(
  config: PortalConfig,
  deps: {
    readonly db: Knex;
    readonly clock: Clock;
    readonly random: RandomSource;
    readonly services: PortalServices;
  },
): Promise<DemoAccount[]> {
  const { db, clock, random, services } = deps;
  const base = { db, clock, random, hasher: services.hasher };
  const appointees = await seedDemoData({
    ...base,
    domain: config.usernames.domain,
    clients: services.clients,
  });
  const centres = await seedDemoCentres(base);
  await seedDemoMarks({ db, clock, random, domain: config.usernames.domain });
  const support = await seedDemoSupport({
    ...base,
    mfa: services.mfa,
    secretKey: config.secrets.secretKey,
  });
  return [...appointees, ...centres, ...support];
}

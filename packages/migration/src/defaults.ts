/**
 * Every default of @porth/migration in one place, and the settings the migration flow runs
 * with. Nothing here reads the environment: the portal builds the settings from its config.
 */
import { DEFAULT_USERNAME_DOMAIN, assertRateLimit, type RateLimit } from '@porth/identity-core';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** How long a temporary password works: 14 days (TEMPORARY_PASSWORD_DAYS). */
export const DEFAULT_TEMPORARY_PASSWORD_LIFETIME_MS = 14 * DAY_MS;
/** How long a forgotten-original-password link works: 24 hours (the FAQ's promise). */
export const DEFAULT_LEGACY_RESET_LIFETIME_MS = 24 * HOUR_MS;
/** How long the page may offer "send my temporary password again" after the legacy password was checked: 30 minutes. */
export const DEFAULT_RESEND_TOKEN_LIFETIME_MS = 30 * 60 * 1000;
/** Temporary passwords resent per account: at most 3 a day. */
export const DEFAULT_RESEND_LIMIT: RateLimit = { limit: 3, windowMs: DAY_MS };
/** Forgotten-original-password emails per legacy username: at most 3 an hour. */
export const DEFAULT_LEGACY_RESET_LIMIT: RateLimit = { limit: 3, windowMs: HOUR_MS };
/** Forgotten-original-password requests per client address: at most 30 an hour. */
export const DEFAULT_LEGACY_RESET_IP_LIMIT: RateLimit = { limit: 30, windowMs: HOUR_MS };
/** Legacy rows per import transaction. */
export const DEFAULT_IMPORT_BATCH_SIZE = 500;
/** Purpose of the one-time token in a forgotten-original-password link. */
export const LEGACY_PASSWORD_RESET_PURPOSE = 'legacy_password_reset';
/** Purpose of the one-time token that allows one "send my temporary password again". */
export const TEMPORARY_PASSWORD_RESEND_PURPOSE = 'migration_resend';

/** What the migration flow needs to know about the deployment. */
export interface MigrationSettings {
  /** The domain of new usernames (USERNAME_DOMAIN). */
  readonly usernameDomain: string;
  /** The sign-in page, put in the temporary-password email. */
  readonly signInUrl: string;
  /** Builds the link of a forgotten-original-password email from its token. */
  readonly legacyPasswordResetUrl: (token: string) => string;
  /** How long a temporary password works, in milliseconds. */
  readonly temporaryPasswordLifetimeMs: number;
  /** Apply the upper/lower/number/symbol rule to a new legacy password (PASSWORD_COMPOSITION_RULE). */
  readonly compositionRule: boolean;
  readonly legacyResetLifetimeMs: number;
  readonly resendTokenLifetimeMs: number;
  readonly resendLimit: RateLimit;
  readonly legacyResetLimit: RateLimit;
  readonly legacyResetIpLimit: RateLimit;
}

/** Settings that have defaults may be left out. */
export type MigrationSettingsInput = Pick<
  MigrationSettings,
  'signInUrl' | 'legacyPasswordResetUrl'
> &
  Partial<Omit<MigrationSettings, 'signInUrl' | 'legacyPasswordResetUrl'>>;

/**
 * Fills in the defaults and checks the values; throws RangeError naming the first wrong setting.
 * @example
 * resolveMigrationSettings({
 *   signInUrl: `${config.publicUrl}/sign-in`,
 *   legacyPasswordResetUrl: (token) => `${config.publicUrl}/migration/reset/${token}`,
 *   usernameDomain: config.usernames.domain,
 *   temporaryPasswordLifetimeMs: config.passwords.temporaryPasswordLifetimeMs,
 *   compositionRule: config.passwords.compositionRule,
 * })
 */
export function resolveMigrationSettings(input: MigrationSettingsInput): MigrationSettings {
  const settings: MigrationSettings = {
    usernameDomain: input.usernameDomain ?? DEFAULT_USERNAME_DOMAIN,
    signInUrl: input.signInUrl,
    legacyPasswordResetUrl: input.legacyPasswordResetUrl,
    temporaryPasswordLifetimeMs:
      input.temporaryPasswordLifetimeMs ?? DEFAULT_TEMPORARY_PASSWORD_LIFETIME_MS,
    compositionRule: input.compositionRule ?? true,
    legacyResetLifetimeMs: input.legacyResetLifetimeMs ?? DEFAULT_LEGACY_RESET_LIFETIME_MS,
    resendTokenLifetimeMs: input.resendTokenLifetimeMs ?? DEFAULT_RESEND_TOKEN_LIFETIME_MS,
    resendLimit: input.resendLimit ?? DEFAULT_RESEND_LIMIT,
    legacyResetLimit: input.legacyResetLimit ?? DEFAULT_LEGACY_RESET_LIMIT,
    legacyResetIpLimit: input.legacyResetIpLimit ?? DEFAULT_LEGACY_RESET_IP_LIMIT,
  };
  if (!/^https?:\/\//.test(settings.signInUrl)) {
    throw new RangeError('signInUrl must be an http(s) URL');
  }
  if (typeof settings.legacyPasswordResetUrl !== 'function') {
    throw new RangeError('legacyPasswordResetUrl must be a function of the token');
  }
  for (const key of [
    'temporaryPasswordLifetimeMs',
    'legacyResetLifetimeMs',
    'resendTokenLifetimeMs',
  ] as const) {
    if (!Number.isSafeInteger(settings[key]) || settings[key] <= 0) {
      throw new RangeError(`${key} must be a positive whole number of milliseconds`);
    }
  }
  assertRateLimit(settings.resendLimit);
  assertRateLimit(settings.legacyResetLimit);
  assertRateLimit(settings.legacyResetIpLimit);
  return settings;
}

/**
 * Every default of account recovery (forgotten username, forgotten password) in one place, and
 * the settings AccountRecovery runs with. Nothing here reads the environment: the caller builds
 * the settings from its configuration.
 */
import { assertRateLimit, type RateLimit } from '../throttling/throttle.js';

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;

/** Purpose of the one-time token in a password-reset link (active accounts). */
export const PASSWORD_RESET_PURPOSE = 'password_reset';
/** How long a password-reset link works: 24 hours (the FAQ's promise). */
export const DEFAULT_PASSWORD_RESET_LIFETIME_MS = 24 * HOUR_MS;
/** Username reminders per email address: at most 3 an hour (a mailbox is not flooded). */
export const DEFAULT_USERNAME_REMINDER_LIMIT: RateLimit = { limit: 3, windowMs: HOUR_MS };
/** Username-reminder requests per client address: at most 30 an hour. */
export const DEFAULT_USERNAME_REMINDER_IP_LIMIT: RateLimit = { limit: 30, windowMs: HOUR_MS };
/** Password-reset emails per username: at most 3 an hour. */
export const DEFAULT_PASSWORD_RESET_LIMIT: RateLimit = { limit: 3, windowMs: HOUR_MS };
/** Password-reset requests per client address: at most 30 an hour. */
export const DEFAULT_PASSWORD_RESET_IP_LIMIT: RateLimit = { limit: 30, windowMs: HOUR_MS };

/** What account recovery needs to know about the deployment. */
export interface RecoverySettings {
  /** The sign-in page, put in the username reminder. */
  readonly signInUrl: string;
  /** Builds the link of a password-reset email from its token. */
  readonly passwordResetUrl: (token: string) => string;
  /** Apply the upper/lower/number/symbol rule to a new password (PASSWORD_COMPOSITION_RULE). */
  readonly compositionRule: boolean;
  /** How long a password-reset link works, in milliseconds. */
  readonly passwordResetLifetimeMs: number;
  /** Username reminders per email address. */
  readonly usernameReminderLimit: RateLimit;
  /** Username-reminder requests per client address. */
  readonly usernameReminderIpLimit: RateLimit;
  /** Password-reset emails per username. */
  readonly passwordResetLimit: RateLimit;
  /** Password-reset requests per client address. */
  readonly passwordResetIpLimit: RateLimit;
}

/** Settings that have defaults may be left out. */
export type RecoverySettingsInput = Pick<RecoverySettings, 'signInUrl' | 'passwordResetUrl'> &
  Partial<Omit<RecoverySettings, 'signInUrl' | 'passwordResetUrl'>>;

/**
 * Fills in the defaults and checks the values; throws RangeError naming the first wrong setting.
 * @example
 * resolveRecoverySettings({
 *   signInUrl: `${config.publicUrl}/amp`,
 *   passwordResetUrl: (token) => `${config.publicUrl}/forgotten-password/reset/${token}`,
 *   compositionRule: config.passwords.compositionRule,
 * })
 */
export function resolveRecoverySettings(input: RecoverySettingsInput): RecoverySettings {
  const settings: RecoverySettings = {
    signInUrl: input.signInUrl,
    passwordResetUrl: input.passwordResetUrl,
    compositionRule: input.compositionRule ?? true,
    passwordResetLifetimeMs: input.passwordResetLifetimeMs ?? DEFAULT_PASSWORD_RESET_LIFETIME_MS,
    usernameReminderLimit: input.usernameReminderLimit ?? DEFAULT_USERNAME_REMINDER_LIMIT,
    usernameReminderIpLimit: input.usernameReminderIpLimit ?? DEFAULT_USERNAME_REMINDER_IP_LIMIT,
    passwordResetLimit: input.passwordResetLimit ?? DEFAULT_PASSWORD_RESET_LIMIT,
    passwordResetIpLimit: input.passwordResetIpLimit ?? DEFAULT_PASSWORD_RESET_IP_LIMIT,
  };
  if (typeof settings.signInUrl !== 'string' || !/^https?:\/\//.test(settings.signInUrl)) {
    throw new RangeError('signInUrl must be an http(s) URL');
  }
  if (typeof settings.passwordResetUrl !== 'function') {
    throw new RangeError('passwordResetUrl must be a function of the token');
  }
  if (
    !Number.isSafeInteger(settings.passwordResetLifetimeMs) ||
    settings.passwordResetLifetimeMs < MINUTE_MS
  ) {
    throw new RangeError('passwordResetLifetimeMs must be a whole number of at least 60000');
  }
  assertRateLimit(settings.usernameReminderLimit);
  assertRateLimit(settings.usernameReminderIpLimit);
  assertRateLimit(settings.passwordResetLimit);
  assertRateLimit(settings.passwordResetIpLimit);
  return settings;
}

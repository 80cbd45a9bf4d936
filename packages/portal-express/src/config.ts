import { z } from 'zod';
import { ConfigError, loadConfig, parseEnvironment, type PorthConfig } from '@porth/identity-core';
import { loadMfaConfig, type MfaConfig } from '@porth/mfa';

const positiveInt = z.coerce.number().int().positive();

/** The environment variables only the web portal reads, with their defaults. */
export const portalConfigSchema = z.object({
  STAY_SIGNED_IN_DAYS: positiveInt.max(400).default(30),
  SESSION_IDLE_MINUTES: positiveInt.max(24 * 60).default(30),
  SESSION_MAX_HOURS: positiveInt.max(7 * 24).default(12),
});

/** The portal's settings: Porth's core settings plus what only the web server needs. */
export interface PortalConfig extends PorthConfig {
  /** Seed demo accounts on start-up (development only). */
  readonly demo: boolean;
  /** Second factors: the SMS/voice provider and phone-number rules. */
  readonly mfa: MfaConfig;
  readonly sessions: {
    /** "Stay signed in? Yes": how long the session survives, sliding, across browser restarts. */
    readonly rememberedMs: number;
    /** "Stay signed in? No": the session ends after this long without activity … */
    readonly idleMs: number;
    /** … and after this long in any case. */
    readonly maxMs: number;
  };
}

/**
 * Reads the portal's configuration from environment variables (the only place that reads them).
 * Throws ConfigError for invalid settings, and for `demo` when NODE_ENV is production.
 */
export function loadPortalConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: { demo?: boolean } = {},
): PortalConfig {
  const core = loadConfig(env);
  if (overrides.demo && core.env === 'production') {
    // Demo accounts have published passwords: never in production.
    throw new ConfigError([
      { path: '--demo', message: 'seeds demo accounts and is refused when NODE_ENV=production' },
    ]);
  }
  const e = parseEnvironment(portalConfigSchema, env);
  return {
    ...core,
    demo: overrides.demo ?? false,
    mfa: loadMfaConfig(env),
    sessions: {
      rememberedMs: e.STAY_SIGNED_IN_DAYS * 24 * 60 * 60 * 1000,
      idleMs: e.SESSION_IDLE_MINUTES * 60 * 1000,
      maxMs: e.SESSION_MAX_HOURS * 60 * 60 * 1000,
    },
  };
}

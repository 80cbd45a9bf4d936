import { loadConfig, type PorthConfig } from '@porth/identity-core';

/** The portal's settings: Porth's core settings plus what only the web server needs. */
export interface PortalConfig extends PorthConfig {
  /** Seed demo accounts on start-up (development only). */
  readonly demo: boolean;
}

/** Reads the portal's configuration from environment variables (the only place that reads them). */
export function loadPortalConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: { demo?: boolean } = {},
): PortalConfig {
  const core = loadConfig(env);
  return { ...core, demo: overrides.demo ?? false };
}

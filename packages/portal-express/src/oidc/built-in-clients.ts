import type { PortalConfig } from '../config.js';
import {
  builtInClientSecret,
  type ClientRegistration,
  type KnexClientRegistry,
} from './clients.js';

/** The relying applications built into the portal: each mounted at `/<id>`. */
export const BUILT_IN_APPS = ['amp', 'portal'] as const;
/** One built-in relying application. */
export type BuiltInApp = (typeof BUILT_IN_APPS)[number];

/** The client registration of a built-in application, from the portal's public URL. */
export function builtInClient(
  config: PortalConfig,
  app: BuiltInApp,
): ClientRegistration & { secret: string } {
  const base = `${config.publicUrl}/${app}`;
  return {
    id: app,
    secret: builtInClientSecret(config.secrets.secretKey, app),
    redirectUris: [`${base}/callback`],
    postLogoutRedirectUris: [`${base}/signed-out`],
    backchannelLogoutUri: `${base}/backchannel-logout`,
    firstParty: true,
  };
}

/** Registers (or refreshes) AMP and Portal as first-party clients; safe to run at every start. */
export async function registerBuiltInClients(
  config: PortalConfig,
  clients: KnexClientRegistry,
): Promise<void> {
  for (const app of BUILT_IN_APPS) await clients.save(builtInClient(config, app));
}

import type Provider from 'oidc-provider';
import type { PortalConfig } from '../config.js';
import type { CsrfProtection } from '../middleware/csrf.js';
import type { PortalServices } from '../services.js';
import type { ViewRenderer } from '../views-engine/renderer.js';

/** What every group of portal routes is built from. */
export interface RouteDependencies {
  readonly config: PortalConfig;
  readonly services: PortalServices;
  readonly views: ViewRenderer;
  readonly csrf: CsrfProtection;
  /** The current OpenID Connect provider (rebuilt after a key rotation). */
  provider(): Promise<Provider>;
}

import express, { type Express } from 'express';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import type { Knex } from 'knex';
import type { Clock, RandomSource } from '@porth/identity-core';
import type { PortalConfig } from './config.js';
import { createI18n } from './i18n.js';
import { viewsDir, packageRoot } from './paths.js';
import { createViewRenderer } from './views-engine/renderer.js';
import { languageMiddleware } from './middleware/language.js';
import { errorHandler, notFoundHandler } from './middleware/error-handler.js';
import { renderPage } from './middleware/render.js';
import { healthRoutes } from './routes/health.js';
import { devOutboxRoutes } from './routes/dev-outbox.js';
import { createServices, type PortalServices } from './services.js';
import { csrfProtection } from './middleware/csrf.js';
import { ProviderHost } from './oidc/provider-host.js';
import { createProvider } from './oidc/provider.js';
import { signInRoutes } from './sign-in/router.js';
import { signInSteps } from './sign-in/steps/index.js';
import { recoveryRoutes } from './routes/recovery.js';
import type { RouteDependencies } from './routes/route-dependencies.js';
import { relyingPartyRoutes } from './rp/index.js';
import { join } from 'node:path';

/** What the portal needs from its surroundings. */
export interface PortalDependencies {
  readonly config: PortalConfig;
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Shared services (default: built from the configuration). */
  readonly services?: PortalServices;
  /** Where unexpected errors are reported (default: stderr). */
  readonly logError?: (err: unknown) => void;
}

/** Builds the portal's Express application. */
export async function createApp(deps: PortalDependencies): Promise<Express> {
  const { config, db } = deps;
  const production = config.env === 'production';
  const views = createViewRenderer(viewsDir);
  const i18next = await createI18n();
  const logError = deps.logError ?? ((err: unknown) => console.error(err));
  const services = deps.services ?? createServices(config, db, deps.clock, deps.random);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', production ? 1 : false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          frameAncestors: ["'none'"],
          // Sign-in ends with a redirect to the relying application's own origin, which a
          // form-action list would block; redirect URIs are checked exactly by the provider instead.
          formAction: null,
          upgradeInsecureRequests: production ? [] : null,
        },
      },
      strictTransportSecurity: production,
    }),
  );
  app.use(
    '/assets',
    express.static(join(packageRoot, 'assets'), { maxAge: production ? '1d' : 0 }),
  );
  app.use(healthRoutes(db));
  app.use(cookieParser());
  app.use(languageMiddleware(i18next, production));
  const csrf = csrfProtection(config.secrets.secretKey, deps.random, production);
  app.use(csrf.browserId);

  const host = new ProviderHost(
    services.signingKeys,
    (jwks) =>
      createProvider({
        config,
        db,
        clock: deps.clock,
        random: deps.random,
        views,
        clients: services.clients,
        jwks,
        logError,
      }),
    deps.clock,
  );
  const routeDeps: RouteDependencies = {
    config,
    services,
    views,
    csrf,
    provider: () => host.provider(),
  };
  app.use(signInRoutes(routeDeps, signInSteps));
  app.use(recoveryRoutes(routeDeps));
  app.use(relyingPartyRoutes(routeDeps));
  app.get('/', (_req, res) => renderPage(views, res, 'home'));
  if (!production) app.use(devOutboxRoutes(services.outbox, views));
  app.use(host.middleware());

  app.use(notFoundHandler(views));
  app.use(errorHandler(views, logError));
  return app;
}

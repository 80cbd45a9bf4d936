import { AccountRecovery, resolveRecoverySettings } from '@porth/identity-core';
import type { RouteDependencies } from '../routes/route-dependencies.js';

/**
 * Builds the forgotten-username and forgotten-password service from the portal's shared
 * services: links point at the portal's own pages, the password policy follows the configuration,
 * and a legacy (unmigrated) username's request is handed to the migration flow.
 */
export function createAccountRecovery(deps: RouteDependencies): AccountRecovery {
  const { services, config } = deps;
  return new AccountRecovery({
    db: services.db,
    clock: services.clock,
    random: services.random,
    hasher: services.hasher,
    throttle: services.throttle,
    rateLimiter: services.rateLimiter,
    outbox: services.outbox,
    settings: resolveRecoverySettings({
      signInUrl: services.urls.signIn,
      passwordResetUrl: services.urls.passwordReset,
      compositionRule: config.passwords.compositionRule,
    }),
    legacyPasswordReset: (request) => services.migration.requestLegacyPasswordReset(request),
  });
}

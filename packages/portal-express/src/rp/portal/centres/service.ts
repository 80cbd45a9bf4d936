import { CentreService } from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';

/** Where an invitation link leads: the acceptance page, in the invitee's language. */
export function invitationUrl(publicUrl: string, token: string, locale: 'en' | 'cy'): string {
  return `${publicUrl}/invitation/${encodeURIComponent(token)}?lang=${locale}`;
}

/** The centre rules (identity-core's CentreService) wired to the portal's services and settings. */
export function createCentreService(deps: RouteDependencies): CentreService {
  const { db, clock, random, outbox, hasher } = deps.services;
  return new CentreService({
    db,
    clock,
    random,
    outbox,
    hasher,
    acceptUrl: (token, locale) => invitationUrl(deps.config.publicUrl, token, locale),
    passwordPolicy: { compositionRule: deps.config.passwords.compositionRule },
  });
}

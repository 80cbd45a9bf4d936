import {
  KnexAccountRepository,
  KnexAuditLog,
  formatMailDateTime,
  type AuditEvent,
} from '@porth/identity-core';
import type { PortalServices } from '../../../services.js';

/** How many of an account's latest audit events the account page shows. */
export const RECENT_EVENTS = 25;

/** The event types the console describes in words; any other is shown as its raw type. */
const DESCRIBED_TYPES = new Set([
  'account.created',
  'account.migrated',
  'account.profile_updated',
  'account.status_changed',
  'account.deleted',
  'account.signed_out_everywhere',
  'account.sessions_ended',
  'account.unlocked',
  'password.changed',
  'password.rehashed',
  'sign_in',
  'sign_in.password',
  'sign_out',
  'mfa.enrolment_started',
  'mfa.factor_added',
  'mfa.factor_removed',
  'mfa.default_changed',
  'mfa.code_sent',
  'mfa.verified',
  'mfa.verification_failed',
  'mfa.verification_locked',
  'mfa.verification_throttled',
  'mfa.locked',
  'mfa.reset',
  'mfa.recovery_codes_generated',
  'mfa.recovery_code_used',
  'migration.legacy_password',
  'migration.username_shown',
  'migration.temporary_password_resent',
  'migration.first_sign_in',
  'migration.required_action_completed',
  'migration.completed',
  'migration.legacy_password_reset_requested',
  'migration.legacy_password_reset',
  'recovery.username_reminder',
  'recovery.password_reset_requested',
  'recovery.password_reset',
  'centre.invitation_accepted',
  'centre.member_added',
  'centre.access_changed',
  'centre.member_removed',
  'support.access_denied',
]);

/** Failure reasons the console describes in words; any other is shown as it is. */
const DESCRIBED_REASONS = new Set([
  'invalid_credentials',
  'account_locked',
  'ip_rate_limited',
  'disabled',
  'needs_migration',
  'temporary_password_expired',
  'legacy_username_used',
  'no_usable_email',
  'rate_limited',
  'invalid_code',
  'code_expired',
  'too_many_attempts',
  'locked',
  'throttled',
  'mfa_reset',
  'removed_from_last_centre',
]);

/** Event types whose `reason` is a support person's or administrator's own note. */
const NOTE_TYPES = new Set([
  'account.status_changed',
  'account.deleted',
  'account.unlocked',
  'mfa.reset',
  'migration.temporary_password_resent',
]);

/** Event types whose `reason` says why it happened (a code), whatever the outcome. */
const REASON_TYPES = new Set(['account.sessions_ended']);

/** One row of the account page's "Recent activity" table. */
export interface EventRow {
  readonly when: string;
  /** In words for the common types, else the raw type. */
  readonly what: string;
  /** True when `what` is the raw type (shown in a code font). */
  readonly raw: boolean;
  readonly failed: boolean;
  /** Why it happened or failed, in words when known. */
  readonly reason: string | null;
  /** A support person's note, when one acted. */
  readonly note: string | null;
  /** Who acted, when it was someone other than the account itself. */
  readonly by: string | null;
}

type Translate = (key: string, options?: Record<string, unknown>) => string;

/** The message-catalogue key that describes an event type (`sign_in.password` → `sign_in_password`). */
export function eventTypeKey(type: string): string | null {
  return DESCRIBED_TYPES.has(type) ? `support.audit.types.${type.replace(/\./g, '_')}` : null;
}

/**
 * The account's latest audit events, newest first, for people: described in the page's language
 * (the raw type when not one of the common ones), with who acted when it was not the account.
 */
export async function recentEvents(
  services: PortalServices,
  accountId: string,
  lang: 'en' | 'cy',
  t: Translate,
): Promise<EventRow[]> {
  const events = await new KnexAuditLog(services.db, services.clock).list({
    accountId,
    limit: RECENT_EVENTS,
  });
  const actors = await actorNames(services, events, accountId);
  return events.map((event) => {
    const key = eventTypeKey(event.type);
    const details = event.details ?? {};
    const actedBySomeoneElse = Boolean(event.actorId && event.actorId !== accountId);
    const rawReason = typeof details.reason === 'string' ? details.reason : null;
    const note = NOTE_TYPES.has(event.type) ? rawReason : null;
    const failureReason =
      note === null && (event.outcome === 'failure' || REASON_TYPES.has(event.type))
        ? rawReason
        : null;
    return {
      when: formatMailDateTime(event.occurredAt, lang),
      what: key ? t(key) : event.type,
      raw: key === null,
      failed: event.outcome === 'failure',
      reason:
        failureReason === null
          ? null
          : DESCRIBED_REASONS.has(failureReason)
            ? t(`support.audit.reasons.${failureReason}`)
            : failureReason,
      note,
      by: actedBySomeoneElse ? (actors.get(event.actorId ?? '') ?? event.actorId ?? null) : null,
    };
  });
}

/** The usernames (or names) of the accounts that acted on this one. */
async function actorNames(
  services: PortalServices,
  events: readonly AuditEvent[],
  accountId: string,
): Promise<Map<string, string>> {
  const ids = [
    ...new Set(
      events
        .map((e) => e.actorId)
        .filter((id): id is string => typeof id === 'string' && id !== accountId),
    ),
  ];
  const accounts = new KnexAccountRepository(services.db, services.clock, services.random);
  const names = new Map<string, string>();
  for (const id of ids) {
    const actor = await accounts.findById(id);
    if (!actor) continue;
    const name = [actor.givenName, actor.familyName].filter(Boolean).join(' ');
    const username = actor.username ?? actor.legacyUsername ?? actor.id;
    names.set(id, name ? `${name} (${username})` : username);
  }
  return names;
}

import type { Knex } from 'knex';

/** Tables compared row for row, with the columns that order them. */
const WHOLE_TABLES: readonly (readonly [string, readonly string[]])[] = [
  ['accounts', ['id']],
  ['account_required_actions', ['account_id', 'action']],
  ['account_migrations', ['account_id']],
  ['legacy_credentials', ['account_id']],
  ['centres', ['number']],
  ['centre_memberships', ['id']],
  ['mfa_accounts', ['account_id']],
  ['mfa_factors', ['id']],
  ['mfa_challenges', ['id']],
  ['mfa_recovery_codes', ['id']],
  ['one_time_tokens', ['token_hash']],
  ['lockouts', ['key']],
  ['throttle_counters', ['key']],
  ['flows', ['id']],
  ['oidc_models', ['model', 'id']],
  ['marks', ['candidate_id', 'source']],
  ['moderation_reports', ['unit_id', 'centre_number']],
  ['audit_events', ['id']],
];

/**
 * Everything a request could have changed, in a stable order, for a before/after comparison:
 * every data table row for row, queued mail by who and what (the dispatcher marks it sent in the
 * background), and application sessions by id and owner (their sealed tokens renew).
 */
export async function snapshot(db: Knex): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, keys] of WHOLE_TABLES) {
    out[table] = (await db(table)
      .select('*')
      .orderBy([...keys])) as unknown[];
  }
  out.outbox_messages = await db('outbox_messages')
    .select('id', 'recipient', 'template', 'account_id')
    .orderBy('id');
  out.rp_sessions = await db('rp_sessions')
    .select('id', 'app', 'account_id')
    .orderBy(['app', 'id']);
  return out;
}

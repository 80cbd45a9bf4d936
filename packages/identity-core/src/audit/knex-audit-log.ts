import type { Clock } from '../clock.js';
import type { Executor } from '../db/transaction.js';
import type { AuditEvent, AuditLog, AuditQuery, NewAuditEvent } from './audit-event.js';

interface AuditRow {
  id: number | string;
  occurred_at: number | string;
  type: string;
  outcome: 'success' | 'failure';
  account_id: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string | null;
}

const MAX_USER_AGENT = 512;

/** The audit log in the `audit_events` table; pass a transaction to write with other changes. */
export class KnexAuditLog implements AuditLog {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {}

  /** Appends one event stamped with the current time. */
  async append(event: NewAuditEvent): Promise<void> {
    await this.db('audit_events').insert({
      occurred_at: this.clock.now().getTime(),
      type: event.type,
      outcome: event.outcome,
      account_id: event.accountId ?? null,
      actor_id: event.actorId ?? null,
      ip: event.ip ? event.ip.slice(0, 64) : null,
      user_agent: event.userAgent ? event.userAgent.slice(0, MAX_USER_AGENT) : null,
      details: event.details ? JSON.stringify(event.details) : null,
    });
  }

  /** Reads events, newest first. */
  async list(query: AuditQuery = {}): Promise<AuditEvent[]> {
    let q = this.db<AuditRow>('audit_events')
      .select('*')
      .orderBy([
        { column: 'occurred_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(Math.min(query.limit ?? 100, 1000));
    if (query.accountId) q = q.where('account_id', query.accountId);
    if (query.type) q = q.where('type', query.type);
    if (query.since) q = q.where('occurred_at', '>=', query.since.getTime());
    const rows = (await q) as AuditRow[];
    return rows.map((r) => ({
      id: Number(r.id),
      occurredAt: new Date(Number(r.occurred_at)),
      type: r.type,
      outcome: r.outcome,
      accountId: r.account_id,
      actorId: r.actor_id,
      ip: r.ip,
      userAgent: r.user_agent,
      details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : undefined,
    }));
  }
}

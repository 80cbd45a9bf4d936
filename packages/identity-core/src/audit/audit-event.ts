/** Whether the audited action succeeded. */
export type AuditOutcome = 'success' | 'failure';

/** Where a request came from, for the audit log. */
export interface RequestContext {
  readonly ip?: string | null;
  readonly userAgent?: string | null;
}

/** A security-relevant event to append to the audit log. */
export interface NewAuditEvent extends RequestContext {
  /** Dotted event type, e.g. `account.created`, `password.changed`, `token.consumed`. */
  readonly type: string;
  readonly outcome: AuditOutcome;
  /** The account the event is about, if any. */
  readonly accountId?: string | null;
  /** The account that acted, when it is not the subject (support staff, a centre admin). */
  readonly actorId?: string | null;
  /** Extra facts; never a password, token, code or secret. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** An event as stored in the audit log. */
export interface AuditEvent extends NewAuditEvent {
  readonly id: number;
  readonly occurredAt: Date;
}

/** Filters for reading the audit log. */
export interface AuditQuery {
  readonly accountId?: string;
  readonly type?: string;
  /** Events at or after this time. */
  readonly since?: Date;
  /** At most this many events, newest first (default 100). */
  readonly limit?: number;
}

/** The append-only audit log: events can be added and read, never changed or removed. */
export interface AuditLog {
  /** Appends one event stamped with the current time. */
  append(event: NewAuditEvent): Promise<void>;
  /** Reads events, newest first. */
  list(query?: AuditQuery): Promise<AuditEvent[]>;
}

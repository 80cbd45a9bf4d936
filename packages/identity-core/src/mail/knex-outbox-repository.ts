import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import type { Executor } from '../db/transaction.js';
import type { OutboxStatus } from './mail-message.js';

const TABLE = 'outbox_messages';
const MAX_ERROR_LENGTH = 1000;

/** One row of the outbox as stored; `payload` is the encrypted message (or null once erased). */
export interface OutboxRecord {
  readonly id: string;
  readonly channel: string;
  readonly recipient: string;
  readonly template: string;
  readonly locale: string;
  readonly accountId: string | null;
  readonly payload: string | null;
  readonly status: OutboxStatus;
  /** Delivery attempts started so far (counted when a message is claimed). */
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly claimedUntil: Date | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
}

/** What insert() stores: a new message, pending and due at `nextAttemptAt`. */
export interface NewOutboxRecord {
  readonly id: string;
  readonly channel: string;
  readonly recipient: string;
  readonly template: string;
  readonly locale: string;
  readonly accountId: string | null;
  readonly payload: string;
  readonly createdAt: Date;
  readonly nextAttemptAt: Date;
}

interface OutboxRow {
  id: string;
  channel: string;
  recipient: string;
  template: string;
  locale: string;
  account_id: string | null;
  payload: string | null;
  status: string;
  attempts: number | string;
  next_attempt_at: number | string;
  claimed_until: number | string | null;
  last_error: string | null;
  created_at: number | string;
  sent_at: number | string | null;
}

/**
 * The `outbox_messages` table. Every state change after insert is a guarded UPDATE that names
 * the state it expects (status, and `attempts` as the claim's fencing number) and reports
 * whether it won, so two dispatchers never both own a message.
 *
 * States: `pending` ──claim──▶ `sending` ──▶ `sent` | `pending` (retry later) | `failed`;
 * a `sending` claim whose lease ran out (the process died) can be claimed again.
 */
export class KnexOutboxRepository {
  constructor(private readonly db: Executor) {}

  /** Stores a new pending message. */
  async insert(record: NewOutboxRecord): Promise<void> {
    await this.db(TABLE).insert({
      id: record.id,
      channel: record.channel,
      recipient: record.recipient,
      template: record.template,
      locale: record.locale,
      account_id: record.accountId,
      payload: record.payload,
      status: 'pending',
      attempts: 0,
      next_attempt_at: record.nextAttemptAt.getTime(),
      claimed_until: null,
      last_error: null,
      created_at: record.createdAt.getTime(),
      sent_at: null,
    });
  }

  /** Loads one message, or null. */
  async find(id: string): Promise<OutboxRecord | null> {
    const row = (await this.db<OutboxRow>(TABLE).where({ id }).first()) as OutboxRow | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * Messages of `channel` that may be claimed at `now`, soonest due first: pending and due, or
   * `sending` with a lease that has run out. Reading them claims nothing.
   */
  async findDue(channel: string, now: Date, limit: number): Promise<OutboxRecord[]> {
    const at = now.getTime();
    const rows = (await this.db<OutboxRow>(TABLE)
      .select('*')
      .where('channel', channel)
      .andWhere((q) => claimable(q, at))
      .orderBy([
        { column: 'next_attempt_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(limit)) as OutboxRow[];
    return rows.map(toRecord);
  }

  /**
   * Claims a message for one delivery attempt until `leaseUntil`: succeeds for exactly one caller,
   * and only if the message is still claimable at `now` with `expectedAttempts` attempts. The
   * claim counts the attempt (attempts becomes expectedAttempts + 1, the claim's fencing number).
   */
  async claim(id: string, expectedAttempts: number, now: Date, leaseUntil: Date): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id, attempts: expectedAttempts })
      .andWhere((q) => claimable(q, now.getTime()))
      .update({
        status: 'sending',
        attempts: expectedAttempts + 1,
        claimed_until: leaseUntil.getTime(),
      });
    return updated === 1;
  }

  /** Records delivery by the holder of claim `attempts`; erases the payload unless `keepPayload`. */
  async markSent(
    id: string,
    attempts: number,
    sentAt: Date,
    keepPayload: boolean,
  ): Promise<boolean> {
    const changes: Record<string, unknown> = {
      status: 'sent',
      sent_at: sentAt.getTime(),
      claimed_until: null,
      last_error: null,
    };
    if (!keepPayload) changes.payload = null;
    return (await this.db(TABLE).where({ id, status: 'sending', attempts }).update(changes)) === 1;
  }

  /** Returns a failed attempt (claim `attempts`) to pending, due again at `nextAttemptAt`. */
  async markRetry(
    id: string,
    attempts: number,
    nextAttemptAt: Date,
    error: string,
  ): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id, status: 'sending', attempts })
      .update({
        status: 'pending',
        next_attempt_at: nextAttemptAt.getTime(),
        claimed_until: null,
        last_error: error.slice(0, MAX_ERROR_LENGTH),
      });
    return updated === 1;
  }

  /** Gives up on a message (claim `attempts`); the row is kept, the payload erased unless `keepPayload`. */
  async markFailed(
    id: string,
    attempts: number,
    error: string,
    keepPayload: boolean,
  ): Promise<boolean> {
    const changes: Record<string, unknown> = {
      status: 'failed',
      claimed_until: null,
      last_error: error.slice(0, MAX_ERROR_LENGTH),
    };
    if (!keepPayload) changes.payload = null;
    return (await this.db(TABLE).where({ id, status: 'sending', attempts }).update(changes)) === 1;
  }

  /**
   * Gives up on claimable messages of `channel` created before `createdBefore` (too old to be
   * worth sending); `reason` goes in front of their last error. Returns how many.
   */
  async failOlderThan(options: {
    readonly channel: string;
    readonly now: Date;
    readonly createdBefore: Date;
    readonly reason: string;
    readonly keepPayload: boolean;
  }): Promise<number> {
    return this.db(TABLE)
      .where('channel', options.channel)
      .andWhere((q) => claimable(q, options.now.getTime()))
      .andWhere('created_at', '<', options.createdBefore.getTime())
      .update(this.failure(options.reason, options.keepPayload));
  }

  /**
   * Gives up on messages of `channel` whose claim ran out (the sender stopped mid-attempt) after
   * `maxAttempts` attempts; `reason` goes in front of their last error. Returns how many.
   */
  async failAbandonedClaims(options: {
    readonly channel: string;
    readonly now: Date;
    readonly maxAttempts: number;
    readonly reason: string;
    readonly keepPayload: boolean;
  }): Promise<number> {
    return this.db(TABLE)
      .where('channel', options.channel)
      .andWhere('status', 'sending')
      .andWhere('claimed_until', '<', options.now.getTime())
      .andWhere('attempts', '>=', options.maxAttempts)
      .update(this.failure(options.reason, options.keepPayload));
  }

  /** Recent messages, newest first; all channels unless one is named. */
  async listRecent(options: {
    readonly limit: number;
    readonly channel?: string;
  }): Promise<OutboxRecord[]> {
    let q = this.db<OutboxRow>(TABLE)
      .select('*')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(Math.max(1, Math.min(options.limit, 1000)));
    if (options.channel) q = q.where('channel', options.channel);
    return ((await q) as OutboxRow[]).map(toRecord);
  }

  /** Deletes sent messages sent before `before` (at most `batch`); returns how many. */
  async deleteSentBefore(before: Date, batch = 1000): Promise<number> {
    const ids = (await this.db(TABLE)
      .where('status', 'sent')
      .andWhere('sent_at', '<', before.getTime())
      .limit(batch)
      .pluck('id')) as string[];
    if (ids.length === 0) return 0;
    return this.db(TABLE).whereIn('id', ids).andWhere('status', 'sent').delete();
  }

  /** The changes that fail a message in bulk, keeping its last error after `reason`. */
  private failure(reason: string, keepPayload: boolean): Record<string, unknown> {
    const prefix = `${reason}; last error: `;
    const lastError =
      dialectOf(this.db as Knex) === 'mysql'
        ? this.db.raw(
            `SUBSTRING(CONCAT(?, COALESCE(last_error, 'none')), 1, ${MAX_ERROR_LENGTH})`,
            [prefix],
          )
        : this.db.raw(`SUBSTR(? || COALESCE(last_error, 'none'), 1, ${MAX_ERROR_LENGTH})`, [
            prefix,
          ]);
    const changes: Record<string, unknown> = {
      status: 'failed',
      claimed_until: null,
      last_error: lastError,
    };
    if (!keepPayload) changes.payload = null;
    return changes;
  }
}

/** Pending and due at `at`, or claimed with a lease that ran out before `at`. */
function claimable(q: Knex.QueryBuilder, at: number): Knex.QueryBuilder {
  return q
    .where((p) => p.where('status', 'pending').andWhere('next_attempt_at', '<=', at))
    .orWhere((p) => p.where('status', 'sending').andWhere('claimed_until', '<', at));
}

function toRecord(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    channel: row.channel,
    recipient: row.recipient,
    template: row.template,
    locale: row.locale,
    accountId: row.account_id,
    payload: row.payload,
    status: row.status as OutboxStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: new Date(Number(row.next_attempt_at)),
    claimedUntil: row.claimed_until === null ? null : new Date(Number(row.claimed_until)),
    lastError: row.last_error,
    createdAt: new Date(Number(row.created_at)),
    sentAt: row.sent_at === null ? null : new Date(Number(row.sent_at)),
  };
}

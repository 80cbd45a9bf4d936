import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/** A row as compared: every value as a string (or null), the same on SQLite and MariaDB. */
export type Row = Readonly<Record<string, string | null>>;

/**
 * Columns that background work changes on its own, whatever the requests do; they are left out
 * of every comparison. The mail dispatcher marks queued messages sent (every 200 ms in tests),
 * and the built-in applications re-seal their session data when they renew tokens.
 */
export const BACKGROUND_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  outbox_messages: [
    'status',
    'attempts',
    'next_attempt_at',
    'claimed_until',
    'last_error',
    'sent_at',
    'payload',
  ],
  rp_sessions: ['sealed', 'expires_at'],
};

/** The append-only audit log: compared by what is appended, not by re-reading every row. */
const AUDIT = 'audit_events';

interface TableState {
  readonly keyColumns: readonly string[];
  readonly rows: ReadonlyMap<string, Row>;
}

/** Every row of every table (the audit log: its size and last id). */
export interface Snapshot {
  readonly tables: ReadonlyMap<string, TableState>;
  readonly auditCount: number;
  readonly auditMaxId: number;
}

/** One row that differs between two snapshots. */
export interface RowChange {
  readonly table: string;
  readonly key: string;
  /** null: the row is new. */
  readonly before: Row | null;
  /** null: the row is gone. */
  readonly after: Row | null;
}

function normalise(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) return String(value.getTime());
  return String(value);
}

function normaliseRow(table: string, raw: Record<string, unknown>): Row {
  const skip = BACKGROUND_COLUMNS[table] ?? [];
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(raw)) if (!skip.includes(k)) out[k] = normalise(v);
  return out;
}

/** Reads every table's rows and primary keys from the database. */
export class DatabaseSnapshots {
  private tablesCache: { name: string; key: string[] }[] | null = null;

  constructor(private readonly db: Knex) {}

  private get mysql(): boolean {
    const client = String((this.db.client as { config?: { client?: unknown } }).config?.client);
    return client.includes('mysql');
  }

  private async tables(): Promise<{ name: string; key: string[] }[]> {
    if (this.tablesCache) return this.tablesCache;
    const out: { name: string; key: string[] }[] = [];
    if (this.mysql) {
      const [names] = (await this.db.raw(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
      )) as [{ name: string }[]];
      const [keys] = (await this.db.raw(
        `SELECT table_name AS name, column_name AS col FROM information_schema.key_column_usage
         WHERE table_schema = DATABASE() AND constraint_name = 'PRIMARY'
         ORDER BY table_name, ordinal_position`,
      )) as [{ name: string; col: string }[]];
      for (const { name } of names) {
        out.push({ name, key: keys.filter((k) => k.name === name).map((k) => k.col) });
      }
    } else {
      const names = (await this.db.raw(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
      )) as { name: string }[];
      for (const { name } of names) {
        const info = (await this.db.raw(`PRAGMA table_info(??)`, [name])) as {
          name: string;
          pk: number;
        }[];
        out.push({
          name,
          key: info
            .filter((c) => c.pk > 0)
            .sort((a, b) => a.pk - b.pk)
            .map((c) => c.name),
        });
      }
    }
    this.tablesCache = out.sort((a, b) => a.name.localeCompare(b.name));
    return this.tablesCache;
  }

  /** Every row of every table, keyed by primary key (by content when a table has none). */
  async take(): Promise<Snapshot> {
    const list = await this.tables();
    // The tables are read at once (in parallel on a server database); nothing else writes then.
    const [audit, ...states] = await Promise.all([
      this.db(AUDIT).count({ n: '*' }).max({ m: 'id' }) as Promise<{ n: unknown; m: unknown }[]>,
      ...list.filter((t) => t.name !== AUDIT).map((t) => this.readTable(t.name, t.key)),
    ]);
    const tables = new Map<string, TableState>();
    for (const [name, state] of states) tables.set(name, state);
    return {
      tables,
      auditCount: Number(audit[0]?.n ?? 0),
      auditMaxId: Number(audit[0]?.m ?? 0),
    };
  }

  private async readTable(name: string, key: readonly string[]): Promise<[string, TableState]> {
    const rows = new Map<string, Row>();
    const seen = new Map<string, number>();
    for (const raw of (await this.db(name).select('*')) as Record<string, unknown>[]) {
      const row = normaliseRow(name, raw);
      let id: string;
      if (key.length > 0) {
        id = key.map((k) => row[k] ?? '').join('|');
      } else {
        const digest = createHash('sha1').update(JSON.stringify(row)).digest('hex');
        const n = (seen.get(digest) ?? 0) + 1;
        seen.set(digest, n);
        id = `${digest}#${n}`;
      }
      rows.set(id, row);
    }
    return [name, { keyColumns: key, rows }];
  }

  /** Every row that differs between `before` and `after`, audit events appended included. */
  async changes(before: Snapshot, after: Snapshot): Promise<RowChange[]> {
    const out: RowChange[] = [];
    for (const [table, a] of after.tables) {
      const b = before.tables.get(table);
      const beforeRows = b?.rows ?? new Map<string, Row>();
      for (const [key, row] of a.rows) {
        const old = beforeRows.get(key);
        if (!old) out.push({ table, key, before: null, after: row });
        else if (JSON.stringify(old) !== JSON.stringify(row))
          out.push({ table, key, before: old, after: row });
      }
      for (const [key, row] of beforeRows) {
        if (!a.rows.has(key)) out.push({ table, key, before: row, after: null });
      }
    }
    const appended = (await this.db(AUDIT)
      .where('id', '>', before.auditMaxId)
      .andWhere('id', '<=', after.auditMaxId)
      .select('*')) as Record<string, unknown>[];
    for (const raw of appended) {
      const row = normaliseRow(AUDIT, raw);
      out.push({ table: AUDIT, key: row.id ?? '', before: null, after: row });
    }
    const removed = before.auditCount + appended.length - after.auditCount;
    if (removed !== 0) {
      out.push({
        table: AUDIT,
        key: `${removed} earlier event(s) removed`,
        before: { removed: String(removed) },
        after: null,
      });
    }
    return out;
  }

  /** The number of rows in every table. */
  counts(snapshot: Snapshot): Record<string, number> {
    const out: Record<string, number> = { [AUDIT]: snapshot.auditCount };
    for (const [name, t] of snapshot.tables) out[name] = t.rows.size;
    return out;
  }
}

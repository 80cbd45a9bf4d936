import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import { ConfigError } from '../errors.js';

/** Which family of database a knex instance speaks to. */
export type DatabaseDialect = 'sqlite' | 'mysql';

/** A parsed `DATABASE_URL`. */
export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly filename: string }
  | {
      readonly dialect: 'mysql';
      readonly host: string;
      readonly port: number;
      readonly user: string;
      readonly password: string;
      readonly database: string;
    };

/** Options for connectDatabase. */
export interface ConnectOptions {
  /** Largest number of pooled MySQL connections (default 10). SQLite always uses one. */
  readonly poolMax?: number;
  /** Resolve relative SQLite paths against this directory (default: the working directory). */
  readonly baseDir?: string;
}

/**
 * Parses a `DATABASE_URL`: `sqlite:./data/porth.sqlite`, `sqlite:///abs/path.sqlite`,
 * `sqlite::memory:`, or `mysql://user:password@host:3306/database` (also `mariadb://`).
 */
export function parseDatabaseUrl(url: string, baseDir = process.cwd()): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '')
      throw new ConfigError([{ path: 'DATABASE_URL', message: 'names no SQLite file' }]);
    return { dialect: 'sqlite', filename: path === ':memory:' ? path : resolve(baseDir, path) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConfigError([{ path: 'DATABASE_URL', message: 'is not a valid URL' }], { cause });
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new ConfigError([
      {
        path: 'DATABASE_URL',
        message: `uses unsupported scheme "${parsed.protocol}"; use sqlite: or mysql://`,
      },
    ]);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new ConfigError([{ path: 'DATABASE_URL', message: 'names no database' }]);
  return {
    dialect: 'mysql',
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database,
  };
}

/** Opens a knex instance for a `DATABASE_URL`; SQLite gets WAL, foreign keys and a busy timeout. */
export function connectDatabase(url: string, options: ConnectOptions = {}): Knex {
  const target = parseDatabaseUrl(url, options.baseDir);
  if (target.dialect === 'sqlite') {
    if (target.filename !== ':memory:') mkdirSync(dirname(target.filename), { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: target.filename },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
          try {
            conn.pragma('journal_mode = WAL');
            conn.pragma('foreign_keys = ON');
            conn.pragma('busy_timeout = 5000');
            conn.pragma('synchronous = NORMAL');
            reusePreparedStatements(conn);
            done(null, conn);
          } catch (err) {
            done(err as Error, conn);
          }
        },
      },
    });
  }
  return knexFactory({
    client: 'mysql2',
    connection: {
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      charset: 'utf8mb4',
      timezone: 'Z',
      decimalNumbers: true,
      connectTimeout: 5000,
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
    acquireConnectionTimeout: 10000,
  });
}

interface SqliteConnection {
  pragma(source: string): unknown;
  prepare(source: string): unknown;
}

/** Compiled statements kept per SQLite connection; the least recently used goes first. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * knex asks better-sqlite3 to parse and plan every statement again, which was the largest single
 * cost of a request on SQLite. The portal sends the same few hundred statement texts over and
 * over (values are bound separately), so each connection keeps its compiled statements. knex only
 * runs them to completion (`all`/`run`), so a statement is never in use twice at once. A query
 * must not set knex's per-query `safeIntegers` option: a shared statement would keep it.
 */
function reusePreparedStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (source: string) => {
    let statement = cache.get(source);
    if (statement === undefined) {
      statement = prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    } else {
      cache.delete(source);
    }
    cache.set(source, statement);
    return statement;
  };
}

/** Tells which database family a knex instance (or transaction) speaks to. */
export function dialectOf(db: Knex): DatabaseDialect {
  const client = String(db.client.config.client);
  return client === 'mysql2' || client === 'mysql' ? 'mysql' : 'sqlite';
}

/** Helpers that classify driver errors the same way on SQLite and MySQL/MariaDB. */

interface DriverError {
  code?: unknown;
  errno?: unknown;
  name?: unknown;
  /** mysql2: the error ended the connection (e.g. a ROLLBACK on a connection the server dropped). */
  fatal?: unknown;
}

function fields(err: unknown): DriverError {
  return typeof err === 'object' && err !== null ? (err as DriverError) : {};
}

/** True when an insert or update broke a unique or primary key. */
export function isUniqueViolation(err: unknown): boolean {
  const { code, errno } = fields(err);
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'ER_DUP_ENTRY' ||
    errno === 1062
  );
}

/** True when the statement lost a lock race and may simply be retried. */
export function isRetryableConflict(err: unknown): boolean {
  const { code, errno } = fields(err);
  return (
    code === 'SQLITE_BUSY' ||
    code === 'SQLITE_BUSY_SNAPSHOT' ||
    code === 'ER_LOCK_DEADLOCK' ||
    code === 'ER_LOCK_WAIT_TIMEOUT' ||
    errno === 1213 ||
    errno === 1205
  );
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
]);

/** better-sqlite3's own check (a TypeError, no code) when the SQLite file's directory is gone. */
const SQLITE_DIRECTORY_GONE = 'Cannot open database because the directory does not exist';

/** True when the database itself could not be reached or is shutting down. */
export function isConnectionError(err: unknown): boolean {
  const { code, name, fatal } = fields(err);
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (fatal === true) return true;
  if (err instanceof TypeError && err.message.startsWith(SQLITE_DIRECTORY_GONE)) return true;
  if (name === 'KnexTimeoutError') return true;
  const cause =
    typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  return cause !== undefined && cause !== err && isConnectionError(cause);
}

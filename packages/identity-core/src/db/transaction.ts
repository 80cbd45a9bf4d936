import type { Knex } from 'knex';
import { DatabaseUnavailableError } from '../errors.js';
import { isConnectionError, isRetryableConflict } from './errors.js';

/** A knex instance or an open transaction: what a repository runs its SQL on. */
export type Executor = Knex | Knex.Transaction;

/** Options for transaction. */
export interface TransactionOptions {
  /** How many times to retry after a deadlock or busy database (default 4). */
  readonly retries?: number;
}

/**
 * Runs `work` in one database transaction: committed if it resolves, rolled back if it throws.
 * Deadlocks and busy errors are retried; inside an open transaction `work` joins it.
 * A lost connection becomes DatabaseUnavailableError.
 */
export async function transaction<T>(
  db: Executor,
  work: (trx: Knex.Transaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (db.isTransaction) return work(db as Knex.Transaction);
  const retries = options.retries ?? 4;
  for (let attempt = 0; ; attempt++) {
    try {
      return await (db as Knex).transaction(work);
    } catch (err) {
      if (attempt < retries && isRetryableConflict(err)) {
        await new Promise((r) => setTimeout(r, 5 * 2 ** attempt + Math.floor(Math.random() * 10)));
        continue;
      }
      throw translateDatabaseError(err);
    }
  }
}

/** Turns a lost-connection driver error into DatabaseUnavailableError; other errors pass through. */
export function translateDatabaseError(err: unknown): unknown {
  return isConnectionError(err) ? new DatabaseUnavailableError({ cause: err }) : err;
}

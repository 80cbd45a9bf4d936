import { PorthError } from '@porth/identity-core';

/** The codes of the mark-input errors. */
export type MarksErrorCode = 'MARK_LOCKED';

/** Base class of the mark-input errors (no HTTP status: the routes decide). */
export class MarksError extends PorthError<MarksErrorCode> {}

/**
 * Some marks could not be saved because they were submitted already (or belong to another
 * examiner); the transaction is rolled back, so nothing of the request is saved.
 */
export class MarkLockedError extends MarksError {
  constructor(readonly candidateIds: readonly string[]) {
    super('MARK_LOCKED', `${candidateIds.length} mark(s) were submitted and cannot be changed`);
  }
}

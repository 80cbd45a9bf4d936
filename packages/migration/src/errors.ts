import { PorthError } from '@porth/identity-core';

/** Every error code @porth/migration can raise; switch on `error.code`. */
export type MigrationErrorCode = 'IMPORT_SOURCE_INVALID';

/** Base class of every error thrown by @porth/migration. */
export class MigrationError extends PorthError<MigrationErrorCode> {}

/**
 * The import source cannot be read as legacy rows at all: a CSV header without
 * `legacy_username` or `password_hash`, an empty file, a column mapping that names no column.
 * (Single bad rows never throw: they are rejected and reported.)
 */
export class ImportSourceError extends MigrationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IMPORT_SOURCE_INVALID', message, options);
  }
}

import type { Executor } from '@porth/identity-core';

/** SQLite allows at most 32,766 bound values per statement; stay far below. */
const LOOKUP_BATCH = 1000;

/** Read-only look-ups the importer needs beyond the account repository (dry runs). */
export class KnexImportRepository {
  constructor(private readonly db: Executor) {}

  /** Which of these normalised legacy usernames are already imported (deleted accounts included). */
  async findImportedKeys(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let start = 0; start < keys.length; start += LOOKUP_BATCH) {
      const rows = (await this.db('accounts')
        .whereIn('legacy_username_key', keys.slice(start, start + LOOKUP_BATCH))
        .pluck('legacy_username_key')) as string[];
      for (const key of rows) found.add(key);
    }
    return found;
  }
}

/**
 * Runs one legacy import in its own process, for the test that kills an import half-way:
 *   node --import tsx --conditions=@porth/source import-child.ts DATABASE_URL CSV_FILE BATCH_SIZE
 * Prints `progress N` after each batch (N = rows imported or already there) and `done` at the end.
 * The source is slowed a little (1 ms every 50 rows), as a network share would be, so that
 * the parent can catch it in the middle.
 */
import { createReadStream } from 'node:fs';
import { connectDatabase, cryptoRandom, systemClock } from '@porth/identity-core';
import { importLegacyAccounts, readLegacyCsv, type SourceRow } from '../../src/index.js';

const [url, file, batch] = process.argv.slice(2);
if (!url || !file) throw new Error('usage: import-child.ts DATABASE_URL CSV_FILE [BATCH_SIZE]');

async function* slowly(rows: AsyncIterable<SourceRow>): AsyncGenerator<SourceRow> {
  let n = 0;
  for await (const row of rows) {
    if (++n % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    yield row;
  }
}

const db = connectDatabase(url);
try {
  await importLegacyAccounts({
    db,
    clock: systemClock,
    random: cryptoRandom,
    rows: slowly(readLegacyCsv(createReadStream(file))),
    batchSize: Number(batch ?? 100),
    onProgress: (p) => {
      process.stdout.write(`progress ${p.imported + p.alreadyImported}\n`);
    },
  });
  process.stdout.write('done\n');
} finally {
  await db.destroy();
}

/**
 * Legacy import benchmark: generates a CSV of 100,000 legacy rows (hashes in every legacy
 * format, a few rows with gaps in their details), imports it with @porth/migration into a fresh
 * SQLite database and, when DATABASE_URL is a mysql:// (or mariadb://) URL, into a fresh
 * database on that server too, and prints rows per second.
 *
 *   npm run bench:import                      # SQLite
 *   DATABASE_URL=mysql://u:p@127.0.0.1:3306/porth npm run bench:import
 *   npm run bench:import -- --rows 20000 --batch-size 1000
 *
 * The aim (issue 3): at least 5,000 rows/s on SQLite on a 2-core machine.
 */
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cryptoRandom, identityCoreMigrations, systemClock } from '@porth/identity-core';
import { createTestDatabase } from '@porth/identity-core/testing';
import { importLegacyAccounts, migrationMigrations, readLegacyCsv } from '@porth/migration';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    'batch-size': { type: 'string', default: '500' },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values['batch-size']);
if (!Number.isSafeInteger(ROWS) || ROWS <= 0 || !Number.isSafeInteger(BATCH) || BATCH <= 0) {
  throw new Error('--rows and --batch-size must be positive whole numbers');
}

/** Hashes made by independent tools (packages/identity-core/test/fixtures/legacy-hashes). */
const HASHES = [
  '$2y$10$ZGidS2OufYZ/pCoHvDRNXOg2v3Kb2ft5kFnFZ.uA9eVa37KnqGn4G',
  '$1$x.y/Z9$iZfDJlDy8lycwW6pvAYSf.',
  'pbkdf2_sha256$36000$aBcD1234eFgH$glRme0GO1c2FlgoAqbqbcLIL5tM3YbfsFcMh6yyZj0M=',
  '{SSHA}NIZJPfrA/0pxvsrkns3r396erSVYeTcja1EyIQ==',
];
const GIVEN = ['Siân', 'Llŷr', 'Gwen', 'Dafydd', 'Rhys', 'Ffion', 'Owain', 'Catrin'];
const FAMILY = ['Jones', 'Williams', 'Davies', 'Evans', 'Thomas', 'ap Gwilym', "O'Brien", 'Morgan'];

function generateCsv(file: string, rows: number): void {
  const lines = [
    'legacy_username,email,given_name,family_name,phone,centre_number,teaching_centre,password_hash,payroll_number',
  ];
  for (let i = 0; i < rows; i++) {
    const given = GIVEN[i % GIVEN.length] as string;
    const family = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length] as string;
    const gaps = i % 10 === 0;
    lines.push(
      [
        `${given.toLowerCase()}.${family.toLowerCase().replace(/\W/g, '')}${i}`,
        `appointee${i}@example.org`,
        given,
        `"${family}"`,
        gaps ? '' : `07700 9${String(i % 100_000).padStart(5, '0')}`,
        String(68_000 + (i % 900)),
        gaps ? '' : `Ysgol ${family}`,
        HASHES[i % HASHES.length],
        `P-${i}`,
      ].join(','),
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

async function run(label: string, baseUrl: string | undefined, file: string): Promise<void> {
  const database = await createTestDatabase(
    [...identityCoreMigrations, ...migrationMigrations],
    baseUrl,
  );
  try {
    const started = performance.now();
    const summary = await importLegacyAccounts({
      db: database.db,
      clock: systemClock,
      random: cryptoRandom,
      rows: readLegacyCsv(createReadStream(file)),
      batchSize: BATCH,
    });
    const seconds = (performance.now() - started) / 1000;
    if (summary.imported !== ROWS || summary.rejected !== 0) {
      throw new Error(`${label}: expected ${ROWS} rows imported, got ${JSON.stringify(summary)}`);
    }
    const rate = Math.round(ROWS / seconds);
    process.stdout.write(
      `${label.padEnd(14)} ${ROWS.toLocaleString('en-GB')} rows in ${seconds.toFixed(1)} s: ` +
        `${rate.toLocaleString('en-GB')} rows/s\n`,
    );
  } finally {
    await database.destroy();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'porth-bench-import-'));
try {
  const file = join(dir, 'legacy.csv');
  generateCsv(file, ROWS);
  process.stdout.write(
    `Legacy import: ${ROWS.toLocaleString('en-GB')} generated rows, ${BATCH} per transaction, ` +
      `${cpus().length} CPU core(s), Node ${process.version}\n`,
  );
  await run('SQLite', undefined, file);
  const url = process.env.DATABASE_URL;
  if (url && /^(mysql|mariadb):\/\//.test(url)) await run('MariaDB/MySQL', url, file);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

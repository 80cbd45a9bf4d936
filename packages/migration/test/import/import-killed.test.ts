import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createManualClock, cryptoRandom } from '@porth/identity-core';
import type { TestDatabase } from '@porth/identity-core/testing';
import { importLegacyAccounts, readLegacyCsv } from '../../src/index.js';
import {
  DATABASE_LABEL,
  createMigrationTestDatabase,
  vector,
} from '../support/migration-test-kit.js';

const ROWS = 20_000;
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../support/import-child.ts', import.meta.url));

/** Starts the child import; resolves once it has reported `atLeast` rows, then kills it. */
function importThenKill(
  url: string,
  file: string,
  atLeast: number,
): Promise<{ killed: boolean; lastSeen: number }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@porth/source', CHILD, url, file, '100'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let lastSeen = 0;
    let killed = false;
    let stderr = '';
    let buffered = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const n = /^progress (\d+)$/.exec(line)?.[1];
        if (n !== undefined) lastSeen = Number(n);
        if (!killed && lastSeen >= atLeast) {
          killed = child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && killed) resolve({ killed, lastSeen });
      else
        reject(
          new Error(
            `the import ended by itself (code ${code}, ${signal}) before it was killed:\n${stderr}`,
          ),
        );
    });
  });
}

describe(`importLegacyAccounts killed half-way (${DATABASE_LABEL})`, function () {
  this.timeout(120_000);
  let t: TestDatabase;
  let dir: string;
  let file: string;

  before(async () => {
    t = await createMigrationTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'porth-import-'));
    file = join(dir, 'legacy.csv');
    const hash = vector('md5-crypt').hash;
    const lines = ['legacy_username,email,given_name,family_name,password_hash'];
    for (let i = 0; i < ROWS; i++)
      lines.push(`amp.user${i},u${i}@example.org,Amp,User${i},${hash}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
  });
  after(async () => {
    await t?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finishes the job on the next run with every row there exactly once', async () => {
    const { lastSeen } = await importThenKill(t.url, file, 2_000);
    const count = async (table: string) =>
      Number(((await t.db(table).count({ n: '*' })) as { n: number | string }[])[0]?.n);
    const afterKill = await count('accounts');
    expect(afterKill, 'rows committed before the kill').to.be.at.least(lastSeen);
    expect(afterKill, 'the kill came before the end').to.be.below(ROWS);
    // Every committed batch is whole: accounts and migration records in step.
    expect(await count('account_migrations')).to.equal(afterKill);

    const summary = await importLegacyAccounts({
      db: t.db,
      clock: createManualClock(),
      random: cryptoRandom,
      rows: readLegacyCsv(createReadStream(file)),
    });
    expect(summary).to.include({
      read: ROWS,
      imported: ROWS - afterKill,
      alreadyImported: afterKill,
      rejected: 0,
    });
    expect(await count('accounts')).to.equal(ROWS);
    expect(await count('account_migrations')).to.equal(ROWS);
    const [distinct] = (await t.db('accounts').countDistinct({ n: 'legacy_username_key' })) as {
      n: number | string;
    }[];
    expect(Number(distinct?.n)).to.equal(ROWS);
  });
});

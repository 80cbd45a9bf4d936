import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectDatabase, pendingMigrations } from '@porth/identity-core';
import { createTestDatabase } from '@porth/identity-core/testing';
import { allMigrations } from '../src/db/migrations.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the installed `porth` command (`npx porth …`) from the repository root. */
async function porth(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('npx', ['--no-install', 'porth', ...args], {
      cwd: repoRoot,
      env: { ...process.env, NODE_ENV: 'test', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the porth command', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'porth-cli-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists its commands with --help, and every command has --help', async () => {
    const top = await porth(['--help']);
    expect(top.code).to.equal(0);
    expect(top.stdout).to.contain('start').and.contain('db');
    for (const args of [
      ['start', '--help'],
      ['db', '--help'],
      ['db', 'migrate', '--help'],
      ['db', 'status', '--help'],
    ]) {
      const res = await porth(args);
      expect(res.code, args.join(' ')).to.equal(0);
      expect(res.stdout, args.join(' ')).to.match(/^Usage: porth /);
    }
  });

  it('migrates the database named by DATABASE_URL, and a second run changes nothing', async () => {
    const url = `sqlite:${join(dir, 'cli.sqlite')}`;
    const first = await porth(['db', 'migrate'], { DATABASE_URL: url });
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/^Applied: 20261123T0000_identity_core/);
    const again = await porth(['db', 'migrate'], { DATABASE_URL: url });
    expect(again.stdout).to.equal('The database is up to date.\n');
    const db = connectDatabase(url);
    try {
      expect(await pendingMigrations(db, allMigrations)).to.deep.equal([]);
    } finally {
      await db.destroy();
    }
  });

  it('reports pending migrations with db status', async () => {
    const url = `sqlite:${join(dir, 'status.sqlite')}`;
    const res = await porth(['db', 'status'], { DATABASE_URL: url });
    expect(res.stdout).to.match(/^Pending: 20261123T0000_identity_core/);
  });

  it('migrates MySQL/MariaDB when DATABASE_URL points there', async function () {
    if (!process.env.DATABASE_URL?.startsWith('mysql')) this.skip();
    const database = await createTestDatabase([], process.env.DATABASE_URL);
    try {
      const res = await porth(['db', 'migrate'], { DATABASE_URL: database.url });
      expect(res.code, res.stderr).to.equal(0);
      expect(await pendingMigrations(database.db, allMigrations)).to.deep.equal([]);
    } finally {
      await database.destroy();
    }
  });

  it('refuses to run in production with development secrets, naming the setting, with exit code 2', async () => {
    const res = await porth(['db', 'status'], {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://id.example.org',
      SMTP_URL: 'smtp://mail.example.org',
      DATABASE_URL: `sqlite:${join(dir, 'prod.sqlite')}`,
    });
    expect(res.code).to.equal(2);
    expect(res.stderr).to.contain('SECRET_KEY: is the development default');
  });

  it('says which command it does not know', async () => {
    const res = await porth(['frobnicate']);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.contain("unknown command 'frobnicate'");
  });
});

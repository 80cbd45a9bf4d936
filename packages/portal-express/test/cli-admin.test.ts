import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KnexAuditLog, connectDatabase, systemClock } from '@porth/identity-core';
import type { RegisteredClient } from '../src/oidc/clients.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Problem lines the CLI printed on stderr (npm's and the provider's own warnings left out). */
function problems(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('porth'));
}

// Needs the built CLI: run `npx tsc -b` first.
describe('porth client and porth keys (the built CLI over a temporary SQLite file)', function () {
  this.timeout(120_000);
  let dir: string;
  let databaseUrl: string;

  /** Runs `npx porth …` from the repository root against the test's database. */
  async function porth(args: string[]): Promise<CliResult> {
    try {
      const { stdout, stderr } = await run('npx', ['--no-install', 'porth', ...args], {
        cwd: repoRoot,
        env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  async function listed(): Promise<RegisteredClient[]> {
    const res = await porth(['client', 'list', '--json']);
    expect(res.code, res.stderr).to.equal(0);
    return JSON.parse(res.stdout) as RegisteredClient[];
  }

  async function storedMetadata(id: string): Promise<string | undefined> {
    const db = connectDatabase(databaseUrl);
    try {
      const row = (await db('oidc_clients').where({ client_id: id }).first()) as
        { metadata: string } | undefined;
      return row?.metadata;
    } finally {
      await db.destroy();
    }
  }

  async function auditTypes(): Promise<string[]> {
    const db = connectDatabase(databaseUrl);
    try {
      const events = await new KnexAuditLog(db, systemClock).list({ limit: 100 });
      return events.map((e) => e.type).reverse();
    } finally {
      await db.destroy();
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'porth-cli-admin-'));
    databaseUrl = `sqlite:${join(dir, 'admin.sqlite')}`;
    const migrated = await porth(['db', 'migrate']);
    expect(migrated.code, migrated.stderr).to.equal(0);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('has --help for every administration command', async () => {
    for (const args of [
      ['client', '--help'],
      ['client', 'add', '--help'],
      ['client', 'list', '--help'],
      ['client', 'remove', '--help'],
      ['keys', '--help'],
      ['keys', 'list', '--help'],
      ['keys', 'rotate', '--help'],
      ['housekeeping', '--help'],
    ]) {
      const res = await porth(args);
      expect(res.code, args.join(' ')).to.equal(0);
      expect(res.stdout, args.join(' ')).to.match(/^Usage: porth /);
    }
    const add = await porth(['client', 'add', '--help']);
    for (const option of [
      '--id',
      '--secret',
      '--redirect-uri',
      '--post-logout-redirect-uri',
      '--backchannel-logout-uri',
      '--first-party',
    ]) {
      expect(add.stdout).to.contain(option);
    }
  });

  it('registers a public client, lists it, and removes it', async () => {
    const add = await porth([
      'client',
      'add',
      '--id',
      'sharepoint',
      '--redirect-uri',
      'https://sharepoint.example.org/callback',
      '--redirect-uri',
      'http://localhost:4000/callback',
      '--post-logout-redirect-uri',
      'https://sharepoint.example.org/signed-out',
      '--backchannel-logout-uri',
      'https://sharepoint.example.org/backchannel-logout',
    ]);
    expect(add.code, add.stderr).to.equal(0);
    expect(add.stdout).to.contain('Registered public client sharepoint');
    expect(add.stdout).to.contain('PKCE');

    const text = await porth(['client', 'list']);
    expect(text.stdout).to.contain('sharepoint  public (PKCE)');
    expect(text.stdout).to.contain('https://sharepoint.example.org/backchannel-logout');
    expect(await listed()).to.deep.include({
      id: 'sharepoint',
      confidential: false,
      firstParty: false,
      redirectUris: ['https://sharepoint.example.org/callback', 'http://localhost:4000/callback'],
      postLogoutRedirectUris: ['https://sharepoint.example.org/signed-out'],
      backchannelLogoutUri: 'https://sharepoint.example.org/backchannel-logout',
    });

    const removed = await porth(['client', 'remove', '--id', 'sharepoint']);
    expect(removed.code, removed.stderr).to.equal(0);
    expect((await listed()).map((c) => c.id)).not.to.include('sharepoint');
    const again = await porth(['client', 'remove', '--id', 'sharepoint']);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain('No client is registered with the id sharepoint');

    const types = await auditTypes();
    expect(types).to.include('oidc.client_registered');
    expect(types).to.include('oidc.client_removed');
  });

  it('registers a confidential first-party client and stores only a hash of its secret', async () => {
    const secret = 'Fy-nghyfrinach-i-ac-nid-dy-un-di-2026!';
    const add = await porth([
      'client',
      'add',
      '--id',
      'moodle',
      '--secret',
      secret,
      '--redirect-uri',
      'https://moodle.example.org/auth/oidc/',
      '--first-party',
    ]);
    expect(add.code, add.stderr).to.equal(0);
    expect(add.stdout).to.contain('Registered confidential client moodle');
    expect(add.stdout).not.to.contain(secret);
    expect(await listed()).to.deep.include({
      id: 'moodle',
      confidential: true,
      firstParty: true,
      redirectUris: ['https://moodle.example.org/auth/oidc/'],
      postLogoutRedirectUris: [],
      backchannelLogoutUri: null,
    });
    const metadata = await storedMetadata('moodle');
    expect(metadata).to.be.a('string');
    expect(metadata).not.to.contain(secret);
    expect(metadata).to.match(/"client_secret":"sha256:[0-9a-f]{64}"/);
  });

  it('prints every problem of a registration on its own line, exits with 2 and stores nothing', async () => {
    const res = await porth([
      'client',
      'add',
      '--id',
      'bad id!',
      '--secret',
      'too-short',
      '--redirect-uri',
      'http://app.example.org/callback',
      '--redirect-uri',
      'https://app.example.org/callback#token',
      '--backchannel-logout-uri',
      'not a url',
    ]);
    expect(res.code).to.equal(2);
    expect(problems(res.stderr)).to.deep.equal([
      'porth client add: --id must be 1–100 letters, digits, dots, dashes or underscores',
      'porth client add: --secret must be at least 32 characters (e.g. `openssl rand -base64 32`)',
      'porth client add: redirect URI "http://app.example.org/callback" must use https (http is allowed only for localhost)',
      'porth client add: redirect URI "https://app.example.org/callback#token" must not have a #fragment',
      'porth client add: back-channel logout URI "not a url" is not an absolute URL',
    ]);
    expect(await storedMetadata('bad id!')).to.equal(undefined);

    const none = await porth(['client', 'add', '--id', 'lonely']);
    expect(none.code).to.equal(2);
    expect(problems(none.stderr)).to.deep.equal([
      'porth client add: at least one --redirect-uri is required',
    ]);
    expect(await storedMetadata('lonely')).to.equal(undefined);
  });

  it('refuses to change a registered client without --replace, and replaces it with it', async () => {
    const args = ['client', 'add', '--id', 'wiki', '--redirect-uri', 'https://wiki.example.org/cb'];
    expect((await porth(args)).code).to.equal(0);
    const twice = await porth([...args.slice(0, 4), '--redirect-uri', 'https://evil.example/cb']);
    expect(twice.code).to.equal(2);
    expect(problems(twice.stderr).join('\n'))
      .to.contain('already registered')
      .and.contain('--replace');
    expect((await listed()).find((c) => c.id === 'wiki')?.redirectUris).to.deep.equal([
      'https://wiki.example.org/cb',
    ]);
    const replaced = await porth([
      ...args.slice(0, 4),
      '--redirect-uri',
      'https://wiki.example.org/new-cb',
      '--replace',
    ]);
    expect(replaced.code, replaced.stderr).to.equal(0);
    expect(replaced.stdout).to.contain('Replaced public client wiki');
    expect((await listed()).find((c) => c.id === 'wiki')?.redirectUris).to.deep.equal([
      'https://wiki.example.org/new-cb',
    ]);
  });

  it("refuses to add or remove the portal's built-in clients", async () => {
    const add = await porth(['client', 'add', '--id', 'amp', '--redirect-uri', 'https://x.org/cb']);
    expect(add.code).to.equal(2);
    expect(problems(add.stderr).join('\n')).to.contain('built into the portal');
    const remove = await porth(['client', 'remove', '--id', 'portal']);
    expect(remove.code).to.equal(2);
    expect(problems(remove.stderr).join('\n')).to.contain('built into the portal');
  });

  it('lists, rotates and lists again the signing keys', async () => {
    const empty = await porth(['keys', 'list']);
    expect(empty.code, empty.stderr).to.equal(0);
    expect(empty.stdout).to.contain('No signing keys yet');

    const first = await porth(['keys', 'rotate']);
    expect(first.code, first.stderr).to.equal(0);
    const firstKid = /New signing key (\S+) \(ES256\) is published/.exec(first.stdout)?.[1];
    expect(firstKid, first.stdout).to.be.a('string');

    const second = await porth(['keys', 'rotate']);
    expect(second.code, second.stderr).to.equal(0);
    const secondKid = /New signing key (\S+) \(ES256\) is published/.exec(second.stdout)?.[1];
    expect(secondKid).to.be.a('string').and.not.equal(firstKid);
    expect(second.stdout).to.contain('within 30 seconds');
    expect(second.stdout).to.contain(`The previous key ${firstKid} no longer signs`);

    const table = await porth(['keys', 'list']);
    expect(table.stdout).to.match(new RegExp(`${secondKid}\\s+ES256\\s+\\S+ \\S+\\s+signing`));
    expect(table.stdout).to.match(
      new RegExp(`${firstKid}\\s+ES256\\s+.*retired .*published until`),
    );

    const json = await porth(['keys', 'list', '--json']);
    const keys = JSON.parse(json.stdout) as {
      kid: string;
      retiredAt: string | null;
      removeAfter: string | null;
    }[];
    expect(keys.map((k) => k.kid)).to.deep.equal([secondKid, firstKid]);
    expect(keys[0]?.retiredAt).to.equal(null);
    const retiredAt = Date.parse(keys[1]?.retiredAt ?? '');
    expect(Date.parse(keys[1]?.removeAfter ?? '') - retiredAt).to.equal(24 * 60 * 60 * 1000);
    expect(await auditTypes()).to.include('oidc.signing_key_rotated');
  });

  it('runs housekeeping once and says what it deleted', async () => {
    const res = await porth(['housekeeping']);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/^Deleted what had expired:\n/);
    expect(res.stdout).to.match(/\d+ {2}provider sessions, grants, codes and tokens/);
  });
});

/**
 * One portal process for the benchmark, started by bench/lib/portal-process.ts with `fork`: it
 * serves the portal on 127.0.0.1 from the settings in its environment, registers the bench
 * client, and answers the parent's commands over IPC (make accounts, open provider sessions,
 * report its memory). Run under `--expose-gc` so memory is read after a full collection.
 */
import { randomBytes } from 'node:crypto';
import { KnexAccountRepository, dialectOf, randomId, transaction } from '@porth/identity-core';
import { SecretCipher, TOTP_SECRET_BYTES, base32Encode } from '@porth/mfa';
import { loadPortalConfig, startPortal, type RunningPortal } from '@porth/portal-express';
import { KnexOidcAdapter } from '../packages/portal-express/src/oidc/knex-adapter.js';
import {
  BENCH_CALLBACK_PATH,
  BENCH_CLIENT_ID,
  type BenchUser,
  type ChildMemory,
  type ChildMessage,
  type ChildRequest,
} from './lib/protocol.js';

/** The password of every bench account (one argon2id hash, made once, is stored for all). */
const BENCH_PASSWORD = 'Meincnod-Cyflym-2026!';
/** Accounts made in one transaction. */
const SEED_BATCH = 250;

function post(message: ChildMessage): void {
  process.send?.(message);
}

/** Runs `work` for 0…count-1, at most `parallel` at once. */
async function inParallel(
  count: number,
  parallel: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/**
 * Makes `count` active accounts with the bench password and a confirmed authenticator app, in
 * batches of one transaction each: the account through its repository, the factor row as
 * confirming an enrolment leaves it (active, the default, its secret sealed to its id).
 */
async function seed(
  portal: RunningPortal,
  secretKey: string,
  prefix: string,
  count: number,
): Promise<BenchUser[]> {
  const { db, clock, random, hasher } = portal.services;
  const hash = await hasher.hash(BENCH_PASSWORD);
  const cipher = new SecretCipher(secretKey, random);
  const users: BenchUser[] = [];
  const batches = Math.ceil(count / SEED_BATCH);
  await inParallel(batches, 2, async (batch) => {
    await transaction(db, async (trx) => {
      const accounts = new KnexAccountRepository(trx, clock, random);
      const factors: Record<string, unknown>[] = [];
      const mfaAccounts: Record<string, unknown>[] = [];
      const now = clock.now().getTime();
      for (let i = batch * SEED_BATCH; i < Math.min(count, (batch + 1) * SEED_BATCH); i++) {
        const username = `${prefix}.${i}@bench.porth.test`;
        const account = await accounts.createActive({
          kind: 'appointee',
          username,
          email: `${prefix}.${i}@example.org`,
          emailVerified: true,
          givenName: 'Meinc',
          familyName: `Nod ${i}`,
          locale: 'en',
        });
        await accounts.setPasswordHash(account.id, hash);
        const secret = random.bytes(TOTP_SECRET_BYTES);
        const factorId = randomId(random);
        factors.push({
          id: factorId,
          account_id: account.id,
          kind: 'totp',
          state: 'active',
          default_of: account.id,
          destination: null,
          phone_type: null,
          secret_sealed: cipher.seal(factorId, secret),
          last_used_step: null,
          risk_acknowledged_at: null,
          created_at: now,
          confirmed_at: now,
          last_used_at: null,
        });
        mfaAccounts.push({ account_id: account.id, version: 1, updated_at: now });
        users.push({ username, password: BENCH_PASSWORD, totpSecret: base32Encode(secret) });
      }
      await trx.batchInsert('mfa_accounts', mfaAccounts, 200);
      await trx.batchInsert('mfa_factors', factors, 200);
    });
  });
  return users;
}

/**
 * Stores `count` provider sessions through the provider's own storage adapter, each a copy of a
 * session a real sign-in made (new ids, a different account), as live as one made by signing in.
 */
async function openSessions(portal: RunningPortal, count: number): Promise<number> {
  const { db, clock } = portal.services;
  const row = (await db('oidc_models').where({ model: 'Session' }).first('payload')) as
    { payload: string } | undefined;
  if (!row) throw new Error('no provider session to copy: sign someone in first');
  const template = JSON.parse(row.payload) as Record<string, unknown>;
  const adapter = new KnexOidcAdapter(db, clock, 'Session');
  const accountIds = (await db('accounts').limit(1000).pluck('id')) as string[];
  const now = Math.floor(clock.now().getTime() / 1000);
  await inParallel(count, 16, async (i) => {
    const id = randomBytes(21).toString('base64url');
    await adapter.upsert(
      id,
      {
        ...template,
        jti: id,
        uid: randomBytes(21).toString('base64url'),
        accountId: accountIds[i % accountIds.length],
        iat: now,
        exp: now + 30 * 60,
        loginTs: now,
      },
      30 * 60,
    );
  });
  return count;
}

function memory(): ChildMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
}

async function main(): Promise<void> {
  const config = loadPortalConfig(process.env);
  const portal = await startPortal(config, { host: '127.0.0.1' });
  await portal.services.clients.save({
    id: BENCH_CLIENT_ID,
    redirectUris: [`${config.publicUrl}${BENCH_CALLBACK_PATH}`],
    firstParty: true,
  });

  const queries = new Map<string, number>();
  if (process.env.BENCH_COUNT_QUERIES === '1') {
    portal.db.on('query', (q: { sql: string }) =>
      queries.set(q.sql, (queries.get(q.sql) ?? 0) + 1),
    );
  }

  const answer = async (request: ChildRequest): Promise<unknown> => {
    switch (request.cmd) {
      case 'seed':
        return seed(portal, config.secrets.secretKey, request.prefix, request.count);
      case 'sessions':
        return openSessions(portal, request.count);
      case 'memory':
        return memory();
      case 'cpu': {
        const used = process.cpuUsage();
        return used.user + used.system;
      }
      case 'countModels': {
        const row = (await portal
          .db('oidc_models')
          .where({ model: request.model })
          .count({ n: '*' })
          .first()) as { n: number | string } | undefined;
        return Number(row?.n ?? 0);
      }
      case 'queries': {
        const list = [...queries]
          .map(([sql, n]) => ({ sql, count: n }))
          .sort((a, b) => b.count - a.count);
        if (request.reset) queries.clear();
        return list;
      }
      case 'stop':
        await portal.close();
        setImmediate(() => process.exit(0));
        return null;
    }
  };
  process.on('message', (request: ChildRequest) => {
    answer(request).then(
      (result) => post({ type: 'answer', id: request.id, result }),
      (err: unknown) =>
        post({
          type: 'failure',
          id: request.id,
          message: err instanceof Error ? (err.stack ?? err.message) : String(err),
        }),
    );
  });
  process.on('disconnect', () => {
    void portal.close().finally(() => process.exit(0));
  });
  post({ type: 'ready', url: `http://127.0.0.1:${config.port}`, dialect: dialectOf(portal.db) });
}

main().catch((err: unknown) => {
  post({
    type: 'startFailed',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});

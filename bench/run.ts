/**
 * `npm run bench`: starts the portal in child processes on SQLite and on MariaDB/MySQL, drives
 * it over HTTP on 127.0.0.1 and prints one table; a full run also writes the table, with the
 * machine's details and the command, into docs/performance.md. See bench/README.md.
 *
 *   npm run bench                       # full run (a few minutes)
 *   npm run bench -- --smoke            # every row for about a second, tiny counts (CI)
 *   npm run bench -- --only 3,4         # some rows only (profiling); never writes the doc
 *   npm run bench -- --profile --only 3 # also writes a CPU profile per portal process
 *   npm run bench -- --only 4 --seconds 5   # shorter rows (each timed row lasts 5 s)
 *   DATABASE_URL=mysql://u:p@127.0.0.1:3306/porth npm run bench
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { connectDatabase, parseDatabaseUrl } from '@porth/identity-core';
import { cannon } from './lib/cannon.js';
import { createAgent } from './lib/http.js';
import {
  VirtualUser,
  authorizationRequest,
  exchangeCode,
  refresh,
  signIn,
  silentAuthorization,
  type TokenSet,
} from './lib/journeys.js';
import { machineInfo, measureHashCeiling, type HashCeiling } from './lib/machine.js';
import { startPortalProcess, type PortalProcess } from './lib/portal-process.js';
import { formatHotFunctions } from './lib/profile.js';
import type { BenchUser } from './lib/protocol.js';
import { runLoad, type Throughput } from './lib/stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_MARIADB_URL = 'mysql://porth:porth-ci-password@127.0.0.1:3306/porth';
const ALL_ROWS = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: process.env.BENCH_SMOKE === '1' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-mariadb': { type: 'boolean', default: false },
    seconds: { type: 'string' },
  },
});
const smoke = Boolean(args.smoke);
const rows = new Set<number>(
  args.only ? args.only.split(',').map((r) => Number(r.trim())) : [...ALL_ROWS],
);
for (const r of rows) {
  if (!ALL_ROWS.includes(r as (typeof ALL_ROWS)[number])) throw new Error(`no row ${r} (1–9)`);
}

/** How long and how much, per mode. */
const SIZE = smoke
  ? {
      ceilingSeconds: 0.5,
      warmupSeconds: 0.3,
      flowSeconds: 1,
      tokenSeconds: 1,
      cannonSeconds: 1,
      scaleSeconds: 1,
      passwordAccounts: 10,
      totpAccounts: 40,
      scaleAccounts: 40,
      maxCodes: 100,
      sessions: 200,
      importRows: 2000,
    }
  : {
      ceilingSeconds: 5,
      warmupSeconds: 3,
      flowSeconds: 20,
      tokenSeconds: 15,
      cannonSeconds: 10,
      scaleSeconds: 15,
      passwordAccounts: 200,
      totpAccounts: 2500,
      scaleAccounts: 2000,
      maxCodes: 3000,
      sessions: 10_000,
      importRows: 100_000,
    };
if (args.seconds !== undefined) {
  const seconds = Number(args.seconds);
  if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
  Object.assign(SIZE, {
    flowSeconds: seconds,
    tokenSeconds: seconds,
    cannonSeconds: seconds,
    scaleSeconds: seconds,
  });
}
/** Virtual users driving one portal process in the sign-in and token rows. */
const FLOW_USERS = smoke ? 4 : 16;
/** Connections of the fixed-request rows (5 and 6). */
const CONNECTIONS = 50;

/** A row's throughput and the portal's CPU time per completed operation (robust to a busy machine). */
interface Measured extends Throughput {
  /** Milliseconds of portal CPU (every thread, every process) per completed operation. */
  readonly cpuMsPerOp: number;
}

/** Runs `load` and reads how much CPU the portal processes used for it. */
async function measured(
  processes: readonly PortalProcess[],
  load: () => Promise<Throughput>,
): Promise<Measured> {
  const cpu = () => Promise.all(processes.map((p) => p.ask({ cmd: 'cpu' })));
  const before = await cpu();
  const result = await load();
  const after = await cpu();
  const micros = after.reduce((sum, a, i) => sum + a - (before[i] ?? 0), 0);
  return { ...result, cpuMsPerOp: micros / 1000 / Math.max(1, result.completed) };
}

/** Everything measured on one database. */
interface DatabaseResults {
  label: string;
  version: string;
  password?: Measured;
  totp?: Measured;
  refresh?: Measured;
  authorize?: Measured;
  exchange?: Measured;
  discovery?: Measured;
  jwks?: Measured;
  userinfo?: Measured;
  page?: Measured;
  importRate?: number;
  memory?: {
    before: number;
    after: number;
    sessions: number;
    heapBefore: number;
    heapAfter: number;
  };
  scale?: { one: Measured; two: Measured; refreshOne: Measured; refreshTwo: Measured };
  notes: string[];
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function describe(t: Measured): string {
  const failed = t.failed > 0 ? `, ${t.failed} failed (${t.firstError ?? ''})` : '';
  return `${t.perSecond.toFixed(1)}/s (${t.completed} in ${t.seconds.toFixed(1)} s, p50 ${t.p50.toFixed(1)} ms, p99 ${t.p99.toFixed(1)} ms, portal CPU ${t.cpuMsPerOp.toFixed(2)} ms each${failed})`;
}

/** A pool of accounts handed out once each (or round and round when `reuse`). */
class AccountPool {
  private next = 0;
  constructor(
    private readonly users: readonly BenchUser[],
    private readonly reuse = false,
  ) {}
  take(): BenchUser | null {
    if (this.next >= this.users.length) {
      if (!this.reuse || this.users.length === 0) return null;
      this.next = 0;
    }
    return this.users[this.next++] ?? null;
  }
  get exhausted(): boolean {
    return !this.reuse && this.next >= this.users.length;
  }
}

/** A signed-in browser with the tokens its sign-in ended with. */
interface SignedIn {
  readonly user: VirtualUser;
  tokens: TokenSet;
}

/** Full sign-ins (or up to the second-factor page) from `users` virtual users over `processes`. */
async function signInLoad(
  processes: readonly PortalProcess[],
  pool: AccountPool,
  depth: 'second-factor-page' | 'tokens',
  seconds: number,
  users: number,
  keep: SignedIn[] = [],
  keepAtMost = 64,
): Promise<Throughput> {
  const agent = createAgent(users * 2);
  try {
    return await runLoad({ concurrency: users, seconds }, async (n) => {
      const account = pool.take();
      if (!account) return false;
      const portal = processes[n % processes.length] as PortalProcess;
      const user = new VirtualUser(agent, portal.url, portal.publicUrl);
      const tokens = await signIn(user, account, depth);
      if (tokens && keep.length < keepAtMost) keep.push({ user, tokens });
      return true;
    });
  } finally {
    agent.destroy();
  }
}

/** Refresh-token grants: each signed-in browser renews its tokens over and over. */
async function refreshLoad(
  sessions: readonly SignedIn[],
  processes: readonly PortalProcess[],
  seconds: number,
): Promise<Throughput> {
  const agent = createAgent(sessions.length * 2);
  const chains = sessions.map((s, n) => {
    const portal = processes[n % processes.length] as PortalProcess;
    return { user: new VirtualUser(agent, portal.url, portal.publicUrl), session: s };
  });
  try {
    return await runLoad({ concurrency: chains.length, seconds }, async (n) => {
      const chain = chains[n];
      if (!chain) return false;
      chain.session.tokens = await refresh(chain.user, chain.session.tokens.refreshToken);
      return true;
    });
  } finally {
    agent.destroy();
  }
}

async function mariadbBaseUrl(): Promise<string | null> {
  if (args['no-mariadb']) return null;
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv && !/^(mysql|mariadb):\/\//.test(fromEnv)) return null;
  const url = fromEnv ?? DEFAULT_MARIADB_URL;
  const db = connectDatabase(url, { poolMax: 1 });
  try {
    await db.raw('SELECT 1');
    return url;
  } catch {
    return null;
  } finally {
    await db.destroy();
  }
}

async function databaseVersion(url: string): Promise<string> {
  const db = connectDatabase(url, { poolMax: 1 });
  try {
    if (url.startsWith('sqlite:')) {
      const rows = (await db.raw('SELECT sqlite_version() AS v')) as { v: string }[];
      return `SQLite ${rows[0]?.v ?? '?'}`;
    }
    const [rows] = (await db.raw('SELECT VERSION() AS v')) as [{ v: string }[]];
    return `MariaDB/MySQL ${rows[0]?.v ?? '?'}`;
  } finally {
    await db.destroy();
  }
}

/** A fresh, empty database for one run: a SQLite file, or `<name>_bench` on the MariaDB server. */
async function freshDatabase(
  baseUrl: string | null,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (!baseUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'porth-bench-'));
    return {
      url: `sqlite:${join(dir, 'bench.sqlite')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const target = parseDatabaseUrl(baseUrl);
  if (target.dialect !== 'mysql') throw new Error('not a MariaDB/MySQL URL');
  const name = `${target.database}_bench`;
  const recreate = async (create: boolean) => {
    const admin = connectDatabase(baseUrl, { poolMax: 1 });
    try {
      await admin.raw('DROP DATABASE IF EXISTS ??', [name]);
      if (create)
        await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [
          name,
        ]);
    } finally {
      await admin.destroy();
    }
  };
  await recreate(true);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => recreate(false) };
}

function profileDir(label: string): string | undefined {
  if (!args.profile) return undefined;
  const dir = join(tmpdir(), 'porth-bench-profiles', `${label.toLowerCase()}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function printProfiles(dir: string | undefined): void {
  if (!dir) return;
  // The main thread's profile only (tsx's module loader runs in a thread of its own).
  for (const file of readdirSync(dir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))) {
    log(formatHotFunctions(join(dir, file), 30));
  }
}

/** Runs rows 2–6, 8 and 9 against one database. */
async function benchDatabase(label: string, baseUrl: string | null): Promise<DatabaseResults> {
  const database = await freshDatabase(baseUrl);
  const results: DatabaseResults = {
    label,
    version: await databaseVersion(baseUrl ?? database.url),
    notes: [],
  };
  const cpuProfileDir = profileDir(label);
  const first = await startPortalProcess({ databaseUrl: database.url, cpuProfileDir });
  const started: PortalProcess[] = [first];
  try {
    log(`\n== ${label} (${results.version}), portal pid ${first.pid} at ${first.url}`);
    const needTotp = [3, 4, 5, 8].some((r) => rows.has(r));
    const t0 = Date.now();
    const passwordUsers = rows.has(2)
      ? await first.ask({ cmd: 'seed', prefix: 'pw', count: SIZE.passwordAccounts })
      : [];
    const totpUsers = needTotp
      ? await first.ask({ cmd: 'seed', prefix: 'totp', count: SIZE.totpAccounts })
      : [];
    const scaleOne =
      rows.has(9) && baseUrl
        ? await first.ask({ cmd: 'seed', prefix: 'one', count: SIZE.scaleAccounts })
        : [];
    const scaleTwo =
      rows.has(9) && baseUrl
        ? await first.ask({ cmd: 'seed', prefix: 'two', count: SIZE.scaleAccounts * 2 })
        : [];
    const seeded = passwordUsers.length + totpUsers.length + scaleOne.length + scaleTwo.length;
    log(`seeded ${seeded} accounts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const totpPool = new AccountPool(totpUsers);
    const signedIn: SignedIn[] = [];
    if (rows.has(2)) {
      const pool = new AccountPool(passwordUsers, true);
      await signInLoad([first], pool, 'second-factor-page', SIZE.warmupSeconds, FLOW_USERS);
      results.password = await measured([first], () =>
        signInLoad([first], pool, 'second-factor-page', SIZE.flowSeconds, FLOW_USERS),
      );
      log(`2 password sign-in to the second-factor page: ${describe(results.password)}`);
      await logQueries(first, 'password sign-in', results.password);
    }
    if (needTotp) {
      // Warm-up, and at least the browsers the token rows need.
      await signInLoad([first], totpPool, 'tokens', SIZE.warmupSeconds, FLOW_USERS, signedIn);
      await logQueries(first, 'warm-up', undefined);
      if (rows.has(3)) {
        results.totp = await measured([first], () =>
          signInLoad([first], totpPool, 'tokens', SIZE.flowSeconds, FLOW_USERS, signedIn),
        );
        log(`3 full sign-in with TOTP to tokens: ${describe(results.totp)}`);
        await logQueries(first, 'full sign-in', results.totp);
        if (totpPool.exhausted) results.notes.push('row 3 ran out of bench accounts early');
      }
      if (signedIn.length < FLOW_USERS) throw new Error('too few signed-in browsers for row 4');
    }
    if (rows.has(4)) {
      results.refresh = await measured([first], () =>
        refreshLoad(signedIn.slice(0, FLOW_USERS), [first], SIZE.tokenSeconds),
      );
      log(`4 refresh-token grants: ${describe(results.refresh)}`);
      await logQueries(first, 'refresh grant', results.refresh);
      // Codes first (single sign-on, no pages), then the exchanges alone.
      const agent = createAgent(FLOW_USERS * 2);
      const codes: { user: VirtualUser; callback: URL; verifier: string }[] = [];
      const browsers = signedIn.slice(0, FLOW_USERS);
      results.authorize = await measured([first], () =>
        runLoad(
          {
            concurrency: browsers.length,
            seconds: Math.min(SIZE.tokenSeconds, 10),
            maxOperations: SIZE.maxCodes,
          },
          async (n) => {
            const browser = browsers[n];
            if (!browser) return false;
            codes.push({ user: browser.user, ...(await silentAuthorization(browser.user)) });
            return true;
          },
        ),
      );
      log(`4 authorization (single sign-on, code issued): ${describe(results.authorize)}`);
      await logQueries(first, 'authorization', results.authorize);
      let next = 0;
      results.exchange = await measured([first], () =>
        runLoad({ concurrency: FLOW_USERS, seconds: 60, maxOperations: codes.length }, async () => {
          const code = codes[next++];
          if (!code) return false;
          await exchangeCode(code.user, code.callback, code.verifier);
          return true;
        }),
      );
      agent.destroy();
      log(`4 authorization-code exchanges: ${describe(results.exchange)}`);
      await logQueries(first, 'code exchange', results.exchange);
    }
    if (rows.has(5)) {
      const seconds = SIZE.cannonSeconds;
      results.discovery = await measured([first], () =>
        cannon({
          url: `${first.url}/.well-known/openid-configuration`,
          connections: CONNECTIONS,
          seconds,
        }),
      );
      log(`5 discovery: ${describe(results.discovery)}`);
      results.jwks = await measured([first], () =>
        cannon({ url: `${first.url}/jwks`, connections: CONNECTIONS, seconds }),
      );
      log(`5 JWKS: ${describe(results.jwks)}`);
      const holder = signedIn[0];
      if (!holder) throw new Error('no signed-in browser for row 5');
      results.userinfo = await measured([first], () =>
        cannon({
          url: `${first.url}/me`,
          connections: CONNECTIONS,
          seconds,
          headers: { authorization: `Bearer ${holder.tokens.accessToken}` },
        }),
      );
      log(`5 userinfo: ${describe(results.userinfo)}`);
      await logQueries(first, 'userinfo (and discovery, JWKS)', results.userinfo);
    }
    if (rows.has(6)) {
      const agent = createAgent(2);
      const browser = new VirtualUser(agent, first.url, first.publicUrl);
      const { path } = authorizationRequest(browser);
      const { page } = await browser.follow(await browser.request('GET', path));
      const uid = /\/interaction\/([^/"?]+)/.exec(page.body)?.[1];
      agent.destroy();
      if (!uid) throw new Error('no sign-in page for row 6');
      results.page = await measured([first], () =>
        cannon({
          url: `${first.url}/interaction/${uid}`,
          connections: CONNECTIONS,
          seconds: SIZE.cannonSeconds,
          headers: { cookie: browser.jar.header() ?? '' },
        }),
      );
      log(`6 sign-in page at ${CONNECTIONS} users: ${describe(results.page)}`);
      await logQueries(first, 'sign-in page', results.page);
    }
    if (rows.has(8)) {
      const before = await first.ask({ cmd: 'memory' });
      const existing = await first.ask({ cmd: 'countModels', model: 'Session' });
      await first.ask({ cmd: 'sessions', count: SIZE.sessions });
      const after = await first.ask({ cmd: 'memory' });
      const total = await first.ask({ cmd: 'countModels', model: 'Session' });
      results.memory = {
        before: before.rss,
        after: after.rss,
        sessions: total,
        heapBefore: before.heapUsed,
        heapAfter: after.heapUsed,
      };
      log(
        `8 RSS ${mib(before.rss)} with ${existing} sessions → ${mib(after.rss)} with ${total} (heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)})`,
      );
    }
    if (rows.has(9) && baseUrl) {
      const one = new AccountPool(scaleOne);
      const keepOne: SignedIn[] = [];
      const oneRun = await measured([first], () =>
        signInLoad([first], one, 'tokens', SIZE.scaleSeconds, FLOW_USERS, keepOne),
      );
      log(`9 one process, sign-ins: ${describe(oneRun)}`);
      const refreshOne = await measured([first], () =>
        refreshLoad(keepOne.slice(0, FLOW_USERS), [first], SIZE.scaleSeconds),
      );
      log(`9 one process, refresh grants: ${describe(refreshOne)}`);
      const second = await startPortalProcess({
        databaseUrl: database.url,
        publicUrl: first.publicUrl,
        cpuProfileDir,
      });
      started.push(second);
      const pair = [first, second];
      const two = new AccountPool(scaleTwo);
      const keepTwo: SignedIn[] = [];
      await signInLoad(pair, two, 'tokens', SIZE.warmupSeconds, FLOW_USERS * 2, keepTwo);
      const twoRun = await measured(pair, () =>
        signInLoad(pair, two, 'tokens', SIZE.scaleSeconds, FLOW_USERS * 2, keepTwo),
      );
      log(`9 two processes, sign-ins: ${describe(twoRun)}`);
      const refreshTwo = await measured(pair, () =>
        refreshLoad(keepTwo.slice(0, FLOW_USERS * 2), pair, SIZE.scaleSeconds),
      );
      log(`9 two processes, refresh grants: ${describe(refreshTwo)}`);
      results.scale = { one: oneRun, two: twoRun, refreshOne, refreshTwo };
      if (one.exhausted || two.exhausted)
        results.notes.push('row 9 ran out of bench accounts early');
    }
  } finally {
    for (const p of started) await p.stop();
    printProfiles(cpuProfileDir);
    await database.drop();
  }
  return results;
}

/** With BENCH_COUNT_QUERIES=1: the SQL each operation of the last row ran, per operation. */
async function logQueries(portal: PortalProcess, what: string, t: Throughput | undefined) {
  if (process.env.BENCH_COUNT_QUERIES !== '1') return;
  const list = await portal.ask({ cmd: 'queries', reset: true });
  const ops = Math.max(1, t?.completed ?? 1);
  const total = list.reduce((sum, q) => sum + q.count, 0);
  log(`   SQL per ${what}: ${(total / ops).toFixed(1)} statements`);
  for (const q of list.slice(0, 25))
    log(`   ${(q.count / ops).toFixed(2).padStart(6)}  ${q.sql.slice(0, 160)}`);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Row 7 with bench/import-legacy.ts: rows per second on SQLite and, given a URL, MariaDB. */
async function importRates(
  mariadbUrl: string | null,
): Promise<{ sqlite?: number; mariadb?: number }> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@porth/source',
        join(ROOT, 'bench', 'import-legacy.ts'),
        '--rows',
        String(SIZE.importRows),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: mariadbUrl ?? '' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`import-legacy.ts exited with ${code}`)),
    );
  });
  log(output.trimEnd());
  const rate = (label: string) => {
    const match = new RegExp(`^${label}.*?([\\d,]+) rows/s$`, 'm').exec(output);
    return match?.[1] ? Number(match[1].replace(/,/g, '')) : undefined;
  };
  return { sqlite: rate('SQLite'), mariadb: rate('MariaDB/MySQL') };
}

// ——— the table ———

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-GB', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function rate(t: Throughput | undefined, digits = 0): string {
  if (!t) return '—';
  const failed = t.failed > 0 ? ` (${t.failed} failed)` : '';
  return `${fmt(t.perSecond, digits)}/s${failed}`;
}

function latency(t: Measured | undefined): string {
  return t
    ? `p50 ${fmt(t.p50, 1)} ms, p99 ${fmt(t.p99, 1)} ms; CPU ${fmt(t.cpuMsPerOp, 2)} ms each`
    : '';
}

function withRatio(t: Measured | undefined, ceiling: HashCeiling | undefined): string {
  if (!t) return '—';
  const ratio = ceiling ? `; ${fmt((t.perSecond / ceiling.machine) * 100)} % of the ceiling` : '';
  return `${rate(t, 1)}; ${latency(t)}${ratio}`;
}

/** The table, as Markdown (which reads well in a terminal too). */
function table(
  results: readonly DatabaseResults[],
  ceiling: HashCeiling | undefined,
  cores: number,
): string {
  const head = ['#', 'Measure', ...results.map((r) => r.label), 'Target (2 cores)'];
  const lines: string[][] = [];
  const row = (n: string, what: string, cell: (r: DatabaseResults) => string, target = '') =>
    lines.push([n, what, ...results.map(cell), target]);
  if (ceiling) {
    const text = `${fmt(ceiling.perCore, 1)}/s per core; ${fmt(ceiling.machine, 1)}/s on ${cores} cores`;
    row('1', `argon2id ceiling (${ceiling.parameters})`, () => text, '—');
  }
  if (rows.has(2))
    row(
      '2',
      'Password sign-in, authorize → username → password → second-factor page¹',
      (r) => withRatio(r.password, ceiling),
      '≥ 85 % of the ceiling',
    );
  if (rows.has(3))
    row(
      '3',
      'Full sign-in with TOTP: authorize → … → code → "Stay signed in?" → tokens',
      (r) => withRatio(r.totp, ceiling),
      'report',
    );
  if (rows.has(4)) {
    row(
      '4a',
      'Refresh-token grants',
      (r) =>
        r.refresh
          ? `${rate(r.refresh)} (${fmt(r.refresh.perSecond / cores)}/s per core); ${latency(r.refresh)}`
          : '—',
      '≥ 1,000/s per core (SQLite)',
    );
    row(
      '4b',
      'Authorization-code exchanges',
      (r) => (r.exchange ? `${rate(r.exchange)}; ${latency(r.exchange)}` : '—'),
      'report',
    );
  }
  if (rows.has(5)) {
    row(
      '5a',
      `Discovery (${CONNECTIONS} connections)`,
      (r) => `${rate(r.discovery)}; ${latency(r.discovery)}`,
    );
    row('5b', `JWKS (${CONNECTIONS} connections)`, (r) => `${rate(r.jwks)}; ${latency(r.jwks)}`);
    row(
      '5c',
      `UserInfo (${CONNECTIONS} connections)`,
      (r) => `${rate(r.userinfo)}; ${latency(r.userinfo)}`,
    );
  }
  if (rows.has(6))
    row('6', `Sign-in page render at ${CONNECTIONS} concurrent users`, (r) =>
      r.page ? `${latency(r.page)}; ${rate(r.page)}` : '—',
    );
  if (rows.has(7))
    row(
      '7',
      `Legacy import, ${fmt(SIZE.importRows)} rows`,
      (r) => (r.importRate ? `${fmt(r.importRate)} rows/s` : '—'),
      '≥ 5,000 rows/s (SQLite)',
    );
  if (rows.has(8))
    row(
      '8',
      `Resident memory, before → after ${fmt(SIZE.sessions)} more provider sessions`,
      (r) => {
        const m = r.memory;
        if (!m) return '—';
        const growth = (m.after - m.before) / (SIZE.sessions / 1000) / 2 ** 20;
        return `${mib(m.before)} → ${mib(m.after)} (${fmt(m.sessions)} live sessions); ${growth >= 0 ? '+' : ''}${fmt(growth, 2)} MiB per 1,000; heap ${mib(m.heapBefore)} → ${mib(m.heapAfter)}`;
      },
      'flat',
    );
  if (rows.has(9))
    row(
      '9',
      'Scale-out: two processes over one database vs one — sign-ins; refresh grants',
      (r) => {
        const s = r.scale;
        if (!s) return 'n/a (a SQLite file belongs to one process)';
        const x = (a: Throughput, b: Throughput) => fmt(b.perSecond / a.perSecond, 2);
        return `sign-ins ${fmt(s.one.perSecond, 1)} → ${fmt(s.two.perSecond, 1)}/s (× ${x(s.one, s.two)}); refresh ${fmt(s.refreshOne.perSecond)} → ${fmt(s.refreshTwo.perSecond)}/s (× ${x(s.refreshOne, s.refreshTwo)})`;
      },
      '≥ 1.7 ×',
    );
  const all = [head, head.map(() => '---'), ...lines];
  return all.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const FOOTNOTE =
  '¹ Porth asks every account for a second factor (DESIGN.md), so a password alone never ' +
  'yields tokens; row 2 ends when the second-factor page is served, after the password was ' +
  "verified. Ratios are to the whole machine's argon2id ceiling (row 1, all cores). The load " +
  'generator runs on the same machine and takes part of its CPU.';

async function writeDoc(report: string): Promise<void> {
  const file = join(ROOT, 'docs', 'performance.md');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  let doc: string;
  try {
    doc = readFileSync(file, 'utf8');
  } catch {
    doc = `# Performance\n\n${start}\n${end}\n`;
  }
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  doc =
    from >= 0 && to > from
      ? `${doc.slice(0, from + start.length)}\n${report}\n${doc.slice(to)}`
      : `${doc.trimEnd()}\n\n${start}\n${report}\n${end}\n`;
  const options = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(doc, { ...options, filepath: file }));
  log(`\nwrote ${relative(process.cwd(), file)}`);
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const startedAt = new Date();
  const mariadb = await mariadbBaseUrl();
  log(
    `Porth benchmark${smoke ? ' (smoke: about a second per row, numbers mean nothing)' : ''}: ` +
      `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`,
  );
  log(
    mariadb
      ? `MariaDB/MySQL: ${parseDatabaseUrl(mariadb).dialect === 'mysql' ? new URL(mariadb).host : ''} (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'the default local server'})`
      : 'MariaDB/MySQL: not reachable (or --no-mariadb): SQLite only',
  );
  let ceiling: HashCeiling | undefined;
  if (rows.has(1) || rows.has(2) || rows.has(3)) {
    ceiling = await measureHashCeiling(machine.cores, SIZE.ceilingSeconds);
    log(
      `1 argon2id: ${fmt(ceiling.perCore, 1)}/s per core, ${fmt(ceiling.machine, 1)}/s on ${machine.cores} cores`,
    );
  }
  const results: DatabaseResults[] = [];
  if ([2, 3, 4, 5, 6, 8, 9].some((r) => rows.has(r))) {
    results.push(await benchDatabase('SQLite', null));
    if (mariadb) results.push(await benchDatabase('MariaDB', mariadb));
  } else {
    results.push({ label: 'SQLite', version: await sqliteVersion(), notes: [] });
    if (mariadb)
      results.push({ label: 'MariaDB', version: await databaseVersion(mariadb), notes: [] });
  }
  if (rows.has(7)) {
    const rates = await importRates(mariadb);
    for (const r of results) r.importRate = r.label === 'SQLite' ? rates.sqlite : rates.mariadb;
  }
  const printed = table(results, ceiling, machine.cores);
  const command = `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const notes = results.flatMap((r) => r.notes.map((n) => `${r.label}: ${n}`));
  process.stdout.write(`\n${printed}\n\n${FOOTNOTE}\n${notes.map((n) => `- ${n}\n`).join('')}`);
  const complete = !smoke && rows.size === ALL_ROWS.length && args.seconds === undefined;
  if (complete) {
    const minutes = ((Date.now() - startedAt.getTime()) / 60_000).toFixed(1);
    await writeDoc(
      [
        `Latest figures: \`${command}\` on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC (${minutes} min).`,
        '',
        `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; ${machine.os}`,
        `- Node ${machine.node}; ${results.map((r) => r.version).join('; ')}`,
        `- Portal: one child process per database (\`NODE_ENV=test\`, defaults otherwise); ${FLOW_USERS} virtual users in rows 2–4 (${FLOW_USERS * 2} over two processes in row 9), ${CONNECTIONS} connections (autocannon) in rows 5–6.`,
        '',
        printed,
        '',
        FOOTNOTE,
        ...notes.map((n) => `- ${n}`),
      ].join('\n'),
    );
  }
}

async function sqliteVersion(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'porth-bench-'));
  try {
    return await databaseVersion(`sqlite:${join(dir, 'v.sqlite')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

/**
 * A MariaDB server of the test's own, for tests that stop, crash and restart the database.
 *
 * Other suites use the shared server on 127.0.0.1:3306 at the same time, so an outage test must
 * never stop that one. This starts a second `mariadbd` on a free port with its own data directory
 * and socket under /tmp (made with `mariadb-install-db`), a database `porth` and a user
 * `porth`@`127.0.0.1` allowed everything (it also creates the suites' `porth_t_…` databases).
 * `stop()` shuts it down cleanly, `crash()` kills it with SIGKILL (InnoDB recovers on the next
 * `start()`), `start()` brings it back on the same port with the same data; `destroy()` stops it
 * and removes the directory.
 *
 * It runs as the current user, or, when that is root (mariadbd refuses to run as root), as the
 * `mysql` user with the directory handed over to it. Its administrator is the operating-system
 * user (socket authentication). Nothing is left behind: `destroy()` kills the server and removes
 * the directory, so does the test process's `exit`, and a small watcher process does the same
 * within a second or two if the test process dies without running either (SIGKILL, Ctrl-C).
 *
 * Needs `mariadbd`, `mariadb-install-db`, `mariadb` and `mariadb-admin` on the PATH;
 * `privateMariaDbUnavailableReason()` says why not, for a test to skip with.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../packages/portal-express/test/support/server.js';

const USER = 'porth';
const PASSWORD = 'porth-fault-test-password';

/** True when the test process runs as root: the server then runs as the `mysql` user. */
const AS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

/** The database administrator, reached over the socket as the operating-system user of the same name. */
const ADMIN = AS_ROOT ? 'root' : userInfo().username;

/**
 * Watches the test process (argument 1) and the server's directory (argument 2): once the
 * process has gone while the directory is still there, kills the mariadbd started with that
 * directory and removes it. Ends by itself as soon as the directory is removed.
 */
const WATCHER = `
parent=$1; dir=$2
while kill -0 "$parent" 2>/dev/null && [ -d "$dir" ]; do sleep 1; done
[ -d "$dir" ] || exit 0
for cmdline in /proc/[0-9]*/cmdline; do
  if tr '\\0' '\\n' < "$cmdline" 2>/dev/null | grep -qxF -- "--datadir=$dir/data"; then
    pid=\${cmdline#/proc/}; pid=\${pid%/cmdline}
    kill -9 "$pid" 2>/dev/null
    i=0; while [ $i -lt 100 ] && grep -q . "/proc/$pid/cmdline" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
  fi
done
rm -rf "$dir"
`;

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Why a private MariaDB server cannot be started here, or null when it can. */
export function privateMariaDbUnavailableReason(): string | null {
  const missing = ['mariadbd', 'mariadb-install-db', 'mariadb', 'mariadb-admin'].filter(
    (command) => !onPath(command),
  );
  if (missing.length > 0) {
    return `${missing.join(', ')} not installed (apt-get install mariadb-server mariadb-client)`;
  }
  if (AS_ROOT && spawnSync('id', ['-u', 'mysql'], { stdio: 'ignore' }).status !== 0) {
    return 'running as root, and there is no mysql user for mariadbd to run as';
  }
  return null;
}

/** A private MariaDB server on 127.0.0.1; see the module comment. */
export class PrivateMariaDb {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly cleanUpOnExit = () => {
    this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
  };

  private constructor(
    /** The directory holding data, socket, pid and log. */
    readonly dir: string,
    /** The TCP port it listens on (kept across restarts). */
    readonly port: number,
  ) {}

  /** Installs a data directory, starts the server, creates the database and user. */
  static async create(): Promise<PrivateMariaDb> {
    const reason = privateMariaDbUnavailableReason();
    if (reason) throw new Error(reason);
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'porth-fault-mariadb-'));
    const server = new PrivateMariaDb(dir, port);
    process.once('exit', server.cleanUpOnExit);
    spawn('sh', ['-c', WATCHER, 'porth-fault-mariadb-watcher', String(process.pid), dir], {
      detached: true,
      stdio: 'ignore',
    }).unref();
    try {
      if (AS_ROOT) chownSync(dir, mysqlId('-u'), mysqlId('-g'));
      const install = spawnSync(
        'mariadb-install-db',
        [
          '--no-defaults',
          ...(AS_ROOT ? ['--user=mysql'] : []),
          `--datadir=${server.dataDir}`,
          '--auth-root-authentication-method=socket',
          `--auth-root-socket-user=${ADMIN}`,
          '--skip-test-db',
        ],
        { encoding: 'utf8', env: { ...process.env, USER: ADMIN } },
      );
      if (install.status !== 0) {
        throw new Error(`mariadb-install-db failed:\n${install.stdout}\n${install.stderr}`);
      }
      await server.start();
      server.rootSql(
        `CREATE DATABASE porth CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
         CREATE USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}';
         GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'127.0.0.1';
         FLUSH PRIVILEGES;`,
      );
      return server;
    } catch (err) {
      await server.destroy();
      throw err;
    }
  }

  /** The DATABASE_URL of its `porth` database. */
  get url(): string {
    return `mysql://${USER}:${PASSWORD}@127.0.0.1:${this.port}/porth`;
  }

  /** True while the server process runs. */
  get running(): boolean {
    return this.child !== null;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private get socket(): string {
    return join(this.dir, 'mysqld.sock');
  }

  /** Starts the server (again) and resolves once it answers. */
  async start(): Promise<void> {
    if (this.child) return;
    const child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        ...(AS_ROOT ? ['--user=mysql'] : []),
        `--datadir=${this.dataDir}`,
        `--socket=${this.socket}`,
        `--pid-file=${join(this.dir, 'mariadbd.pid')}`,
        `--log-error=${join(this.dir, 'mariadbd.err')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--skip-log-bin',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--innodb-buffer-pool-size=64M',
        '--max-connections=200',
      ],
      { stdio: 'ignore', detached: true },
    );
    this.child = child;
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 30_000;
    while (!this.answers()) {
      if (!this.child) throw new Error(`mariadbd exited at start-up:\n${this.log()}`);
      if (Date.now() > deadline) throw new Error(`mariadbd did not answer:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Shuts the server down cleanly (connections are closed) and waits until it has exited. */
  async stop(): Promise<void> {
    if (!this.child) return;
    spawnSync(
      'mariadb-admin',
      ['--no-defaults', `--socket=${this.socket}`, `-u${ADMIN}`, 'shutdown'],
      {
        stdio: 'ignore',
      },
    );
    await this.waitForExit();
  }

  /** Kills the server at once (SIGKILL), as a crash or power cut would, and waits for it to go. */
  async crash(): Promise<void> {
    this.crashNow();
    await this.waitForExit();
  }

  /** Sends SIGKILL without waiting: usable inside a synchronous hook (e.g. knex's `query` event). */
  crashNow(): void {
    this.child?.kill('SIGKILL');
  }

  /** Kills the server and removes its directory (the watcher then ends by itself). */
  async destroy(): Promise<void> {
    if (this.child) {
      this.child.kill('SIGKILL');
      await this.waitForExit();
    }
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
    process.off('exit', this.cleanUpOnExit);
  }

  /** Runs SQL as the administrator over the socket; throws with the client's message when it fails. */
  rootSql(sql: string): string {
    const result = spawnSync(
      'mariadb',
      ['--no-defaults', `--socket=${this.socket}`, `-u${ADMIN}`, '-N', '-B', '-e', sql],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`mariadb: ${result.stderr}`);
    return result.stdout;
  }

  private answers(): boolean {
    return (
      spawnSync(
        'mariadb',
        ['--no-defaults', `--socket=${this.socket}`, `-u${ADMIN}`, '-e', 'SELECT 1'],
        { stdio: 'ignore' },
      ).status === 0
    );
  }

  private async waitForExit(): Promise<void> {
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000).unref());
    if ((await Promise.race([this.exited, timeout])) === 'timeout') {
      this.child?.kill('SIGKILL');
      await this.exited;
    }
    this.child = null;
  }

  private log(): string {
    try {
      return readFileSync(join(this.dir, 'mariadbd.err'), 'utf8').slice(-3000);
    } catch {
      return '(no log)';
    }
  }
}

function mysqlId(flag: '-u' | '-g'): number {
  return Number(spawnSync('id', [flag, 'mysql'], { encoding: 'utf8' }).stdout.trim());
}

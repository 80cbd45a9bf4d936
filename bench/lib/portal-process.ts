/** Starts portal child processes (bench/portal-child.ts) and talks to them over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ChildCommand, ChildMessage, ChildResults } from './protocol.js';

const CHILD = fileURLToPath(new URL('../portal-child.ts', import.meta.url));

/** Options of startPortalProcess. */
export interface PortalProcessOptions {
  readonly databaseUrl: string;
  /** The port to listen on (default: a free one). */
  readonly port?: number;
  /** The issuer's address when several processes stand behind one (default: the process's own). */
  readonly publicUrl?: string;
  /** Write a V8 CPU profile (`--cpu-prof`) into this directory when the process stops. */
  readonly cpuProfileDir?: string;
  /** More environment variables. */
  readonly env?: Record<string, string>;
}

/** A portal running in a child process. */
export interface PortalProcess {
  /** Where this process listens (http://127.0.0.1:port). */
  readonly url: string;
  /** The issuer (PUBLIC_URL) it was given. */
  readonly publicUrl: string;
  readonly pid: number;
  /** `sqlite` or `mysql`. */
  readonly dialect: string;
  /** Sends a command and waits for its answer. */
  ask<C extends ChildCommand>(command: C): Promise<ChildResults[C['cmd']]>;
  /** Closes the portal and waits for the process to exit (a profile is written then). */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a portal child process and waits until it listens. */
export async function startPortalProcess(options: PortalProcessOptions): Promise<PortalProcess> {
  const port = options.port ?? (await freePort());
  const ownUrl = `http://127.0.0.1:${port}`;
  const publicUrl = options.publicUrl ?? ownUrl;
  const execArgv = ['--import', 'tsx', '--conditions=@porth/source', '--expose-gc'];
  if (options.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  const child: ChildProcess = fork(CHILD, [], {
    execArgv,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      DATABASE_URL: options.databaseUrl,
      // oidc-provider's "Unsupported runtime" notice on Node 20 is not the benchmark's business.
      NODE_NO_WARNINGS: '1',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`portal process exited (${code})`));
    pending.clear();
  });
  const ready = await new Promise<{ url: string; dialect: string }>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`portal process exited (${code})`));
    child.once('exit', onExit);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        child.off('exit', onExit);
        resolve({ url: message.url, dialect: message.dialect });
      } else if (message.type === 'startFailed') {
        reject(new Error(`portal process did not start: ${message.message}`));
      } else if (message.type === 'answer') {
        pending.get(message.id)?.resolve(message.result);
        pending.delete(message.id);
      } else if (message.type === 'failure') {
        pending.get(message.id)?.reject(new Error(message.message));
        pending.delete(message.id);
      }
    });
  });
  return {
    url: ready.url,
    publicUrl,
    pid: child.pid ?? 0,
    dialect: ready.dialect,
    ask<C extends ChildCommand>(command: C) {
      const id = nextId++;
      return new Promise<ChildResults[C['cmd']]>((resolve, reject) => {
        pending.set(id, { resolve: (v) => resolve(v as ChildResults[C['cmd']]), reject });
        child.send({ ...command, id });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const id = nextId++;
      child.send({ cmd: 'stop', id });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

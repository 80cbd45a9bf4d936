/** Child processes for the fault and race tests: started with tsx from the source tree, killed on demand. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (the children's working directory, where tsx is found). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A child process running a TypeScript script, with its output collected line by line. */
export class ScriptProcess {
  /** Every line printed on stdout so far. */
  readonly lines: string[] = [];
  /** Everything printed on stderr so far. */
  stderr = '';
  /** Resolves with the exit code and signal when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private partial = '';
  private waiters: (() => void)[] = [];

  constructor(script: string, args: readonly string[], env: Record<string, string> = {}) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@porth/source', script, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const parts = (this.partial + chunk.toString('utf8')).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.wake();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    // A test process that ends (or fails) with the child still running takes it along.
    const killOnExit = () => this.child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        process.off('exit', killOnExit);
        if (this.partial) this.lines.push(this.partial);
        this.partial = '';
        resolve({ code, signal });
        this.wake();
      });
    });
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** True until the process has ended. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first line matching `pattern`; rejects if the process ends first or after `timeoutMs`. */
  async waitForLine(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    return (await this.waitForLines(pattern, 1, timeoutMs))[0] as string;
  }

  /** Resolves with the first `count` lines matching `pattern`; rejects if the process ends first or after `timeoutMs`. */
  async waitForLines(pattern: RegExp, count: number, timeoutMs = 60_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.filter((l) => pattern.test(l));
      if (found.length >= count) return found.slice(0, count);
      if (!this.alive) {
        throw new Error(
          `the process ended without printing ${count} × ${pattern}:\n${this.lines.join('\n')}\n${this.stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no ${count} × ${pattern} within ${timeoutMs} ms:\n${this.lines.join('\n')}\n${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `signal` (default SIGKILL) and waits until the process has gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.alive) this.child.kill(signal);
    await this.exited;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

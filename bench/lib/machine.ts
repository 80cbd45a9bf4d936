/** The machine a benchmark ran on, and the argon2id ceiling measured on it. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  Argon2PasswordHasher,
  OWASP_ARGON2ID_PARAMETERS,
  cryptoRandom,
} from '@porth/identity-core';

/** What docs/performance.md says about the machine. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
}

/** Reads the CPU model, core count, memory, Node version and operating system. */
export function machineInfo(): MachineInfo {
  let os = `${type()} ${release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty?.[1]) os = `${pretty[1]} (${type()} ${release()})`;
  } catch {
    // Not Linux: the kernel's name and release say enough.
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os,
  };
}

/** Row 1: how many argon2id hashes the machine makes, with the parameters the portal uses. */
export interface HashCeiling {
  /** One hash at a time: hashes per second of one core. */
  readonly perCore: number;
  /** One hash per core at once: hashes per second of the whole machine. */
  readonly machine: number;
  /** The parameters, e.g. `m=19456 KiB, t=2, p=1`. */
  readonly parameters: string;
}

async function hashesPerSecond(parallel: number, seconds: number): Promise<number> {
  const hasher = new Argon2PasswordHasher({ random: cryptoRandom });
  await hasher.hash('warm-up');
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < deadline) {
        await hasher.hash('Meincnod-Cyflym-2026!');
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

/** Measures the argon2id ceiling: per core (sequential) and for all cores at once. */
export async function measureHashCeiling(cores: number, seconds: number): Promise<HashCeiling> {
  const p = OWASP_ARGON2ID_PARAMETERS;
  return {
    perCore: await hashesPerSecond(1, seconds),
    machine: await hashesPerSecond(cores, seconds),
    parameters: `m=${p.memoryCost} KiB, t=${p.timeCost}, p=${p.parallelism}`,
  };
}

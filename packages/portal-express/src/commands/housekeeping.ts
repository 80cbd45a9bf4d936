import type { Command } from 'commander';
import { cryptoRandom, systemClock } from '@porth/identity-core';
import { loadPortalConfig } from '../config.js';
import {
  HousekeepingError,
  runHousekeeping,
  type HousekeepingCounts,
  type HousekeepingServices,
} from '../housekeeping.js';
import { createServices } from '../services.js';
import type { CliIo } from './command-io.js';
import { withDatabase } from './db.js';

const LABELS: Record<keyof HousekeepingCounts, string> = {
  oidcModels: 'provider sessions, grants, codes and tokens',
  flows: 'sign-in and other flows',
  oneTimeTokens: 'one-time links and tokens',
  throttleCounters: 'rate-limit counters',
  lockouts: 'old sign-in failure counts',
  rpSessions: 'application sessions',
  signingKeys: 'retired signing keys',
  sentMessages: 'sent emails and text messages',
  mfaChallenges: 'second-factor challenges',
  mfaPendingFactors: 'unfinished second-factor set-ups',
};

/** The counts of a housekeeping pass as lines of text. */
export function formatHousekeeping(counts: HousekeepingCounts): string {
  const keys = Object.keys(LABELS) as (keyof HousekeepingCounts)[];
  const width = Math.max(...keys.map((k) => String(counts[k]).length));
  const lines = keys.map((k) => `  ${String(counts[k]).padStart(width)}  ${LABELS[k]}`);
  return `Deleted what had expired:\n${lines.join('\n')}\n`;
}

/** Runs one housekeeping pass and prints what it deleted; a failed task fails the command. */
export async function runHousekeepingCommand(
  services: HousekeepingServices,
  io: CliIo,
): Promise<HousekeepingCounts> {
  try {
    const counts = await runHousekeeping(services);
    io.out(formatHousekeeping(counts));
    return counts;
  } catch (err) {
    if (err instanceof HousekeepingError) {
      io.out(formatHousekeeping(err.counts));
      err.errors.forEach((cause: unknown, i) =>
        io.err(
          `porth housekeeping: ${err.failedTasks[i] ?? 'a task'} failed: ${
            cause instanceof Error ? cause.message : String(cause)
          }\n`,
        ),
      );
    }
    throw err;
  }
}

/** `porth housekeeping`: delete expired rows once (the server also does it on a timer). */
export function registerHousekeeping(program: Command, io: CliIo): void {
  program
    .command('housekeeping')
    .description(
      'Delete expired rows once: provider sessions and tokens, flows, one-time links, ' +
        'rate-limit counters, old lockouts, application sessions, retired signing keys, old sent ' +
        'messages and second-factor challenges. A running portal also does this by itself.',
    )
    .action(async () => {
      const config = loadPortalConfig();
      await withDatabase((db) =>
        runHousekeepingCommand(createServices(config, db, systemClock, cryptoRandom), io),
      );
    });
}

import { Command, CommanderError } from 'commander';
import { ConfigError } from '@porth/identity-core';
import { processIo, type CliIo } from './commands/command-io.js';
import { registerClient } from './commands/client.js';
import { registerDb } from './commands/db.js';
import { registerHousekeeping } from './commands/housekeeping.js';
import { registerImportLegacy } from './commands/import-legacy.js';
import { registerKeys } from './commands/keys.js';
import { registerMigrationStatus } from './commands/migration-status.js';
import { registerStart } from './commands/start.js';

/** Builds the `porth` command with every sub-command; each has `--help`. */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('porth')
    .description('Porth identity broker: run the portal and look after its database.')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError();
  registerStart(program, io);
  registerDb(program, io);
  registerImportLegacy(program, io);
  registerMigrationStatus(program, io);
  registerClient(program, io);
  registerKeys(program, io);
  registerHousekeeping(program, io);
  return program;
}

/** Runs the `porth` command line; returns the process exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ConfigError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    io.err(`porth: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

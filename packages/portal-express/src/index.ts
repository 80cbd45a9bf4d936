export { createApp } from './app.js';
export type { PortalDependencies } from './app.js';
export { startPortal, PendingMigrationsError } from './server.js';
export type { RunningPortal, StartOptions } from './server.js';
export { loadPortalConfig } from './config.js';
export type { PortalConfig } from './config.js';
export { allMigrations } from './db/migrations.js';
export { main as runCli, buildProgram } from './cli.js';
export type { CliIo } from './commands/command-io.js';

import type { Command } from 'commander';
import { loadPortalConfig } from '../config.js';
import { startPortal } from '../server.js';
import type { CliIo } from './command-io.js';
import type { RunningPortal } from '../server.js';
import { DEMO_SHAREPOINT_SECRET } from '../demo/seed.js';

/** The start-up message: where to go, where mail ends up, and the demo accounts. */
export function describeRunningPortal(portal: RunningPortal): string {
  const lines = [``, `Porth is running at ${portal.url}`, `  Health check:  ${portal.url}/healthz`];
  if (portal.services.localMail) {
    lines.push(
      `  Mail outbox:   ${portal.url}/dev/outbox   (no SMTP_URL: mail is kept here, not sent)`,
    );
  }
  if (portal.demoAccounts.length > 0) {
    const width = Math.max(...portal.demoAccounts.map((a) => a.username.length));
    lines.push('', 'Demo accounts (development only):');
    for (const account of portal.demoAccounts) {
      lines.push(
        `  ${account.username.padEnd(width)}  password ${account.password}   ${account.description}`,
      );
    }
    lines.push(
      '',
      `Try the migration journey: open ${portal.url}/amp, sign in with rhys.evans and its old`,
      `password, then read the temporary password at ${portal.url}/dev/outbox.`,
      '',
      'The SharePoint example (another application on port 3100) is registered; in a second terminal:',
      `  SHAREPOINT_CLIENT_SECRET=${DEMO_SHAREPOINT_SECRET} npm run example:sharepoint`,
    );
  }
  lines.push('', 'Press Ctrl+C to stop.', '');
  return lines.join('\n');
}

/** `porth start`: serve the portal. */
export function registerStart(program: Command, io: CliIo): void {
  program
    .command('start')
    .description(
      'Serve the portal on PORT (default 3000); migrates the database outside production.',
    )
    .option('--demo', 'seed demo accounts and print how to sign in (development only)')
    .option('--no-migrate', 'do not apply pending migrations at start-up')
    .action(async (opts: { demo?: boolean; migrate: boolean }) => {
      const config = loadPortalConfig(process.env, { demo: Boolean(opts.demo) });
      // Production never migrates on start-up: `porth db migrate` is a deliberate step there.
      const portal = await startPortal(config, {
        migrate: config.env !== 'production' && opts.migrate,
      });
      io.out(describeRunningPortal(portal));
      const stop = async () => {
        await portal.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

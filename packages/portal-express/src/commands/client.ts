import { CommanderError, type Command } from 'commander';
import type { Knex } from 'knex';
import { KnexAuditLog, systemClock, transaction, type Clock } from '@porth/identity-core';
import { BUILT_IN_APPS } from '../oidc/built-in-clients.js';
import {
  InvalidClientRegistrationError,
  KnexClientRegistry,
  type ClientRegistration,
  type RegisteredClient,
} from '../oidc/clients.js';
import type { CliIo } from './command-io.js';
import { withDatabase } from './db.js';

/** What `porth client add` was asked to do (the command line's options). */
export interface ClientAddCommand {
  readonly id: string;
  readonly secret?: string;
  readonly redirectUri?: readonly string[];
  readonly postLogoutRedirectUri?: readonly string[];
  readonly backchannelLogoutUri?: string;
  readonly firstParty?: boolean;
  /** Replace the registration of a client already registered with this id. */
  readonly replace?: boolean;
}

/** The exit code of a command refused because of what it was given (validation errors). */
export const INVALID_INPUT_EXIT_CODE = 2;

/** Prints each problem on its own line and ends the command with exit code 2. */
function refuse(io: CliIo, command: string, problems: readonly string[]): never {
  for (const problem of problems) io.err(`porth ${command}: ${problem}\n`);
  throw new CommanderError(INVALID_INPUT_EXIT_CODE, 'porth.invalidInput', problems.join('; '));
}

function isBuiltIn(id: string): boolean {
  return (BUILT_IN_APPS as readonly string[]).includes(id);
}

/**
 * Registers a client (`porth client add`) and audits it. Refuses, with exit code 2 and one line
 * per problem, a registration that is not valid, an id that is built into the portal, and an id
 * already registered unless `replace` is set.
 */
export async function runClientAdd(
  db: Knex,
  command: ClientAddCommand,
  io: CliIo,
  clock: Clock = systemClock,
): Promise<RegisteredClient> {
  const registration: ClientRegistration = {
    id: command.id,
    ...(command.secret !== undefined ? { secret: command.secret } : {}),
    redirectUris: command.redirectUri ?? [],
    postLogoutRedirectUris: command.postLogoutRedirectUri ?? [],
    ...(command.backchannelLogoutUri !== undefined
      ? { backchannelLogoutUri: command.backchannelLogoutUri }
      : {}),
    firstParty: Boolean(command.firstParty),
  };
  if (isBuiltIn(command.id)) {
    refuse(io, 'client add', [
      `--id ${command.id} is built into the portal and registered again at every start; choose another id`,
    ]);
  }
  let outcome: { client: RegisteredClient; replaced: boolean };
  try {
    outcome = await transaction(db, async (trx) => {
      const clients = new KnexClientRegistry(trx, clock);
      const replaced = (await clients.list()).some((c) => c.id === command.id);
      if (replaced && !command.replace) {
        refuse(io, 'client add', [
          `a client with --id ${command.id} is already registered; add --replace to change it, or remove it first`,
        ]);
      }
      const client = await clients.save(registration);
      await new KnexAuditLog(trx, clock).append({
        type: replaced ? 'oidc.client_replaced' : 'oidc.client_registered',
        outcome: 'success',
        details: {
          clientId: client.id,
          confidential: client.confidential,
          firstParty: client.firstParty,
          redirectUris: client.redirectUris,
          postLogoutRedirectUris: client.postLogoutRedirectUris,
          backchannelLogoutUri: client.backchannelLogoutUri,
        },
      });
      return { client, replaced };
    });
  } catch (err) {
    if (err instanceof InvalidClientRegistrationError) refuse(io, 'client add', err.problems);
    throw err;
  }
  const { client, replaced } = outcome;
  io.out(
    `${replaced ? 'Replaced' : 'Registered'} ${client.confidential ? 'confidential' : 'public'} ` +
      `client ${client.id}${client.firstParty ? ' (first-party: no consent screen)' : ''}.\n` +
      (client.confidential
        ? 'It authenticates at the token endpoint with client_secret_basic; only a hash of the secret is stored.\n'
        : 'It has no secret, so it must use PKCE (S256) and authenticates with token_endpoint_auth_method "none".\n'),
  );
  return client;
}

/** Lists the registered clients (`porth client list`), as a table or as JSON. */
export async function runClientList(
  db: Knex,
  options: { readonly json?: boolean },
  io: CliIo,
  clock: Clock = systemClock,
): Promise<RegisteredClient[]> {
  const clients = await new KnexClientRegistry(db, clock).list();
  io.out(options.json ? `${JSON.stringify(clients, null, 2)}\n` : formatClientList(clients));
  return clients;
}

/** Removes a client (`porth client remove`) and audits it; an unknown id is an error. */
export async function runClientRemove(
  db: Knex,
  id: string,
  io: CliIo,
  clock: Clock = systemClock,
): Promise<void> {
  if (isBuiltIn(id)) {
    refuse(io, 'client remove', [
      `--id ${id} is built into the portal and registered again at every start; it cannot be removed`,
    ]);
  }
  const removed = await transaction(db, async (trx) => {
    const gone = await new KnexClientRegistry(trx, clock).remove(id);
    if (gone) {
      await new KnexAuditLog(trx, clock).append({
        type: 'oidc.client_removed',
        outcome: 'success',
        details: { clientId: id },
      });
    }
    return gone;
  });
  if (!removed) throw new Error(`No client is registered with the id ${id}.`);
  io.out(`Removed client ${id}: it can no longer sign anyone in.\n`);
}

/** The registered clients as readable text, one block per client. */
export function formatClientList(clients: readonly RegisteredClient[]): string {
  if (clients.length === 0) return 'No clients are registered.\n';
  const clean = (text: string) => text.replace(/\p{Cc}/gu, ' ');
  const lines: string[] = [];
  for (const c of clients) {
    lines.push(
      `${clean(c.id)}  ${c.confidential ? 'confidential' : 'public (PKCE)'}${c.firstParty ? ', first-party' : ''}`,
    );
    for (const uri of c.redirectUris) lines.push(`  redirect URI:             ${clean(uri)}`);
    for (const uri of c.postLogoutRedirectUris)
      lines.push(`  post-logout redirect URI: ${clean(uri)}`);
    if (c.backchannelLogoutUri)
      lines.push(`  back-channel logout URI:  ${clean(c.backchannelLogoutUri)}`);
  }
  return `${lines.join('\n')}\n`;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `porth client add|list|remove`. */
export function registerClient(program: Command, io: CliIo): void {
  const client = program
    .command('client')
    .description('Register the applications that sign people in through Porth.');
  client
    .command('add')
    .description(
      'Register a relying application. With --secret it is a confidential client ' +
        '(client_secret_basic); without, a public client that must use PKCE. ' +
        'Give an https redirect URI (http only for localhost).',
    )
    .requiredOption('--id <id>', 'the client_id (letters, digits, dots, dashes, underscores)')
    .option('--secret <secret>', 'the client secret, at least 32 characters (stored hashed)')
    .option('--redirect-uri <uri>', 'where sign-in returns to (repeatable; at least one)', collect)
    .option(
      '--post-logout-redirect-uri <uri>',
      'where sign-out may return to (repeatable)',
      collect,
    )
    .option('--backchannel-logout-uri <uri>', 'where back-channel logout tokens are posted')
    .option('--first-party', "one of the exam board's own applications: no consent screen")
    .option('--replace', 'replace the registration of a client with the same id')
    .action(async (options: ClientAddCommand) => {
      await withDatabase((db) => runClientAdd(db, options, io));
    });
  client
    .command('list')
    .description('List the registered clients and their addresses.')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }) => {
      await withDatabase((db) => runClientList(db, options, io));
    });
  client
    .command('remove')
    .description('Remove a registered client; its users can no longer sign in to it.')
    .requiredOption('--id <id>', 'the client_id to remove')
    .action(async (options: { id: string }) => {
      await withDatabase((db) => runClientRemove(db, options.id, io));
    });
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { deriveKey, type Clock } from '@porth/identity-core';
import { SIGNING_ALG } from './signing-keys.js';

/** What `porth client add` takes: the contract of the command line. */
export interface ClientRegistration {
  readonly id: string;
  /** A confidential client's secret; omitted for a public client, which must use PKCE. */
  readonly secret?: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly backchannelLogoutUri?: string;
  /** First-party clients are the exam board's own applications: no consent screen. */
  readonly firstParty?: boolean;
}

/** A registered client as `porth client list` shows it. */
export interface RegisteredClient {
  readonly id: string;
  readonly confidential: boolean;
  readonly firstParty: boolean;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly backchannelLogoutUri: string | null;
}

/** A client registration was refused; `problems` says why, one line each. */
export class InvalidClientRegistrationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid client: ${problems.join('; ')}`);
    this.name = 'InvalidClientRegistrationError';
  }
}

/** The prefix of a stored client secret hash. */
const SECRET_HASH_PREFIX = 'sha256:';

/** Returns the stored form of a client secret: only its SHA-256 is kept. */
export function hashClientSecret(secret: string): string {
  return SECRET_HASH_PREFIX + createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** True when `presented` is the secret whose stored form is `stored` (constant time). */
export function clientSecretMatches(stored: string | undefined, presented: string): boolean {
  if (!stored?.startsWith(SECRET_HASH_PREFIX)) return false;
  const expected = Buffer.from(stored.slice(SECRET_HASH_PREFIX.length), 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The secret of a built-in client (AMP, Portal), derived from SECRET_KEY so nothing is stored in clear. */
export function builtInClientSecret(secretKey: string, clientId: string): string {
  return deriveKey(secretKey, `porth/portal/client-secret/${clientId}`).toString('base64url');
}

function checkUri(uri: string, what: string, problems: string[]): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    problems.push(`${what} "${uri}" is not an absolute URL`);
    return;
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    problems.push(`${what} "${uri}" must use https (http is allowed only for localhost)`);
  }
  if (url.hash) problems.push(`${what} "${uri}" must not have a #fragment`);
}

/** Checks a registration and turns it into oidc-provider client metadata (secret hashed). */
export function toClientMetadata(reg: ClientRegistration): AdapterPayload {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(reg.id)) {
    problems.push('--id must be 1–100 letters, digits, dots, dashes or underscores');
  }
  if (reg.secret !== undefined && reg.secret.length < 32) {
    problems.push('--secret must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  }
  if (reg.redirectUris.length === 0) problems.push('at least one --redirect-uri is required');
  reg.redirectUris.forEach((u) => checkUri(u, 'redirect URI', problems));
  (reg.postLogoutRedirectUris ?? []).forEach((u) =>
    checkUri(u, 'post-logout redirect URI', problems),
  );
  if (reg.backchannelLogoutUri)
    checkUri(reg.backchannelLogoutUri, 'back-channel logout URI', problems);
  if (problems.length > 0) throw new InvalidClientRegistrationError(problems);
  return {
    client_id: reg.id,
    ...(reg.secret !== undefined ? { client_secret: hashClientSecret(reg.secret) } : {}),
    token_endpoint_auth_method: reg.secret !== undefined ? 'client_secret_basic' : 'none',
    redirect_uris: [...reg.redirectUris],
    post_logout_redirect_uris: [...(reg.postLogoutRedirectUris ?? [])],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: SIGNING_ALG,
    ...(reg.backchannelLogoutUri
      ? {
          backchannel_logout_uri: reg.backchannelLogoutUri,
          backchannel_logout_session_required: true,
        }
      : {}),
    first_party: Boolean(reg.firstParty),
  };
}

interface ClientRow {
  client_id: string;
  metadata: string;
  first_party: number | boolean;
}

/** Registered clients in the `oidc_clients` table. */
export class KnexClientRegistry {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  /** Registers a client, or replaces the registration with the same id. */
  async save(reg: ClientRegistration): Promise<RegisteredClient> {
    const metadata = toClientMetadata(reg);
    const now = this.clock.now().getTime();
    await this.db('oidc_clients')
      .insert({
        client_id: reg.id,
        metadata: JSON.stringify(metadata),
        first_party: Boolean(reg.firstParty),
        created_at: now,
        updated_at: now,
      })
      .onConflict('client_id')
      .merge(['metadata', 'first_party', 'updated_at']);
    return describe(metadata);
  }

  /** Every registered client, by id. */
  async list(): Promise<RegisteredClient[]> {
    const rows = (await this.db<ClientRow>('oidc_clients')
      .orderBy('client_id')
      .select('*')) as ClientRow[];
    return rows.map((r) => describe(JSON.parse(r.metadata) as AdapterPayload));
  }

  /** Removes a client; returns false when there was none. */
  async remove(id: string): Promise<boolean> {
    return (await this.db('oidc_clients').where({ client_id: id }).delete()) === 1;
  }

  /** The provider's adapter for the Client model: reads this table on every lookup. */
  adapter(): Adapter {
    const find = async (id: string): Promise<AdapterPayload | undefined> => {
      if (typeof id !== 'string' || id.length > 100) return undefined;
      const row = (await this.db<ClientRow>('oidc_clients').where({ client_id: id }).first()) as
        ClientRow | undefined;
      return row ? (JSON.parse(row.metadata) as AdapterPayload) : undefined;
    };
    const refuse = async () => {
      throw new Error('Clients are managed with `porth client`, not through the provider');
    };
    return {
      find,
      upsert: refuse,
      destroy: refuse,
      consume: refuse,
      findByUid: async () => undefined,
      findByUserCode: async () => undefined,
      revokeByGrantId: async () => undefined,
    };
  }
}

function describe(m: AdapterPayload): RegisteredClient {
  return {
    id: String(m.client_id),
    confidential: m.token_endpoint_auth_method !== 'none',
    firstParty: Boolean((m as { first_party?: unknown }).first_party),
    redirectUris: (m.redirect_uris as string[] | undefined) ?? [],
    postLogoutRedirectUris: (m.post_logout_redirect_uris as string[] | undefined) ?? [],
    backchannelLogoutUri: (m.backchannel_logout_uri as string | undefined) ?? null,
  };
}

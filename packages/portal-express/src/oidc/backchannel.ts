import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import { BUILT_IN_APPS } from './built-in-clients.js';
import { destroyOidcStateOfAccount } from './knex-adapter.js';

/** One application signed in through one of an account's provider sessions. */
export interface SignedInApplication {
  readonly clientId: string;
  /** The session's id as that application knows it (the `sid` claim). */
  readonly sid: string;
}

/** The provider's client model, with the method its own sign-out uses (not in its types). */
type LoggableClient = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>> & {
  backchannelLogout(sub: string, sid: string): Promise<void>;
};

interface SessionPayload {
  authorizations?: Record<string, { sid?: unknown } | undefined>;
}

/**
 * The applications other than AMP and the Portal signed in through the account's provider
 * sessions, each with its `sid`. Read it before those sessions are destroyed, in the same
 * transaction.
 */
export async function signedInApplications(
  db: Knex,
  accountId: string,
): Promise<SignedInApplication[]> {
  const builtIn = new Set<string>(BUILT_IN_APPS);
  const rows = (await db('oidc_models')
    .where({ model: 'Session', account_id: accountId })
    .pluck('payload')) as string[];
  const found: SignedInApplication[] = [];
  for (const payload of rows) {
    let session: SessionPayload;
    try {
      session = JSON.parse(payload) as SessionPayload;
    } catch {
      continue;
    }
    for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
      // The built-in applications' own sessions end with the provider's, in the same transaction.
      if (builtIn.has(clientId) || typeof authorization?.sid !== 'string') continue;
      found.push({ clientId, sid: authorization.sid });
    }
  }
  return found;
}

/**
 * Sends an OpenID Connect back-channel logout token to each application that registered a
 * back-channel logout URI, as the provider does at a sign-out, once the sessions are gone by
 * other means ("Sign out everywhere", a password reset, a support action). The change is made
 * already, so nothing here throws: an application that does not answer, or a provider that cannot
 * be had, is logged and skipped (the application loses access at its next refresh anyway).
 * Returns how many applications acknowledged.
 */
export async function sendBackchannelLogouts(
  provider: () => Promise<Provider>,
  accountId: string,
  applications: readonly SignedInApplication[],
  log: (message: string) => void = (message) => console.warn(message),
): Promise<number> {
  if (applications.length === 0) return 0;
  const failed = (clientId: string, err: unknown) => {
    log(
      `back-channel logout to ${clientId} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    return false;
  };
  let current: Provider;
  try {
    current = await provider();
  } catch (err) {
    for (const { clientId } of applications) failed(clientId, err);
    return 0;
  }
  const outcomes = await Promise.all(
    applications.map(async ({ clientId, sid }) => {
      try {
        const client = (await current.Client.find(clientId)) as LoggableClient | undefined;
        if (!client?.backchannelLogoutUri) return false;
        await client.backchannelLogout(accountId, sid);
        return true;
      } catch (err) {
        return failed(clientId, err);
      }
    }),
  );
  return outcomes.filter(Boolean).length;
}

/**
 * Destroys the account's provider sessions and grants inside `trx` (destroyOidcStateOfAccount)
 * and returns how many records went, with the applications that were signed in through them:
 * pass those to sendBackchannelLogouts once the transaction has committed.
 */
export async function endProviderSessions(
  trx: Knex,
  accountId: string,
): Promise<{ records: number; applications: SignedInApplication[] }> {
  const applications = await signedInApplications(trx, accountId);
  const records = await destroyOidcStateOfAccount(trx, accountId);
  return { records, applications };
}

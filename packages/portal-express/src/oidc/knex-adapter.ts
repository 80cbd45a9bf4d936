import type { Knex } from 'knex';
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Clock } from '@porth/identity-core';

interface ModelRow {
  model: string;
  id: string;
  payload: string;
  expires_at: number | string | null;
  consumed_at: number | string | null;
}

const TABLE = 'oidc_models';
/** Models whose single use is decided here by a guarded update, not by the provider's read-then-write. */
const SINGLE_USE = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/**
 * Session rows already read in the provider request under way (its context), by uid. A refresh
 * grant reads the token's session twice (the provider checks the binding, then the portal checks
 * its age); the second read uses the row of the first. Any write of a session forgets them.
 */
const sessionsOfRequest = new WeakMap<object, Map<string, ModelRow>>();

/**
 * Stores every oidc-provider model (sessions, grants, codes, tokens, interactions …) in the
 * `oidc_models` table, so any process over the same database can continue any request.
 * `consume` is a guarded update: when two requests race to redeem the same authorization code or
 * refresh token, exactly one succeeds and the other gets `invalid_grant`.
 */
export class KnexOidcAdapter implements Adapter {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    readonly name: string,
  ) {}

  /** Creates or replaces a model instance; `expiresIn` is in seconds. */
  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.forgetSessionsRead();
    const now = this.clock.now().getTime();
    await this.db(TABLE)
      .insert({
        model: this.name,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        account_id: payload.accountId ?? null,
        expires_at: expiresIn ? now + expiresIn * 1000 : null,
        consumed_at: null,
      })
      .onConflict(['model', 'id'])
      .merge();
  }

  /** Finds a live instance by id. */
  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.findBy('id', id);
  }

  /** Finds a session by its uid. */
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findBy('uid', uid);
  }

  /** Finds a device code by its user code. */
  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findBy('user_code', userCode);
  }

  /** Marks an instance used; a second concurrent use of a code or refresh token is refused. */
  async consume(id: string): Promise<void> {
    this.forgetSessionsRead();
    const updated = await this.db(TABLE)
      .where({ model: this.name, id })
      .whereNull('consumed_at')
      .update({ consumed_at: this.clock.now().getTime() });
    if (updated !== 1 && SINGLE_USE.has(this.name)) {
      throw new errors.InvalidGrant(
        `${this.name === 'RefreshToken' ? 'refresh token' : 'grant'} already used`,
      );
    }
  }

  /** Removes an instance. */
  async destroy(id: string): Promise<void> {
    this.forgetSessionsRead();
    await this.db(TABLE).where({ model: this.name, id }).delete();
  }

  /** Removes every instance of this model issued under a grant. */
  async revokeByGrantId(grantId: string): Promise<void> {
    this.forgetSessionsRead();
    await this.db(TABLE).where({ model: this.name, grant_id: grantId }).delete();
  }

  private async findBy(
    column: 'id' | 'uid' | 'user_code',
    value: string,
  ): Promise<AdapterPayload | undefined> {
    if (typeof value !== 'string' || value.length === 0 || value.length > 255) return undefined;
    const ctx = this.name === 'Session' && column === 'uid' ? Provider.ctx : undefined;
    const read = ctx ? sessionsOfRequest.get(ctx) : undefined;
    let row = read?.get(value);
    if (!row) {
      row = (await this.db<ModelRow>(TABLE)
        .where({ model: this.name, [column]: value })
        .first()) as ModelRow | undefined;
      if (!row) return undefined;
      if (ctx) sessionsOfRequest.set(ctx, (read ?? new Map<string, ModelRow>()).set(value, row));
    }
    if (row.expires_at !== null && Number(row.expires_at) <= this.clock.now().getTime())
      return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000);
    return payload;
  }

  /** Forgets the session rows read in this request, after any write of a session. */
  private forgetSessionsRead(): void {
    const ctx = this.name === 'Session' ? Provider.ctx : undefined;
    if (ctx) sessionsOfRequest.delete(ctx);
  }
}

/** Deletes provider rows that expired before now; returns how many. */
export async function deleteExpiredOidcModels(db: Knex, clock: Clock): Promise<number> {
  return db(TABLE)
    .whereNotNull('expires_at')
    .where('expires_at', '<=', clock.now().getTime())
    .delete();
}

/** Ends every provider session and grant of an account (disable, delete, sign out everywhere). */
export async function destroyOidcStateOfAccount(db: Knex, accountId: string): Promise<number> {
  const grants = (await db(TABLE)
    .where({ model: 'Grant', account_id: accountId })
    .pluck('id')) as string[];
  let total = 0;
  for (const grantIds of chunks(grants, 200)) {
    total += await db(TABLE).whereIn('grant_id', grantIds).delete();
  }
  total += await db(TABLE)
    .where({ account_id: accountId })
    .whereIn('model', ['Session', 'Grant'])
    .delete();
  return total;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

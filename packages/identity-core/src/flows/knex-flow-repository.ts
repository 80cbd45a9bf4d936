import type { Clock } from '../clock.js';
import type { Executor } from '../db/transaction.js';
import { ConcurrentFlowUpdateError, FlowNotFoundError } from '../errors.js';
import { randomSecret, type RandomSource } from '../random.js';
import type { Flow } from './flow.js';

interface FlowRow {
  id: string;
  kind: string;
  state: string;
  version: number;
  account_id: string | null;
  context: string;
  created_at: number | string;
  updated_at: number | string;
  expires_at: number | string;
}

/** What is needed to start a flow. */
export interface NewFlow<S extends string, C extends object> {
  /** A caller-chosen id (at least 128 bits of randomness, at most 43 characters); default: 256-bit random. */
  readonly id?: string;
  readonly kind: string;
  readonly state: S;
  readonly accountId?: string | null;
  readonly context: C;
  /** How long the flow lives, in milliseconds. */
  readonly lifetimeMs: number;
}

/** Flows in the `flows` table; saves are guarded by state and version. */
export class KnexFlowRepository {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Starts a flow with a new 256-bit random id. */
  async create<S extends string, C extends object>(input: NewFlow<S, C>): Promise<Flow<S, C>> {
    const now = this.clock.now();
    const flow: Flow<S, C> = {
      id: input.id ?? randomSecret(this.random, 32),
      kind: input.kind,
      state: input.state,
      version: 1,
      accountId: input.accountId ?? null,
      context: input.context,
      createdAt: now,
      updatedAt: now,
      expiresAt: new Date(now.getTime() + input.lifetimeMs),
    };
    await this.db('flows').insert({
      id: flow.id,
      kind: flow.kind,
      state: flow.state,
      version: flow.version,
      account_id: flow.accountId,
      context: JSON.stringify(flow.context),
      created_at: now.getTime(),
      updated_at: now.getTime(),
      expires_at: flow.expiresAt.getTime(),
    });
    return flow;
  }

  /** Loads a flow of the given kind, or null when there is none (expired flows are returned as they are). */
  async find<S extends string, C extends object>(
    kind: string,
    id: string,
  ): Promise<Flow<S, C> | null> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 43) return null;
    const row = (await this.db<FlowRow>('flows').where({ id, kind }).first()) as
      FlowRow | undefined;
    return row ? toFlow<S, C>(row) : null;
  }

  /** Like find, but throws FlowNotFoundError when there is no such flow. */
  async get<S extends string, C extends object>(kind: string, id: string): Promise<Flow<S, C>> {
    const flow = await this.find<S, C>(kind, id);
    if (!flow) throw new FlowNotFoundError();
    return flow;
  }

  /**
   * Saves `next`, which must come from `previous` by transition(): succeeds only if the stored flow
   * is still in `previous`'s state and version, else throws ConcurrentFlowUpdateError.
   */
  async save<S extends string, C extends object>(
    previous: Flow<S, C>,
    next: Flow<S, C>,
  ): Promise<Flow<S, C>> {
    const updated = await this.db('flows')
      .where({ id: previous.id, state: previous.state, version: previous.version })
      .update({
        state: next.state,
        version: previous.version + 1,
        account_id: next.accountId,
        context: JSON.stringify(next.context),
        updated_at: next.updatedAt.getTime(),
        expires_at: next.expiresAt.getTime(),
      });
    if (updated !== 1) throw new ConcurrentFlowUpdateError();
    return { ...next, version: previous.version + 1 };
  }

  /** Ends a flow; returns false if it was already gone. */
  async delete(id: string): Promise<boolean> {
    return (await this.db('flows').where({ id }).delete()) === 1;
  }

  /** Removes flows that expired before now; returns how many. */
  async deleteExpired(batch = 1000): Promise<number> {
    const ids = (await this.db('flows')
      .where('expires_at', '<', this.clock.now().getTime())
      .limit(batch)
      .pluck('id')) as string[];
    if (ids.length === 0) return 0;
    return this.db('flows').whereIn('id', ids).delete();
  }
}

function toFlow<S extends string, C extends object>(row: FlowRow): Flow<S, C> {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state as S,
    version: Number(row.version),
    accountId: row.account_id,
    context: JSON.parse(row.context) as C,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    expiresAt: new Date(Number(row.expires_at)),
  };
}

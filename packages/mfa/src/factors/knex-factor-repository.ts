import type { Executor } from '@porth/identity-core';
import { isFactorKind, type FactorKind, type FactorRecord, type FactorState } from './factor.js';

const TABLE = 'mfa_factors';
const ACCOUNTS_TABLE = 'mfa_accounts';

interface FactorRow {
  id: string;
  account_id: string;
  kind: string;
  state: string;
  default_of: string | null;
  destination: string | null;
  phone_type: string | null;
  secret_sealed: string | null;
  last_used_step: number | string | null;
  risk_acknowledged_at: number | string | null;
  created_at: number | string;
  confirmed_at: number | string | null;
  last_used_at: number | string | null;
}

/** What insertPending stores: a new factor waiting for its first code. */
export interface NewPendingFactor {
  readonly id: string;
  readonly accountId: string;
  readonly kind: FactorKind;
  readonly destination: string | null;
  readonly phoneType: string | null;
  readonly secretSealed: string | null;
  readonly riskAcknowledgedAt: Date | null;
  readonly createdAt: Date;
}

/**
 * Second factors in the `mfa_factors` table. Race-safe operations are single guarded statements
 * whose affected-row count decides: `useTotpStep` (each time-step once), `activate` (pending →
 * active once). Changes to an account's *set* of factors (add, remove, default) first call
 * `lockAccount` inside the caller's transaction, which serialises them per account on SQLite and
 * MySQL/MariaDB alike, so "never remove the last factor" holds however many requests race.
 */
export class KnexFactorRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Takes the account's factor lock until the surrounding transaction ends: an upsert that bumps
   * `mfa_accounts.version` (a row write lock on MySQL/MariaDB; a write transaction on SQLite).
   * Only meaningful when this repository was given a transaction.
   */
  async lockAccount(accountId: string, now: Date): Promise<void> {
    await this.db(ACCOUNTS_TABLE)
      .insert({ account_id: accountId, version: 1, updated_at: now.getTime() })
      .onConflict('account_id')
      .merge({
        version: this.db.raw('?? + 1', [`${ACCOUNTS_TABLE}.version`]),
        updated_at: now.getTime(),
      });
  }

  /** Stores a new pending factor. */
  async insertPending(factor: NewPendingFactor): Promise<void> {
    await this.db(TABLE).insert({
      id: factor.id,
      account_id: factor.accountId,
      kind: factor.kind,
      state: 'pending',
      default_of: null,
      destination: factor.destination,
      phone_type: factor.phoneType,
      secret_sealed: factor.secretSealed,
      last_used_step: null,
      risk_acknowledged_at: factor.riskAcknowledgedAt?.getTime() ?? null,
      created_at: factor.createdAt.getTime(),
      confirmed_at: null,
      last_used_at: null,
    });
  }

  /** The account's factor with this id, or null (also when it belongs to another account). */
  async find(accountId: string, factorId: string): Promise<FactorRecord | null> {
    const row = (await this.db<FactorRow>(TABLE)
      .where({ id: factorId, account_id: accountId })
      .first()) as FactorRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** The account's factors in `state` (all states when omitted): the default first, then oldest first. */
  async list(accountId: string, state?: FactorState): Promise<FactorRecord[]> {
    let q = this.db<FactorRow>(TABLE).where('account_id', accountId);
    if (state) q = q.andWhere('state', state);
    const rows = (await q.orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])) as FactorRow[];
    const records = rows.map(toRecord);
    return [...records.filter((r) => r.isDefault), ...records.filter((r) => !r.isDefault)];
  }

  /** How many active factors the account has. */
  async countActive(accountId: string): Promise<number> {
    const row = (await this.db(TABLE)
      .where({ account_id: accountId, state: 'active' })
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  /** Makes a pending factor active, exactly once; false when it is no longer pending. */
  async activate(factorId: string, confirmedAt: Date): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id: factorId, state: 'pending' })
      .update({ state: 'active', confirmed_at: confirmedAt.getTime() });
    return updated === 1;
  }

  /**
   * Records that TOTP time-step `step` was used on the factor while it is in `state`: succeeds
   * only when no step at or after `step` was used before. The guarded UPDATE decides, so of any
   * number of concurrent submissions of one code exactly one succeeds.
   */
  async useTotpStep(
    factorId: string,
    state: FactorState,
    step: number,
    at: Date,
  ): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id: factorId, state })
      .andWhere((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
      .update({ last_used_step: step, last_used_at: at.getTime() });
    return updated === 1;
  }

  /** Records that an active factor was just used. */
  async markUsed(factorId: string, at: Date): Promise<void> {
    await this.db(TABLE).where({ id: factorId }).update({ last_used_at: at.getTime() });
  }

  /**
   * Makes `factorId` the account's default (call under lockAccount); false when it is not an
   * active factor of the account. The unique key on `default_of` allows one default per account.
   */
  async setDefault(accountId: string, factorId: string): Promise<boolean> {
    const exists = await this.db(TABLE)
      .where({ id: factorId, account_id: accountId, state: 'active' })
      .first('id');
    if (!exists) return false;
    await this.db(TABLE)
      .where({ account_id: accountId })
      .whereNot('id', factorId)
      .whereNotNull('default_of')
      .update({ default_of: null });
    const updated = await this.db(TABLE)
      .where({ id: factorId, account_id: accountId, state: 'active' })
      .update({ default_of: accountId });
    return updated === 1;
  }

  /** Deletes one factor of the account (its challenges go with it); false when there was none. */
  async delete(accountId: string, factorId: string): Promise<boolean> {
    return (await this.db(TABLE).where({ id: factorId, account_id: accountId }).delete()) === 1;
  }

  /** Deletes every factor of the account; returns how many. */
  async deleteAll(accountId: string): Promise<number> {
    return this.db(TABLE).where({ account_id: accountId }).delete();
  }

  /** Deletes the account's pending factors of `kind` (an enrolment started again). */
  async deletePending(accountId: string, kind: FactorKind): Promise<number> {
    return this.db(TABLE).where({ account_id: accountId, kind, state: 'pending' }).delete();
  }

  /** Deletes pending factors created before `before` (abandoned enrolments); returns how many. */
  async deletePendingCreatedBefore(before: Date): Promise<number> {
    return this.db(TABLE)
      .where('state', 'pending')
      .andWhere('created_at', '<', before.getTime())
      .delete();
  }
}

function toRecord(row: FactorRow): FactorRecord {
  if (!isFactorKind(row.kind)) throw new RangeError(`Unknown factor kind "${row.kind}"`);
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind,
    state: row.state === 'active' ? 'active' : 'pending',
    isDefault: row.default_of !== null,
    destination: row.destination,
    phoneType: row.phone_type,
    secretSealed: row.secret_sealed,
    lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    riskAcknowledgedAt: toDate(row.risk_acknowledged_at),
    createdAt: new Date(Number(row.created_at)),
    confirmedAt: toDate(row.confirmed_at),
    lastUsedAt: toDate(row.last_used_at),
  };
}

function toDate(value: number | string | null): Date | null {
  return value === null ? null : new Date(Number(value));
}

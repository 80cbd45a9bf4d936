import type { Knex } from 'knex';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { SealedBox, transaction, type Clock, type RandomSource } from '@porth/identity-core';

/** The HKDF `info` of the key that seals private signing keys at rest. */
export const SIGNING_KEY_INFO = 'porth/portal/oidc-signing-key/v1';
/** The algorithm of every signing key: ES256 costs a fraction of RS256 per token. */
export const SIGNING_ALG = 'ES256';
/** How long a retired key stays published so tokens it signed can still be verified. */
export const RETIRED_KEY_PUBLISHED_MS = 24 * 60 * 60 * 1000;

interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  sealed_private_jwk: string;
  created_at: number | string;
  retired_at: number | string | null;
  remove_after: number | string | null;
}

/** A published key, as `porth keys list` shows it. */
export interface SigningKeyInfo {
  readonly kid: string;
  readonly alg: string;
  readonly createdAt: Date;
  /** Null while it signs; otherwise when it stopped. */
  readonly retiredAt: Date | null;
  /** When it stops being published. */
  readonly removeAfter: Date | null;
}

/**
 * The provider's signing keys, kept in the database (private halves sealed under SECRET_KEY) so
 * every process signs with the same key. The newest unretired key signs; retired keys stay
 * published for a day so tokens they signed still verify.
 */
export class KnexSigningKeys {
  private readonly box: SealedBox;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    random: RandomSource,
    secretKey: string,
  ) {
    this.box = new SealedBox(secretKey, SIGNING_KEY_INFO, random);
  }

  /** Makes a first key if there is none; returns the private JWKs, the signing key first. */
  async ensure(): Promise<JWK[]> {
    const current = await this.db('oidc_keys').whereNull('retired_at').first('kid');
    if (!current) await this.insertNewKey(this.db);
    return this.privateJwks();
  }

  /**
   * Starts signing with a new key: the new key is published at once and signs from the next
   * reload; the previous key is retired but stays published until its tokens have expired.
   */
  async rotate(): Promise<SigningKeyInfo> {
    return transaction(this.db, async (trx) => {
      const now = this.clock.now().getTime();
      await trx('oidc_keys')
        .whereNull('retired_at')
        .update({ retired_at: now, remove_after: now + RETIRED_KEY_PUBLISHED_MS });
      return this.insertNewKey(trx);
    });
  }

  /** Every published key, newest first. */
  async list(): Promise<SigningKeyInfo[]> {
    return (await this.liveRows()).map(toInfo);
  }

  /** The private JWKs to give the provider: the signing key first, then retired ones still published. */
  async privateJwks(): Promise<JWK[]> {
    const rows = await this.liveRows();
    return rows.map((row) => {
      const plain = this.box.open(row.kid, row.sealed_private_jwk);
      if (!plain) {
        throw new Error(
          `Signing key ${row.kid} cannot be opened: SECRET_KEY differs from the one that sealed it`,
        );
      }
      return JSON.parse(plain.toString('utf8')) as JWK;
    });
  }

  /** A value that changes whenever the published keys change, so processes know to reload. */
  async fingerprint(): Promise<string> {
    return (await this.liveRows()).map((r) => `${r.kid}:${r.retired_at ?? ''}`).join(',');
  }

  /** Deletes keys whose publication period is over; returns how many. */
  async deleteExpired(): Promise<number> {
    return this.db('oidc_keys').where('remove_after', '<=', this.clock.now().getTime()).delete();
  }

  private async liveRows(): Promise<KeyRow[]> {
    const now = this.clock.now().getTime();
    const rows = (await this.db<KeyRow>('oidc_keys')
      .where((q) => q.whereNull('remove_after').orWhere('remove_after', '>', now))
      .select('*')) as KeyRow[];
    // Unretired first (newest of them signs), then retired keys, newest first.
    return rows.sort(
      (a, b) =>
        Number(a.retired_at !== null) - Number(b.retired_at !== null) ||
        Number(b.created_at) - Number(a.created_at) ||
        a.kid.localeCompare(b.kid),
    );
  }

  private async insertNewKey(db: Knex | Knex.Transaction): Promise<SigningKeyInfo> {
    const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk);
    const privateJwk: JWK = { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' };
    const { d: _secret, ...publicJwk } = privateJwk;
    const row = {
      kid,
      alg: SIGNING_ALG,
      public_jwk: JSON.stringify(publicJwk),
      sealed_private_jwk: this.box.seal(kid, Buffer.from(JSON.stringify(privateJwk), 'utf8')),
      created_at: this.clock.now().getTime(),
      retired_at: null,
      remove_after: null,
    };
    await db('oidc_keys').insert(row);
    return toInfo(row);
  }
}

function toInfo(row: KeyRow): SigningKeyInfo {
  return {
    kid: row.kid,
    alg: row.alg,
    createdAt: new Date(Number(row.created_at)),
    retiredAt: row.retired_at === null ? null : new Date(Number(row.retired_at)),
    removeAfter: row.remove_after === null ? null : new Date(Number(row.remove_after)),
  };
}

import type { RequestHandler } from 'express';
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { Clock } from '@porth/identity-core';
import { isProviderPath } from './provider.js';
import type { KnexSigningKeys } from './signing-keys.js';

interface Loaded {
  readonly provider: Provider;
  readonly handler: ReturnType<Provider['callback']>;
  readonly fingerprint: string;
}

/**
 * Holds the process's provider and rebuilds it when the signing keys change in the database
 * (after `porth keys rotate`), checking at most every `checkEveryMs`; every process picks up a
 * rotation within that time, without a restart.
 */
export class ProviderHost {
  private loaded: Promise<Loaded> | null = null;
  private lastCheck = 0;

  constructor(
    private readonly keys: KnexSigningKeys,
    private readonly build: (jwks: readonly JWK[]) => Provider,
    private readonly clock: Clock,
    private readonly checkEveryMs = 30_000,
  ) {}

  /** The current provider, rebuilt first if the keys have changed. */
  async provider(): Promise<Provider> {
    return (await this.current()).provider;
  }

  /** Express middleware: hands the provider's own paths to it, everything else on. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      if (!isProviderPath(req.path)) {
        next();
        return;
      }
      this.current().then(({ handler }) => handler(req, res), next);
    };
  }

  private async current(): Promise<Loaded> {
    const now = this.clock.now().getTime();
    if (this.loaded && now - this.lastCheck < this.checkEveryMs) return this.loaded;
    this.lastCheck = now;
    const previous = this.loaded;
    const next = (async () => {
      const fingerprint = await this.keys.fingerprint();
      const before = previous ? await previous.catch(() => null) : null;
      if (before && before.fingerprint === fingerprint) return before;
      const provider = this.build(await this.keys.ensure());
      return { provider, handler: provider.callback(), fingerprint: await this.keys.fingerprint() };
    })();
    this.loaded = next;
    next.catch(() => {
      // A failed reload (database away) is retried on the next request.
      if (this.loaded === next) this.loaded = previous;
      this.lastCheck = 0;
    });
    return next;
  }
}

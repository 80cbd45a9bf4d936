import {
  createManualClock,
  createTestDatabase,
  type ManualClock,
} from '@porth/identity-core/testing';
import { loadPortalConfig } from '../../../packages/portal-express/src/config.js';
import { allMigrations } from '../../../packages/portal-express/src/db/migrations.js';
import { startPortal } from '../../../packages/portal-express/src/server.js';
import {
  freePort,
  type RunningTestPortal,
} from '../../../packages/portal-express/test/support/server.js';
import { startTlsProxy, trustingSelfSignedCertificates } from './tls-proxy.js';

/** A portal running as in production, behind a TLS proxy whose address is its PUBLIC_URL. */
export interface ProductionPortal extends RunningTestPortal {
  readonly clock: ManualClock;
  /** The portal's own plain-http address (behind the proxy). */
  readonly directUrl: string;
}

/**
 * Starts a portal with NODE_ENV=production (production secrets, an https PUBLIC_URL, SMTP and a
 * Twilio-compatible SMS setting, though nothing is sent) behind an https proxy that sets
 * `X-Forwarded-Proto: https`. While it runs, self-signed certificates are trusted.
 */
export async function startProductionPortal(): Promise<ProductionPortal> {
  const trust = trustingSelfSignedCertificates();
  const database = await createTestDatabase(allMigrations, process.env.DATABASE_URL);
  const proxy = await startTlsProxy();
  try {
    const port = await freePort();
    const config = loadPortalConfig({
      NODE_ENV: 'production',
      PORT: String(port),
      PUBLIC_URL: proxy.url,
      DATABASE_URL: database.url,
      SMTP_URL: 'smtp://127.0.0.1:1',
      SECRET_KEY: 'production-test-secret-key-0123456789abcdef',
      COOKIE_KEYS: 'production-test-cookie-key-0123456789abcdef',
      MFA_SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
      TWILIO_AUTH_TOKEN: 'test-token',
      TWILIO_FROM: '+447700900000',
    });
    const clock = createManualClock(Date.now());
    // Mail stays in the outbox (where the tests read it): the dispatcher waits an hour.
    const portal = await startPortal(config, {
      host: '127.0.0.1',
      clock,
      mailIntervalMs: 3_600_000,
    });
    proxy.target = `http://127.0.0.1:${port}`;
    return {
      url: proxy.url,
      directUrl: proxy.target,
      portal,
      config,
      database,
      clock,
      async stop() {
        await proxy.close();
        await portal.close();
        await database.destroy();
        trust.restore();
      },
    };
  } catch (err) {
    await proxy.close();
    await database.destroy();
    trust.restore();
    throw err;
  }
}

import type { Knex } from 'knex';
import {
  Argon2PasswordHasher,
  KnexLockouts,
  KnexRateLimiter,
  LocalOutboxTransport,
  MailDispatcher,
  MailOutbox,
  MailRenderer,
  PasswordAuthenticator,
  SignInThrottle,
  SmtpTransport,
  type Clock,
  type MailTransport,
  type RandomSource,
} from '@porth/identity-core';
import type { PortalConfig } from './config.js';

/** The shared, stateless services one portal process uses; everything they keep is in the database. */
export interface PortalServices {
  readonly hasher: Argon2PasswordHasher;
  readonly throttle: SignInThrottle;
  readonly authenticator: PasswordAuthenticator;
  readonly outbox: MailOutbox;
  readonly dispatcher: MailDispatcher;
  /** True when mail stays in the local outbox (development without SMTP_URL). */
  readonly localMail: boolean;
}

/** Builds the portal's services from its configuration. */
export function createServices(
  config: PortalConfig,
  db: Knex,
  clock: Clock,
  random: RandomSource,
): PortalServices {
  const hasher = new Argon2PasswordHasher({ random });
  const throttle = new SignInThrottle(
    new KnexRateLimiter(db, clock),
    new KnexLockouts(db, clock),
    config.throttling,
  );
  const renderer = new MailRenderer({ serviceName: 'Porth' });
  const localMail = !config.mail.smtpUrl;
  const transport: MailTransport = config.mail.smtpUrl
    ? new SmtpTransport({ url: config.mail.smtpUrl })
    : new LocalOutboxTransport();
  return {
    hasher,
    throttle,
    authenticator: new PasswordAuthenticator({ db, clock, hasher, random, throttle }),
    outbox: new MailOutbox({ db, clock, random, secretKey: config.secrets.secretKey, renderer }),
    dispatcher: new MailDispatcher({
      db,
      clock,
      secretKey: config.secrets.secretKey,
      transport,
      from: config.mail.from,
    }),
    localMail,
  };
}

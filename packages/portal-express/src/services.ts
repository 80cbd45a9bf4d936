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
import { MfaService, createPhoneProvider } from '@porth/mfa';
import { MigrationFlow, resolveMigrationSettings } from '@porth/migration';
import { KnexClientRegistry } from './oidc/clients.js';
import { KnexSigningKeys } from './oidc/signing-keys.js';
import type { PortalConfig } from './config.js';

/** The shared, stateless services one portal process uses; everything they keep is in the database. */
export interface PortalServices {
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly hasher: Argon2PasswordHasher;
  readonly throttle: SignInThrottle;
  readonly authenticator: PasswordAuthenticator;
  readonly outbox: MailOutbox;
  readonly dispatcher: MailDispatcher;
  readonly rateLimiter: KnexRateLimiter;
  readonly mfa: MfaService;
  readonly migration: MigrationFlow;
  readonly clients: KnexClientRegistry;
  readonly signingKeys: KnexSigningKeys;
  /** Where the portal's own pages are, for links in emails. */
  readonly urls: PortalUrls;
  /** True when mail stays in the local outbox (development without SMTP_URL). */
  readonly localMail: boolean;
}

/** Addresses of the portal's pages that emails and other services link to. */
export interface PortalUrls {
  /** Where a person starts signing in (the AMP home page, which sends them to the provider). */
  readonly signIn: string;
  /** The page behind a password-reset link. */
  passwordReset(token: string): string;
  /** The page behind a legacy (original AMP) password-reset link. */
  legacyPasswordReset(token: string): string;
}

/** Builds the portal's page addresses from its public URL. */
export function portalUrls(publicUrl: string): PortalUrls {
  return {
    signIn: `${publicUrl}/amp`,
    passwordReset: (token) => `${publicUrl}/forgotten-password/reset/${encodeURIComponent(token)}`,
    legacyPasswordReset: (token) =>
      `${publicUrl}/forgotten-password/legacy/${encodeURIComponent(token)}`,
  };
}

/** Builds the portal's services from its configuration. */
export function createServices(
  config: PortalConfig,
  db: Knex,
  clock: Clock,
  random: RandomSource,
): PortalServices {
  const hasher = new Argon2PasswordHasher({ random });
  const rateLimiter = new KnexRateLimiter(db, clock);
  const urls = portalUrls(config.publicUrl);
  const throttle = new SignInThrottle(rateLimiter, new KnexLockouts(db, clock), config.throttling);
  const renderer = new MailRenderer({ serviceName: 'Porth' });
  const localMail = !config.mail.smtpUrl;
  const transport: MailTransport = config.mail.smtpUrl
    ? new SmtpTransport({ url: config.mail.smtpUrl })
    : new LocalOutboxTransport();
  const outbox = new MailOutbox({
    db,
    clock,
    random,
    secretKey: config.secrets.secretKey,
    renderer,
  });
  const phone = createPhoneProvider(config.mfa.provider, {
    db,
    clock,
    random,
    secretKey: config.secrets.secretKey,
  });
  return {
    db,
    clock,
    random,
    hasher,
    throttle,
    rateLimiter,
    urls,
    authenticator: new PasswordAuthenticator({ db, clock, hasher, random, throttle }),
    outbox,
    mfa: new MfaService({
      db,
      clock,
      random,
      secretKey: config.secrets.secretKey,
      mailOutbox: outbox,
      smsSender: phone,
      voiceCaller: phone,
      issuer: config.mfa.issuer,
      signInUrl: urls.signIn,
      phoneNumbers: config.mfa.phone,
      policy: {
        throttle: {
          resendCooldownMs: config.mfa.sending.resendCooldownMs,
          sendsPerDestinationPerDay: config.mfa.sending.dailyCapPerDestination,
        },
      },
      rateLimiter,
    }),
    migration: new MigrationFlow({
      db,
      clock,
      random,
      hasher,
      throttle,
      rateLimiter,
      outbox,
      settings: resolveMigrationSettings({
        usernameDomain: config.usernames.domain,
        signInUrl: urls.signIn,
        legacyPasswordResetUrl: urls.legacyPasswordReset,
        temporaryPasswordLifetimeMs: config.passwords.temporaryPasswordLifetimeMs,
        compositionRule: config.passwords.compositionRule,
      }),
    }),
    clients: new KnexClientRegistry(db, clock),
    signingKeys: new KnexSigningKeys(db, clock, random, config.secrets.secretKey),
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

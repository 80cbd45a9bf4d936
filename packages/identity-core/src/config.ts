import { z } from 'zod';
import { ConfigError } from './errors.js';

/** The secret used when none is configured; accepted only outside production. */
export const DEVELOPMENT_SECRET_KEY = 'development-only-secret-key-change-me-in-production';
/** The cookie signing key used when none is configured; accepted only outside production. */
export const DEVELOPMENT_COOKIE_KEY = 'development-only-cookie-key-change-me-in-production';

/** The domain of new usernames when USERNAME_DOMAIN is not set. */
export const DEFAULT_USERNAME_DOMAIN = 'wjec-appointees.co.uk';

const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const positiveInt = z.coerce.number().int().positive();

/** The environment variables Porth reads, with development defaults. */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    DATABASE_URL: z.string().min(1).default('sqlite:./data/porth.sqlite'),
    SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
    MAIL_FROM: z.string().min(3).default('Porth <no-reply@porth.localhost>'),
    SECRET_KEY: z
      .string()
      .min(32, 'must be at least 32 characters')
      .default(DEVELOPMENT_SECRET_KEY),
    COOKIE_KEYS: z
      .string()
      .default(DEVELOPMENT_COOKIE_KEY)
      .transform((v) => v.split(',').map((k) => k.trim()))
      .pipe(z.array(z.string().min(32, 'each key must be at least 32 characters')).min(1)),
    USERNAME_DOMAIN: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/,
        'must be a domain name',
      )
      .default(DEFAULT_USERNAME_DOMAIN),
    PASSWORD_COMPOSITION_RULE: booleanish.default(true),
    TEMPORARY_PASSWORD_DAYS: positiveInt.default(14),
    LOCKOUT_THRESHOLD: positiveInt.default(10),
    LOCKOUT_MINUTES: positiveInt.default(15),
    IP_LIMIT_PER_15_MINUTES: positiveInt.default(300),
    HARD_LOCKOUT_THRESHOLD: z.coerce.number().int().min(0).default(100),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (env.SECRET_KEY === DEVELOPMENT_SECRET_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRET_KEY'],
        message: 'is the development default; set a random value of at least 32 characters',
      });
    }
    if (env.COOKIE_KEYS.includes(DEVELOPMENT_COOKIE_KEY)) {
      ctx.addIssue({
        code: 'custom',
        path: ['COOKIE_KEYS'],
        message: 'is the development default; set one or more random keys, comma-separated',
      });
    }
    if (!env.PUBLIC_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'is required in production' });
    } else if (!env.PUBLIC_URL.startsWith('https://')) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUBLIC_URL'],
        message: 'must use https in production',
      });
    }
    if (!env.SMTP_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_URL'],
        message: 'is required in production (mail would otherwise never leave the outbox)',
      });
    }
  });

/** Porth's settings, parsed and checked once at start-up. */
export interface PorthConfig {
  readonly env: 'development' | 'test' | 'production';
  readonly port: number;
  /** The public base URL without a trailing slash, e.g. `https://id.example.org`. */
  readonly publicUrl: string;
  readonly databaseUrl: string;
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string };
  readonly secrets: { readonly secretKey: string; readonly cookieKeys: readonly string[] };
  readonly usernames: { readonly domain: string };
  readonly passwords: {
    readonly compositionRule: boolean;
    readonly temporaryPasswordLifetimeMs: number;
  };
  readonly throttling: {
    readonly lockoutThreshold: number;
    readonly lockoutMs: number;
    readonly ipLimitPer15Minutes: number;
    /** Consecutive failures that lock an account until support or a password reset lifts it; null = never. */
    readonly hardLockoutThreshold: number | null;
  };
}

/**
 * Checks environment variables against a schema (unset and empty variables count as absent, so
 * defaults apply) and returns the parsed values; throws ConfigError naming every wrong setting.
 * Each package reads its own settings with it.
 */
export function parseEnvironment<T extends z.ZodType>(
  schema: T,
  env: Readonly<Record<string, string | undefined>>,
): z.output<T> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(environment)',
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

/** Builds the configuration from environment variables; throws ConfigError naming each wrong setting. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): PorthConfig {
  const e = parseEnvironment(configSchema, env);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    publicUrl,
    databaseUrl: e.DATABASE_URL,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    secrets: { secretKey: e.SECRET_KEY, cookieKeys: e.COOKIE_KEYS },
    usernames: { domain: e.USERNAME_DOMAIN },
    passwords: {
      compositionRule: e.PASSWORD_COMPOSITION_RULE,
      temporaryPasswordLifetimeMs: e.TEMPORARY_PASSWORD_DAYS * 24 * 60 * 60 * 1000,
    },
    throttling: {
      lockoutThreshold: e.LOCKOUT_THRESHOLD,
      lockoutMs: e.LOCKOUT_MINUTES * 60 * 1000,
      ipLimitPer15Minutes: e.IP_LIMIT_PER_15_MINUTES,
      hardLockoutThreshold: e.HARD_LOCKOUT_THRESHOLD === 0 ? null : e.HARD_LOCKOUT_THRESHOLD,
    },
  };
}

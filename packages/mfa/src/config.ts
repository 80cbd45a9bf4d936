import { z } from 'zod';
import { parseEnvironment } from '@porth/identity-core';
import { DEFAULT_PHONE_REGION } from './phone/phone-number.js';
import { TWILIO_BASE_URL } from './providers/twilio-provider.js';

const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const region = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be a two-letter region code such as GB')
  .transform((v) => v.toUpperCase());

/** The environment variables @porth/mfa reads, with development defaults. */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    /** The name authenticator apps show above the code, and that texts and calls give. */
    MFA_ISSUER: z.string().trim().min(1).max(60).default('Porth'),
    /** `development` stores texts and calls in the local outbox; `twilio` sends them. */
    MFA_SMS_PROVIDER: z.enum(['development', 'twilio']).default('development'),
    TWILIO_BASE_URL: z.url({ protocol: /^https?$/ }).default(TWILIO_BASE_URL),
    TWILIO_ACCOUNT_SID: z.string().trim().min(1).optional(),
    TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
    /** An API key SID to authenticate with instead of the account SID (optional). */
    TWILIO_API_KEY_SID: z.string().trim().min(1).optional(),
    /** The sending number, E.164 (or an alphanumeric sender id, for texts only). */
    TWILIO_FROM: z.string().trim().min(1).optional(),
    /** The number calls come from, when TWILIO_FROM is an alphanumeric sender id. */
    TWILIO_CALLER_ID: z
      .string()
      .trim()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +447700900000')
      .optional(),
    /** The region assumed for numbers typed without a country code. */
    MFA_PHONE_REGION: region.default(DEFAULT_PHONE_REGION),
    /** Comma-separated regions whose numbers are accepted (default: any). */
    MFA_PHONE_REGIONS: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((r) => r.trim())
          .filter((r) => r !== ''),
      )
      .pipe(z.array(region))
      .optional(),
    /** Accept Ofcom's drama numbers (07700 900xxx); default on outside production. */
    MFA_ALLOW_FICTIONAL_NUMBERS: booleanish.optional(),
    /** Seconds before another code may be sent to the same factor. */
    MFA_RESEND_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
    /** Codes sent to one phone number or email address per 24 hours. */
    MFA_DAILY_CAP_PER_NUMBER: z.coerce.number().int().min(1).max(1000).default(10),
  })
  .superRefine((env, ctx) => {
    if (env.MFA_SMS_PROVIDER === 'twilio') {
      for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const) {
        if (!env[name]) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'is required when MFA_SMS_PROVIDER is twilio',
          });
        }
      }
    }
    if (env.NODE_ENV !== 'production') return;
    if (env.MFA_SMS_PROVIDER !== 'twilio') {
      ctx.addIssue({
        code: 'custom',
        path: ['MFA_SMS_PROVIDER'],
        message: 'must be twilio in production (the development provider sends nothing)',
      });
    }
    if (env.MFA_ALLOW_FICTIONAL_NUMBERS === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['MFA_ALLOW_FICTIONAL_NUMBERS'],
        message: 'must be off in production',
      });
    }
  });

/** Where texts and calls go. */
export type PhoneProviderConfig =
  | { readonly kind: 'development' }
  | {
      readonly kind: 'twilio';
      readonly baseUrl: string;
      readonly accountSid: string;
      readonly authToken: string;
      /** The HTTP Basic user name when an API key is used; null for the account SID. */
      readonly apiKeySid: string | null;
      readonly from: string;
      readonly callerId: string | null;
    };

/** The settings of @porth/mfa, parsed and checked once at start-up. */
export interface MfaConfig {
  readonly issuer: string;
  readonly provider: PhoneProviderConfig;
  readonly phone: {
    readonly defaultRegion: string;
    /** Null: numbers of any region. */
    readonly allowedRegions: readonly string[] | null;
    readonly allowFictionalNumbers: boolean;
  };
  readonly sending: {
    readonly resendCooldownMs: number;
    readonly dailyCapPerDestination: number;
  };
}

/** Builds the MFA settings from environment variables; throws ConfigError naming each wrong setting. */
export function loadMfaConfig(env: Readonly<Record<string, string | undefined>>): MfaConfig {
  const e = parseEnvironment(configSchema, env);
  const provider: PhoneProviderConfig =
    e.MFA_SMS_PROVIDER === 'twilio'
      ? {
          kind: 'twilio',
          baseUrl: e.TWILIO_BASE_URL,
          accountSid: e.TWILIO_ACCOUNT_SID ?? '',
          authToken: e.TWILIO_AUTH_TOKEN ?? '',
          apiKeySid: e.TWILIO_API_KEY_SID ?? null,
          from: e.TWILIO_FROM ?? '',
          callerId: e.TWILIO_CALLER_ID ?? null,
        }
      : { kind: 'development' };
  return {
    issuer: e.MFA_ISSUER,
    provider,
    phone: {
      defaultRegion: e.MFA_PHONE_REGION,
      allowedRegions:
        e.MFA_PHONE_REGIONS && e.MFA_PHONE_REGIONS.length > 0 ? e.MFA_PHONE_REGIONS : null,
      allowFictionalNumbers: e.MFA_ALLOW_FICTIONAL_NUMBERS ?? e.NODE_ENV !== 'production',
    },
    sending: {
      resendCooldownMs: e.MFA_RESEND_SECONDS * 1000,
      dailyCapPerDestination: e.MFA_DAILY_CAP_PER_NUMBER,
    },
  };
}

import type { Clock, Executor, RandomSource } from '@porth/identity-core';
import type { PhoneProviderConfig } from '../config.js';
import type { SmsSender } from '../factors/sms/sms-sender.js';
import type { VoiceCaller } from '../factors/voice/voice-caller.js';
import { DevelopmentTextProvider } from './development-provider.js';
import { TwilioProvider } from './twilio-provider.js';

/** What the development provider needs (the Twilio provider needs only its configuration). */
export interface PhoneProviderDependencies {
  readonly db: Executor;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly secretKey: string;
}

/** Builds the configured SMS and voice provider (one object serves as both). */
export function createPhoneProvider(
  config: PhoneProviderConfig,
  dependencies: PhoneProviderDependencies,
): SmsSender & VoiceCaller {
  if (config.kind === 'development') return new DevelopmentTextProvider(dependencies);
  return new TwilioProvider({
    baseUrl: config.baseUrl,
    accountSid: config.accountSid,
    authToken: config.authToken,
    ...(config.apiKeySid ? { username: config.apiKeySid } : {}),
    from: config.from,
    ...(config.callerId ? { callerId: config.callerId } : {}),
  });
}

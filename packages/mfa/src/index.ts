export {
  DEFAULT_MFA_POLICY,
  SENT_CODE_DIGITS,
  MfaService,
  maskDestination,
  maskEmail,
} from './service/mfa-service.js';
export type {
  MfaPolicy,
  MfaRequestContext,
  MfaServiceOptions,
  VerifyInput,
  ConfirmEnrolmentInput,
} from './service/mfa-service.js';
export { REFUSAL_MESSAGES } from './service/results.js';
export type {
  FactorSummary,
  SentChallenge,
  TotpEnrolment,
  CodeEnrolment,
  SignInChallenge,
  Verified,
  RefusalReason,
  Refused,
  VerificationResult,
  Enrolled,
  EnrolmentResult,
  RecoveryCodeSet,
  ResetOutcome,
} from './service/results.js';
export { FACTOR_KINDS, isFactorKind } from './factors/factor.js';
export type {
  FactorKind,
  CodeFactorKind,
  VerificationMethod,
  FactorState,
  Factor,
  CodeMessage,
  CodeChannel,
  FactorRecord,
} from './factors/factor.js';
export {
  TOTP_SECRET_BYTES,
  TOTP_PERIOD_SECONDS,
  TOTP_DIGITS,
  TOTP_WINDOW_STEPS,
  TotpFactor,
  totpStepAt,
  normaliseTotpCode,
} from './factors/totp/factor.js';
export type { TotpEnrolmentDetails } from './factors/totp/factor.js';
export { base32Encode, base32Decode, groupForTyping } from './factors/totp/base32.js';
export { SmsFactor, smsCodeText } from './factors/sms/factor.js';
export type { TextMessage, ProviderReceipt, SmsSender } from './factors/sms/sms-sender.js';
export { VoiceFactor, spokenDigits, voiceCodeSentences } from './factors/voice/factor.js';
export type { VoiceMessage, VoiceCaller } from './factors/voice/voice-caller.js';
export { EmailFactor } from './factors/email/factor.js';
export {
  RECOVERY_CODE_COUNT,
  RECOVERY_CODE_ALPHABET,
  RECOVERY_CODE_LENGTH,
  RecoveryCodeFactor,
  formatRecoveryCode,
  normaliseRecoveryCode,
} from './factors/recovery-codes/factor.js';
export { KnexRecoveryCodeRepository } from './factors/recovery-codes/knex-recovery-code-repository.js';
export type { StoredRecoveryCode } from './factors/recovery-codes/knex-recovery-code-repository.js';
export { KnexFactorRepository } from './factors/knex-factor-repository.js';
export type { NewPendingFactor } from './factors/knex-factor-repository.js';
export type { ChallengePurpose, ChallengeStatus, ChallengeRecord } from './challenges/challenge.js';
export { KnexChallengeRepository } from './challenges/knex-challenge-repository.js';
export type { NewChallenge } from './challenges/knex-challenge-repository.js';
export {
  DEFAULT_PHONE_REGION,
  parsePhoneNumber,
  maskPhoneNumber,
  assertPhoneCanReceive,
  deliveriesForType,
} from './phone/phone-number.js';
export type { PhoneDelivery, PhoneNumber, PhoneNumberOptions } from './phone/phone-number.js';
export {
  SMS_CHANNEL,
  VOICE_CHANNEL,
  TEXT_MESSAGE_TEMPLATE,
  PHONE_CALL_TEMPLATE,
  DevelopmentTextProvider,
} from './providers/development-provider.js';
export type { DevelopmentTextProviderOptions } from './providers/development-provider.js';
export {
  TWILIO_BASE_URL,
  DEFAULT_SAY_VOICES,
  TwilioProvider,
  sayTwiml,
} from './providers/twilio-provider.js';
export type { SayVoice, TwilioProviderOptions } from './providers/twilio-provider.js';
export { createPhoneProvider } from './providers/create-phone-provider.js';
export type { PhoneProviderDependencies } from './providers/create-phone-provider.js';
export { DEFAULT_THROTTLE_POLICY, MfaThrottle } from './throttling/mfa-throttle.js';
export type { MfaThrottlePolicy, TryCheck, FailureOutcome } from './throttling/mfa-throttle.js';
export { TOTP_SECRET_KEY_INFO, SecretCipher } from './crypto/secret-cipher.js';
export { CODE_HMAC_KEY_INFO, CodeHasher } from './crypto/code-hasher.js';
export { configSchema, loadMfaConfig } from './config.js';
export type { PhoneProviderConfig, MfaConfig } from './config.js';
export { mfaMigrations } from './db/migrations/index.js';
export {
  MFA_ERROR_MESSAGES,
  MfaError,
  FactorNotFoundError,
  ChallengeNotFoundError,
  WrongFactorKindError,
  LastFactorError,
  EnrolmentExpiredError,
  AlreadyConfirmedError,
  DuplicateFactorError,
  TooManyFactorsError,
  NoActiveFactorError,
  InvalidPhoneNumberError,
  UnsuitablePhoneNumberError,
  EmailRiskNotAcknowledgedError,
  EmailMissingError,
  ResendTooSoonError,
  SendLimitReachedError,
  DeliveryFailedError,
  ActorNotAllowedError,
  MfaLockedError,
  SecretUnreadableError,
} from './errors.js';
export type { MfaErrorCode } from './errors.js';

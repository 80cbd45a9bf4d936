export type {
  NewActiveAccount,
  LegacyAccountInput,
  LegacySkipReason,
  LegacyInsertResult,
  LegacyInsertOptions,
  ProfileUpdate,
  PasswordHashOptions,
  AccountRepository,
} from './accounts/account-repository.js';
export { AccountService } from './accounts/account-service.js';
export type {
  ActorContext,
  CreateAccountInput,
  AccountStores,
} from './accounts/account-service.js';
export {
  ACCOUNT_KINDS,
  ACCOUNT_STATUSES,
  LOCALES,
  REQUIRED_ACTIONS,
  STATUS_TRANSITIONS,
  canChangeStatus,
  isAccountKind,
  isAccountStatus,
  isLocale,
  isRequiredAction,
} from './accounts/account.js';
export type {
  AccountKind,
  AccountStatus,
  Locale,
  RequiredAction,
  Account,
} from './accounts/account.js';
export { KnexAccountRepository } from './accounts/knex-account-repository.js';
export {
  PROFILE_DETAILS,
  MAX_NAME_LENGTH,
  MAX_EMAIL_LENGTH,
  MAX_PHONE_LENGTH,
  PHONE_DIGITS,
  MAX_TEACHING_CENTRE_LENGTH,
  profileIssue,
  isEmailAddress,
  validateProfileChanges,
  missingProfileFields,
} from './accounts/profile.js';
export type {
  ProfileField,
  ProfileDetail,
  ProfileChanges,
  ValidProfileChanges,
  ProfileIssueCode,
  ProfileIssue,
} from './accounts/profile.js';
export {
  MAX_USERNAME_LOCAL_PART,
  FALLBACK_USERNAME_LOCAL_PART,
  normaliseUsername,
  normaliseEmail,
  foldName,
  usernameLocalPart,
  usernameBase,
  numberedUsername,
  usernameNumber,
} from './accounts/usernames.js';
export type {
  AuditOutcome,
  RequestContext,
  NewAuditEvent,
  AuditEvent,
  AuditQuery,
  AuditLog,
} from './audit/audit-event.js';
export { KnexAuditLog } from './audit/knex-audit-log.js';
export { systemClock, createManualClock } from './clock.js';
export type { Clock, ManualClock } from './clock.js';
export {
  DEVELOPMENT_SECRET_KEY,
  DEVELOPMENT_COOKIE_KEY,
  DEFAULT_USERNAME_DOMAIN,
  configSchema,
  loadConfig,
  parseEnvironment,
} from './config.js';
export type { PorthConfig } from './config.js';
export { parseDatabaseUrl, connectDatabase, dialectOf } from './db/connect.js';
export type { DatabaseDialect, DatabaseTarget, ConnectOptions } from './db/connect.js';
export { isUniqueViolation, isRetryableConflict, isConnectionError } from './db/errors.js';
export {
  MIGRATIONS_TABLE,
  migrationSource,
  migrateToLatest,
  pendingMigrations,
  rollbackAll,
} from './db/migrate.js';
export type { Migration } from './db/migrate.js';
export { identityCoreMigrations } from './db/migrations/index.js';
export { createTable, longText } from './db/schema-helpers.js';
export { transaction, translateDatabaseError } from './db/transaction.js';
export type { Executor, TransactionOptions } from './db/transaction.js';
export {
  PorthError,
  IdentityError,
  ConfigError,
  DatabaseUnavailableError,
  ConcurrentUpdateError,
  FlowNotFoundError,
  FlowExpiredError,
  InvalidTransitionError,
  ConcurrentFlowUpdateError,
  AccountNotFoundError,
  AccountNotActiveError,
  UsernameTakenError,
  LegacyUsernameTakenError,
  UsernameInvalidError,
  InvalidStatusChangeError,
  InvalidProfileError,
  UnsupportedPasswordHashError,
  MalformedPasswordHashError,
  MailTemplateUnknownError,
  MailPayloadUnreadableError,
  MailDeliveryFailedError,
  MailRecipientInvalidError,
} from './errors.js';
export type { IdentityErrorCode } from './errors.js';
export { canTransition, transition, assertNotExpired } from './flows/flow.js';
export type { Flow, TransitionTable } from './flows/flow.js';
export { KnexFlowRepository } from './flows/knex-flow-repository.js';
export type { NewFlow } from './flows/knex-flow-repository.js';
export {
  MESSAGE_ID_HEADER,
  retryDelayMs,
  describeDeliveryError,
  MailDispatcher,
} from './mail/dispatcher.js';
export type {
  RetryPolicy,
  MailDispatcherOptions,
  DispatchResult,
  DispatcherLoopOptions,
} from './mail/dispatcher.js';
export { KnexOutboxRepository } from './mail/knex-outbox-repository.js';
export type { OutboxRecord, NewOutboxRecord } from './mail/knex-outbox-repository.js';
export {
  MAIL_LOCALES,
  SECURITY_CHANGES,
  SUPPORT_CHANGES,
  MAIL_TEMPLATE_NAMES,
  toMailLocale,
  isMailTemplateName,
} from './mail/mail-message.js';
export type {
  MailLocale,
  MigrationTemporaryPasswordMail,
  ForgottenUsernameMail,
  PasswordResetMail,
  InvitationMail,
  MfaResetMail,
  SecurityChange,
  SecurityChangeMail,
  SupportChange,
  SupportChangeMail,
  EmailCodeMail,
  MailTemplates,
  MailTemplateName,
  MailContent,
  MailRequest,
  OutboxStatus,
  OutboxEntry,
} from './mail/mail-message.js';
export { LocalOutboxTransport, redactUrl } from './mail/mail-transport.js';
export type { OutgoingMail, MailTransport } from './mail/mail-transport.js';
export { EMAIL_CHANNEL, MailOutbox } from './mail/outbox.js';
export type { MailOutboxOptions, ListRecentOptions } from './mail/outbox.js';
export { OUTBOX_KEY_INFO, PayloadCipher } from './mail/payload-crypto.js';
export { formatMailDateTime, assertMailData, MailRenderer } from './mail/render.js';
export type { MailRendererOptions } from './mail/render.js';
export { SmtpTransport } from './mail/smtp-transport.js';
export type { SmtpTransportOptions } from './mail/smtp-transport.js';
export { MAIL_TEMPLATE_FIELDS } from './mail/templates.js';
export { OWASP_ARGON2ID_PARAMETERS } from './passwords/argon2id.js';
export type { Argon2idParameters } from './passwords/argon2id.js';
export { isCommonPassword } from './passwords/blocklist.js';
export { normalisePassword, Argon2PasswordHasher } from './passwords/hasher.js';
export type {
  PasswordVerification,
  PasswordHasher,
  Argon2PasswordHasherOptions,
} from './passwords/hasher.js';
export {
  identifyHashFormat,
  bcryptVerifier,
  md5CryptVerifier,
  djangoPbkdf2Sha256Verifier,
  sshaVerifier,
  ssha256Verifier,
  argon2idVerifier,
  builtInLegacyVerifiers,
  findLegacyVerifier,
  checkPasswordHash,
} from './passwords/legacy-hashes.js';
export type { PasswordHashFormat, LegacyHashVerifier } from './passwords/legacy-hashes.js';
export {
  checkPassword,
  PasswordPolicyError,
  assertPasswordAcceptable,
} from './passwords/password-policy.js';
export type {
  PasswordContext,
  PasswordPolicyOptions,
  PasswordPolicyViolation,
} from './passwords/password-policy.js';
export {
  PASSWORD_MIN_LENGTH,
  PASSWORD_MAX_LENGTH,
  passwordRuleMessages,
  passwordPolicyHint,
  passwordPolicyRules,
} from './passwords/policy-messages.js';
export type { LocalisedText, PasswordRuleCode } from './passwords/policy-messages.js';
export {
  TEMPORARY_PASSWORD_ALPHABET,
  generateTemporaryPassword,
} from './passwords/temporary-password.js';
export { cryptoRandom, randomId, randomSecret, randomInt, randomDigits } from './random.js';
export type { RandomSource } from './random.js';
export { KnexLockouts } from './throttling/knex-lockout.js';
export { KnexRateLimiter } from './throttling/knex-throttle.js';
export { LOCKED_UNTIL_RESET_MS, assertLockoutPolicy, lockoutState } from './throttling/lockout.js';
export type { LockoutPolicy, LockoutState, Lockouts } from './throttling/lockout.js';
export {
  IP_WINDOW_MS,
  DEFAULT_HARD_LOCKOUT_THRESHOLD,
  SignInThrottle,
  ipThrottleKey,
} from './throttling/sign-in-throttle.js';
export type {
  SignInAttempt,
  SignInRefusal,
  SignInCheck,
  SignInFailureOutcome,
  SignInThrottleOptions,
} from './throttling/sign-in-throttle.js';
export { MAX_THROTTLE_KEY_LENGTH, throttleKey, assertRateLimit } from './throttling/throttle.js';
export type { RateLimit, RateLimitResult, RateLimiter } from './throttling/throttle.js';
export { KnexTokenRepository } from './tokens/knex-token-repository.js';
export {
  TOKEN_BYTES,
  DEFAULT_TOKEN_LIFETIME_MS,
  MAX_TOKEN_PURPOSE_LENGTH,
  hashToken,
  isWellFormedToken,
  isValidTokenPurpose,
} from './tokens/one-time-token.js';
export type {
  IssueTokenInput,
  IssuedToken,
  TokenContents,
  OneTimeTokens,
} from './tokens/one-time-token.js';
export { PasswordAuthenticator } from './authentication/password-authenticator.js';
export type {
  PasswordAttempt,
  PasswordAuthenticatorDependencies,
  PasswordCheckResult,
} from './authentication/password-authenticator.js';
export { SealedBox, deriveKey, MIN_SECRET_KEY_LENGTH } from './crypto/sealed-box.js';
// recovery
export {
  USERNAME_REMINDER_EVENT,
  PASSWORD_RESET_REQUESTED_EVENT,
  PASSWORD_RESET_EVENT,
  AccountRecovery,
} from './recovery/account-recovery.js';
export type {
  UsernameReminderRequest,
  PasswordResetRequest,
  LegacyPasswordResetDelegation,
  PasswordResetCompletion,
  RecoveryReceipt,
  PasswordResetLink,
  PasswordResetResult,
  AccountRecoveryDependencies,
} from './recovery/account-recovery.js';
export {
  PASSWORD_RESET_PURPOSE,
  DEFAULT_PASSWORD_RESET_LIFETIME_MS,
  DEFAULT_USERNAME_REMINDER_LIMIT,
  DEFAULT_USERNAME_REMINDER_IP_LIMIT,
  DEFAULT_PASSWORD_RESET_LIMIT,
  DEFAULT_PASSWORD_RESET_IP_LIMIT,
  resolveRecoverySettings,
} from './recovery/recovery-settings.js';
export type { RecoverySettings, RecoverySettingsInput } from './recovery/recovery-settings.js';
// centres
export {
  CENTRE_ROLES,
  INVITABLE_CENTRE_ROLES,
  CENTRE_PERMISSIONS,
  MAX_CENTRE_ADMINS,
  CENTRE_ROLE_RULES,
  CENTRE_ROLE_LABELS,
  CENTRE_PERMISSION_TEXT,
  isCentreRole,
  isCentrePermission,
  canManageCentre,
  defaultPermissions,
  isGrantable,
  checkPermissions,
} from './centres/permissions.js';
export type {
  CentreRole,
  InvitableCentreRole,
  CentrePermission,
  EntriesAccess,
  ResultsAccess,
  CentreRoleRule,
} from './centres/permissions.js';
export {
  RESULTS_RELEASE_HOUR,
  resultsReleaseTime,
  entriesResultsAccess,
  canMakeEntries,
  canViewResults,
} from './centres/results-day.js';
export type { CentreAccess } from './centres/results-day.js';
export {
  CENTRE_NUMBER_PATTERN,
  MAX_CENTRE_NAME_LENGTH,
  CENTRE_INVITATION_PURPOSE,
  DEFAULT_INVITATION_LIFETIME_MS,
  isCentreNumber,
  foldForSearch,
  memberMatches,
} from './centres/centre.js';
export type {
  Centre,
  MembershipState,
  CentreMembership,
  CentreMemberStatus,
  CentreMember,
  CentreClaim,
} from './centres/centre.js';
export type {
  NewMembership,
  MembershipReadOptions,
  CentreRepository,
} from './centres/centre-repository.js';
export { KnexCentreRepository } from './centres/knex-centre-repository.js';
export { CentreService, centreClaims } from './centres/centre-service.js';
export type {
  CentreActor,
  CentreInvitationInput,
  CentreAccessUpdate,
  ExamsOfficerSeat,
  NewCentreInput,
  InvitationDetails,
  AcceptInvitationInput,
  AcceptedInvitation,
  CentreServiceOptions,
} from './centres/centre-service.js';
export { centreErrorMessage } from './centres/messages.js';
export {
  CentreInvalidError,
  CentreNotFoundError,
  CentreExistsError,
  CentreAccessDeniedError,
  CentreMemberNotFoundError,
  CentreMemberNotActiveError,
  CentreMemberDuplicateError,
  CentreAdminLimitError,
  CentrePermissionNotAllowedError,
  ExamsOfficerProtectedError,
  InvitationInvalidError,
} from './errors.js';
export type { CentreAccessDeniedReason } from './errors.js';
export { CENTRE_ACCESS_CHANGES } from './mail/mail-message.js';
export type { CentreAccessChange, CentreAccessChangedMail } from './mail/mail-message.js';

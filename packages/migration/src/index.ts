export {
  DEFAULT_TEMPORARY_PASSWORD_LIFETIME_MS,
  DEFAULT_LEGACY_RESET_LIFETIME_MS,
  DEFAULT_RESEND_TOKEN_LIFETIME_MS,
  DEFAULT_RESEND_LIMIT,
  DEFAULT_LEGACY_RESET_LIMIT,
  DEFAULT_LEGACY_RESET_IP_LIMIT,
  DEFAULT_IMPORT_BATCH_SIZE,
  LEGACY_PASSWORD_RESET_PURPOSE,
  TEMPORARY_PASSWORD_RESEND_PURPOSE,
  resolveMigrationSettings,
} from './defaults.js';
export type { MigrationSettings, MigrationSettingsInput } from './defaults.js';
export { migrationMigrations } from './db/migrations/index.js';
export { ImportSourceError, MigrationError } from './errors.js';
export type { MigrationErrorCode } from './errors.js';
export { MIGRATION_STATES, isMigrationState } from './flow/states.js';
export type { MigrationState, MigrationRecord } from './flow/states.js';
export {
  MIGRATION_TRANSITIONS,
  canMigrationTransition,
  transitionMigration,
  withTemporaryPassword,
} from './flow/transitions.js';
export { MigrationFlow, hasUsableEmail, maskEmail } from './flow/migration-flow.js';
export type {
  MigrationFlowDependencies,
  LegacyCredentials,
  MigrationResult,
  ResendRequest,
  ResendResult,
  LegacyPasswordResetRequest,
  LegacyPasswordResetCompletion,
  LegacyPasswordResetResult,
  RequiredActionProgress,
} from './flow/migration-flow.js';
export { KnexMigrationFlowRepository } from './flow/knex-migration-flow-repository.js';
export { KnexLegacyCredentialRepository } from './flow/knex-legacy-credential-repository.js';
export type { LockedAccount } from './flow/knex-legacy-credential-repository.js';
export {
  LEGACY_COLUMNS,
  REQUIRED_LEGACY_COLUMNS,
  LOCALE_COLUMN,
  MAX_LEGACY_USERNAME_LENGTH,
  MAX_PASSWORD_HASH_LENGTH,
  MAX_EXTRA_FIELD_LENGTH,
  REJECTION_REASONS,
  checkLegacyRow,
} from './import/legacy-row.js';
export type {
  LegacyColumn,
  SourceRow,
  RejectionReason,
  RejectedRow,
  RowCheck,
} from './import/legacy-row.js';
export { readLegacyCsv } from './import/csv-source.js';
export type { LegacyCsvOptions } from './import/csv-source.js';
export { readLegacyTable } from './import/knex-legacy-source.js';
export type { LegacyColumnMapping, LegacyTableOptions } from './import/knex-legacy-source.js';
export { importLegacyAccounts } from './import/importer.js';
export type { ImportOptions, ImportProgress, ImportSummary } from './import/importer.js';
export { REJECTION_REPORT_COLUMNS, createRejectionReport } from './import/report.js';
export type { RejectionReport } from './import/report.js';
export { readMigrationStatus } from './status/migration-status.js';
export type {
  MigrationStatusOptions,
  MigrationStatusReport,
  AccountList,
  UnreachableLegacyAccount,
} from './status/migration-status.js';
export type {
  MigratedAccountRow,
  LegacyAccountRow,
} from './status/knex-migration-status-repository.js';
export {
  resendTemporaryPasswordForSupport,
  temporaryPasswordResendable,
  type SupportResendDependencies,
  type SupportResendRequest,
  type SupportResendResult,
} from './support/support-resend.js';

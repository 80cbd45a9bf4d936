import type { CentrePermission, CentreRole } from '../centres/permissions.js';

/** The languages an email can be written in. */
export type MailLocale = 'en' | 'cy';

/** Every language an email can be written in, English first. */
export const MAIL_LOCALES: readonly MailLocale[] = ['en', 'cy'];

/** Data for `migration_temporary_password`: sent once a legacy account has been migrated. */
export interface MigrationTemporaryPasswordMail {
  readonly name: string;
  readonly newUsername: string;
  readonly temporaryPassword: string;
  readonly signInUrl: string;
  /** When the temporary password stops working. */
  readonly expiresAt: Date;
}

/** Data for `forgotten_username`: every username registered to the address it is sent to. */
export interface ForgottenUsernameMail {
  readonly name: string;
  readonly usernames: readonly string[];
  readonly signInUrl: string;
}

/** Data for `password_reset`: a single-use link to choose a new password. */
export interface PasswordResetMail {
  readonly name: string;
  readonly resetUrl: string;
  readonly expiresHours: number;
}

/** Data for `invitation`: a centre user is invited to create an account. */
export interface InvitationMail {
  readonly inviterName: string;
  readonly centreName: string;
  readonly centreNumber: string;
  readonly acceptUrl: string;
  readonly expiresDays: number;
}

/** Data for `mfa_reset`: support staff reset the user's second factors. */
export interface MfaResetMail {
  readonly name: string;
  readonly signInUrl: string;
}

/** The security-relevant changes a `security_change` email can report. */
export type SecurityChange =
  | 'password'
  | 'email'
  | 'phone'
  | 'mfa_added'
  | 'mfa_removed'
  | 'recovery_code_used'
  | 'recovery_codes_regenerated';

/** Every value of SecurityChange. */
export const SECURITY_CHANGES: readonly SecurityChange[] = [
  'password',
  'email',
  'phone',
  'mfa_added',
  'mfa_removed',
  'recovery_code_used',
  'recovery_codes_regenerated',
];

/** Data for `security_change`: tells the user that something about their sign-in changed. */
export interface SecurityChangeMail {
  readonly name: string;
  readonly change: SecurityChange;
  /** When it happened; shown in UK time (Europe/London). */
  readonly time: Date;
}

/** Data for `email_code`: a one-time code sent by email. */
export interface EmailCodeMail {
  readonly code: string;
  readonly minutes: number;
}

/** What a `centre_access_changed` email reports: changed access, or removal from the centre. */
export type CentreAccessChange = 'access_changed' | 'removed';

/** Every value of CentreAccessChange. */
export const CENTRE_ACCESS_CHANGES: readonly CentreAccessChange[] = ['access_changed', 'removed'];

/** Data for `centre_access_changed`: a centre's Exams Officer or Admin changed the reader's access or removed them. */
export interface CentreAccessChangedMail {
  readonly name: string;
  readonly change: CentreAccessChange;
  readonly centreName: string;
  readonly centreNumber: string;
  /** The name of the Exams Officer or Admin who made the change. */
  readonly changedBy: string;
  /** The account type now held (for `removed`: the one held before); shown in the message's language. */
  readonly role: CentreRole;
  /** The permissions now held, possibly none (ignored for `removed`); shown in the message's language. */
  readonly permissions: readonly CentrePermission[];
  /** When it happened; shown in UK time (Europe/London). */
  readonly time: Date;
}

/** What support staff did to an account, as a `support_change` email reports it. */
export type SupportChange = 'unlocked' | 'disabled' | 'enabled';

/** Every value of SupportChange. */
export const SUPPORT_CHANGES: readonly SupportChange[] = ['unlocked', 'disabled', 'enabled'];

/** Data for `support_change`: the support team unlocked, disabled or enabled the reader's account. */
export interface SupportChangeMail {
  readonly name: string;
  readonly change: SupportChange;
  /** When it happened; shown in UK time (Europe/London). */
  readonly time: Date;
  /** The sign-in page (a button after `unlocked` and `enabled`). */
  readonly signInUrl: string;
}

/** Each email template by name, with the data it needs. */
export interface MailTemplates {
  readonly migration_temporary_password: MigrationTemporaryPasswordMail;
  readonly forgotten_username: ForgottenUsernameMail;
  readonly password_reset: PasswordResetMail;
  readonly invitation: InvitationMail;
  readonly mfa_reset: MfaResetMail;
  readonly security_change: SecurityChangeMail;
  readonly email_code: EmailCodeMail;
  readonly centre_access_changed: CentreAccessChangedMail;
  readonly support_change: SupportChangeMail;
}

/** The name of an email template. */
export type MailTemplateName = keyof MailTemplates;

/** Every template name. */
export const MAIL_TEMPLATE_NAMES: readonly MailTemplateName[] = [
  'migration_temporary_password',
  'forgotten_username',
  'password_reset',
  'invitation',
  'mfa_reset',
  'security_change',
  'email_code',
  'centre_access_changed',
  'support_change',
];

/** A rendered email: what the outbox stores (encrypted) and the transport sends. */
export interface MailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** What a caller asks the outbox to send. */
export interface MailRequest<T extends MailTemplateName = MailTemplateName> {
  /** The recipient's email address. */
  readonly to: string;
  readonly template: T;
  readonly locale: MailLocale;
  /** The account the message is about, if any (kept for support and clean-up). */
  readonly accountId?: string | null;
  readonly data: MailTemplates[T];
}

/** Where an outbox message is in its life. */
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** An outbox message as listed for people (development outbox page, support). */
export interface OutboxEntry {
  readonly id: string;
  readonly channel: string;
  readonly recipient: string;
  readonly template: string;
  readonly locale: string;
  readonly accountId: string | null;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly nextAttemptAt: Date;
  readonly sentAt: Date | null;
  readonly lastError: string | null;
  /** The decrypted message, or null when it was erased after sending or cannot be decrypted. */
  readonly content: MailContent | null;
  /** Why `content` is null: `erased` after delivery, `unreadable` under another key. */
  readonly contentMissing: 'erased' | 'unreadable' | null;
}

/** Returns `value` as a mail locale: Welsh for `cy` or `cy-GB`, English otherwise. */
export function toMailLocale(value: string | null | undefined): MailLocale {
  return typeof value === 'string' && /^cy($|[-_])/i.test(value.trim()) ? 'cy' : 'en';
}

/** Tells whether `name` is a known template name. */
export function isMailTemplateName(name: unknown): name is MailTemplateName {
  return typeof name === 'string' && (MAIL_TEMPLATE_NAMES as readonly string[]).includes(name);
}

import type { AccountStatus } from './accounts/account.js';
import type { ProfileIssue } from './accounts/profile.js';
import type { CentreRole } from './centres/permissions.js';

/** Every error code @porth/identity-core can raise; switch on `error.code`. */
export type IdentityErrorCode =
  | 'CONFIG_INVALID'
  | 'DATABASE_UNAVAILABLE'
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_NOT_ACTIVE'
  | 'USERNAME_TAKEN'
  | 'LEGACY_USERNAME_TAKEN'
  | 'INVALID_PROFILE'
  | 'USERNAME_INVALID'
  | 'EMAIL_INVALID'
  | 'INVALID_STATUS_CHANGE'
  | 'CONCURRENT_UPDATE'
  | 'PASSWORD_HASH_UNSUPPORTED'
  | 'PASSWORD_HASH_MALFORMED'
  | 'PASSWORD_POLICY_VIOLATION'
  | 'TOKEN_INVALID'
  | 'THROTTLED'
  | 'LOCKED_OUT'
  | 'FLOW_NOT_FOUND'
  | 'FLOW_EXPIRED'
  | 'INVALID_TRANSITION'
  | 'CONCURRENT_FLOW_UPDATE'
  | 'MAIL_TEMPLATE_UNKNOWN'
  | 'MAIL_DELIVERY_FAILED'
  | 'MAIL_PAYLOAD_UNREADABLE'
  | 'CENTRE_INVALID'
  | 'CENTRE_NOT_FOUND'
  | 'CENTRE_EXISTS'
  | 'CENTRE_ACCESS_DENIED'
  | 'CENTRE_MEMBER_NOT_FOUND'
  | 'CENTRE_MEMBER_NOT_ACTIVE'
  | 'CENTRE_MEMBER_DUPLICATE'
  | 'CENTRE_ADMIN_LIMIT'
  | 'CENTRE_PERMISSION_NOT_ALLOWED'
  | 'EXAMS_OFFICER_PROTECTED';

/**
 * Base class of every error a Porth package throws: a stable string `code` to switch on, the
 * cause kept, no HTTP status (the portal's error handler decides that).
 */
export class PorthError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Base class of every error thrown by @porth/identity-core. */
export class IdentityError extends PorthError<IdentityErrorCode> {}

/** A setting is missing or wrong; `path` names the environment variable. */
export class ConfigError extends IdentityError {
  constructor(
    readonly issues: readonly { path: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(
      'CONFIG_INVALID',
      `Invalid configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      options,
    );
  }
}

/** The database could not be reached or refused the connection. */
export class DatabaseUnavailableError extends IdentityError {
  constructor(options?: { cause?: unknown }) {
    super('DATABASE_UNAVAILABLE', 'The database is temporarily unavailable', options);
  }
}

/** A guarded update found the row changed by someone else. */
export class ConcurrentUpdateError extends IdentityError {
  constructor(what: string) {
    super('CONCURRENT_UPDATE', `${what} was changed by another request`);
  }
}

/** No flow with that id (or it belongs to another kind of journey). */
export class FlowNotFoundError extends IdentityError {
  constructor() {
    super('FLOW_NOT_FOUND', 'No such flow');
  }
}

/** The flow's time ran out; the journey must start again. */
export class FlowExpiredError extends IdentityError {
  constructor() {
    super('FLOW_EXPIRED', 'The flow has expired');
  }
}

/** The requested step is not allowed from the flow's current state. */
export class InvalidTransitionError extends IdentityError {
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super('INVALID_TRANSITION', `A flow cannot go from ${from} to ${to}`);
  }
}

/** Another request moved the flow on first; reload it and decide again. */
export class ConcurrentFlowUpdateError extends IdentityError {
  constructor() {
    super('CONCURRENT_FLOW_UPDATE', 'The flow was changed by another request');
  }
}

/** No account with that id (or it has been deleted where a live account is needed). */
export class AccountNotFoundError extends IdentityError {
  constructor() {
    super('ACCOUNT_NOT_FOUND', 'No such account');
  }
}

/** The account exists but its status does not allow the operation (e.g. disabled). */
export class AccountNotActiveError extends IdentityError {
  constructor(readonly status: AccountStatus) {
    super('ACCOUNT_NOT_ACTIVE', `The account is ${status}`);
  }
}

/** Another live account already has this username (compared after normalisation). */
export class UsernameTakenError extends IdentityError {
  constructor() {
    super('USERNAME_TAKEN', 'That username is already in use');
  }
}

/** Another account already holds this legacy username (compared after normalisation). */
export class LegacyUsernameTakenError extends IdentityError {
  constructor() {
    super('LEGACY_USERNAME_TAKEN', 'That legacy username has already been imported');
  }
}

/** The username is empty, too long or contains spaces or control characters. */
export class UsernameInvalidError extends IdentityError {
  constructor(reason: string) {
    super('USERNAME_INVALID', `Invalid username: ${reason}`);
  }
}

/** The status change is not in the transition table, or the account is not ready for it. */
export class InvalidStatusChangeError extends IdentityError {
  constructor(
    readonly from: AccountStatus,
    readonly to: AccountStatus,
    reason?: string,
  ) {
    super(
      'INVALID_STATUS_CHANGE',
      `An account cannot go from ${from} to ${to}${reason ? `: ${reason}` : ''}`,
    );
  }
}

/** One or more profile fields are invalid; `issues` carries per-field messages in English and Welsh. */
export class InvalidProfileError extends IdentityError {
  constructor(readonly issues: readonly ProfileIssue[]) {
    super(
      'INVALID_PROFILE',
      `Invalid profile: ${issues.map((i) => `${i.field}: ${i.message.en}`).join('; ')}`,
    );
  }
}

/** A stored password hash is in a format no configured verifier recognises. */
export class UnsupportedPasswordHashError extends IdentityError {
  constructor(options?: { cause?: unknown }) {
    super(
      'PASSWORD_HASH_UNSUPPORTED',
      'The stored password hash is in an unsupported format',
      options,
    );
  }
}

/** A stored password hash has a recognised prefix but cannot be read; `format` names the format. */
export class MalformedPasswordHashError extends IdentityError {
  constructor(
    readonly format: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'PASSWORD_HASH_MALFORMED',
      `The stored ${format} password hash is malformed: ${reason}`,
      options,
    );
  }
}

/** No template has that name. */
export class MailTemplateUnknownError extends IdentityError {
  constructor(readonly template: string) {
    super('MAIL_TEMPLATE_UNKNOWN', `There is no email template called "${template}"`);
  }
}

/** A stored message cannot be decrypted (wrong or changed secret key, or damaged data). */
export class MailPayloadUnreadableError extends IdentityError {
  constructor(options?: { cause?: unknown }) {
    super('MAIL_PAYLOAD_UNREADABLE', 'The stored email cannot be decrypted', options);
  }
}

/** The transport could not deliver a message; the message says why without any secret. */
export class MailDeliveryFailedError extends IdentityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MAIL_DELIVERY_FAILED', message, options);
  }
}

/** The recipient is not a usable email address. */
export class MailRecipientInvalidError extends IdentityError {
  constructor() {
    super('EMAIL_INVALID', 'The recipient is not a valid email address');
  }
}

/** A centre number or name is not valid, or a value a centre form posted is not one Porth knows. */
export class CentreInvalidError extends IdentityError {
  constructor(
    readonly field: 'number' | 'name' | 'role' | 'email',
    reason: string,
  ) {
    super('CENTRE_INVALID', `Invalid centre ${field}: ${reason}`);
  }
}

/** No centre has that number. */
export class CentreNotFoundError extends IdentityError {
  constructor() {
    super('CENTRE_NOT_FOUND', 'No such centre');
  }
}

/** A centre with that number already exists. */
export class CentreExistsError extends IdentityError {
  constructor() {
    super('CENTRE_EXISTS', 'A centre with that number already exists');
  }
}

/**
 * Why the acting account may not do this at this centre:
 * - `not_a_member`: it has no active membership of THIS centre (members of other centres included);
 * - `account_not_active`: its account is disabled or deleted;
 * - `not_a_centre_admin`: it is a User (only the Exams Officer and Admins invite, change access, delete);
 * - `exams_officer_only`: only the Exams Officer may do this (change their access, hand the role over);
 * - `not_staff`: only exam-board staff create centres.
 */
export type CentreAccessDeniedReason =
  'not_a_member' | 'account_not_active' | 'not_a_centre_admin' | 'exams_officer_only' | 'not_staff';

/** The acting account may not do this at this centre; nothing was changed. */
export class CentreAccessDeniedError extends IdentityError {
  constructor(readonly reason: CentreAccessDeniedReason) {
    super('CENTRE_ACCESS_DENIED', `Not allowed at this centre: ${reason}`);
  }
}

/** No membership with that id at that centre. */
export class CentreMemberNotFoundError extends IdentityError {
  constructor() {
    super('CENTRE_MEMBER_NOT_FOUND', 'No such member at this centre');
  }
}

/** The member has not accepted their invitation, or their account is disabled. */
export class CentreMemberNotActiveError extends IdentityError {
  constructor() {
    super('CENTRE_MEMBER_NOT_ACTIVE', 'The member is not active at this centre');
  }
}

/** The email is already a member of the centre (`member`) or has an invitation waiting (`invited`). */
export class CentreMemberDuplicateError extends IdentityError {
  constructor(readonly reason: 'member' | 'invited') {
    super(
      'CENTRE_MEMBER_DUPLICATE',
      reason === 'member'
        ? 'That email address already belongs to a member of this centre'
        : 'That email address already has an invitation to this centre waiting',
    );
  }
}

/** The centre already has its most Admins (pending invitations to Admin included). */
export class CentreAdminLimitError extends IdentityError {
  constructor(readonly max: number) {
    super('CENTRE_ADMIN_LIMIT', `A centre can have at most ${max} Admin accounts`);
  }
}

/** The account type cannot hold these permissions (or they are not permissions at all). */
export class CentrePermissionNotAllowedError extends IdentityError {
  constructor(
    readonly role: CentreRole,
    readonly permissions: readonly string[],
  ) {
    super(
      'CENTRE_PERMISSION_NOT_ALLOWED',
      `A ${role} account cannot hold: ${permissions.join(', ')}`,
    );
  }
}

/**
 * The Exams Officer cannot be deleted or given another role (`remove`, `change_role`), and the
 * role cannot be given by invitation or by changing access (`assign`): only transferExamsOfficer
 * hands it over, so the centre always has exactly one.
 */
export class ExamsOfficerProtectedError extends IdentityError {
  constructor(readonly operation: 'remove' | 'change_role' | 'assign') {
    super(
      'EXAMS_OFFICER_PROTECTED',
      operation === 'remove'
        ? 'The Exams Officer cannot be deleted'
        : operation === 'change_role'
          ? 'The Exams Officer cannot be given another account type; transfer the role instead'
          : 'The Exams Officer role can only be transferred by the Exams Officer',
    );
  }
}

/** The invitation link is unknown, expired, already used or cancelled (the same answer for each). */
export class InvitationInvalidError extends IdentityError {
  constructor() {
    super('TOKEN_INVALID', 'This invitation link is not valid any more');
  }
}

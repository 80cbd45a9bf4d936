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
  | 'MAIL_PAYLOAD_UNREADABLE';

/** Base class of every error thrown by @porth/identity-core; carries a stable `code`. */
export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

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

import {
  AccountNotActiveError,
  AccountNotFoundError,
  KnexAccountRepository,
  KnexAuditLog,
  KnexLockouts,
  KnexRateLimiter,
  randomDigits,
  randomId,
  transaction,
  type Account,
  type Clock,
  type Executor,
  type Lockouts,
  type MailOutbox,
  type NewAuditEvent,
  type RandomSource,
  type RateLimiter,
  type RequestContext,
  type SecurityChange,
} from '@porth/identity-core';
import type { ChallengePurpose, ChallengeRecord } from '../challenges/challenge.js';
import { KnexChallengeRepository } from '../challenges/knex-challenge-repository.js';
import { CodeHasher } from '../crypto/code-hasher.js';
import { SecretCipher } from '../crypto/secret-cipher.js';
import {
  ActorNotAllowedError,
  AlreadyConfirmedError,
  ChallengeNotFoundError,
  DuplicateFactorError,
  EmailMissingError,
  EmailRiskNotAcknowledgedError,
  EnrolmentExpiredError,
  FactorNotFoundError,
  LastFactorError,
  MfaLockedError,
  NoActiveFactorError,
  TooManyFactorsError,
  UnsuitablePhoneNumberError,
  WrongFactorKindError,
} from '../errors.js';
import { EmailFactor } from '../factors/email/factor.js';
import type {
  CodeChannel,
  CodeFactorKind,
  Factor,
  FactorKind,
  FactorRecord,
  VerificationMethod,
} from '../factors/factor.js';
import { KnexFactorRepository } from '../factors/knex-factor-repository.js';
import {
  RecoveryCodeFactor,
  RECOVERY_CODE_COUNT,
  normaliseRecoveryCode,
} from '../factors/recovery-codes/factor.js';
import { KnexRecoveryCodeRepository } from '../factors/recovery-codes/knex-recovery-code-repository.js';
import { SmsFactor } from '../factors/sms/factor.js';
import type { SmsSender } from '../factors/sms/sms-sender.js';
import { TOTP_SECRET_BYTES, TotpFactor } from '../factors/totp/factor.js';
import { VoiceFactor } from '../factors/voice/factor.js';
import type { VoiceCaller } from '../factors/voice/voice-caller.js';
import {
  assertPhoneCanReceive,
  deliveriesForType,
  maskPhoneNumber,
  parsePhoneNumber,
  type PhoneDelivery,
  type PhoneNumber,
  type PhoneNumberOptions,
} from '../phone/phone-number.js';
import {
  DEFAULT_THROTTLE_POLICY,
  MfaThrottle,
  type MfaThrottlePolicy,
} from '../throttling/mfa-throttle.js';
import type {
  CodeEnrolment,
  EnrolmentResult,
  FactorSummary,
  RecoveryCodeSet,
  Refused,
  RefusalReason,
  ResetOutcome,
  SentChallenge,
  SignInChallenge,
  TotpEnrolment,
  VerificationResult,
  Verified,
} from './results.js';

const MINUTE_MS = 60_000;

/** The rules of codes and enrolment. */
export interface MfaPolicy {
  /** How long a sent code works (default 5 minutes). */
  readonly codeLifetimeMs: number;
  /** Tries allowed on one sent code (default 5). */
  readonly maxCodeAttempts: number;
  /** How long a new factor may wait for its first code (default 1 hour). */
  readonly enrolmentLifetimeMs: number;
  /** Factors an account may have, pending ones included (default 10). */
  readonly maxFactorsPerAccount: number;
  /** Limits on tries and sending. */
  readonly throttle: MfaThrottlePolicy;
}

/** The default rules. */
export const DEFAULT_MFA_POLICY: MfaPolicy = Object.freeze({
  codeLifetimeMs: 5 * MINUTE_MS,
  maxCodeAttempts: 5,
  enrolmentLifetimeMs: 60 * MINUTE_MS,
  maxFactorsPerAccount: 10,
  throttle: DEFAULT_THROTTLE_POLICY,
});

/** Digits in a sent code. */
export const SENT_CODE_DIGITS = 6;

/** Who is asking, for the audit log: the request's address and browser. */
export type MfaRequestContext = RequestContext;

/** What MfaService needs; everything with side effects is injected. */
export interface MfaServiceOptions {
  /** The database (a knex instance): the service opens its own transactions. */
  readonly db: Executor;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** The deployment secret (`SECRET_KEY`): TOTP secrets are sealed and codes hashed under keys derived from it. */
  readonly secretKey: string;
  /** identity-core's mail outbox: email codes and security notices are queued through it. */
  readonly mailOutbox: MailOutbox;
  readonly smsSender: SmsSender;
  readonly voiceCaller: VoiceCaller;
  /** The name authenticator apps show above the code, and that texts and calls give. */
  readonly issuer: string;
  /** The sign-in page's address, for the email that tells a user their factors were reset. */
  readonly signInUrl: string;
  /** How typed phone numbers are read (default region GB). */
  readonly phoneNumbers?: PhoneNumberOptions;
  /** Changes to the default rules. */
  readonly policy?: Partial<Omit<MfaPolicy, 'throttle'>> & {
    readonly throttle?: Partial<MfaThrottlePolicy>;
  };
  /** The rate limiter (default identity-core's KnexRateLimiter on `db`). */
  readonly rateLimiter?: RateLimiter;
  /** The lockout store (default identity-core's KnexLockouts on `db`). */
  readonly lockouts?: Lockouts;
}

/** What verify() takes: the factor and the app's code (TOTP), or the sent challenge and its code. */
export type VerifyInput =
  | { readonly factorId: string; readonly challengeId?: undefined; readonly code: string }
  | { readonly challengeId: string; readonly factorId?: undefined; readonly code: string };

/** What confirmEnrolment() takes: the pending factor, the code, and for sent codes the challenge. */
export interface ConfirmEnrolmentInput {
  readonly factorId: string;
  readonly code: string;
  /** Required for text-message, call and email factors. */
  readonly challengeId?: string;
}

type CheckedCode =
  | { readonly ok: true; readonly challenge: ChallengeRecord }
  | { readonly ok: false; readonly refused: Refused };

/**
 * Second factors for a web application: enrolment, sign-in challenges, verification, recovery
 * codes and support reset. Framework-free: the portal calls it from its route handlers, keeps
 * the returned ids in its flow, and maps errors (each with an English and Welsh `userMessage`)
 * and refusals (`REFUSAL_MESSAGES`) to pages.
 *
 * Every change is one transaction with its audit event and, where the user should know, its
 * email; every "exactly once" rule is a guarded UPDATE; every failed try is audited and counted.
 *
 * @example
 * const mfa = new MfaService({ db, clock, random, secretKey, mailOutbox, smsSender, voiceCaller,
 *   issuer: 'Porth', signInUrl: 'https://id.example.org/sign-in' });
 * const enrolment = await mfa.startTotpEnrolment(accountId);      // show the QR code
 * const done = await mfa.confirmEnrolment(accountId, { factorId: enrolment.factorId, code });
 * const challenge = await mfa.startChallenge(accountId, factorId); // at sign-in
 * const result = await mfa.verify(accountId, { factorId, code });  // result.ok, result.amr
 */
export class MfaService {
  private readonly policy: MfaPolicy;
  private readonly cipher: SecretCipher;
  private readonly hasher: CodeHasher;
  private readonly throttle: MfaThrottle;
  private readonly totp = new TotpFactor();
  private readonly recovery = new RecoveryCodeFactor();
  private readonly channels: { readonly [K in CodeFactorKind]: CodeChannel };

  constructor(private readonly options: MfaServiceOptions) {
    this.policy = {
      ...DEFAULT_MFA_POLICY,
      ...options.policy,
      throttle: { ...DEFAULT_THROTTLE_POLICY, ...options.policy?.throttle },
    };
    this.cipher = new SecretCipher(options.secretKey, options.random);
    this.hasher = new CodeHasher(options.secretKey);
    this.throttle = new MfaThrottle(
      options.rateLimiter ?? new KnexRateLimiter(options.db, options.clock),
      options.lockouts ?? new KnexLockouts(options.db, options.clock),
      this.policy.throttle,
    );
    this.channels = {
      sms: new SmsFactor(options.smsSender, options.issuer),
      voice: new VoiceFactor(options.voiceCaller, options.issuer),
      email: new EmailFactor(options.mailOutbox),
    };
  }

  /** Reads a typed phone number with the service's settings (default region GB); see parsePhoneNumber. */
  parsePhoneNumber(text: string): PhoneNumber {
    return parsePhoneNumber(text, this.options.phoneNumbers);
  }

  /** The account's active factors, the default first. */
  async listFactors(accountId: string): Promise<FactorSummary[]> {
    const factors = await new KnexFactorRepository(this.options.db).list(accountId, 'active');
    return factors.map((f) => this.summary(f));
  }

  /**
   * Starts adding an authenticator app: a new 160-bit secret is sealed in a pending factor, and
   * the key URI (issuer, username as label), its QR code (PNG data URL and SVG) and the secret in
   * groups of four are returned. Confirm with confirmEnrolment({ factorId, code }).
   */
  async startTotpEnrolment(
    accountId: string,
    context: MfaRequestContext = {},
  ): Promise<TotpEnrolment> {
    const account = await this.requireActiveAccount(accountId);
    const now = this.now();
    const secret = this.options.random.bytes(TOTP_SECRET_BYTES);
    const factorId = randomId(this.options.random);
    await transaction(this.options.db, async (trx) => {
      const factors = new KnexFactorRepository(trx);
      await factors.lockAccount(accountId, now);
      await factors.deletePending(accountId, 'totp');
      await this.assertRoomForFactor(factors, accountId);
      await factors.insertPending({
        id: factorId,
        accountId,
        kind: 'totp',
        destination: null,
        phoneType: null,
        secretSealed: this.cipher.seal(factorId, secret),
        riskAcknowledgedAt: null,
        createdAt: now,
      });
      await this.audit(trx, context, {
        type: 'mfa.enrolment_started',
        outcome: 'success',
        accountId,
        details: { factorId, kind: 'totp' },
      });
    });
    const details = await this.totp.enrolmentDetails(secret, {
      issuer: this.options.issuer,
      label: account.username ?? account.email ?? account.id,
    });
    return {
      kind: 'totp',
      factorId,
      expiresAt: new Date(now.getTime() + this.policy.enrolmentLifetimeMs),
      ...details,
    };
  }

  /**
   * Shows a pending authenticator-app enrolment again — the same key, key URI and QR code — so a
   * page reload never changes a secret the person may already have scanned; null when the
   * enrolment is no longer pending (confirmed, replaced or removed).
   */
  async pendingTotpEnrolment(accountId: string, factorId: string): Promise<TotpEnrolment | null> {
    const account = await this.requireActiveAccount(accountId);
    const factor = await new KnexFactorRepository(this.options.db).find(accountId, factorId);
    if (!factor || factor.state !== 'pending' || factor.kind !== 'totp' || !factor.secretSealed) {
      return null;
    }
    const details = await this.totp.enrolmentDetails(
      this.cipher.open(factor.id, factor.secretSealed),
      {
        issuer: this.options.issuer,
        label: account.username ?? account.email ?? account.id,
      },
    );
    return {
      kind: 'totp',
      factorId,
      expiresAt: new Date(factor.createdAt.getTime() + this.policy.enrolmentLifetimeMs),
      ...details,
    };
  }

  /**
   * Starts adding a phone: the number is read (default region GB) and checked — a mobile can
   * take `sms` or `voice`, a landline only `voice` — a pending factor is stored and a code is
   * sent. Confirm with confirmEnrolment({ factorId, challengeId, code }). Throws
   * InvalidPhoneNumberError or UnsuitablePhoneNumberError (with `userMessage` in en and cy),
   * DuplicateFactorError, ResendTooSoonError, SendLimitReachedError, DeliveryFailedError.
   */
  async startPhoneEnrolment(
    accountId: string,
    input: { readonly phoneNumber: string; readonly delivery: PhoneDelivery },
    context: MfaRequestContext = {},
  ): Promise<CodeEnrolment> {
    const phone = this.parsePhoneNumber(input.phoneNumber);
    assertPhoneCanReceive(phone, input.delivery);
    const account = await this.requireActiveAccount(accountId);
    const now = this.now();
    const factorId = randomId(this.options.random);
    const factor = await transaction(this.options.db, async (trx) => {
      const factors = new KnexFactorRepository(trx);
      await factors.lockAccount(accountId, now);
      await factors.deletePending(accountId, 'sms');
      await factors.deletePending(accountId, 'voice');
      const active = await factors.list(accountId, 'active');
      if (active.some((f) => f.kind !== 'email' && f.destination === phone.e164)) {
        throw new DuplicateFactorError();
      }
      await this.assertRoomForFactor(factors, accountId);
      await factors.insertPending({
        id: factorId,
        accountId,
        kind: input.delivery,
        destination: phone.e164,
        phoneType: phone.type,
        secretSealed: null,
        riskAcknowledgedAt: null,
        createdAt: now,
      });
      await this.audit(trx, context, {
        type: 'mfa.enrolment_started',
        outcome: 'success',
        accountId,
        details: { factorId, kind: input.delivery, destination: phone.masked },
      });
      return factors.find(accountId, factorId);
    });
    if (!factor) throw new FactorNotFoundError();
    const challenge = await this.sendCode(account, factor, 'enrol', input.delivery, context);
    return {
      kind: input.delivery,
      factorId,
      challenge,
      displayDestination: phone.national,
    };
  }

  /**
   * Starts adding email codes, only when the user has confirmed they understand the risks
   * (stored with the time): a pending factor for the account's email address, and a code sent
   * to it through the mail outbox. Confirm with confirmEnrolment({ factorId, challengeId, code }).
   */
  async startEmailEnrolment(
    accountId: string,
    input: { readonly risksAcknowledged: boolean },
    context: MfaRequestContext = {},
  ): Promise<CodeEnrolment> {
    if (input.risksAcknowledged !== true) throw new EmailRiskNotAcknowledgedError();
    const account = await this.requireActiveAccount(accountId);
    const email = account.email;
    if (!email) throw new EmailMissingError();
    const now = this.now();
    const factorId = randomId(this.options.random);
    const factor = await transaction(this.options.db, async (trx) => {
      const factors = new KnexFactorRepository(trx);
      await factors.lockAccount(accountId, now);
      await factors.deletePending(accountId, 'email');
      const active = await factors.list(accountId, 'active');
      if (active.some((f) => f.kind === 'email' && f.destination === email)) {
        throw new DuplicateFactorError();
      }
      await this.assertRoomForFactor(factors, accountId);
      await factors.insertPending({
        id: factorId,
        accountId,
        kind: 'email',
        destination: email,
        phoneType: null,
        secretSealed: null,
        riskAcknowledgedAt: now,
        createdAt: now,
      });
      await this.audit(trx, context, {
        type: 'mfa.enrolment_started',
        outcome: 'success',
        accountId,
        details: { factorId, kind: 'email', risksAcknowledgedAt: now.toISOString() },
      });
      return factors.find(accountId, factorId);
    });
    if (!factor) throw new FactorNotFoundError();
    const challenge = await this.sendCode(account, factor, 'enrol', 'email', context);
    return { kind: 'email', factorId, challenge, displayDestination: maskEmail(email) };
  }

  /**
   * Sends a new code for a pending text-message, call or email factor (the previous code stops
   * working). A pending text-message factor may ask for a call instead (`delivery: 'voice'`).
   */
  async resendEnrolmentCode(
    accountId: string,
    factorId: string,
    options: { readonly delivery?: PhoneDelivery } = {},
    context: MfaRequestContext = {},
  ): Promise<SentChallenge> {
    const account = await this.requireActiveAccount(accountId);
    const factor = await new KnexFactorRepository(this.options.db).find(accountId, factorId);
    if (!factor || factor.state !== 'pending') throw new FactorNotFoundError();
    this.assertEnrolmentFresh(factor);
    return this.sendCode(
      account,
      factor,
      'enrol',
      this.channelFor(factor, options.delivery),
      context,
    );
  }

  /**
   * Confirms a pending factor with its first code: the factor becomes active (and the default
   * when the account has none), `configure_mfa` is removed from the account's required actions,
   * the change is audited and the user emailed. A wrong code is refused (and counted) like at
   * sign-in. Throws FactorNotFoundError, AlreadyConfirmedError, EnrolmentExpiredError.
   */
  async confirmEnrolment(
    accountId: string,
    input: ConfirmEnrolmentInput,
    context: MfaRequestContext = {},
  ): Promise<EnrolmentResult> {
    const account = await this.requireActiveAccount(accountId);
    const factor = await new KnexFactorRepository(this.options.db).find(accountId, input.factorId);
    if (!factor) throw new FactorNotFoundError();
    if (factor.state === 'active') throw new AlreadyConfirmedError();
    this.assertEnrolmentFresh(factor);

    let method: VerificationMethod = factor.kind;
    let step: number | null = null;
    let challenge: ChallengeRecord | null = null;
    const details = { factorId: factor.id, kind: factor.kind, purpose: 'enrol' };
    if (factor.kind === 'totp') {
      const check = await this.checkTry(accountId, factor.id, details, context);
      if (check) return check;
      step = await this.totp.matchingStep(this.openSecret(factor), input.code, this.now());
      if (step === null) return this.refuse(accountId, 'invalid_code', details, context);
    } else {
      if (!input.challengeId) throw new ChallengeNotFoundError();
      const checked = await this.checkSentCode(
        accountId,
        input.challengeId,
        input.code,
        'enrol',
        factor.id,
        context,
      );
      if (!checked.ok) return checked.refused;
      challenge = checked.challenge;
      method = challenge.channel;
    }

    const now = this.now();
    const outcome = await transaction(this.options.db, async (trx) => {
      const factors = new KnexFactorRepository(trx);
      await factors.lockAccount(accountId, now);
      if (step !== null && !(await factors.useTotpStep(factor.id, 'pending', step, now))) {
        return null;
      }
      if (challenge && !(await new KnexChallengeRepository(trx).complete(challenge.id, now))) {
        return null;
      }
      if (!(await factors.activate(factor.id, now))) return null;
      const active = await factors.list(accountId, 'active');
      if (!active.some((f) => f.isDefault)) await factors.setDefault(accountId, factor.id);
      const accounts = new KnexAccountRepository(trx, this.options.clock, this.options.random);
      const requiredActionCompleted = await accounts.removeRequiredAction(
        accountId,
        'configure_mfa',
      );
      await this.audit(trx, context, {
        type: 'mfa.factor_added',
        outcome: 'success',
        accountId,
        details: { factorId: factor.id, kind: factor.kind, method },
      });
      await this.notify(trx, account, 'mfa_added', now);
      const confirmed = await factors.find(accountId, factor.id);
      return { requiredActionCompleted, confirmed };
    });
    if (!outcome?.confirmed) return this.refuse(accountId, 'code_already_used', details, context);
    await this.throttle.recordSuccess(accountId);
    if (challenge) await this.throttle.sentCodeUsed(factor.id);
    return {
      ...this.verified(accountId, factor.id, method, null),
      factor: this.summary(outcome.confirmed),
      requiredActionCompleted: outcome.requiredActionCompleted,
    };
  }

  /** Makes an active factor the account's default (the one sign-in offers first). */
  async setDefaultFactor(
    accountId: string,
    factorId: string,
    context: MfaRequestContext = {},
  ): Promise<void> {
    const now = this.now();
    await transaction(this.options.db, async (trx) => {
      const factors = new KnexFactorRepository(trx);
      await factors.lockAccount(accountId, now);
      if (!(await factors.setDefault(accountId, factorId))) throw new FactorNotFoundError();
      await this.audit(trx, context, {
        type: 'mfa.default_changed',
        outcome: 'success',
        accountId,
        details: { factorId },
      });
    });
  }

  /**
   * Removes a factor (pending or active). The last active factor of an active account cannot be
   * removed (LastFactorError): support reset is the only way to clear them all. When the default
   * is removed, the oldest remaining factor becomes the default. The user is emailed.
   */
  async removeFactor(
    accountId: string,
    factorId: string,
    context: MfaRequestContext = {},
  ): Promise<void> {
    const account = await this.requireAccount(accountId);
    const now = this.now();
    await transaction(this.options.db, async (trx) => {
      const factors = new KnexFactorRepository(trx);
      // Under the account's lock, the count below cannot be changed by a concurrent removal.
      await factors.lockAccount(accountId, now);
      const factor = await factors.find(accountId, factorId);
      if (!factor) throw new FactorNotFoundError();
      if (
        factor.state === 'active' &&
        account.status === 'active' &&
        (await factors.countActive(accountId)) <= 1
      ) {
        throw new LastFactorError();
      }
      if (!(await factors.delete(accountId, factorId))) throw new FactorNotFoundError();
      if (factor.isDefault) {
        const [next] = await factors.list(accountId, 'active');
        if (next) await factors.setDefault(accountId, next.id);
      }
      await this.audit(trx, context, {
        type: 'mfa.factor_removed',
        outcome: 'success',
        accountId,
        details: { factorId, kind: factor.kind, state: factor.state },
      });
      if (factor.state === 'active') await this.notify(trx, account, 'mfa_removed', now);
    });
  }

  /**
   * Starts a sign-in check with an active factor: for an app, nothing is sent (ask for the app's
   * code); for text message, call or email, a new code is sent and the challenge returned. A
   * text-message factor may ask for a call instead (`delivery: 'voice'`). Throws MfaLockedError
   * when verification is locked, ResendTooSoonError, SendLimitReachedError, DeliveryFailedError.
   */
  async startChallenge(
    accountId: string,
    factorId: string,
    options: { readonly delivery?: PhoneDelivery } = {},
    context: MfaRequestContext = {},
  ): Promise<SignInChallenge> {
    const account = await this.requireActiveAccount(accountId);
    const factor = await new KnexFactorRepository(this.options.db).find(accountId, factorId);
    if (!factor || factor.state !== 'active') throw new FactorNotFoundError();
    if (factor.kind === 'totp') return { kind: 'totp', factorId, challenge: null };
    const channel = this.channelFor(factor, options.delivery);
    const challenge = await this.sendCode(account, factor, 'sign_in', channel, context);
    return { kind: factor.kind, factorId, challenge };
  }

  /**
   * Checks a sign-in code: the app's code for a TOTP factor (`{ factorId, code }`), or a sent
   * code (`{ challengeId, code }`). Returns Verified — with `method`, `amr` and `weak` for the ID
   * token — or Refused with a reason; every refusal is audited and counted. Throws
   * FactorNotFoundError, ChallengeNotFoundError or WrongFactorKindError for ids that do not fit.
   */
  async verify(
    accountId: string,
    input: VerifyInput,
    context: MfaRequestContext = {},
  ): Promise<VerificationResult> {
    await this.requireActiveAccount(accountId);
    if (input.challengeId !== undefined) {
      const checked = await this.checkSentCode(
        accountId,
        input.challengeId,
        input.code,
        'sign_in',
        null,
        context,
      );
      if (!checked.ok) return checked.refused;
      const { challenge } = checked;
      const now = this.now();
      const completed = await transaction(this.options.db, async (trx) => {
        if (!(await new KnexChallengeRepository(trx).complete(challenge.id, now))) return false;
        await new KnexFactorRepository(trx).markUsed(challenge.factorId, now);
        await this.audit(trx, context, {
          type: 'mfa.verified',
          outcome: 'success',
          accountId,
          details: { factorId: challenge.factorId, method: challenge.channel },
        });
        return true;
      });
      const details = {
        factorId: challenge.factorId,
        method: challenge.channel,
        purpose: 'sign_in',
      };
      if (!completed) return this.refuse(accountId, 'code_already_used', details, context);
      await this.throttle.recordSuccess(accountId);
      await this.throttle.sentCodeUsed(challenge.factorId);
      return this.verified(accountId, challenge.factorId, challenge.channel, null);
    }

    const factor = await new KnexFactorRepository(this.options.db).find(accountId, input.factorId);
    if (!factor || factor.state !== 'active') throw new FactorNotFoundError();
    if (factor.kind !== 'totp') throw new WrongFactorKindError('totp', factor.kind);
    const details = { factorId: factor.id, method: 'totp', purpose: 'sign_in' };
    const check = await this.checkTry(accountId, factor.id, details, context);
    if (check) return check;
    const now = this.now();
    const step = await this.totp.matchingStep(this.openSecret(factor), input.code, now);
    if (step === null) return this.refuse(accountId, 'invalid_code', details, context);
    const used = await transaction(this.options.db, async (trx) => {
      // The guarded update decides: of concurrent submissions of one code, exactly one wins.
      if (!(await new KnexFactorRepository(trx).useTotpStep(factor.id, 'active', step, now))) {
        return false;
      }
      await this.audit(trx, context, {
        type: 'mfa.verified',
        outcome: 'success',
        accountId,
        details: { factorId: factor.id, method: 'totp' },
      });
      return true;
    });
    if (!used) return this.refuse(accountId, 'code_already_used', details, context);
    await this.throttle.recordSuccess(accountId);
    return this.verified(accountId, factor.id, 'totp', null);
  }

  /**
   * Signs in with a recovery code: each code works once (guarded update), its use is audited and
   * the user emailed. Spaces, hyphens and case do not matter. Returns Verified with method
   * `recovery_code`, `amr` `['kba']` and the number of codes left, or Refused.
   */
  async verifyRecoveryCode(
    accountId: string,
    code: string,
    context: MfaRequestContext = {},
  ): Promise<VerificationResult> {
    const account = await this.requireActiveAccount(accountId);
    const details = { method: 'recovery_code', purpose: 'sign_in' };
    const check = await this.checkTry(accountId, 'recovery', details, context);
    if (check) return check;
    const normalised = normaliseRecoveryCode(code) ?? '';
    const unused = await new KnexRecoveryCodeRepository(this.options.db).listUnused(accountId);
    let match: string | null = null;
    // Every stored hash is compared, in constant time, whether or not one already matched.
    for (const stored of unused) {
      if (this.hasher.matches(recoveryContext(accountId), normalised, stored.codeHash)) {
        match = stored.id;
      }
    }
    if (match === null || normalised === '') {
      return this.refuse(accountId, 'invalid_code', details, context);
    }
    const codeId = match;
    const now = this.now();
    const remaining = await transaction(this.options.db, async (trx) => {
      const codes = new KnexRecoveryCodeRepository(trx);
      if (!(await codes.consume(codeId, now))) return null;
      const left = await codes.countUnused(accountId);
      await this.audit(trx, context, {
        type: 'mfa.recovery_code_used',
        outcome: 'success',
        accountId,
        details: { remaining: left },
      });
      await this.notify(trx, account, 'recovery_code_used', now);
      return left;
    });
    if (remaining === null) return this.refuse(accountId, 'code_already_used', details, context);
    await this.throttle.recordSuccess(accountId);
    return this.verified(accountId, null, 'recovery_code', remaining);
  }

  /**
   * Makes a new set of 10 recovery codes and returns them to show once; the old set stops
   * working. Needs an active factor (NoActiveFactorError). Audited; the user is emailed when an
   * older set was replaced.
   */
  async regenerateRecoveryCodes(
    accountId: string,
    context: MfaRequestContext = {},
  ): Promise<RecoveryCodeSet> {
    const account = await this.requireActiveAccount(accountId);
    const now = this.now();
    const codes = this.recovery.generate(this.options.random, RECOVERY_CODE_COUNT);
    await transaction(this.options.db, async (trx) => {
      const factors = new KnexFactorRepository(trx);
      await factors.lockAccount(accountId, now);
      if ((await factors.countActive(accountId)) === 0) throw new NoActiveFactorError();
      const store = new KnexRecoveryCodeRepository(trx);
      const replaced = await store.hasAny(accountId);
      await store.replaceAll(
        accountId,
        codes.map((code) => ({
          id: randomId(this.options.random),
          codeHash: this.hasher.hash(recoveryContext(accountId), normaliseRecoveryCode(code) ?? ''),
        })),
        now,
      );
      await this.audit(trx, context, {
        type: 'mfa.recovery_codes_generated',
        outcome: 'success',
        accountId,
        details: { count: codes.length, replaced },
      });
      if (replaced) await this.notify(trx, account, 'recovery_codes_regenerated', now);
    });
    return { codes, createdAt: now };
  }

  /** How many unused recovery codes the account has. */
  async recoveryCodesRemaining(accountId: string): Promise<number> {
    return new KnexRecoveryCodeRepository(this.options.db).countUnused(accountId);
  }

  /**
   * Support reset (the seeds' "I deleted the app" / "I changed my phone"): removes every factor
   * and recovery code of the account, adds the required action `configure_mfa` so the next
   * sign-in sets one up again, lifts a verification lock, audits with the actor, and emails the
   * user (`mfa_reset`). Only an active staff account may act (ActorNotAllowedError). Of two
   * resets at once, the second finds nothing left and says `alreadyReset`, changing nothing.
   */
  async resetFactors(
    accountId: string,
    actor: { readonly actorId: string; readonly reason?: string },
    context: MfaRequestContext = {},
  ): Promise<ResetOutcome> {
    const accounts = new KnexAccountRepository(
      this.options.db,
      this.options.clock,
      this.options.random,
    );
    const staff = await accounts.findById(actor.actorId);
    if (!staff || staff.kind !== 'staff' || staff.status !== 'active') {
      throw new ActorNotAllowedError();
    }
    const account = await this.requireAccount(accountId);
    const now = this.now();
    const outcome = await transaction(this.options.db, async (trx) => {
      const factors = new KnexFactorRepository(trx);
      await factors.lockAccount(accountId, now);
      const factorsRemoved = await factors.deleteAll(accountId);
      const recoveryCodesRemoved = await new KnexRecoveryCodeRepository(trx).deleteAll(accountId);
      const accounts = new KnexAccountRepository(trx, this.options.clock, this.options.random);
      if (
        factorsRemoved === 0 &&
        recoveryCodesRemoved === 0 &&
        (await accounts.listRequiredActions(accountId)).includes('configure_mfa')
      ) {
        return { factorsRemoved, recoveryCodesRemoved, emailed: false, alreadyReset: true };
      }
      await accounts.addRequiredAction(accountId, 'configure_mfa');
      const emailed = account.email !== null;
      await this.audit(trx, context, {
        type: 'mfa.reset',
        outcome: 'success',
        accountId,
        actorId: actor.actorId,
        details: {
          factorsRemoved,
          recoveryCodesRemoved,
          emailed,
          ...(actor.reason ? { reason: actor.reason.slice(0, 500) } : {}),
        },
      });
      if (account.email) {
        await this.options.mailOutbox.enqueue(trx, {
          to: account.email,
          template: 'mfa_reset',
          locale: account.locale,
          accountId,
          data: { name: account.givenName ?? '', signInUrl: this.options.signInUrl },
        });
      }
      return { factorsRemoved, recoveryCodesRemoved, emailed, alreadyReset: false };
    });
    if (!outcome.alreadyReset) await this.throttle.unlock(accountId);
    return outcome;
  }

  /** Housekeeping: deletes challenges expired a day ago and abandoned pending factors; returns how many. */
  async deleteExpired(): Promise<{ readonly challenges: number; readonly pendingFactors: number }> {
    const now = this.now().getTime();
    const challenges = await new KnexChallengeRepository(this.options.db).deleteExpiredBefore(
      new Date(now - 24 * 60 * MINUTE_MS),
    );
    const pendingFactors = await new KnexFactorRepository(
      this.options.db,
    ).deletePendingCreatedBefore(new Date(now - this.policy.enrolmentLifetimeMs));
    return { challenges, pendingFactors };
  }

  // ---------------------------------------------------------------------------------------

  private now(): Date {
    return this.options.clock.now();
  }

  /** The account, unless it is missing or deleted. */
  private async requireAccount(accountId: string): Promise<Account> {
    const account = await new KnexAccountRepository(
      this.options.db,
      this.options.clock,
      this.options.random,
    ).findById(accountId);
    if (!account || account.status === 'deleted') throw new AccountNotFoundError();
    return account;
  }

  /** The account, which must be active. */
  private async requireActiveAccount(accountId: string): Promise<Account> {
    const account = await this.requireAccount(accountId);
    if (account.status !== 'active') throw new AccountNotActiveError(account.status);
    return account;
  }

  private async assertRoomForFactor(
    factors: KnexFactorRepository,
    accountId: string,
  ): Promise<void> {
    if ((await factors.list(accountId)).length >= this.policy.maxFactorsPerAccount) {
      throw new TooManyFactorsError(this.policy.maxFactorsPerAccount);
    }
  }

  private assertEnrolmentFresh(factor: FactorRecord): void {
    if (factor.createdAt.getTime() + this.policy.enrolmentLifetimeMs <= this.now().getTime()) {
      throw new EnrolmentExpiredError();
    }
  }

  private openSecret(factor: FactorRecord): Uint8Array {
    if (factor.secretSealed === null) throw new WrongFactorKindError('totp', factor.kind);
    return this.cipher.open(factor.id, factor.secretSealed);
  }

  /** How a code for `factor` goes: its own kind, or a call instead of a text when asked. */
  private channelFor(factor: FactorRecord, delivery: PhoneDelivery | undefined): CodeFactorKind {
    if (factor.kind === 'totp') throw new WrongFactorKindError('sms, voice or email', 'totp');
    if (factor.kind === 'email' || delivery === undefined) return factor.kind;
    if (!deliveriesForType(factor.phoneType).includes(delivery)) {
      throw new UnsuitablePhoneNumberError('landline_no_sms');
    }
    return delivery;
  }

  /**
   * Sends a new code for `factor` by `channel`: throttles sending, replaces the factor's open
   * challenges, stores the new one (code HMAC only) with its audit event, and delivers — inside
   * the transaction for email, after commit for SMS and calls (a failed delivery marks the
   * challenge failed, is audited, and DeliveryFailedError is thrown).
   */
  private async sendCode(
    account: Account,
    factor: FactorRecord,
    purpose: ChallengePurpose,
    channel: CodeFactorKind,
    context: MfaRequestContext,
  ): Promise<SentChallenge> {
    if (factor.destination === null)
      throw new WrongFactorKindError('sms, voice or email', factor.kind);
    if (await this.throttle.isLocked(account.id)) throw new MfaLockedError();
    await this.throttle.checkSend(account.id, factor.id, factor.destination);
    const code = randomDigits(this.options.random, SENT_CODE_DIGITS);
    const challengeId = randomId(this.options.random);
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.policy.codeLifetimeMs);
    const sender = this.channels[channel];
    const message = {
      to: factor.destination,
      code,
      locale: account.locale,
      minutes: Math.ceil(this.policy.codeLifetimeMs / MINUTE_MS),
      accountId: account.id,
    };
    const masked = maskDestination(factor.kind, factor.destination);
    await transaction(this.options.db, async (trx) => {
      const challenges = new KnexChallengeRepository(trx);
      await challenges.supersedeOpen(factor.id, now);
      await challenges.insert({
        id: challengeId,
        accountId: account.id,
        factorId: factor.id,
        purpose,
        channel,
        codeHash: this.hasher.hash(challengeId, code),
        createdAt: now,
        expiresAt,
      });
      if (!sender.deliversAfterCommit) await sender.deliver(trx, message);
      await this.audit(trx, context, {
        type: 'mfa.code_sent',
        outcome: 'success',
        accountId: account.id,
        details: { factorId: factor.id, challengeId, channel, purpose, destination: masked },
      });
    });
    if (sender.deliversAfterCommit) {
      try {
        await sender.deliver(this.options.db, message);
      } catch (err) {
        await new KnexChallengeRepository(this.options.db).fail(challengeId, this.now());
        await this.audit(this.options.db, context, {
          type: 'mfa.code_delivery_failed',
          outcome: 'failure',
          accountId: account.id,
          details: {
            factorId: factor.id,
            challengeId,
            channel,
            error: err instanceof Error ? err.message : 'unknown error',
          },
        });
        throw err;
      }
    }
    return {
      challengeId,
      factorId: factor.id,
      channel,
      maskedDestination: masked,
      expiresAt,
      resendAvailableAt: new Date(now.getTime() + this.policy.throttle.resendCooldownMs),
    };
  }

  /**
   * Checks a sent code: finds the account's challenge (ChallengeNotFoundError when it does not
   * fit `purpose` and `factorId`), applies the throttles, counts the try with the guarded
   * `attempts < max` update *before* comparing, and compares the HMAC in constant time.
   */
  private async checkSentCode(
    accountId: string,
    challengeId: string,
    code: string,
    purpose: ChallengePurpose,
    factorId: string | null,
    context: MfaRequestContext,
  ): Promise<CheckedCode> {
    const challenges = new KnexChallengeRepository(this.options.db);
    const challenge = await challenges.find(accountId, challengeId);
    if (
      !challenge ||
      challenge.purpose !== purpose ||
      (factorId !== null && challenge.factorId !== factorId)
    ) {
      throw new ChallengeNotFoundError();
    }
    const details = {
      factorId: challenge.factorId,
      challengeId,
      method: challenge.channel,
      purpose,
    };
    const refused = async (reason: RefusalReason, attemptsRemaining: number | null = null) => ({
      ok: false as const,
      refused: await this.refuse(accountId, reason, details, context, attemptsRemaining),
    });
    const throttled = await this.checkTry(accountId, challenge.factorId, details, context);
    if (throttled) return { ok: false, refused: throttled };
    const now = this.now();
    if (!(await challenges.countAttempt(challengeId, this.policy.maxCodeAttempts, now))) {
      const current = (await challenges.find(accountId, challengeId)) ?? challenge;
      return refused(this.whyClosed(current, now));
    }
    const digits = typeof code === 'string' ? code.replace(/[\s-]/g, '') : '';
    if (!this.hasher.matches(challengeId, digits, challenge.codeHash)) {
      const after = await challenges.find(accountId, challengeId);
      const used = after?.attempts ?? this.policy.maxCodeAttempts;
      return refused('invalid_code', Math.max(0, this.policy.maxCodeAttempts - used));
    }
    return { ok: true, challenge };
  }

  /** Why a try at a challenge was not allowed. */
  private whyClosed(challenge: ChallengeRecord, now: Date): RefusalReason {
    if (challenge.status === 'used') return 'code_already_used';
    if (challenge.status === 'superseded') return 'code_replaced';
    if (challenge.status === 'failed') return 'code_expired';
    if (challenge.expiresAt.getTime() <= now.getTime()) return 'code_expired';
    return 'too_many_attempts';
  }

  /** Applies the lock and the short-term limits; returns the refusal (audited) or null to go on. */
  private async checkTry(
    accountId: string,
    subject: string,
    details: Readonly<Record<string, unknown>>,
    context: MfaRequestContext,
  ): Promise<Refused | null> {
    const check = await this.throttle.checkTry(accountId, subject);
    if (check.allowed) return null;
    await this.audit(this.options.db, context, {
      type: check.reason === 'locked' ? 'mfa.verification_locked' : 'mfa.verification_throttled',
      outcome: 'failure',
      accountId,
      details: { ...details, reason: check.reason },
    });
    return {
      ok: false,
      reason: check.reason,
      retryAfterMs: check.retryAfterMs,
      attemptsRemaining: null,
    };
  }

  /**
   * Records a refused code: audited as `mfa.verification_failed`; wrong and reused codes also
   * count towards the account's consecutive failures, and the failure that locks the account is
   * audited as `mfa.locked`.
   */
  private async refuse(
    accountId: string,
    reason: RefusalReason,
    details: Readonly<Record<string, unknown>>,
    context: MfaRequestContext,
    attemptsRemaining: number | null = null,
  ): Promise<Refused> {
    const counts = reason === 'invalid_code' || reason === 'code_already_used';
    const failure = counts ? await this.throttle.recordFailure(accountId) : null;
    await this.audit(this.options.db, context, {
      type: 'mfa.verification_failed',
      outcome: 'failure',
      accountId,
      details: {
        ...details,
        reason,
        ...(failure ? { consecutiveFailures: failure.failures } : {}),
      },
    });
    if (failure?.lockedNow) {
      await this.audit(this.options.db, context, {
        type: 'mfa.locked',
        outcome: 'failure',
        accountId,
        details: { consecutiveFailures: failure.failures },
      });
    }
    return { ok: false, reason, retryAfterMs: null, attemptsRemaining };
  }

  private verified(
    accountId: string,
    factorId: string | null,
    method: VerificationMethod,
    recoveryCodesRemaining: number | null,
  ): Verified {
    const factor = this.factorFor(method);
    return {
      ok: true,
      accountId,
      factorId,
      method,
      amr: [...factor.amr],
      weak: factor.weak,
      recoveryCodesRemaining,
    };
  }

  private factorFor(method: VerificationMethod): Factor {
    switch (method) {
      case 'totp':
        return this.totp;
      case 'recovery_code':
        return this.recovery;
      default:
        return this.channels[method];
    }
  }

  private summary(factor: FactorRecord): FactorSummary {
    return {
      id: factor.id,
      kind: factor.kind,
      isDefault: factor.isDefault,
      maskedDestination:
        factor.destination === null ? null : maskDestination(factor.kind, factor.destination),
      deliveries:
        factor.kind === 'sms' || factor.kind === 'voice' ? deliveriesForType(factor.phoneType) : [],
      weak: this.factorFor(factor.kind).weak,
      createdAt: factor.createdAt,
      confirmedAt: factor.confirmedAt,
      lastUsedAt: factor.lastUsedAt,
    };
  }

  private async audit(
    executor: Executor,
    context: MfaRequestContext,
    event: NewAuditEvent,
  ): Promise<void> {
    await new KnexAuditLog(executor, this.options.clock).append({
      ...event,
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
    });
  }

  /** Queues a `security_change` email to the account's address, if it has one. */
  private async notify(
    executor: Executor,
    account: Account,
    change: SecurityChange,
    time: Date,
  ): Promise<void> {
    if (!account.email) return;
    await this.options.mailOutbox.enqueue(executor, {
      to: account.email,
      template: 'security_change',
      locale: account.locale,
      accountId: account.id,
      data: { name: account.givenName ?? '', change, time },
    });
  }
}

function recoveryContext(accountId: string): string {
  return `recovery:${accountId}`;
}

/** Hides most of a destination: `•••• ••• 123` for a number, `s•••@example.org` for an address. */
export function maskDestination(kind: FactorKind, destination: string): string {
  return kind === 'email' ? maskEmail(destination) : maskPhoneNumber(destination);
}

/** Hides an email address's local part but its first character: `s•••@example.org`. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '•••';
  return `${address.slice(0, 1)}•••${address.slice(at)}`;
}

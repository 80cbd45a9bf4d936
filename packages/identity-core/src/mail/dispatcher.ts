import type { Clock } from '../clock.js';
import type { Executor } from '../db/transaction.js';
import { ConcurrentUpdateError } from '../errors.js';
import { KnexOutboxRepository, type OutboxRecord } from './knex-outbox-repository.js';
import { MailPayloadUnreadableError } from '../errors.js';
import type { MailContent } from './mail-message.js';
import { redactUrl, type MailTransport } from './mail-transport.js';
import { EMAIL_CHANNEL } from './outbox.js';
import { PayloadCipher } from './payload-crypto.js';

/** The header that carries the outbox message id, so a delivered message can be traced back. */
export const MESSAGE_ID_HEADER = 'X-Porth-Message-Id';

/** When to try again and when to give up. */
export interface RetryPolicy {
  /** The wait after the first failed attempt; it doubles after each further one (default 5 s). */
  readonly baseDelayMs?: number;
  /** The longest wait between attempts (default 15 min). */
  readonly maxDelayMs?: number;
  /** Give up after this many attempts (default 100). */
  readonly maxAttempts?: number;
  /** Give up on messages older than this (default 24 h). */
  readonly maxAgeMs?: number;
}

/** Options for MailDispatcher. */
export interface MailDispatcherOptions {
  /** A knex instance (not a transaction): each step commits on its own. */
  readonly db: Executor;
  readonly clock: Clock;
  /** The deployment secret the outbox encrypted the messages with. */
  readonly secretKey: string;
  readonly transport: MailTransport;
  /** The sender, e.g. `Porth <no-reply@example.org>` (`MAIL_FROM`). */
  readonly from: string;
  /** Keep the encrypted payload of sent and failed messages (default: the transport's keepsSentPayload, else false). */
  readonly keepSentPayload?: boolean;
  /** How many messages one run reads at most (default 20). */
  readonly batchSize?: number;
  /**
   * How long a claim lasts (default 5 min). A process that dies mid-send leaves its messages
   * claimed until then; keep it well above the transport's own timeouts, since a send that
   * outlives its lease may be repeated by another process.
   */
  readonly leaseMs?: number;
  readonly retry?: RetryPolicy;
  /** Told about errors of the polling loop, which never stops for them (default: console.error). */
  readonly onError?: (error: unknown) => void;
}

/** What one run did. */
export interface DispatchResult {
  /** Messages handed to the transport successfully. */
  readonly sent: number;
  /** Messages whose attempt failed and that will be tried again. */
  readonly retrying: number;
  /** Messages given up on (status `failed`, row kept). */
  readonly failed: number;
  /** Messages another dispatcher claimed first. */
  readonly skipped: number;
}

/** Options for MailDispatcher.start. */
export interface DispatcherLoopOptions {
  /** The pause between runs when there is nothing more to do, in milliseconds. */
  readonly intervalMs: number;
}

const DEFAULTS = {
  baseDelayMs: 5_000,
  maxDelayMs: 15 * 60_000,
  maxAttempts: 100,
  maxAgeMs: 24 * 60 * 60_000,
  batchSize: 20,
  leaseMs: 5 * 60_000,
};

const MAX_ERROR_LENGTH = 1000;

/** The wait before attempt `attempts + 1`, after `attempts` failed ones: base × 2^(attempts−1), capped. */
export function retryDelayMs(attempts: number, policy: RetryPolicy = {}): number {
  const base = policy.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const cap = policy.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const exponent = Math.max(0, Math.min(attempts - 1, 40));
  return Math.min(base * 2 ** exponent, cap);
}

/** One line about an error for `last_error`: its name, code and message, URL credentials hidden, no stack. */
export function describeDeliveryError(err: unknown): string {
  let text: string;
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    text = `${err.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${err.message}`;
  } else {
    text = `non-error thrown: ${typeof err}`;
  }
  return redactUrl(text).replace(/\s+/g, ' ').trim().slice(0, MAX_ERROR_LENGTH);
}

/**
 * Sends due emails from the outbox. Each message is claimed with a guarded UPDATE before it is
 * sent, so any number of dispatchers over one database never send the same message twice
 * (as long as a send finishes within the lease). A failed attempt is retried with exponential
 * back-off; a message too old or tried too often is marked `failed` and kept.
 *
 * @example
 * const dispatcher = new MailDispatcher({ db, clock: systemClock, secretKey, from,
 *   transport: config.mail.smtpUrl ? new SmtpTransport({ url: config.mail.smtpUrl }) : new LocalOutboxTransport() });
 * dispatcher.start({ intervalMs: 2000 });
 * // … on shutdown:
 * await dispatcher.stop();
 */
export class MailDispatcher {
  private readonly cipher: PayloadCipher;
  private readonly keepPayload: boolean;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly maxAgeMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: MailDispatcherOptions) {
    this.cipher = new PayloadCipher(options.secretKey);
    this.keepPayload = options.keepSentPayload ?? options.transport.keepsSentPayload ?? false;
    this.batchSize = positive(options.batchSize ?? DEFAULTS.batchSize, 'batchSize');
    this.leaseMs = positive(options.leaseMs ?? DEFAULTS.leaseMs, 'leaseMs');
    this.maxAttempts = positive(
      options.retry?.maxAttempts ?? DEFAULTS.maxAttempts,
      'retry.maxAttempts',
    );
    this.maxAgeMs = positive(options.retry?.maxAgeMs ?? DEFAULTS.maxAgeMs, 'retry.maxAgeMs');
  }

  /** Delivers the messages due now (one batch) and reports what happened. */
  async runOnce(): Promise<DispatchResult> {
    const repo = new KnexOutboxRepository(this.options.db);
    const now = this.options.clock.now();
    let failed = await repo.failOlderThan({
      channel: EMAIL_CHANNEL,
      now,
      createdBefore: new Date(now.getTime() - this.maxAgeMs),
      reason: `not delivered within ${formatDuration(this.maxAgeMs)}`,
      keepPayload: this.keepPayload,
    });
    failed += await repo.failAbandonedClaims({
      channel: EMAIL_CHANNEL,
      now,
      maxAttempts: this.maxAttempts,
      reason: `gave up after ${this.maxAttempts} attempts (the last one was interrupted)`,
      keepPayload: this.keepPayload,
    });
    let sent = 0;
    let retrying = 0;
    let skipped = 0;
    for (const message of await repo.findDue(EMAIL_CHANNEL, now, this.batchSize)) {
      const outcome = await this.deliver(repo, message);
      if (outcome === 'sent') sent++;
      else if (outcome === 'retrying') retrying++;
      else if (outcome === 'failed') failed++;
      else skipped++;
    }
    return { sent, retrying, failed, skipped };
  }

  /**
   * Runs runOnce() now and then every `intervalMs` (at once again while full batches keep
   * coming) until stop(). Errors go to `onError`; the loop itself never throws.
   */
  start(options: DispatcherLoopOptions): void {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) {
      throw new RangeError('intervalMs must be a positive number of milliseconds');
    }
    if (this.running || this.timer) return;
    this.stopping = false;
    const tick = async (): Promise<void> => {
      this.timer = undefined;
      let busy = false;
      try {
        const result = await this.runOnce();
        busy = result.sent + result.retrying + result.failed + result.skipped >= this.batchSize;
      } catch (err) {
        this.report(err);
      }
      if (this.stopping) return;
      this.timer = setTimeout(
        () => {
          this.running = tick();
        },
        busy ? 0 : options.intervalMs,
      );
    };
    this.running = tick();
  }

  /** Stops the loop and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const running = this.running;
    this.running = undefined;
    await running;
  }

  private async deliver(
    repo: KnexOutboxRepository,
    message: OutboxRecord,
  ): Promise<'sent' | 'retrying' | 'failed' | 'skipped'> {
    const claimedAt = this.options.clock.now();
    const attempt = message.attempts + 1;
    const leaseUntil = new Date(claimedAt.getTime() + this.leaseMs);
    if (!(await repo.claim(message.id, message.attempts, claimedAt, leaseUntil))) return 'skipped';

    let content: MailContent;
    try {
      if (message.payload === null) throw new MailPayloadUnreadableError();
      content = this.cipher.open(message.id, message.payload);
    } catch (err) {
      // Nothing to send, now or later: under another SECRET_KEY, damaged, or erased.
      await this.settle(
        repo.markFailed(message.id, attempt, describeDeliveryError(err), this.keepPayload),
        message,
      );
      return 'failed';
    }

    try {
      await this.options.transport.send({
        from: this.options.from,
        to: message.recipient,
        subject: content.subject,
        text: content.text,
        html: content.html,
        headers: {
          [MESSAGE_ID_HEADER]: message.id,
          'Auto-Submitted': 'auto-generated',
          'Content-Language': message.locale,
        },
      });
    } catch (err) {
      const failedAt = this.options.clock.now();
      const error = describeDeliveryError(err);
      const tooOld = failedAt.getTime() - message.createdAt.getTime() >= this.maxAgeMs;
      if (attempt >= this.maxAttempts || tooOld) {
        const reason = tooOld
          ? `not delivered within ${formatDuration(this.maxAgeMs)}`
          : `gave up after ${attempt} attempts`;
        await this.settle(
          repo.markFailed(message.id, attempt, `${reason}; last error: ${error}`, this.keepPayload),
          message,
        );
        return 'failed';
      }
      const next = new Date(failedAt.getTime() + retryDelayMs(attempt, this.options.retry));
      await this.settle(repo.markRetry(message.id, attempt, next, error), message);
      return 'retrying';
    }

    await this.settle(
      repo.markSent(message.id, attempt, this.options.clock.now(), this.keepPayload),
      message,
    );
    return 'sent';
  }

  /** Reports (without failing the run) a result that found the claim taken over after its lease ran out. */
  private async settle(update: Promise<boolean>, message: OutboxRecord): Promise<void> {
    if (!(await update))
      this.report(new ConcurrentUpdateError(`Outbox message ${message.id} (its claim ran out)`));
  }

  private report(err: unknown): void {
    const onError = this.options.onError ?? defaultOnError;
    try {
      onError(err);
    } catch (secondary) {
      defaultOnError(new AggregateError([err, secondary], 'mail dispatcher error handler failed'));
    }
  }
}

function defaultOnError(err: unknown): void {
  console.error('[porth] mail dispatcher:', err);
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number`);
  return value;
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

import {
  createTransport,
  type SMTPSentMessageInfo,
  type SMTPTransportOptions,
  type Transporter,
} from 'nodemailer';
import { ConfigError } from '../errors.js';
import { MailDeliveryFailedError } from '../errors.js';
import { redactUrl, type MailTransport, type OutgoingMail } from './mail-transport.js';

/** Options for SmtpTransport. */
export interface SmtpTransportOptions {
  /**
   * `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://…:465` (TLS from the
   * start); nodemailer query options such as `?pool=true` are honoured.
   */
  readonly url: string;
  /** How long to wait for the connection and the greeting (default 10 s). */
  readonly connectionTimeoutMs?: number;
  /** How long a connection may stay silent (default 30 s; keep it below the dispatcher's lease). */
  readonly socketTimeoutMs?: number;
}

/** Delivers mail through an SMTP server with nodemailer. */
export class SmtpTransport implements MailTransport {
  private readonly transporter: Transporter<SMTPSentMessageInfo, SMTPTransportOptions>;
  /** The server, without credentials (for logs). */
  readonly description: string;

  constructor(options: SmtpTransportOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (cause) {
      throw new ConfigError([{ path: 'SMTP_URL', message: 'is not a valid URL' }], { cause });
    }
    if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
      throw new ConfigError([{ path: 'SMTP_URL', message: 'must start with smtp:// or smtps://' }]);
    }
    if (!parsed.hostname) throw new ConfigError([{ path: 'SMTP_URL', message: 'names no host' }]);
    this.description = `${parsed.protocol}//${parsed.host}`;
    const connectionTimeout = options.connectionTimeoutMs ?? 10_000;
    this.transporter = createTransport({
      url: options.url,
      connectionTimeout,
      greetingTimeout: connectionTimeout,
      socketTimeout: options.socketTimeoutMs ?? 30_000,
    });
  }

  /** Sends one message; rejects with MailDeliveryFailedError (no credentials, no content). */
  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transporter.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: { ...mail.headers },
      });
    } catch (cause) {
      throw new MailDeliveryFailedError(
        `SMTP delivery via ${this.description} failed: ${describeSmtpError(cause)}`,
        {
          cause,
        },
      );
    }
  }

  /** Connects and logs in once, to check the settings at start-up. */
  async verify(): Promise<void> {
    try {
      await this.transporter.verify();
    } catch (cause) {
      throw new MailDeliveryFailedError(
        `SMTP server ${this.description} cannot be used: ${describeSmtpError(cause)}`,
        {
          cause,
        },
      );
    }
  }

  /** Closes pooled connections. */
  close(): void {
    this.transporter.close();
  }
}

/** The code, SMTP response code and first line of a nodemailer error, with any URL credentials hidden. */
function describeSmtpError(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const details = err as Error & { code?: unknown; responseCode?: unknown };
  const parts: string[] = [];
  if (typeof details.code === 'string') parts.push(details.code);
  if (typeof details.responseCode === 'number') parts.push(String(details.responseCode));
  const firstLine = redactUrl(err.message.split('\n')[0] ?? '').trim();
  return parts.length ? `${parts.join(' ')} ${firstLine}` : firstLine;
}

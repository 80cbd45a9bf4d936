/** A message ready to leave: what the dispatcher hands to a transport. */
export interface OutgoingMail {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Extra headers, e.g. `X-Porth-Message-Id`. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Delivers one message. `send` resolves once the message is accepted and rejects when it is
 * not; the dispatcher then retries later. A transport never needs to be idempotent: the
 * dispatcher's claims make sure one message is handed over once (barring a lease that runs
 * out mid-send, see MailDispatcher).
 */
export interface MailTransport {
  /** Sends one message. */
  send(mail: OutgoingMail): Promise<void>;
  /** True when sent messages stay in the outbox to be read there (development). */
  readonly keepsSentPayload?: boolean;
}

/**
 * The development transport, for when there is no SMTP server: a message counts as delivered
 * to the local outbox, where it stays readable (its payload is kept) for the development
 * outbox page (`MailOutbox.listRecent`).
 */
export class LocalOutboxTransport implements MailTransport {
  /** Sent messages are kept so that they can be read in the local outbox. */
  readonly keepsSentPayload = true;

  /** `onMessage` is told about each message, e.g. to log "mail for x: subject". */
  constructor(private readonly onMessage?: (mail: OutgoingMail) => void) {}

  /** Accepts the message; it is read from the outbox table, nothing leaves the machine. */
  async send(mail: OutgoingMail): Promise<void> {
    this.onMessage?.(mail);
  }
}

/** Hides the user name and password in any connection URL inside `text`, for logs and errors. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/)[^@/\s]*@/g, '$1***@');
}

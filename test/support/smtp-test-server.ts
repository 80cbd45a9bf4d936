import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

/** A message the test server accepted. */
export interface ReceivedMail {
  /** The envelope sender (MAIL FROM). */
  readonly envelopeFrom: string | null;
  /** The envelope recipients (RCPT TO). */
  readonly envelopeTo: readonly string[];
  /** The message exactly as it arrived. */
  readonly raw: Buffer;
  /** The message parsed by mailparser: subject, text, html, headers, addresses. */
  readonly parsed: ParsedMail;
}

/** Options for SmtpTestServer.start. */
export interface SmtpTestServerOptions {
  /** The port to listen on (default: a free one chosen by the system). */
  readonly port?: number;
  /** Require this login (AUTH PLAIN/LOGIN over plain text); without it, no login is needed. */
  readonly credentials?: { readonly user: string; readonly pass: string };
}

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 for tests. It accepts every
 * message, parses it and keeps it in `messages`. It can be stopped (connections are then
 * refused) and restarted on the same port.
 *
 * @example
 * const smtp = await SmtpTestServer.start();
 * const transport = new SmtpTransport({ url: smtp.url });
 * // … send …
 * const [mail] = await smtp.waitForMessages(1);
 * await smtp.stop();
 */
export class SmtpTestServer {
  /** Every message received since start (or the last clear()), oldest first. */
  readonly messages: ReceivedMail[] = [];
  /** Errors the server reported after it started (e.g. a client that hung up mid-message). */
  readonly errors: Error[] = [];
  private server: SMTPServer | null = null;
  private waiters: (() => void)[] = [];

  private constructor(
    private listenPort: number,
    private readonly credentials: SmtpTestServerOptions['credentials'],
  ) {}

  /** Starts a server; resolves once it listens. */
  static async start(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
    const server = new SmtpTestServer(options.port ?? 0, options.credentials);
    await server.listen();
    return server;
  }

  /** The port it listens on (kept across stop and restart). */
  get port(): number {
    return this.listenPort;
  }

  /** A connection URL for SmtpTransport, with the credentials when a login is required. */
  get url(): string {
    const auth = this.credentials
      ? `${encodeURIComponent(this.credentials.user)}:${encodeURIComponent(this.credentials.pass)}@`
      : '';
    return `smtp://${auth}127.0.0.1:${this.listenPort}`;
  }

  /** True while the server accepts connections. */
  get running(): boolean {
    return this.server !== null;
  }

  /** Stops listening and closes open connections; does nothing if already stopped. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Starts again on the same port (stopping first if needed); received messages are kept. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  /** Forgets the messages received so far. */
  clear(): void {
    this.messages.length = 0;
  }

  /** Resolves with the messages once at least `count` have arrived; rejects after `timeoutMs`. */
  async waitForMessages(count: number, timeoutMs = 5000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `expected ${count} message(s) at the SMTP test server, got ${this.messages.length}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return [...this.messages];
  }

  private async listen(): Promise<void> {
    const credentials = this.credentials;
    const server = new SMTPServer({
      secure: false,
      disabledCommands: credentials ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !credentials,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 1000,
      onAuth(auth, _session, callback) {
        if (
          credentials &&
          auth.username === credentials.user &&
          auth.password === credentials.pass
        ) {
          callback(null, { user: auth.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', (err: Error) => callback(err));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          simpleParser(raw)
            .then((parsed) => {
              this.messages.push({
                envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
                envelopeTo: session.envelope.rcptTo.map((r) => r.address),
                raw,
                parsed,
              });
              const waiters = this.waiters;
              this.waiters = [];
              for (const wake of waiters) wake();
              callback();
            })
            .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', onError);
        resolve();
      });
    });
    // Later errors (a client that disconnects mid-message) are kept for the test to inspect.
    server.on('error', (err: Error) => this.errors.push(err));
    const address = server.server.address();
    if (address && typeof address === 'object') this.listenPort = address.port;
    this.server = server;
  }
}

/**
 * A small HTTP/1.1 client for the benchmark's multi-step journeys: keep-alive connections to
 * 127.0.0.1, a cookie jar per virtual user, and the forms of the sign-in pages. node:http is
 * used directly (not fetch) so the load generator spends as little of the shared CPU as it can.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** One HTTP answer, body read in full. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What a request sends besides its method and URL. */
export interface HttpRequestOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** A keep-alive connection pool shared by the virtual users of one benchmark row. */
export function createAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** Sends one request and reads the whole answer; only 127.0.0.1 and localhost are allowed. */
export function send(
  agent: Agent,
  method: string,
  url: URL,
  options: HttpRequestOptions = {},
): Promise<HttpResponse> {
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    return Promise.reject(new Error(`the benchmark only talks to 127.0.0.1, not ${url.host}`));
  }
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined)
      headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = httpRequest(
      {
        agent,
        method,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Cookies of one virtual user, by name (paths are ignored: every cookie goes to every path). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Stores the cookies an answer sets; a cookie set to expire in the past is forgotten. */
  store(headers: IncomingHttpHeaders): void {
    for (const line of headers['set-cookie'] ?? []) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key = '', v = ''] = a.split('=');
        const k = key.trim().toLowerCase();
        if (k === 'max-age') return Number(v) <= 0;
        if (k === 'expires') return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** The Cookie header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A form found on a page: where it posts and its CSRF token. */
export interface PageForm {
  readonly action: string;
  readonly csrf: string;
}

/** Finds the form on `html` that posts to `action` (exactly), with its CSRF token. */
export function findForm(html: string, action: string): PageForm | null {
  for (const match of html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const formAction = (match[1] ?? '').replace(/&amp;/g, '&');
    if (formAction !== action) continue;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(match[2] ?? '')?.[1] ?? '';
    return { action: formAction, csrf };
  }
  return null;
}

/** Encodes fields as `application/x-www-form-urlencoded`. */
export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

import {
  decodeEntities,
  formFor,
  formsOf,
  isLive,
  parseSetCookie,
  pathMatches,
  type PageForm,
  type StoredCookie,
} from '../../../packages/portal-express/test/support/page.js';

/** One response a SecurityBrowser received, as it came over the wire. */
export interface RecordedResponse {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  /** Every Set-Cookie header line, unparsed. */
  readonly setCookies: readonly string[];
  /** The body when it was HTML (redirects and other types: ''). */
  readonly html: string;
}

/** One form of the current page: its action, method and hidden inputs. */
export type FoundForm = PageForm;

export { decodeEntities };

/**
 * A small browser over HTTP(S) for the security tests: a cookie jar keyed by host name (cookies
 * ignore ports) that honours paths and expiry, redirects followed across origins (or not, when
 * asked), forms found with their hidden inputs, and every response recorded with its headers
 * (Set-Cookie and Content-Security-Policy included) for later checks.
 */
export class SecurityBrowser {
  /** The last page's HTML. */
  html = '';
  /** The last response's status. */
  status = 0;
  /** The address of the last response. */
  url = '';
  /** The last response's Location header ('' when none). */
  location = '';
  /** Every response since the browser was made, in order. */
  readonly responses: RecordedResponse[] = [];
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  constructor(readonly baseUrl: string) {}

  /** GETs an address (absolute, or a path of `baseUrl`), following redirects unless `follow` is false. */
  async open(url: string, follow = true): Promise<this> {
    return this.request('GET', new URL(url, this.baseUrl), undefined, follow);
  }

  /** POSTs form fields to an address, following redirects unless `follow` is false. */
  async post(url: string, fields: Record<string, string>, follow = true): Promise<this> {
    return this.request(
      'POST',
      new URL(url, this.baseUrl),
      new URLSearchParams(fields).toString(),
      follow,
    );
  }

  /** The forms of the current page. */
  forms(): FoundForm[] {
    return formsOf(this.html);
  }

  /**
   * Submits a form of the current page with its hidden inputs and `fields`: the form whose action
   * is `action`, or else the first form with an input, button or select for every field given.
   */
  async submit(fields: Record<string, string>, action?: string, follow = true): Promise<this> {
    const form = formFor(this.html, this.url, fields, action);
    return this.request(
      'POST',
      new URL(form.action || this.url, this.url),
      new URLSearchParams({ ...form.hidden, ...fields }).toString(),
      follow,
    );
  }

  /** The `_csrf` value of the current page's first form that has one. */
  csrfToken(): string {
    const token = this.forms().find((f) => f.hidden._csrf)?.hidden._csrf;
    if (!token) throw new Error(`no CSRF token on ${this.url}:\n${this.html.slice(0, 2000)}`);
    return token;
  }

  /** The value of a cookie the browser holds for `url`'s host, if any. */
  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url, this.baseUrl).hostname)?.get(name)?.value;
  }

  /** Puts a cookie in the jar, as an attacker who can write cookies for the host could. */
  setCookie(url: string, name: string, value: string, path = '/'): void {
    const host = new URL(url, this.baseUrl).hostname;
    let cookies = this.jar.get(host);
    if (!cookies) {
      cookies = new Map();
      this.jar.set(host, cookies);
    }
    cookies.set(name, { value, path, expires: null });
  }

  /** Forgets a cookie. */
  deleteCookie(url: string, name: string): void {
    this.jar.get(new URL(url, this.baseUrl).hostname)?.delete(name);
  }

  private async request(method: string, start: URL, body: string | undefined, follow: boolean) {
    let url = start;
    let verb = method;
    let payload = body;
    for (let hops = 0; hops < 25; hops++) {
      const cookie = this.cookieHeader(url);
      const res = await fetch(url, {
        method: verb,
        redirect: 'manual',
        headers: {
          accept: 'text/html',
          ...(cookie ? { cookie } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(payload !== undefined ? { body: payload } : {}),
      });
      const setCookies = res.headers.getSetCookie();
      this.store(url, setCookies);
      const location = res.headers.get('location') ?? '';
      const redirect = res.status >= 300 && res.status < 400 && location !== '';
      const text = await res.text();
      const html = (res.headers.get('content-type') ?? '').includes('text/html') ? text : '';
      this.responses.push({
        method: verb,
        url: url.href,
        status: res.status,
        headers: res.headers,
        setCookies,
        html: redirect ? '' : html,
      });
      this.status = res.status;
      this.location = location;
      this.url = url.href;
      if (redirect && follow) {
        url = new URL(location, url);
        if (res.status !== 307 && res.status !== 308) {
          verb = 'GET';
          payload = undefined;
        }
        continue;
      }
      this.html = html;
      return this;
    }
    throw new Error(`too many redirects from ${start.href}`);
  }

  private cookieHeader(url: URL): string {
    const now = Date.now();
    const cookies = this.jar.get(url.hostname);
    if (!cookies) return '';
    return [...cookies.entries()]
      .filter(([, c]) => isLive(c, now) && pathMatches(url.pathname, c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, headers: readonly string[]): void {
    let cookies = this.jar.get(url.hostname);
    if (!cookies) {
      cookies = new Map();
      this.jar.set(url.hostname, cookies);
    }
    for (const header of headers) {
      const parsed = parseSetCookie(url, header);
      if (!parsed) continue;
      if (isLive(parsed.cookie)) cookies.set(parsed.name, parsed.cookie);
      else cookies.delete(parsed.name);
    }
  }
}

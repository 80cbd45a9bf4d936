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

interface StoredCookie {
  readonly value: string;
  readonly path: string;
  /** Epoch ms; null for a browser-session cookie. */
  readonly expires: number | null;
}

/** One form of the current page: its action, method and hidden inputs. */
export interface FoundForm {
  readonly action: string;
  readonly method: string;
  readonly html: string;
  readonly hidden: Readonly<Record<string, string>>;
}

/** Decodes the HTML entities Handlebars and the provider write. */
export function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attribute(tag: string, name: string): string | null {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return m ? decodeEntities(m[1] ?? '') : null;
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (cookiePath === '/' || requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`);
}

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
    return [...this.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => {
      const tag = m[1] ?? '';
      const inner = m[2] ?? '';
      const hidden: Record<string, string> = {};
      for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
        const t = input[0];
        if ((attribute(t, 'type') ?? '').toLowerCase() !== 'hidden') continue;
        const name = attribute(t, 'name');
        if (name) hidden[name] = attribute(t, 'value') ?? '';
      }
      return {
        action: attribute(tag, 'action') ?? '',
        method: (attribute(tag, 'method') ?? 'get').toLowerCase(),
        html: inner,
        hidden,
      };
    });
  }

  /**
   * Submits a form of the current page with its hidden inputs and `fields`: the form whose action
   * is `action`, or else the first form with an input, button or select for every field given.
   */
  async submit(fields: Record<string, string>, action?: string, follow = true): Promise<this> {
    const forms = this.forms();
    const form = action
      ? forms.find((f) => f.action === action)
      : forms.find((f) => Object.keys(fields).every((name) => f.html.includes(`name="${name}"`)));
    if (!form) {
      throw new Error(
        `no form${action ? ` for ${action}` : ` with ${Object.keys(fields).join(', ')}`} on ${this.url}:\n${this.html.slice(0, 3000)}`,
      );
    }
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
      .filter(
        ([, c]) => (c.expires === null || c.expires > now) && pathMatches(url.pathname, c.path),
      )
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
      const [pair = '', ...attrs] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expires: number | null = null;
      for (const attr of attrs) {
        const [k = '', v = ''] = attr.split('=').map((s) => s.trim());
        if (k.toLowerCase() === 'path') path = v || '/';
        if (k.toLowerCase() === 'expires') expires = Date.parse(v);
        if (k.toLowerCase() === 'max-age') expires = Date.now() + Number(v) * 1000;
      }
      if (expires !== null && expires <= Date.now()) cookies.delete(name);
      else cookies.set(name, { value, path, expires });
    }
  }
}

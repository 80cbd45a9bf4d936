interface StoredCookie {
  readonly value: string;
  readonly path: string;
  /** Epoch ms; null for a browser-session cookie. */
  readonly expires: number | null;
}

/** One form of the current page: its action and hidden inputs. */
export interface FormOnPage {
  readonly action: string;
  readonly html: string;
  readonly hidden: Readonly<Record<string, string>>;
}

function decodeEntities(text: string): string {
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
 * A browser over HTTP for setting up the sessions the bad-input run uses: a cookie jar (with
 * paths, as the provider's interaction cookies need), redirects followed, forms submitted with
 * their hidden inputs, and the Cookie header it would send to any address, for the raw client.
 */
export class SetupBrowser {
  /** The last page's HTML. */
  html = '';
  /** The last response's status. */
  status = 0;
  /** The address of the last page. */
  url = '';
  private readonly jar = new Map<string, StoredCookie>();

  constructor(private readonly baseUrl: string) {}

  /** GETs an address (absolute, or a path of the portal) and follows redirects. */
  async open(url: string): Promise<this> {
    return this.request('GET', new URL(url, this.baseUrl));
  }

  /** The forms of the current page. */
  forms(): FormOnPage[] {
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
      return { action: attribute(tag, 'action') ?? '', html: inner, hidden };
    });
  }

  /** The CSRF token of the page's forms. */
  csrfToken(): string {
    const token = this.forms().find((f) => f.hidden._csrf)?.hidden._csrf;
    if (!token) throw new Error(`no CSRF token on ${this.url}:\n${this.html.slice(0, 1500)}`);
    return token;
  }

  /**
   * Submits the form whose action is `action`, or else the first form that has a control for
   * every field given, with its hidden inputs and `fields`.
   */
  async submit(fields: Record<string, string>, action?: string): Promise<this> {
    const forms = this.forms();
    const form = action
      ? forms.find((f) => f.action === action)
      : forms.find((f) => Object.keys(fields).every((name) => f.html.includes(`name="${name}"`)));
    if (!form) {
      throw new Error(
        `no form${action ? ` for ${action}` : ` with ${Object.keys(fields).join(', ')}`} on ${this.url}:\n${this.html.slice(0, 3000)}`,
      );
    }
    const body = new URLSearchParams({ ...form.hidden, ...fields }).toString();
    return this.request('POST', new URL(form.action || this.url, this.url), body);
  }

  /** The Cookie header this browser sends to `url` (absolute, or a path of the portal). */
  cookieHeader(url: string): string {
    const target = new URL(url, this.baseUrl);
    const now = Date.now();
    return [...this.jar.entries()]
      .filter(
        ([, c]) => (c.expires === null || c.expires > now) && pathMatches(target.pathname, c.path),
      )
      .map(([key, c]) => `${key.slice(key.indexOf(' ') + 1)}=${c.value}`)
      .join('; ');
  }

  private async request(method: string, start: URL, body?: string): Promise<this> {
    let url = start;
    let verb = method;
    let payload = body;
    for (let hops = 0; hops < 25; hops++) {
      if (url.origin !== new URL(this.baseUrl).origin) {
        // Another origin (a client's callback that does not exist): stop there, as a test would.
        this.url = url.href;
        return this;
      }
      const cookie = this.cookieHeader(url.href);
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
      this.store(url, res.headers.getSetCookie());
      this.status = res.status;
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        url = new URL(location, url);
        if (res.status !== 307 && res.status !== 308) {
          verb = 'GET';
          payload = undefined;
        }
        continue;
      }
      this.html = await res.text();
      this.url = url.href;
      return this;
    }
    throw new Error(`too many redirects from ${start.href}`);
  }

  private store(url: URL, headers: readonly string[]): void {
    for (const line of headers) {
      const [pair = '', ...attrs] = line.split(';');
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
      const key = `${path} ${name}`;
      if (expires !== null && expires <= Date.now()) this.jar.delete(key);
      else this.jar.set(key, { value, path, expires });
    }
  }
}

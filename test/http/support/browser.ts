import {
  formFor,
  formsOf,
  isLive,
  parseSetCookie,
  pathMatches,
  type PageForm,
  type StoredCookie,
} from '../../../packages/portal-express/test/support/page.js';

/** One form of the current page: its action and hidden inputs. */
export type FormOnPage = PageForm;

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
    return formsOf(this.html);
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
    const form = formFor(this.html, this.url, fields, action);
    const body = new URLSearchParams({ ...form.hidden, ...fields }).toString();
    return this.request('POST', new URL(form.action || this.url, this.url), body);
  }

  /** The Cookie header this browser sends to `url` (absolute, or a path of the portal). */
  cookieHeader(url: string): string {
    const target = new URL(url, this.baseUrl);
    const now = Date.now();
    return [...this.jar.entries()]
      .filter(([, c]) => isLive(c, now) && pathMatches(target.pathname, c.path))
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
      const parsed = parseSetCookie(url, line);
      if (!parsed) continue;
      const key = `${parsed.cookie.path} ${parsed.name}`;
      if (isLive(parsed.cookie)) this.jar.set(key, parsed.cookie);
      else this.jar.delete(key);
    }
  }
}

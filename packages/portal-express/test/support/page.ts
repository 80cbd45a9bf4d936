/** One form of a page. */
export interface PageForm {
  readonly action: string;
  readonly method: string;
  readonly html: string;
  /** Its hidden inputs' names and values. */
  readonly hidden: Readonly<Record<string, string>>;
}

/** A cookie as a test browser keeps it. */
export interface StoredCookie {
  readonly value: string;
  readonly path: string;
  /** Epoch ms; null for a browser-session cookie. */
  readonly expires: number | null;
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

/** The forms of a page, each with its action, method and hidden inputs. */
export function formsOf(html: string): PageForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => {
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
 * The form of a page to submit `fields` with: the one whose action is `action`, or else the first
 * with an input, button or select for every field given. Throws, showing the page, when none is.
 */
export function formFor(
  html: string,
  url: string,
  fields: Record<string, string>,
  action?: string,
): PageForm {
  const forms = formsOf(html);
  const form = action
    ? forms.find((f) => f.action === action)
    : forms.find((f) => Object.keys(fields).every((name) => f.html.includes(`name="${name}"`)));
  if (!form) {
    throw new Error(
      `no form${action ? ` for ${action}` : ` with ${Object.keys(fields).join(', ')}`} on ${url}:\n${html.slice(0, 3000)}`,
    );
  }
  return form;
}

/** True when a cookie with path `cookiePath` is sent to `requestPath`. */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (cookiePath === '/' || requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`);
}

/** A Set-Cookie header line received from `url`, read as a browser would; null when malformed. */
export function parseSetCookie(
  url: URL,
  header: string,
): { readonly name: string; readonly cookie: StoredCookie } | null {
  const [pair = '', ...attrs] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return null;
  let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
  let expires: number | null = null;
  for (const attr of attrs) {
    const [k = '', v = ''] = attr.split('=').map((s) => s.trim());
    if (k.toLowerCase() === 'path') path = v || '/';
    if (k.toLowerCase() === 'expires') expires = Date.parse(v);
    if (k.toLowerCase() === 'max-age') expires = Date.now() + Number(v) * 1000;
  }
  return {
    name: pair.slice(0, eq).trim(),
    cookie: { value: pair.slice(eq + 1).trim(), path, expires },
  };
}

/** True when a stored cookie is still live. */
export function isLive(cookie: StoredCookie, now = Date.now()): boolean {
  return cookie.expires === null || cookie.expires > now;
}

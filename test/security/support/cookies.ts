import type { RecordedResponse } from './browser.js';

/** One Set-Cookie header line, read. */
export interface SetCookie {
  readonly name: string;
  /** Where it was set (the response's address). */
  readonly url: string;
  readonly line: string;
  /** The attributes in lower case, e.g. `{ path: '/', httponly: '', samesite: 'lax' }`. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Every cookie the responses set (or cleared), in order. */
export function cookiesSet(responses: readonly RecordedResponse[]): SetCookie[] {
  return responses.flatMap((r) =>
    r.setCookies.map((line) => {
      const [pair = '', ...attrs] = line.split(';');
      const attributes: Record<string, string> = {};
      for (const attr of attrs) {
        const eq = attr.indexOf('=');
        const key = (eq < 0 ? attr : attr.slice(0, eq)).trim().toLowerCase();
        attributes[key] =
          eq < 0
            ? ''
            : attr
                .slice(eq + 1)
                .trim()
                .toLowerCase();
      }
      return { name: pair.slice(0, pair.indexOf('=')).trim(), url: r.url, line, attributes };
    }),
  );
}

/** What is wrong with one cookie's flags ('' when nothing), given whether it must be Secure. */
export function cookieFlagProblems(cookie: SetCookie, secure: boolean): string[] {
  const problems: string[] = [];
  if (!('httponly' in cookie.attributes)) problems.push('no HttpOnly');
  if (cookie.attributes.samesite !== 'lax') problems.push('not SameSite=Lax');
  if (secure && !('secure' in cookie.attributes)) problems.push('no Secure');
  if (!secure && 'secure' in cookie.attributes) problems.push('Secure over plain http');
  return problems.map(
    (p) => `${cookie.name} (${new URL(cookie.url).pathname}): ${p} in ${cookie.line}`,
  );
}

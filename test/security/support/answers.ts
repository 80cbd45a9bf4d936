import { comparable } from '../../../packages/portal-express/test/support/recovery.js';
import type { SecurityBrowser } from './browser.js';

/** What a form's answer looked like to the person (or script) that posted it. */
export interface Answer {
  readonly status: number;
  /** Where a redirect pointed, ids taken out ('' for none). */
  readonly location: string;
  /** The page finally shown, with per-request values and the typed text taken out. */
  readonly page: string;
  readonly pageStatus: number;
}

/** Escapes text as Handlebars writes it into HTML. */
function escaped(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;')
    .replace(/`/g, '&#x60;')
    .replace(/=/g, '&#x3D;');
}

/**
 * A page with everything that differs between two requests for reasons other than the account
 * taken out: CSRF tokens, the forgotten-password question, sign-in ids, and what was typed (a
 * page shows the username back).
 */
export function normalisePage(html: string, typed: readonly string[] = []): string {
  let out = comparable(html)
    .replace(/\/interaction\/[A-Za-z0-9_-]+/g, '/interaction/UID')
    .replace(/\/users\/[0-9a-f]{32}/g, '/users/MEMBER');
  for (const text of [...typed].sort((a, b) => b.length - a.length)) {
    if (!text) continue;
    out = out.split(escaped(text)).join('TYPED').split(text).join('TYPED');
  }
  return out;
}

/**
 * Posts a form of the browser's current page (without following the redirect), then opens
 * where it points, and returns the whole answer with per-request values taken out.
 */
export async function answerTo(
  browser: SecurityBrowser,
  fields: Record<string, string>,
  action: string | undefined,
  typed: readonly string[],
): Promise<Answer> {
  await browser.submit(fields, action, false);
  const status = browser.status;
  const location = browser.location;
  if (location) await browser.open(location);
  return {
    status,
    location: location.replace(/\/interaction\/[A-Za-z0-9_-]+/g, '/interaction/UID'),
    page: normalisePage(browser.html, typed),
    pageStatus: browser.status,
  };
}

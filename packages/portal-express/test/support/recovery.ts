import type { OutboxEntry } from '@porth/identity-core';
import type { HttpBrowser, RunningTestPortal } from './server.js';

const ENGLISH = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const WELSH = ['dim', 'un', 'dau', 'tri', 'pedwar', 'pump', 'chwech', 'saith', 'wyth', 'naw'];

/** The two numbers of the question on a forgotten-password page, read as a person would. */
export function questionOn(html: string): { first: number; second: number; lang: 'en' | 'cy' } {
  const english = /What is (\w+) plus (\w+)\?/.exec(html);
  if (english) {
    return {
      first: ENGLISH.indexOf(english[1] ?? ''),
      second: ENGLISH.indexOf(english[2] ?? ''),
      lang: 'en',
    };
  }
  const welsh = /Faint yw (\w+) adio (\w+)\?/.exec(html);
  if (welsh) {
    return {
      first: WELSH.indexOf(welsh[1] ?? ''),
      second: WELSH.indexOf(welsh[2] ?? ''),
      lang: 'cy',
    };
  }
  throw new Error(`no question on the page:\n${html.slice(0, 3000)}`);
}

/** The right answer to the page's question, in digits. */
export function answerOn(html: string): string {
  const { first, second } = questionOn(html);
  return String(first + second);
}

/** A page with everything that differs between two requests (CSRF token, question) taken out. */
export function comparable(html: string): string {
  return html
    .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""')
    .replace(/name="challenge" value="[^"]*"/g, 'name="challenge" value=""')
    .replace(/What is \w+ plus \w+\?/g, 'What is ? plus ??')
    .replace(/Faint yw \w+ adio \w+\?/g, 'Faint yw ? adio ??');
}

/** The hidden fields a form needs to be posted. */
export function hiddenFields(html: string): { _csrf: string; challenge: string } {
  return {
    _csrf: /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '',
    challenge: /name="challenge" value="([^"]*)"/.exec(html)?.[1] ?? '',
  };
}

/** One POST of a form as a browser sends it, and the answer exactly as it came back. */
export async function postForm(
  browser: HttpBrowser,
  path: string,
  fields: Record<string, string>,
): Promise<{ status: number; location: string; body: string }> {
  const res = await browser.agent.post(path).type('form').send(fields);
  return {
    status: res.status,
    location: String(res.headers.location ?? ''),
    body: res.text,
  };
}

/** Every email in the outbox to `recipient` using `template`, oldest first. */
export async function mailTo(
  running: RunningTestPortal,
  recipient: string,
  template: string,
): Promise<OutboxEntry[]> {
  const recent = await running.portal.services.outbox.listRecent({ limit: 1000 });
  return recent.filter((m) => m.recipient === recipient && m.template === template).reverse();
}

/** The path of the link under `prefix` in an email's text. */
export function linkIn(entry: OutboxEntry | undefined, prefix: string): string {
  const text = entry?.content?.text ?? '';
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`https?://[^/\\s]+(${escaped}[A-Za-z0-9_%-]+)`).exec(text);
  if (!match?.[1]) throw new Error(`no ${prefix} link in:\n${text}`);
  return match[1];
}

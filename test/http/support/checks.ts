import { loadCatalogue } from '../../../packages/portal-express/src/i18n.js';
import { EVALUATED_MARKER, type BadRequest } from './payloads.js';
import { header, type RawResponse } from './raw-http.js';

/** A redirect an endpoint may answer a malformed request with, and why that is right. */
export interface AllowedRedirect {
  /** Matched against the Location header (path and query for the portal's own addresses). */
  readonly to: RegExp;
  readonly why: string;
}

/** What answers an endpoint may give to malformed requests besides a 4xx with a clear message. */
export interface AnswerPolicy {
  /** The endpoint answers in JSON (OAuth errors); its 4xx must be JSON. */
  readonly json: boolean;
  /** Why a 2xx is right for some malformed requests here; a 2xx is a failure without it. */
  readonly ok?: string;
  readonly redirects?: readonly AllowedRedirect[];
}

type Catalogue = { [key: string]: string | Catalogue };

function strings(catalogue: Catalogue, out: Set<string> = new Set()): Set<string> {
  for (const value of Object.values(catalogue)) {
    if (typeof value === 'string') out.add(value);
    else strings(value, out);
  }
  return out;
}

const english = strings(loadCatalogue('en') as Catalogue);
const welsh = strings(loadCatalogue('cy') as Catalogue);
/** Catalogue texts that exist only in English: a Welsh page must not be headed by one. */
const ENGLISH_ONLY = new Set([...english].filter((s) => !welsh.has(s) && !s.includes('{{')));

const STACK = [
  /\n\s+at [^\n]*:\d+:\d+/,
  /node_modules\//,
  /\/work\/main\//,
  /\b(TypeError|ReferenceError|SyntaxError|RangeError|URIError)\b/,
  /\bat (async )?[\w$.<>]+ \([^)]*:\d+:\d+\)/,
];

function decode(text: string): string {
  return text
    .replace(/<[^>]+>/g, '')
    .replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

function htmlProblems(res: RawResponse, bad: BadRequest): string[] {
  const problems: string[] = [];
  const html = res.text;
  const h1 = /<h1\b[^>]*>([\s\S]*?)<\/h1>/i.exec(html);
  const heading = h1 ? decode(h1[1] ?? '') : '';
  if (!heading) problems.push('the page has no heading (h1) saying what happened');
  if (/^[a-z_]+(\.[a-z0-9_-]+)+$/.test(heading))
    problems.push(`the heading is a message key: ${heading}`);
  const lang = /<html\b[^>]*\blang="([^"]*)"/i.exec(html)?.[1];
  if (!lang) problems.push('the page does not say its language (<html lang>)');
  if (bad.lang && lang && lang !== bad.lang) {
    problems.push(`the page is in ${lang}, the request asked for ${bad.lang}`);
  }
  if (bad.lang === 'cy' && ENGLISH_ONLY.has(heading)) {
    problems.push(`a Welsh page headed in English: ${heading}`);
  }
  if (bad.dangerous && html.includes(bad.dangerous)) {
    problems.push(`the markup sent came back unescaped: ${bad.dangerous}`);
  }
  return problems;
}

function jsonProblems(res: RawResponse): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    return ['the JSON answer does not parse'];
  }
  const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const problems: string[] = [];
  if (typeof body.error !== 'string' || !/^[a-z_]+$/.test(body.error)) {
    problems.push(`the JSON answer has no OAuth error code: ${res.text.slice(0, 200)}`);
  }
  if (body.error_description !== undefined && typeof body.error_description !== 'string') {
    problems.push('error_description is not text');
  }
  if ('stack' in body) problems.push('the JSON answer carries a stack');
  return problems;
}

/**
 * Everything wrong with the answer to one malformed request: a 5xx; a 2xx or a redirect the
 * endpoint has no reason for; a 4xx without a clear message (an HTML page with a heading in the
 * language asked for, or an OAuth JSON error); a stack trace, `[object Object]`, an evaluated
 * template or the markup sent coming back unescaped.
 */
export function answerProblems(res: RawResponse, bad: BadRequest, policy: AnswerPolicy): string[] {
  const problems: string[] = [];
  const type = header(res, 'content-type').toLowerCase();
  if (res.status >= 500) problems.push(`answered ${res.status}`);
  if (
    bad.bareAllowed &&
    type === '' &&
    [400, 413, 414, 431].includes(res.status) &&
    res.body.length === 0
  ) {
    // Node's own HTTP parser refused the request line or headers: the app never saw it.
    return problems;
  }
  for (const pattern of STACK) {
    if (pattern.test(res.text))
      problems.push(`a stack trace or internal detail: ${pattern.source}`);
  }
  if (res.text.includes('[object Object]')) problems.push('the answer says [object Object]');
  if (res.text.includes(EVALUATED_MARKER)) problems.push('a template expression was evaluated');

  if (res.status >= 300 && res.status < 400) {
    const location = header(res, 'location');
    const allowed = policy.redirects ?? [];
    if (!location) problems.push(`a ${res.status} without a Location`);
    else if (!allowed.some((r) => r.to.test(location))) {
      problems.push(`an unexpected redirect (${res.status}) to ${location.slice(0, 200)}`);
    }
    return problems;
  }
  if (res.status >= 200 && res.status < 300) {
    if (!policy.ok)
      problems.push(`accepted with ${res.status}: a malformed request must be refused`);
    if (res.body.length === 0) return problems;
  }
  if (type.startsWith('text/html')) {
    if (policy.json && res.status >= 400)
      problems.push('an HTML page where an OAuth JSON error belongs');
    problems.push(...htmlProblems(res, bad));
  } else if (type.startsWith('application/json')) {
    problems.push(...jsonProblems(res));
  } else {
    problems.push(`no clear message: ${res.status} with content type "${type}"`);
  }
  return problems;
}

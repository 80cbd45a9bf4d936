import { createHash } from 'node:crypto';
import type { RecordedResponse } from './browser.js';

/** A Content-Security-Policy header, read into directives (names and values in their own case). */
export function parsePolicy(header: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values);
  }
  return directives;
}

/** The sources a directive allows, falling back to default-src as browsers do. */
function effective(policy: Map<string, string[]>, directive: string): string[] | null {
  return policy.get(directive) ?? policy.get('default-src') ?? null;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * What is wrong with one HTML response's protection against injected script ([] when nothing):
 * a Content-Security-Policy must be sent; its script sources (script-src, else default-src) must
 * not allow inline script, eval or any host; object-src must be 'none' and frame-ancestors set;
 * every inline `<script>` on the page must be allowed by its own sha256 hash; and the page must
 * have no event-handler attributes or `javascript:` addresses. When styles are not allowed
 * inline, the page must have no `style` attributes or unhashed `<style>` elements either (they
 * would be blocked: the page relies on nothing the policy forbids).
 */
export function policyProblems(response: RecordedResponse): string[] {
  const where = `${response.method} ${new URL(response.url).pathname} (${response.status})`;
  const header = response.headers.get('content-security-policy');
  if (!header) return [`${where}: no Content-Security-Policy`];
  const policy = parsePolicy(header);
  const problems: string[] = [];
  const sandboxed = policy.has('sandbox');
  const scripts = effective(policy, 'script-src');
  if (!scripts) problems.push(`${where}: no script-src or default-src`);
  for (const source of scripts ?? []) {
    if (
      ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'strict-dynamic'", '*'].includes(
        source,
      ) ||
      /^(https?:|data:|blob:)/.test(source)
    ) {
      problems.push(`${where}: script source ${source}`);
    }
  }
  const objects = effective(policy, 'object-src');
  if (!(objects?.length === 1 && objects[0] === "'none'"))
    problems.push(`${where}: object-src is ${objects?.join(' ') ?? 'unset'}`);
  if (!sandboxed && !policy.has('frame-ancestors')) problems.push(`${where}: no frame-ancestors`);

  const html = response.html;
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc=/i.test(m[1] ?? '')) continue;
    if (!(scripts ?? []).includes(sha256(m[2] ?? ''))) {
      problems.push(
        `${where}: inline script not allowed by its hash: ${(m[2] ?? '').trim().slice(0, 80)}`,
      );
    }
  }
  for (const m of html.matchAll(/<[a-z][^>]*\s(on[a-z]+)\s*=/gi)) {
    problems.push(`${where}: event-handler attribute ${m[1]}`);
  }
  if (/(href|src|action)\s*=\s*["']?\s*javascript:/i.test(html)) {
    problems.push(`${where}: a javascript: address`);
  }
  const styles = effective(policy, 'style-src') ?? [];
  if (!styles.includes("'unsafe-inline'")) {
    if (/<[a-z][^>]*\sstyle\s*=/i.test(html)) problems.push(`${where}: a style attribute`);
    for (const m of html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)) {
      if (!styles.includes(sha256(m[1] ?? ''))) problems.push(`${where}: an inline <style>`);
    }
  }
  return problems;
}

/** The HTML responses among `responses` (the ones a browser would render as a page). */
export function htmlPages(responses: readonly RecordedResponse[]): RecordedResponse[] {
  return responses.filter(
    (r) =>
      (r.headers.get('content-type') ?? '').includes('text/html') &&
      (r.status < 300 || r.status >= 400),
  );
}

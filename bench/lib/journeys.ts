/**
 * The journeys the benchmark drives, as a browser and a relying application would make them:
 * the OIDC authorization-code flow with PKCE through the sign-in pages, the code exchange, and
 * refresh-token grants. Each virtual user has its own cookie jar.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Agent } from 'node:http';
import { CookieJar, findForm, formBody, send, type HttpResponse } from './http.js';
import { BENCH_CALLBACK_PATH, BENCH_CLIENT_ID, type BenchUser } from './protocol.js';
import { totpCode, totpStep } from './totp.js';

/** Tokens from the token endpoint. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string;
}

/** How far a sign-in goes. */
export type SignInDepth = 'second-factor-page' | 'tokens';

/**
 * One browser: a cookie jar, and the process it talks to. `publicUrl` is the issuer; absolute
 * addresses on it are sent to `baseUrl` instead, as a load balancer in front of several
 * processes would.
 */
export class VirtualUser {
  readonly jar = new CookieJar();
  private readonly publicOrigin: string;

  constructor(
    readonly agent: Agent,
    readonly baseUrl: string,
    readonly publicUrl: string,
  ) {
    this.publicOrigin = new URL(publicUrl).origin;
  }

  /** The redirect URI of the bench client. */
  get redirectUri(): string {
    return `${this.publicUrl}${BENCH_CALLBACK_PATH}`;
  }

  /** Resolves a path or an address on the issuer to this user's process. */
  target(location: string): URL {
    const url = new URL(location, this.baseUrl);
    if (url.origin === this.publicOrigin) return new URL(url.pathname + url.search, this.baseUrl);
    return url;
  }

  /** One request with this user's cookies; stores the cookies the answer sets. */
  async request(method: string, location: string, fields?: Record<string, string>) {
    const headers: Record<string, string> = {};
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (fields) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = formBody(fields);
    }
    const res = await send(this.agent, method, this.target(location), { headers, body });
    this.jar.store(res.headers);
    return res;
  }

  /**
   * Follows redirects from `res` until a page is served or the redirect reaches the bench
   * client's callback; returns the last answer and, at the callback, its address.
   */
  async follow(first: HttpResponse): Promise<{ page: HttpResponse; callback: URL | null }> {
    let res = first;
    for (let hops = 0; hops < 10; hops++) {
      const location = res.headers.location;
      if (res.status < 300 || res.status >= 400 || !location) return { page: res, callback: null };
      const next = new URL(location, this.publicUrl);
      if (next.href.startsWith(this.redirectUri)) return { page: res, callback: next };
      res = await this.request('GET', next.href);
    }
    throw new Error('too many redirects');
  }
}

/** A PKCE authorization request of the bench client. */
export function authorizationRequest(user: VirtualUser): { path: string; verifier: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const query = new URLSearchParams({
    client_id: BENCH_CLIENT_ID,
    redirect_uri: user.redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(12).toString('base64url'),
  });
  return { path: `/auth?${query.toString()}`, verifier };
}

/** Posts the form of sign-in step `state` on the current page, then follows redirects. */
async function submitStep(
  user: VirtualUser,
  page: HttpResponse,
  uid: string,
  state: string,
  fields: Record<string, string>,
) {
  const form = findForm(page.body, `/interaction/${uid}/${state}`);
  if (!form) throw new Error(`no ${state} form (status ${page.status}): ${snippet(page.body)}`);
  return user.follow(await user.request('POST', form.action, { _csrf: form.csrf, ...fields }));
}

function snippet(html: string): string {
  const heading = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1]?.trim();
  const error = /class="error-summary"[\s\S]*?<li>([\s\S]*?)<\/li>/.exec(html)?.[1]?.trim();
  return [heading, error].filter(Boolean).join(' — ') || html.slice(0, 200);
}

/**
 * Signs `account` in through the authorization endpoint and the sign-in pages: username,
 * password, and — when `depth` is `tokens` — the authenticator code, "Stay signed in? No", the
 * redirect back with a code, and the code exchange. With `second-factor-page` it stops when the
 * second-factor page is served (Porth asks every account for a second factor).
 */
export async function signIn(
  user: VirtualUser,
  account: BenchUser,
  depth: SignInDepth,
): Promise<TokenSet | null> {
  const { path, verifier } = authorizationRequest(user);
  let { page, callback } = await user.follow(await user.request('GET', path));
  const uid = /\/interaction\/([^/"?]+)/.exec(page.body)?.[1];
  if (!uid || callback) throw new Error(`no sign-in page (status ${page.status})`);
  ({ page } = await submitStep(user, page, uid, 'username', { username: account.username }));
  ({ page } = await submitStep(user, page, uid, 'password', { password: account.password }));
  if (!findForm(page.body, `/interaction/${uid}/second_factor`)) {
    throw new Error(`no second-factor page after the password: ${snippet(page.body)}`);
  }
  if (depth === 'second-factor-page') return null;
  // The next time-step's code: the step of enrolment (or of an earlier sign-in) was used already.
  const code = totpCode(account.totpSecret, totpStep(Date.now()) + 1);
  ({ page } = await submitStep(user, page, uid, 'second_factor', { action: 'verify', code }));
  ({ page, callback } = await submitStep(user, page, uid, 'stay_signed_in', {
    stay_signed_in: 'no',
  }));
  if (!callback) throw new Error(`no redirect to the application: ${snippet(page.body)}`);
  return exchangeCode(user, callback, verifier);
}

/** Redeems the authorization code in `callback` at the token endpoint. */
export async function exchangeCode(
  user: VirtualUser,
  callback: URL,
  verifier: string,
): Promise<TokenSet> {
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in the redirect: ${callback.search}`);
  return tokenRequest(user, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: user.redirectUri,
    client_id: BENCH_CLIENT_ID,
    code_verifier: verifier,
  });
}

/** A refresh-token grant; the refresh token rotates, so the answer carries the next one. */
export async function refresh(user: VirtualUser, refreshToken: string): Promise<TokenSet> {
  return tokenRequest(user, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: BENCH_CLIENT_ID,
  });
}

/**
 * With a signed-in session, asks the authorization endpoint for a new code (single sign-on: no
 * pages); returns the callback address and the PKCE verifier to redeem it with.
 */
export async function silentAuthorization(
  user: VirtualUser,
): Promise<{ callback: URL; verifier: string }> {
  const { path, verifier } = authorizationRequest(user);
  const { page, callback } = await user.follow(await user.request('GET', path));
  if (!callback) throw new Error(`single sign-on showed a page (status ${page.status})`);
  return { callback, verifier };
}

async function tokenRequest(user: VirtualUser, fields: Record<string, string>): Promise<TokenSet> {
  const res = await send(user.agent, 'POST', user.target('/token'), {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: formBody(fields),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${res.body}`);
  const body = JSON.parse(res.body) as { access_token?: string; refresh_token?: string };
  if (!body.access_token || !body.refresh_token) throw new Error('token answer lacks a token');
  return { accessToken: body.access_token, refreshToken: body.refresh_token };
}

// The SharePoint stand-in: a separate web application that signs in through Porth like any
// standard OpenID Connect relying party, with openid-client (discovery, authorization code +
// PKCE, UserInfo, refresh, RP-initiated logout) and jose (back-channel logout tokens).
// Sessions live in this process's memory: fine for an example, not for production.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import * as oidc from 'openid-client';
import * as jose from 'jose';

/** How the example is set up. */
export interface SharePointOptions {
  /** Porth's issuer (PORTH_ISSUER), e.g. `http://localhost:3000`. */
  readonly issuer: string;
  /** The client id registered with `porth client add` (default `sharepoint`). */
  readonly clientId: string;
  /** The client secret registered with `porth client add`. */
  readonly clientSecret: string;
  /** Where browsers reach this app, without a trailing slash, e.g. `http://localhost:3100`. */
  readonly baseUrl: string;
  /** Allow an http issuer (development only). Default: true when the issuer is http. */
  readonly allowInsecureRequests?: boolean;
  /** The current time in epoch ms (default `Date.now`); tests move it to expire access tokens. */
  readonly now?: () => number;
}

/** A running example's parts, for tests. */
export interface SharePointApp {
  readonly app: Express;
  /** How many people are signed in. */
  sessionCount(): number;
  /** The back-channel logouts accepted so far. */
  readonly logouts: readonly { readonly sid: string | null; readonly sub: string | null }[];
}

interface Session {
  readonly sub: string;
  readonly sid: string | null;
  idToken: string;
  accessToken: string;
  refreshToken: string | null;
  /** Epoch ms. */
  accessTokenExpiresAt: number;
  userinfo: Record<string, unknown>;
  /** For the sign-out form. */
  readonly csrf: string;
  /** The refresh under way, which concurrent requests wait for. */
  refreshing?: Promise<Session | null> | undefined;
}

interface Pending {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly expiresAt: number;
}

const SESSION_COOKIE = 'sharepoint_session';
const PENDING_COOKIE = 'sharepoint_signin';
const PENDING_LIFETIME_MS = 15 * 60 * 1000;
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

function newId(): string {
  return randomBytes(32).toString('base64url');
}

function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} – WJEC SharePoint (example)</title>
</head>
<body>
  <header><p>WJEC SharePoint (example relying application)</p></header>
  <main>
${body}
  </main>
</body>
</html>`;
}

/** Builds the example app; call `app.listen(port)` to serve it. */
export function createSharePointApp(options: SharePointOptions): SharePointApp {
  const issuer = new URL(options.issuer);
  const now = options.now ?? Date.now;
  const insecure = options.allowInsecureRequests ?? issuer.protocol === 'http:';
  const redirectUri = `${options.baseUrl}/callback`;
  const postLogoutRedirectUri = `${options.baseUrl}/`;
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: options.baseUrl.startsWith('https:'),
    path: '/',
  };

  const sessions = new Map<string, Session>();
  const pending = new Map<string, Pending>();
  const usedLogoutTokens = new Map<string, number>();
  const logouts: { sid: string | null; sub: string | null }[] = [];

  // Discovery happens on first use and is cached; a failure is retried on the next request.
  let discovered: Promise<{
    config: oidc.Configuration;
    jwks: ReturnType<typeof jose.createRemoteJWKSet>;
  }> | null = null;
  const discover = () => {
    if (!discovered) {
      const attempt = oidc
        .discovery(
          issuer,
          options.clientId,
          undefined,
          oidc.ClientSecretBasic(options.clientSecret),
          insecure ? { execute: [oidc.allowInsecureRequests] } : {},
        )
        .then((config) => ({
          config,
          jwks: jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri ?? '')),
        }));
      discovered = attempt;
      attempt.catch(() => {
        if (discovered === attempt) discovered = null;
      });
    }
    return discovered;
  };

  const isOAuthError = (err: unknown) =>
    err instanceof oidc.ResponseBodyError ||
    err instanceof oidc.AuthorizationResponseError ||
    err instanceof oidc.WWWAuthenticateChallengeError ||
    err instanceof oidc.ClientError;

  /** Refreshes a session's tokens; null (and the session ended) when Porth refuses. */
  const refresh = async (id: string, session: Session): Promise<Session | null> => {
    const { config } = await discover();
    const refused = () => {
      // The Porth session has ended, so this one ends too.
      sessions.delete(id);
      return null;
    };
    if (!session.refreshToken) return refused();
    try {
      const tokens = await oidc.refreshTokenGrant(config, session.refreshToken);
      session.accessToken = tokens.access_token;
      session.refreshToken = tokens.refresh_token ?? session.refreshToken;
      session.idToken = tokens.id_token ?? session.idToken;
      session.accessTokenExpiresAt = now() + (tokens.expiresIn() ?? 0) * 1000;
      session.userinfo = {
        ...(await oidc.fetchUserInfo(config, session.accessToken, session.sub)),
      };
      return session;
    } catch (err) {
      if (!isOAuthError(err)) throw err;
      return refused();
    }
  };

  /** The request's session, its access token refreshed when it has expired; null when signed out. */
  const currentSession = async (req: Request, res: Response): Promise<Session | null> => {
    const id = cookies(req)[SESSION_COOKIE];
    const session = id ? sessions.get(id) : undefined;
    if (!id || !session) return null;
    if (session.accessTokenExpiresAt - 30_000 > now()) return session;
    // Requests arriving together share one refresh: a refresh token is spent only once.
    session.refreshing ??= refresh(id, session).finally(() => {
      session.refreshing = undefined;
    });
    const refreshed = await session.refreshing;
    if (!refreshed) res.clearCookie(SESSION_COOKIE, cookieOptions);
    return refreshed;
  };

  const app = express();
  app.disable('x-powered-by');

  app.get('/', async (req, res) => {
    const session = await currentSession(req, res);
    if (!session) {
      res.type('html').send(
        page(
          'Sign in',
          `    <h1>WJEC SharePoint</h1>
    <p>Training and conference sites for appointees. Sign in with your Porth account: the same
    username and password as AMP.</p>
    <p><a href="/login">Sign in</a></p>`,
        ),
      );
      return;
    }
    const u = session.userinfo;
    const rows = ['name', 'preferred_username', 'email', 'locale', 'account_kind']
      .filter((k) => u[k] !== undefined)
      .map(
        (k) => `      <tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(u[k])}</td></tr>`,
      )
      .join('\n');
    res.type('html').send(
      page(
        'Home',
        `    <h1>Welcome, ${escapeHtml(u.name ?? u.preferred_username ?? session.sub)}</h1>
    <p>You are signed in to WJEC SharePoint with your Porth account.</p>
    <table>
      <caption>Your details from Porth (UserInfo)</caption>
      <tbody>
${rows}
      </tbody>
    </table>
    <form method="post" action="/logout">
      <input type="hidden" name="csrf" value="${escapeHtml(session.csrf)}">
      <button type="submit">Sign out</button>
    </form>`,
      ),
    );
  });

  app.get('/login', async (_req, res) => {
    const { config } = await discover();
    const time = now();
    for (const [key, p] of pending) if (p.expiresAt <= time) pending.delete(key);
    const request: Pending = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      expiresAt: time + PENDING_LIFETIME_MS,
    };
    const id = newId();
    pending.set(id, request);
    res.cookie(PENDING_COOKIE, id, cookieOptions);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(request.verifier),
      code_challenge_method: 'S256',
      state: request.state,
      nonce: request.nonce,
    });
    res.redirect(303, url.href);
  });

  app.get('/callback', async (req, res) => {
    const id = cookies(req)[PENDING_COOKIE];
    const request = id ? pending.get(id) : undefined;
    if (id) pending.delete(id);
    res.clearCookie(PENDING_COOKIE, cookieOptions);
    if (!request || request.expiresAt <= now()) {
      res
        .status(400)
        .type('html')
        .send(
          page(
            'Sign-in expired',
            '    <h1>Your sign-in has expired</h1>\n    <p><a href="/login">Sign in again</a></p>',
          ),
        );
      return;
    }
    const { config } = await discover();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(req.originalUrl, options.baseUrl),
        {
          pkceCodeVerifier: request.verifier,
          expectedState: request.state,
          expectedNonce: request.nonce,
          idTokenExpected: true,
        },
      );
    } catch (err) {
      if (!isOAuthError(err)) throw err;
      res
        .status(400)
        .type('html')
        .send(
          page(
            'Not signed in',
            '    <h1>You are not signed in</h1>\n    <p><a href="/login">Try again</a></p>',
          ),
        );
      return;
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) {
      res
        .status(400)
        .type('html')
        .send(page('Not signed in', '    <h1>You are not signed in</h1>'));
      return;
    }
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    const sessionId = newId();
    sessions.set(sessionId, {
      sub: claims.sub,
      sid: typeof claims.sid === 'string' ? claims.sid : null,
      idToken: tokens.id_token,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      accessTokenExpiresAt: now() + (tokens.expiresIn() ?? 0) * 1000,
      userinfo: { ...userinfo },
      csrf: newId(),
    });
    res.cookie(SESSION_COOKIE, sessionId, cookieOptions);
    res.redirect(303, '/');
  });

  app.post('/logout', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const id = cookies(req)[SESSION_COOKIE];
    const session = id ? sessions.get(id) : undefined;
    const body = req.body as Record<string, unknown>;
    if (!id || !session) {
      res.redirect(303, '/');
      return;
    }
    if (typeof body.csrf !== 'string' || !sameSecret(body.csrf, session.csrf)) {
      res
        .status(403)
        .type('html')
        .send(
          page('Refused', '    <h1>That form has expired</h1>\n    <p><a href="/">Go back</a></p>'),
        );
      return;
    }
    sessions.delete(id);
    res.clearCookie(SESSION_COOKIE, cookieOptions);
    const { config } = await discover();
    const url = oidc.buildEndSessionUrl(config, {
      id_token_hint: session.idToken,
      post_logout_redirect_uri: postLogoutRedirectUri,
    });
    res.redirect(303, url.href);
  });

  // Porth posts a logout token here when the person signs out anywhere (OpenID Connect
  // Back-Channel Logout 1.0). openid-client has no helper for it, so jose verifies the token.
  app.post(
    '/backchannel-logout',
    express.urlencoded({ extended: false, limit: '16kb' }),
    async (req, res) => {
      res.set('Cache-Control', 'no-store');
      const token = (req.body as Record<string, unknown>).logout_token;
      const { config, jwks } = await discover();
      try {
        if (typeof token !== 'string') throw new Error('no logout_token');
        const { payload } = await jose.jwtVerify(token, jwks, {
          issuer: config.serverMetadata().issuer,
          audience: options.clientId,
          typ: 'logout+jwt',
          maxTokenAge: '5 minutes',
          clockTolerance: 30,
          requiredClaims: ['iat', 'jti', 'events'],
        });
        const events = payload.events as Record<string, unknown> | undefined;
        if (!events || typeof events[BACKCHANNEL_LOGOUT_EVENT] !== 'object') {
          throw new Error('not a logout token');
        }
        if ('nonce' in payload) throw new Error('a logout token has no nonce');
        const sid = typeof payload.sid === 'string' ? payload.sid : null;
        const sub = typeof payload.sub === 'string' ? payload.sub : null;
        if (!sid && !sub) throw new Error('no sid or sub');
        // Each token is accepted once.
        const time = now();
        for (const [jti, until] of usedLogoutTokens)
          if (until <= time) usedLogoutTokens.delete(jti);
        if (usedLogoutTokens.has(payload.jti ?? '')) throw new Error('replayed');
        usedLogoutTokens.set(payload.jti ?? '', time + 10 * 60 * 1000);
        for (const [id, s] of sessions) {
          if ((sid && s.sid === sid) || (!sid && sub && s.sub === sub)) sessions.delete(id);
        }
        logouts.push({ sid, sub });
        res.status(200).end();
      } catch {
        res.status(400).json({ error: 'invalid_request' });
      }
    },
  );

  // Porth not answering (or anything else unexpected): a plain page instead of a stack trace.
  app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    console.error(err);
    res
      .status(502)
      .type('html')
      .send(
        page(
          'Sign-in unavailable',
          '    <h1>Sorry, signing in is not available right now</h1>\n    <p>Porth could not be reached. Please try again in a few minutes.</p>',
        ),
      );
  });

  return { app, sessionCount: () => sessions.size, logouts };
}

import type { Request, Response } from 'express';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { SealedBox, randomSecret, type Clock, type RandomSource } from '@porth/identity-core';
import type { Knex } from 'knex';
import type { PortalConfig } from '../config.js';
import { builtInClient, type BuiltInApp } from '../oidc/built-in-clients.js';
import { SIGNING_ALG } from '../oidc/signing-keys.js';
import { KnexRpSessions } from './knex-rp-sessions.js';

/** The HKDF purpose of the key that seals relying-party sessions. */
export const RP_SESSION_KEY_INFO = 'porth/portal/rp-session/v1';

/** What the built-in applications ask the provider for. */
export const RP_SCOPE = 'openid profile email phone';

/** How long a sign-in may take between leaving the application and coming back. */
const PENDING_LIFETIME_MS = 30 * 60 * 1000;
/** An access token this close to its expiry is refreshed before use. */
const REFRESH_MARGIN_MS = 30 * 1000;
/** How long one request's claim to refresh the tokens holds off the others. */
const REFRESH_CLAIM_MS = 30 * 1000;
/** How long a used logout token's id is remembered (longer than the token lives). */
const LOGOUT_TOKEN_MEMORY_MS = 10 * 60 * 1000;
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What a signed-in application session holds (sealed at rest). */
export interface RpSessionData {
  readonly idToken: string;
  readonly accessToken: string;
  /** Epoch milliseconds (by the portal's clock) when the access token expires. */
  readonly accessTokenExpiresAt: number;
  readonly refreshToken: string | null;
  /** The ID token's claims, overlaid with the latest UserInfo answer. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** When the person last signed in at the provider (from the ID token's `auth_time`), epoch ms by the portal's clock. */
  readonly authTime: number | null;
  /** When the person last confirmed their password in the application, epoch ms. */
  readonly reauthenticatedAt: number | null;
  /** How the person chose to sign in (the Portal's "Sign in as …" buttons); null elsewhere. */
  readonly signedInAs: string | null;
  /** The application's own state (e.g. AMP's second factor being added). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** When a request started refreshing the tokens (epoch ms), so that others wait; null otherwise. */
  readonly refreshingSince: number | null;
}

/** A signed-in session of one built-in application. */
export interface RpSession {
  readonly id: string;
  readonly app: BuiltInApp;
  readonly accountId: string;
  readonly sid: string | null;
  readonly data: RpSessionData;
}

interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly returnTo: string;
  readonly signedInAs: string | null;
}

type SealedContents =
  | { readonly kind: 'pending'; readonly pending: PendingSignIn }
  | { readonly kind: 'session'; readonly session: RpSessionData };

/** The outcome of the sign-in callback. */
export type CallbackOutcome =
  | { readonly ok: true; readonly session: RpSession; readonly returnTo: string }
  /**
   * `expired`: no sign-in was waiting (cookie lost, too slow, or the link used twice);
   * `denied`: the person cancelled at the provider; `failed`: the provider's answer did not check out.
   */
  | { readonly ok: false; readonly reason: 'expired' | 'denied' | 'failed' };

/** The verified contents of a back-channel logout token. */
export interface LogoutToken {
  readonly jti: string;
  readonly sid: string;
  readonly sub: string | null;
}

/** What a relying party needs from the portal. */
export interface RelyingPartyOptions {
  readonly app: BuiltInApp;
  readonly config: PortalConfig;
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** A logout token that does not verify; the endpoint answers 400. */
export class InvalidLogoutTokenError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Invalid logout token: ${reason}`, options);
    this.name = 'InvalidLogoutTokenError';
  }
}

interface Discovered {
  readonly configuration: oidc.Configuration;
  readonly jwks: ReturnType<typeof jose.createRemoteJWKSet>;
}

function isOAuthFailure(err: unknown): boolean {
  return (
    err instanceof oidc.ResponseBodyError ||
    err instanceof oidc.AuthorizationResponseError ||
    err instanceof oidc.WWWAuthenticateChallengeError ||
    err instanceof oidc.ClientError
  );
}

/**
 * One built-in application (AMP or Portal) as an ordinary OpenID Connect relying party of the
 * portal's own provider, with openid-client: authorization code with PKCE, state and nonce; the
 * pending request and the tokens kept server-side in `rp_sessions`, sealed; tokens refreshed
 * when the access token expires; RP-initiated and back-channel logout.
 */
export class RelyingParty {
  /** The application's id, which is also its client id and its path (`/amp`, `/portal`). */
  readonly app: BuiltInApp;
  private readonly client: ReturnType<typeof builtInClient>;
  private readonly box: SealedBox;
  private readonly sessions: KnexRpSessions;
  private discovered: Promise<Discovered> | null = null;
  /** The sealed text each session object was read or saved as, for compare-and-swap updates. */
  private readonly readAs = new WeakMap<RpSession, string>();

  constructor(private readonly options: RelyingPartyOptions) {
    this.app = options.app;
    this.client = builtInClient(options.config, options.app);
    this.box = new SealedBox(options.config.secrets.secretKey, RP_SESSION_KEY_INFO, options.random);
    this.sessions = new KnexRpSessions(options.db, options.clock);
  }

  /** The application's base path, e.g. `/amp`. */
  get basePath(): string {
    return `/${this.app}`;
  }

  /** The name of the application's session cookie. */
  get cookieName(): string {
    return `porth_${this.app}`;
  }

  /** The provider's configuration for this client: discovered on first use, then cached. */
  async configuration(): Promise<oidc.Configuration> {
    return (await this.discover()).configuration;
  }

  private discover(): Promise<Discovered> {
    if (!this.discovered) {
      const { config } = this.options;
      const issuer = new URL(config.publicUrl);
      const insecure = issuer.protocol === 'http:' && config.env !== 'production';
      const attempt = oidc
        .discovery(
          issuer,
          this.client.id,
          { id_token_signed_response_alg: SIGNING_ALG },
          oidc.ClientSecretBasic(this.client.secret),
          { ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}), timeout: 10 },
        )
        .then((configuration) => {
          const jwksUri = configuration.serverMetadata().jwks_uri;
          if (!jwksUri) throw new Error('The provider publishes no jwks_uri');
          return { configuration, jwks: jose.createRemoteJWKSet(new URL(jwksUri)) };
        });
      this.discovered = attempt;
      // A failed discovery (provider not answering yet) is tried again on the next request.
      attempt.catch(() => {
        if (this.discovered === attempt) this.discovered = null;
      });
    }
    return this.discovered;
  }

  /**
   * Sends the browser to the provider to sign in, then back to `returnTo` (a path of this
   * application). The PKCE verifier, state and nonce stay on the server.
   */
  async startSignIn(
    req: Request,
    res: Response,
    returnTo: string,
    signedInAs: string | null = null,
    options: { readonly loginHint?: string; readonly forceLogin?: boolean } = {},
  ): Promise<void> {
    const configuration = await this.configuration();
    const previous = this.cookie(req);
    if (previous) await this.sessions.delete(this.app, previous);
    await this.sessions.deleteExpired();

    const pending: PendingSignIn = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      returnTo: this.safeReturnPath(returnTo),
      signedInAs,
    };
    const id = randomSecret(this.options.random, 32);
    await this.sessions.insert({
      id,
      app: this.app,
      accountId: null,
      sid: null,
      sealed: this.seal(id, { kind: 'pending', pending }),
      expiresAt: new Date(this.now() + PENDING_LIFETIME_MS),
    });
    this.setCookie(res, id);
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.client.redirectUris[0] ?? '',
      scope: RP_SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
      ...(res.locals.lang === 'cy' || res.locals.lang === 'en'
        ? { ui_locales: res.locals.lang }
        : {}),
      ...(options.loginHint ? { login_hint: options.loginHint } : {}),
      ...(options.forceLogin ? { prompt: 'login' } : {}),
    });
    res.redirect(303, url.href);
  }

  /**
   * The provider's answer at `/<app>/callback`: the waiting sign-in is taken (once), the code
   * exchanged with its PKCE verifier, state and nonce checked, UserInfo fetched, and a new
   * session (new id) stored and put in the cookie.
   */
  async finishSignIn(req: Request, res: Response): Promise<CallbackOutcome> {
    const pendingId = this.cookie(req);
    const record = pendingId ? await this.sessions.takePending(this.app, pendingId) : null;
    const contents = record ? this.open(record.id, record.sealed) : null;
    if (!contents || contents.kind !== 'pending') {
      // Nothing was waiting: a signed-in session in the cookie (if any) is left as it is.
      if (record) this.clearCookie(res);
      return { ok: false, reason: 'expired' };
    }
    const { pending } = contents;
    const configuration = await this.configuration();
    const currentUrl = new URL(req.originalUrl, this.options.config.publicUrl);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      this.clearCookie(res);
      if (err instanceof oidc.AuthorizationResponseError && err.error === 'access_denied') {
        return { ok: false, reason: 'denied' };
      }
      if (isOAuthFailure(err)) return { ok: false, reason: 'failed' };
      throw err;
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) return { ok: false, reason: 'failed' };
    const userinfo = await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub);
    const data: RpSessionData = {
      idToken: tokens.id_token,
      accessToken: tokens.access_token,
      accessTokenExpiresAt: this.now() + (tokens.expiresIn() ?? 0) * 1000,
      refreshToken: tokens.refresh_token ?? null,
      claims: { ...claims, ...userinfo },
      // How long ago the person signed in, by the provider's clock (iat − auth_time), anchored
      // to the portal's clock, so the two clocks never need to agree.
      authTime:
        typeof claims.auth_time === 'number'
          ? this.now() - Math.max(0, claims.iat - claims.auth_time) * 1000
          : null,
      reauthenticatedAt: null,
      signedInAs: pending.signedInAs,
      extra: {},
      refreshingSince: null,
    };
    const id = randomSecret(this.options.random, 32);
    const sid = typeof claims.sid === 'string' ? claims.sid : null;
    const sealed = this.seal(id, { kind: 'session', session: data });
    await this.sessions.insert({
      id,
      app: this.app,
      accountId: claims.sub,
      sid,
      sealed,
      expiresAt: new Date(this.now() + this.options.config.sessions.maxMs),
    });
    this.setCookie(res, id);
    const session: RpSession = { id, app: this.app, accountId: claims.sub, sid, data };
    this.readAs.set(session, sealed);
    return { ok: true, session, returnTo: pending.returnTo };
  }

  /**
   * The request's signed-in session, or null. An expired access token is refreshed first; when
   * the refresh is refused (the provider session has ended), the session ends here too.
   */
  async current(req: Request, res: Response): Promise<RpSession | null> {
    const id = this.cookie(req);
    const session = id ? await this.loadById(id) : null;
    if (!session) {
      if (id) this.clearCookie(res);
      return null;
    }
    const now = this.now();
    if (session.data.accessTokenExpiresAt - REFRESH_MARGIN_MS > now) return session;
    // Another request of this session is refreshing right now: use the session as it is (the
    // pages need its claims, not a live access token), rather than spend the refresh token twice.
    if (
      session.data.refreshingSince !== null &&
      now - session.data.refreshingSince < REFRESH_CLAIM_MS
    ) {
      return session;
    }
    const claimed = await this.swap(session, { refreshingSince: now });
    if (!claimed) return this.loadById(session.id);
    const refreshed = await this.refresh(claimed);
    if (!refreshed) {
      await this.sessions.delete(this.app, session.id);
      this.clearCookie(res);
      return null;
    }
    return refreshed;
  }

  private async loadById(id: string): Promise<RpSession | null> {
    const record = await this.sessions.find(this.app, id);
    if (!record?.accountId) return null;
    const contents = this.open(record.id, record.sealed);
    if (!contents || contents.kind !== 'session') return null;
    const session: RpSession = {
      id: record.id,
      app: this.app,
      accountId: record.accountId,
      sid: record.sid,
      data: { ...contents.session, refreshingSince: contents.session.refreshingSince ?? null },
    };
    this.readAs.set(session, record.sealed);
    return session;
  }

  private async load(req: Request): Promise<RpSession | null> {
    const id = this.cookie(req);
    return id ? this.loadById(id) : null;
  }

  private async refresh(session: RpSession): Promise<RpSession | null> {
    if (!session.data.refreshToken) return null;
    const configuration = await this.configuration();
    try {
      const tokens = await oidc.refreshTokenGrant(configuration, session.data.refreshToken);
      const claims = tokens.claims();
      if (claims && claims.sub !== session.accountId) return null;
      const userinfo = await oidc.fetchUserInfo(
        configuration,
        tokens.access_token,
        session.accountId,
      );
      return this.update(session, {
        idToken: tokens.id_token ?? session.data.idToken,
        accessToken: tokens.access_token,
        accessTokenExpiresAt: this.now() + (tokens.expiresIn() ?? 0) * 1000,
        refreshToken: tokens.refresh_token ?? session.data.refreshToken,
        claims: { ...session.data.claims, ...(claims ?? {}), ...userinfo },
        refreshingSince: null,
      });
    } catch (err) {
      if (isOAuthFailure(err)) return null;
      throw err;
    }
  }

  /**
   * Saves changes to a session's data, compare-and-swap against what was read, so a concurrent
   * request's new tokens are never overwritten with old ones (a conflict re-reads and re-applies
   * the changes). Null when the session has ended meanwhile.
   */
  async update(session: RpSession, changes: Partial<RpSessionData>): Promise<RpSession | null> {
    let current: RpSession | null = session;
    for (let attempt = 0; attempt < 3 && current; attempt++) {
      const saved = await this.swap(current, changes);
      if (saved) return saved;
      current = await this.loadById(session.id);
    }
    return null;
  }

  /** One compare-and-swap of a session's sealed data; null when it changed (or ended) since it was read. */
  private async swap(
    session: RpSession,
    changes: Partial<RpSessionData>,
  ): Promise<RpSession | null> {
    const data: RpSessionData = { ...session.data, ...changes };
    const sealed = this.seal(session.id, { kind: 'session', session: data });
    const expected = this.readAs.get(session);
    if (expected === undefined) return null;
    const saved = await this.sessions.updateSealed(this.app, session.id, sealed, expected);
    if (!saved) return null;
    const next: RpSession = { ...session, data };
    this.readAs.set(next, sealed);
    return next;
  }

  /**
   * Signs out (`POST /<app>/sign-out`): ends the local session and sends the browser to the
   * provider's end-session page with `id_token_hint` and `post_logout_redirect_uri`; the
   * provider asks to confirm, ends its session and tells every other application.
   */
  async signOut(req: Request, res: Response): Promise<void> {
    const session = await this.load(req);
    const id = this.cookie(req);
    if (id) await this.sessions.delete(this.app, id);
    this.clearCookie(res);
    if (!session) {
      res.redirect(303, `${this.basePath}/signed-out`);
      return;
    }
    const url = oidc.buildEndSessionUrl(await this.configuration(), {
      id_token_hint: session.data.idToken,
      post_logout_redirect_uri: this.client.postLogoutRedirectUris?.[0] ?? '',
      ...(res.locals.lang === 'cy' || res.locals.lang === 'en'
        ? { ui_locales: res.locals.lang }
        : {}),
    });
    res.redirect(303, url.href);
  }

  /**
   * Checks a back-channel logout token: signed by the provider (its JWKS), for this client,
   * `typ: logout+jwt`, recent, with the back-channel logout event, a `sid`, and no `nonce`.
   * Throws InvalidLogoutTokenError otherwise.
   */
  async verifyLogoutToken(token: unknown): Promise<LogoutToken> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) {
      throw new InvalidLogoutTokenError('missing');
    }
    const { configuration, jwks } = await this.discover();
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, jwks, {
        issuer: configuration.serverMetadata().issuer,
        audience: this.client.id,
        typ: 'logout+jwt',
        algorithms: [SIGNING_ALG],
        maxTokenAge: '5 minutes',
        clockTolerance: 30,
        requiredClaims: ['iat', 'jti', 'events'],
      }));
    } catch (err) {
      throw new InvalidLogoutTokenError('signature or claims', { cause: err });
    }
    const events = payload.events as Record<string, unknown> | undefined;
    const event = events && typeof events === 'object' ? events[BACKCHANNEL_LOGOUT_EVENT] : null;
    if (!event || typeof event !== 'object') throw new InvalidLogoutTokenError('no logout event');
    if ('nonce' in payload) throw new InvalidLogoutTokenError('has a nonce');
    if (typeof payload.sid !== 'string' || payload.sid.length === 0) {
      throw new InvalidLogoutTokenError('no sid');
    }
    if (typeof payload.jti !== 'string') throw new InvalidLogoutTokenError('no jti');
    return {
      jti: payload.jti,
      sid: payload.sid,
      sub: typeof payload.sub === 'string' ? payload.sub : null,
    };
  }

  /**
   * `POST /<app>/backchannel-logout`: a verified, not yet used logout token deletes this
   * application's sessions of that provider session. 200 when done, 400 for anything else.
   */
  async backchannelLogout(req: Request, res: Response): Promise<void> {
    res.set('Cache-Control', 'no-store');
    const body = req.body as Record<string, unknown> | undefined;
    let token: LogoutToken;
    try {
      token = await this.verifyLogoutToken(body?.logout_token);
    } catch (err) {
      if (!(err instanceof InvalidLogoutTokenError)) throw err;
      res.status(400).json({ error: 'invalid_request', error_description: 'invalid logout token' });
      return;
    }
    const fresh = await this.sessions.rememberLogoutToken(
      this.app,
      token.jti,
      new Date(this.now() + LOGOUT_TOKEN_MEMORY_MS),
    );
    if (!fresh) {
      res
        .status(400)
        .json({ error: 'invalid_request', error_description: 'logout token replayed' });
      return;
    }
    await this.sessions.deleteForLogout(this.app, {
      sid: token.sid,
      ...(token.sub ? { accountId: token.sub } : {}),
    });
    res.status(200).end();
  }

  /** Ends the request's local session without going to the provider. */
  async endLocal(req: Request, res: Response): Promise<void> {
    const id = this.cookie(req);
    if (id) await this.sessions.delete(this.app, id);
    this.clearCookie(res);
  }

  /** A path of this application to return to; anything else becomes the application's home. */
  safeReturnPath(path: unknown): string {
    if (
      typeof path === 'string' &&
      path.length <= 512 &&
      (path === this.basePath ||
        path.startsWith(`${this.basePath}/`) ||
        path.startsWith(`${this.basePath}?`)) &&
      !/[\\\s]/.test(path) &&
      !path.includes('//')
    ) {
      return path;
    }
    return this.basePath;
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }

  private cookie(req: Request): string | null {
    const value = (req.cookies as Record<string, unknown> | undefined)?.[this.cookieName];
    return typeof value === 'string' && value.length > 0 ? value : null;
  }

  private cookieOptions() {
    return {
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.options.config.env === 'production',
      path: this.basePath,
    };
  }

  private setCookie(res: Response, id: string): void {
    res.cookie(this.cookieName, id, this.cookieOptions());
  }

  private clearCookie(res: Response): void {
    res.clearCookie(this.cookieName, this.cookieOptions());
  }

  private label(id: string): string {
    return `rp-session:${this.app}:${id}`;
  }

  private seal(id: string, contents: SealedContents): string {
    return this.box.seal(this.label(id), Buffer.from(JSON.stringify(contents), 'utf8'));
  }

  private open(id: string, sealed: string): SealedContents | null {
    const plain = this.box.open(this.label(id), sealed);
    if (!plain) return null;
    try {
      return JSON.parse(plain.toString('utf8')) as SealedContents;
    } catch {
      return null;
    }
  }
}

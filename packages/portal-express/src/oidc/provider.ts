import type { Knex } from 'knex';
import type { JWK } from 'jose';
import Provider, {
  interactionPolicy,
  errors,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import {
  DatabaseUnavailableError,
  KnexAccountRepository,
  KnexAuditLog,
  centreClaims,
  isConnectionError,
  type Clock,
  type RandomSource,
} from '@porth/identity-core';
import type { PortalConfig } from '../config.js';
import type { PageContext, ViewRenderer } from '../views-engine/renderer.js';
import { ACR, SCOPE_CLAIMS, accountClaims } from './claims.js';
import { clientSecretMatches, type KnexClientRegistry } from './clients.js';
import { KnexOidcAdapter } from './knex-adapter.js';
import { SIGNING_ALG } from './signing-keys.js';

/** The provider's own routes; every other path is served by the portal. */
export const PROVIDER_ROUTES = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  jwks: '/jwks',
  end_session: '/session/end',
  revocation: '/token/revocation',
} as const;

const PROVIDER_PATH_PREFIXES = [...Object.values(PROVIDER_ROUTES), '/.well-known/'];

/** True when a request path belongs to the OpenID Connect provider. */
export function isProviderPath(path: string): boolean {
  return PROVIDER_PATH_PREFIXES.some(
    (p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`),
  );
}

/** What the provider needs from the portal. */
export interface ProviderDependencies {
  readonly config: PortalConfig;
  readonly db: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly views: ViewRenderer;
  readonly clients: KnexClientRegistry;
  /** Private signing keys, the current one first. */
  readonly jwks: readonly JWK[];
  readonly logError: (err: unknown) => void;
}

const ONE_HOUR = 60 * 60;

/**
 * Builds the OpenID Connect provider: authorization code with PKCE only, refresh tokens,
 * RP-initiated and back-channel logout, everything stored through the knex adapter, pages
 * rendered by the portal in the user's language.
 */
export function createProvider(deps: ProviderDependencies): Provider {
  const { config, db, clock, views } = deps;
  const production = config.env === 'production';
  const seconds = (ms: number) => Math.max(1, Math.floor(ms / 1000));
  /** True when a "Stay signed in? No" session signed in at `loginTs` is past SESSION_MAX_HOURS. */
  const pastMaxAge = (loginTs: number) =>
    clock.now().getTime() / 1000 - loginTs > seconds(config.sessions.maxMs);

  const policy = interactionPolicy.base();
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider has no login prompt');
  // An account disabled or deleted while its session lives must sign in again (and then fails).
  login.checks.add(
    new interactionPolicy.Check(
      'account_unavailable',
      'the account is no longer active',
      (ctx) => Boolean(ctx.oidc.session?.accountId) && !ctx.oidc.account,
    ),
    0,
  );
  // "Stay signed in? No": the session lasts at most SESSION_MAX_HOURS whatever the activity.
  login.checks.add(
    new interactionPolicy.Check(
      'session_max_age',
      'the session has reached its maximum age',
      (ctx) => {
        const session = ctx.oidc.session;
        if (!session?.accountId || !session.transient || typeof session.loginTs !== 'number')
          return false;
        return pastMaxAge(session.loginTs);
      },
    ),
  );
  // A client asking for a stronger second factor than the session used gets a new sign-in. That
  // sign-in offers only the stronger factors; an account with nothing but email codes signs in
  // with one and is not asked again (the client reads `acr` and decides).
  login.checks.add(
    new interactionPolicy.Check('acr_too_weak', 'a stronger second factor is required', (ctx) => {
      const wanted = String(ctx.oidc.params?.acr_values ?? '').split(' ');
      return (
        !ctx.oidc.result?.login &&
        Boolean(ctx.oidc.session?.accountId) &&
        wanted.includes(ACR.mfa) &&
        ctx.oidc.session?.acr !== ACR.mfa
      );
    }),
  );

  const render = (ctx: KoaContextWithOIDC, view: string, data: Record<string, unknown>) => {
    const locals = (ctx.res as unknown as { locals?: Record<string, unknown> }).locals ?? {};
    ctx.type = 'html';
    ctx.body = views.render(view, { ...locals, ...data } as PageContext);
  };

  const configuration: Configuration = {
    adapter: (name: string) =>
      name === 'Client' ? deps.clients.adapter() : new KnexOidcAdapter(db, clock, name),
    jwks: { keys: deps.jwks as JWK[] } as Configuration['jwks'],
    cookies: {
      keys: [...config.secrets.cookieKeys],
      long: { httpOnly: true, sameSite: 'lax', secure: production },
      short: { httpOnly: true, sameSite: 'lax', secure: production },
      names: { session: 'porth_session', interaction: 'porth_interaction', resume: 'porth_resume' },
    },
    routes: PROVIDER_ROUTES,
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // ID tokens carry every claim their scopes release (name, email, centres …), not only the
    // `openid` ones, so an application has what it needs without calling UserInfo.
    conformIdTokenClaims: false,
    claims: Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([k, v]) => [k, [...v]])),
    scopes: ['openid', 'offline_access', 'profile', 'email', 'phone'],
    acrValues: [ACR.mfa, ACR.mfaEmail],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: SIGNING_ALG,
    },
    extraClientMetadata: {
      properties: ['first_party'],
      validator(_ctx, key, value) {
        if (key === 'first_party' && value !== undefined && typeof value !== 'boolean') {
          throw new Error('first_party must be true or false');
        }
      },
    },
    pkce: { required: () => true },
    // Only a hash of a client secret is stored, so methods that need the secret itself
    // (client_secret_jwt) cannot be offered.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: false },
      clientCredentials: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) =>
          render(ctx, 'sign-out/confirm', { titleKey: 'sign_out.title', form }),
        postLogoutSuccessSource: async (ctx) =>
          render(ctx, 'sign-out/done', { titleKey: 'sign_out.done_title' }),
      },
    },
    ttl: {
      AccessToken: 10 * 60,
      AuthorizationCode: 60,
      IdToken: ONE_HOUR,
      Interaction: ONE_HOUR,
      RefreshToken: seconds(config.sessions.rememberedMs),
      Grant: seconds(config.sessions.rememberedMs),
      // Sliding: every visit to the provider pushes the expiry on by this much.
      Session: (_ctx, session) =>
        session.transient ? seconds(config.sessions.idleMs) : seconds(config.sessions.rememberedMs),
    },
    // Refresh tokens for every client allowed them, bound to the session: they end with it.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Every renewal gets a new refresh token. Renewals also keep a "Stay signed in? No" session
    // alive: the applications renew their tokens while someone works in them, and each renewal
    // slides the idle expiry, as a visit to the provider does; left alone for
    // SESSION_IDLE_MINUTES, the session ends. (Done here, inside the grant, so the renewal's
    // answer is sent only once the session has been moved on.)
    async rotateRefreshToken(ctx) {
      const sessionUid = (ctx.oidc.entities.RefreshToken as { sessionUid?: string } | undefined)
        ?.sessionUid;
      const session = sessionUid
        ? await ctx.oidc.provider.Session.findByUid(sessionUid)
        : undefined;
      if (session?.transient) {
        // SESSION_MAX_HOURS holds here too: renewing cannot keep a "No" session beyond it.
        if (pastMaxAge(session.loginTs ?? 0)) {
          await session.destroy();
          throw new errors.InvalidGrant('the session has reached its maximum age');
        }
        await session.save(seconds(config.sessions.idleMs));
      }
      return true;
    },
    async loadExistingGrant(ctx) {
      const { client, session, result, provider } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      let grant = grantId ? await provider.Grant.find(grantId) : undefined;
      if (!(client as unknown as { first_party?: boolean }).first_party) return grant;
      grant ??= new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, sub) {
      const account = await new KnexAccountRepository(db, clock, deps.random).findById(sub);
      if (!account || account.status !== 'active') return undefined;
      return {
        accountId: account.id,
        // The centres are read when the claims are released, so each new ID token and every
        // UserInfo answer carries the account's centres, roles and permissions as they are now.
        claims: async () => ({
          ...accountClaims(account, await centreClaims(db, account.id)),
          sub: account.id,
        }),
      };
    },
    async renderError(ctx, out, error) {
      if (error instanceof DatabaseUnavailableError || isConnectionError(error)) {
        // The database is away: the portal's own "temporarily unavailable" page, not a failure.
        ctx.status = 503;
        ctx.set('Retry-After', '30');
        render(ctx, 'errors/unavailable', {});
        return;
      }
      if (!(error instanceof Error && 'expose' in error && error.expose)) deps.logError(error);
      render(ctx, 'errors/oidc', { titleKey: 'oidc_error.title', error: out.error });
    },
    // Back-channel logout tokens go to the registered clients' URIs, which only administrators
    // set (`porth client add`); internal addresses are therefore allowed, unlike the default.
    fetch: (input, init) => {
      const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & {
        dispatcher?: unknown;
      };
      return globalThis.fetch(input, rest);
    },
  };

  const provider = new Provider(config.publicUrl, configuration);
  provider.proxy = production;
  // A path or method the provider does not serve (POST /auth, /token/introspection …): the
  // portal's own "page not found" in the user's language, not a bare "Not Found".
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && (ctx.body === undefined || ctx.body === null)) {
      render(ctx as KoaContextWithOIDC, 'errors/not-found', {});
      ctx.status = 404;
    }
  });
  provider.Client.prototype.compareClientSecret = async function (
    this: { clientSecret?: string },
    actual: string,
  ) {
    return clientSecretMatches(this.clientSecret, actual);
  };

  const audit = new KnexAuditLog(db, clock);
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    void audit
      .append({
        type: 'sign_out',
        outcome: 'success',
        accountId: ctx.oidc.session?.accountId ?? null,
        ip: ctx.ip,
      })
      .catch(deps.logError);
  });
  provider.on('backchannel.error', (_ctx: unknown, err: unknown, client: { clientId?: string }) => {
    deps.logError(
      new Error(`Back-channel logout to ${client?.clientId ?? 'a client'} failed`, { cause: err }),
    );
  });
  provider.on('server_error', (_ctx: unknown, err: unknown) => deps.logError(err));
  return provider;
}

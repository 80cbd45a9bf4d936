import { expect } from 'chai';
import type { AllowedRedirect, AnswerPolicy } from './support/checks.js';
import { answerProblems } from './support/checks.js';
import { DatabaseSnapshots, type Row, type RowChange } from './support/db-snapshot.js';
import {
  badRequest,
  type BadRequest,
  type EndpointShape,
  type Target,
} from './support/payloads.js';
import { PROVIDER_ROUTES } from '../../packages/portal-express/src/oidc/provider.js';
import { Prng, runSeed } from './support/prng.js';
import { header, sendRaw, type RawResponse } from './support/raw-http.js';
import { declaredRoutes } from './support/routes.js';
import {
  buildWorld,
  type Interaction,
  type InteractionState,
  type Session,
  type World,
} from './support/world.js';

/*
 * Bad input: a generator posts malformed requests (missing, duplicated and nested
 * fields, other types, 1 MB fields, control characters and NUL, invalid UTF-8, emoji, SQL and
 * template injection, markup, broken percent-encoding, wrong content types, empty bodies,
 * thousands of parameters, long and odd headers, odd path parameters) to every form and JSON
 * endpoint of a real portal on 127.0.0.1, from the sessions, flows and links each one needs.
 *
 * Every answer must be: never a 5xx; a 4xx with a clear message (an HTML page with a heading in
 * the language asked for, or an OAuth JSON error on the provider's JSON endpoints), or a
 * redirect or 2xx the endpoint's row explains; never a stack trace, `[object Object]`, an
 * evaluated template or the markup sent coming back unescaped. Every base form is one the
 * endpoint refuses (a stale version, a wrong password, a member who does not exist …), so that
 * a malformed field can never turn it into a change. Before and after each batch, every row of
 * every table is compared: only the effects listed in the row may differ. One check reads
 * the portal's routers, so a POST route added later without a row here fails the run.
 *
 * Everything is drawn from one seed; a failure names it: repeat with BAD_INPUT_SEED=<seed>.
 * BAD_INPUT_SCALE (default 1) multiplies the number of requests.
 */

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
const SEED = runSeed();
const SCALE = Number(process.env.BAD_INPUT_SCALE ?? '1') || 1;
const CONCURRENCY = 6;
const BATCH = 100;
const FORM_LIMIT = 32 * 1024;

/** A change to the database that a refused request may make, and why. */
interface Effect {
  readonly table: string;
  readonly why: string;
  /** Which rows may differ (default: any row of the table). */
  readonly rows?: (row: Row, world: World) => boolean;
  /** For a row that was there before and after: whether this change of it is the one allowed. */
  readonly change?: (before: Row, after: Row) => boolean;
}

/** One row of the endpoint table. */
interface Endpoint extends EndpointShape, AnswerPolicy {
  /** How the valid CSRF token, session, flow or link for it is got. */
  readonly setup: string;
  /** The base form, and why it is refused whatever one field says. */
  readonly base: string;
  readonly effects: readonly Effect[];
  /** How many malformed requests (before BAD_INPUT_SCALE). */
  readonly requests: number;
  /** The body limit of its form parser. */
  readonly limit?: number;
  /** Requests to one target go one after another (they change its flow). */
  readonly serial?: boolean;
  targets(world: World): Promise<Target[]>;
  /** After an answer that moved a flow on (an accepted username): look at it, and put it back. */
  readonly recover?: (
    world: World,
    target: Target,
    res: RawResponse,
    bad: BadRequest,
  ) => Promise<string[]>;
}

// Effects a refusal may have ------------------------------------------------------------------------

const failureAudit = (types: RegExp, why: string): Effect => ({
  table: 'audit_events',
  why,
  rows: (r) => r.outcome !== 'success' && types.test(r.type ?? ''),
});
const THROTTLE: Effect = {
  table: 'throttle_counters',
  why: 'failed attempts are counted (throttling)',
};
const LOCKOUTS: Effect = { table: 'lockouts', why: 'failed attempts are counted (lockout)' };
const OWN_FLOWS = (why: string): Effect => ({
  table: 'flows',
  why,
  rows: (r, w) => w.flowIds.has(r.id ?? ''),
});
/** The provider's session of the signed-in browser, with only the payload keys `keys` changed. */
const sessionTouched = (keys: readonly string[], why: string): Effect => ({
  table: 'oidc_models',
  why,
  change: (before, after) => {
    if (before.model !== 'Session' || after.model !== 'Session') return false;
    const strip = (row: Row) => {
      const payload = Object.entries(JSON.parse(row.payload ?? '{}') as Record<string, unknown>);
      const kept = Object.fromEntries(payload.filter(([key]) => !keys.includes(key)));
      return JSON.stringify({ ...row, payload: kept, expires_at: null });
    };
    return strip(before) === strip(after);
  },
});
const SESSION_ROLLS: Effect = sessionTouched(
  ['exp'],
  "every request of a signed-in browser moves its session's expiry on (a rolling session)",
);
const PENDING_SIGN_IN: Effect = {
  table: 'rp_sessions',
  why: 'a request without a valid session cookie starts a sign-in (a pending row, no account)',
  rows: (r) => r.account_id === null,
};

// Redirects a malformed request may get ----------------------------------------------------------------

const TO_STEP: AllowedRedirect = {
  to: /^\/interaction\/[^/?#]+(\?.*)?$/,
  why: 'a post meant for another step shows the step the sign-in is at',
};
const TO_CLIENT_ERROR: AllowedRedirect = {
  to: /^http:\/\/127\.0\.0\.1:\d+\/fuzz-callback\?(.*&)?error=/,
  why: "the provider returns an OAuth error to the client's registered redirect URI",
};
const TO_SIGN_IN: AllowedRedirect = {
  to: /^http:\/\/127\.0\.0\.1:\d+\/auth\?/,
  why: 'without a valid session cookie, a signed-in page starts a sign-in at the provider',
};
const AMP_REAUTH: AllowedRedirect = {
  to: /^\/amp\/confirm-password\?next=/,
  why: 'a security change asks for the password again after 15 minutes',
};
const PORTAL_START: AllowedRedirect = {
  to: /^\/portal$/,
  why: 'without a valid Portal session cookie, the Portal shows its start page',
};

// Targets ---------------------------------------------------------------------------------------------

function form(
  label: string,
  session: Session,
  fields: Record<string, string>,
  params: Record<string, string> = {},
  query?: string,
): Target {
  return {
    label,
    params,
    cookies: session.cookies,
    fields: [['_csrf', session.csrf], ...Object.entries(fields)],
    ...(query ? { query } : {}),
  };
}

function plain(label: string, cookies: string, fields: Record<string, string>): Target {
  return { label, params: {}, cookies, fields: Object.entries(fields) };
}

function step(state: InteractionState, fields: Record<string, string>) {
  return async (w: World): Promise<Target[]> =>
    w.interactions[state].map((i: Interaction) =>
      form(`sign-in at ${state}`, i, fields, { uid: i.uid, state }),
    );
}

const JUNK_JWT = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiaXNzIjoieCJ9.';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const authFields = (w: World): Record<string, string> => ({
  client_id: w.client.id,
  redirect_uri: w.client.redirectUri,
  response_type: 'code',
  scope: 'openid profile email',
  state: 'Zm9vYmFy',
  code_challenge: CHALLENGE,
  code_challenge_method: 'plain',
  nonce: 'bm9uY2U',
  login_hint: 'someone@example.org',
  ui_locales: 'cy en',
  max_age: '3600',
});

// The endpoint table --------------------------------------------------------------------------------------

const SIGN_IN_STEP = '/interaction/:uid/:state';

/** The parameters of an authorization request. */
const AUTHORIZATION_FIELDS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'prompt',
  'login_hint',
  'ui_locales',
  'max_age',
  'acr_values',
  'claims',
];

const ENDPOINTS: readonly Endpoint[] = [
  // The provider (oidc-provider behind /auth, /token, /me, /token/revocation, /session/end).
  {
    method: 'GET',
    pattern: '/auth',
    query: true,
    csrfOnly: false,
    json: false,
    params: [],
    fields: AUTHORIZATION_FIELDS,
    setup: 'a browser signed in at the provider (its session cookies)',
    base: 'an authorization request of a registered public client with code_challenge_method=plain (PKCE is S256 only)',
    redirects: [TO_CLIENT_ERROR],
    effects: [SESSION_ROLLS],
    requests: 260,
    targets: async (w) => [plain('signed-in browser', w.provider.cookies, authFields(w))],
  },
  {
    method: 'POST',
    pattern: '/auth',
    query: false,
    csrfOnly: false,
    json: false,
    params: [],
    fields: AUTHORIZATION_FIELDS,
    setup: 'a browser signed in at the provider (its session cookies)',
    base: 'as GET /auth, as a form post: the provider takes authorization requests by GET only, so every post gets the not-found page',
    effects: [],
    requests: 100,
    targets: async (w) => [plain('signed-in browser', w.provider.cookies, authFields(w))],
  },
  {
    method: 'POST',
    pattern: '/token',
    query: false,
    csrfOnly: false,
    json: true,
    params: [],
    fields: [
      'grant_type',
      'code',
      'redirect_uri',
      'code_verifier',
      'client_id',
      'refresh_token',
      'scope',
    ],
    setup: 'none: a public client authenticates with client_id only',
    base: 'an authorization_code grant of the public client with a code that was never issued',
    effects: [],
    requests: 220,
    targets: async (w) => [
      plain('public client', '', {
        grant_type: 'authorization_code',
        code: 'bm90LWEtcmVhbC1jb2RlLWF0LWFsbC1qdW5rLWp1bmst',
        redirect_uri: w.client.redirectUri,
        code_verifier: 'x'.repeat(43),
        client_id: w.client.id,
      }),
    ],
  },
  {
    method: 'POST',
    pattern: '/token',
    query: false,
    csrfOnly: false,
    json: true,
    params: [],
    fields: ['@authorization', 'grant_type', 'refresh_token', 'scope'],
    setup: 'a confidential client registered for the run (Basic authentication)',
    base: 'a refresh_token grant with a refresh token that was never issued',
    effects: [],
    requests: 180,
    targets: async (w) => [
      plain('confidential client', '', {
        '@authorization': `Basic ${Buffer.from(`${w.confidential.id}:${w.confidential.secret}`).toString('base64')}`,
        grant_type: 'refresh_token',
        refresh_token: 'bm90LWEtcmVmcmVzaC10b2tlbi1qdW5rLWp1bmstanVuaw',
      }),
    ],
  },
  {
    method: 'GET',
    pattern: '/me',
    query: true,
    csrfOnly: false,
    json: true,
    params: [],
    fields: ['@authorization', 'claims'],
    setup: 'none: a bearer token in the Authorization header',
    base: 'a bearer access token that was never issued',
    effects: [],
    requests: 150,
    targets: async () => [plain('bearer', '', { '@authorization': `Bearer ${'A'.repeat(43)}` })],
  },
  {
    method: 'POST',
    pattern: '/me',
    query: false,
    csrfOnly: false,
    json: true,
    params: [],
    fields: ['access_token', '@authorization'],
    setup: 'none: the access token as a form field',
    base: 'an access token that was never issued',
    effects: [],
    requests: 150,
    targets: async () => [plain('form token', '', { access_token: 'A'.repeat(43) })],
  },
  {
    method: 'POST',
    pattern: '/token/revocation',
    query: false,
    csrfOnly: false,
    json: true,
    params: [],
    fields: ['client_id', 'token', 'token_type_hint'],
    setup: 'none: the public client authenticates with client_id only',
    base: 'revoking a token that was never issued',
    ok: 'RFC 7009: revoking a token the server does not know answers 200 and changes nothing',
    effects: [],
    requests: 150,
    targets: async (w) => [
      plain('public client', '', {
        client_id: w.client.id,
        token: 'B'.repeat(43),
        token_type_hint: 'access_token',
      }),
    ],
  },
  {
    method: 'POST',
    pattern: '/token/introspection',
    query: false,
    csrfOnly: false,
    json: false,
    client: true,
    params: [],
    fields: ['@authorization', 'token', 'token_type_hint'],
    setup: 'the confidential client (Basic authentication)',
    base: 'introspection is not offered (access tokens are opaque to clients and checked at /me), so every request gets the not-found page',
    effects: [],
    requests: 100,
    targets: async (w) => [
      plain('confidential client', '', {
        '@authorization': `Basic ${Buffer.from(`${w.confidential.id}:${w.confidential.secret}`).toString('base64')}`,
        token: 'B'.repeat(43),
        token_type_hint: 'access_token',
      }),
    ],
  },
  {
    method: 'GET',
    pattern: '/session/end',
    query: true,
    csrfOnly: false,
    json: false,
    params: [],
    fields: [
      'id_token_hint',
      'post_logout_redirect_uri',
      'state',
      'ui_locales',
      'client_id',
      'logout_hint',
    ],
    setup: 'a browser signed in at the provider (its session cookies)',
    base: 'a logout with an unsigned (alg none) id_token_hint and a registered post-logout URI',
    ok: 'without a usable id_token_hint the provider asks "Sign out?" (a question: nothing is done until it is answered)',
    effects: [
      sessionTouched(
        ['exp', 'state'],
        'the "Sign out?" page keeps its one-time xsrf value in the session; the session rolls on',
      ),
    ],
    requests: 160,
    targets: async (w) => [
      plain('signed-in browser', w.provider.cookies, {
        id_token_hint: JUNK_JWT,
        post_logout_redirect_uri: w.client.postLogoutUri,
        state: 'c3RhdGU',
      }),
    ],
  },
  {
    method: 'POST',
    pattern: '/session/end',
    query: false,
    csrfOnly: false,
    json: false,
    params: [],
    fields: [
      'id_token_hint',
      'post_logout_redirect_uri',
      'state',
      'ui_locales',
      'client_id',
      'logout_hint',
    ],
    setup: 'a browser signed in at the provider (its session cookies)',
    base: 'as GET /session/end, as a form post: logout is taken by GET only, so every post gets the not-found page',
    effects: [],
    requests: 100,
    targets: async (w) => [
      plain('signed-in browser', w.provider.cookies, {
        id_token_hint: JUNK_JWT,
        post_logout_redirect_uri: w.client.postLogoutUri,
        state: 'c3RhdGU',
      }),
    ],
  },
  {
    method: 'POST',
    pattern: '/session/end/confirm',
    query: false,
    csrfOnly: false,
    json: false,
    params: [],
    fields: ['xsrf', 'logout'],
    setup: 'a browser signed in at the provider (its session cookies)',
    base: 'a logout confirmation with an xsrf token the provider never gave',
    effects: [SESSION_ROLLS],
    requests: 140,
    targets: async (w) => [
      plain('signed-in browser', w.provider.cookies, { xsrf: 'x'.repeat(43), logout: 'yes' }),
    ],
  },

  // The sign-in pages (one route, /interaction/:uid/:state; each step is its own form).
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: false,
    json: false,
    params: ['uid', 'state'],
    fields: ['username', 'action'],
    setup: 'six sign-ins of a public client, each at "Username" (interaction cookie + CSRF token)',
    base: 'an empty username (any non-empty username of up to 320 characters is accepted: unknown ones get the same answer)',
    redirects: [TO_STEP],
    effects: [
      OWN_FLOWS(
        'an accepted username is kept in the sign-in, which moves on to "Password"; the run looks at that page, then goes back with "Change username"',
      ),
    ],
    requests: 300,
    serial: true,
    targets: step('username', { username: '' }),
    recover: async (w, t, res) => recoverUsername(w, t, res),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: false,
    json: false,
    params: ['uid', 'state'],
    fields: ['password', 'action'],
    setup: 'a sign-in at "Password" for an existing account',
    base: 'a wrong password',
    redirects: [TO_STEP],
    effects: [failureAudit(/^sign_in/, 'a wrong password is audited'), THROTTLE, LOCKOUTS],
    requests: 220,
    targets: step('password', { password: 'Wrong-Password-1!' }),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: false,
    json: false,
    params: ['uid', 'state'],
    fields: ['password', 'action'],
    setup: 'a sign-in at the migration page of a legacy account',
    base: 'a wrong legacy password',
    redirects: [TO_STEP],
    effects: [
      failureAudit(/^(sign_in|migration)/, 'a wrong legacy password is audited'),
      THROTTLE,
      LOCKOUTS,
    ],
    requests: 200,
    targets: step('migrate', { password: 'not-the-legacy-password' }),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: true,
    json: false,
    params: ['uid', 'state'],
    fields: ['_csrf', 'action'],
    setup: 'a legacy account just migrated: the sign-in at "Important information"',
    base: 'any valid form moves on ("Proceed"), so every request has a broken CSRF token',
    redirects: [TO_STEP],
    effects: [],
    requests: 120,
    targets: step('migrated', { action: 'proceed' }),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: false,
    json: false,
    params: ['uid', 'state'],
    fields: ['code', 'action', 'factor_id'],
    setup: 'a sign-in at the second factor (authenticator app)',
    base: 'a code that is not six digits',
    redirects: [TO_STEP],
    effects: [failureAudit(/^mfa/, 'a wrong code is audited'), THROTTLE, LOCKOUTS],
    requests: 220,
    targets: step('second_factor', { action: 'verify', code: 'abcdef' }),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: false,
    json: false,
    params: ['uid', 'state'],
    fields: ['action', 'method', 'phone', 'delivery', 'code', 'risks'],
    setup: 'a sign-in of an account without a second factor, at "Set up a second step"',
    base: 'choosing a method that does not exist',
    redirects: [TO_STEP],
    effects: [
      {
        table: 'flows',
        why: 'an action that does not fit where the set-up stands shows the set-up page again with a note (the flow is saved, its step unchanged)',
        change: (before, after) => before.state === 'mfa_setup' && after.state === 'mfa_setup',
      },
    ],
    requests: 220,
    serial: true,
    targets: step('mfa_setup', { action: 'choose', method: 'bogus' }),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: true,
    json: false,
    params: ['uid', 'state'],
    fields: ['_csrf'],
    setup: 'a sign-in that has just set up an authenticator app, at the recovery codes',
    base: 'any valid form moves on, so every request has a broken CSRF token',
    redirects: [TO_STEP],
    effects: [],
    requests: 100,
    targets: step('recovery_codes', {}),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: false,
    json: false,
    params: ['uid', 'state'],
    fields: ['new_password', 'confirm_password'],
    setup: 'a sign-in of an account that must change its password, at "Change your password"',
    base: 'a one-letter new password and a different confirmation',
    redirects: [TO_STEP],
    effects: [],
    requests: 200,
    targets: step('update_password', { new_password: 'x', confirm_password: 'y' }),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: false,
    json: false,
    params: ['uid', 'state'],
    fields: ['given_name', 'family_name', 'email', 'phone', 'teaching_centre'],
    setup: 'a sign-in of an account with missing details, at "Check your details"',
    base: 'no first name and an email address that is not one',
    redirects: [TO_STEP],
    effects: [],
    requests: 220,
    targets: step('update_profile', {
      given_name: '',
      family_name: 'Hughes',
      email: 'not-an-email',
      phone: '',
      teaching_centre: '',
    }),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: false,
    json: false,
    params: ['uid', 'state'],
    fields: ['stay_signed_in'],
    setup: 'a sign-in past its second factor, at "Stay signed in?"',
    base: 'an answer that is neither yes nor no',
    redirects: [TO_STEP],
    effects: [],
    requests: 160,
    targets: step('stay_signed_in', { stay_signed_in: 'maybe' }),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: true,
    json: false,
    params: ['uid', 'state'],
    fields: ['_csrf', 'decision'],
    setup: 'a signed-in browser asked to consent for a third-party client',
    base: 'any valid form finishes (allow or deny), so every request has a broken CSRF token',
    redirects: [TO_STEP],
    effects: [],
    requests: 100,
    targets: step('consent', { decision: 'allow' }),
  },
  {
    method: 'POST',
    pattern: SIGN_IN_STEP,
    query: false,
    csrfOnly: true,
    json: false,
    params: ['uid', 'state'],
    fields: ['_csrf'],
    setup: 'a sign-in at "Username" (cancel)',
    base: 'a valid form cancels the sign-in, so every request has a broken CSRF token',
    redirects: [TO_STEP],
    effects: [],
    requests: 100,
    targets: step('abort', {}),
  },

  // Account recovery and invitations.
  {
    method: 'POST',
    pattern: '/forgotten-username',
    query: false,
    csrfOnly: false,
    json: false,
    params: [],
    fields: ['email'],
    setup: 'a browser that opened the page (CSRF cookie and token)',
    base: 'an email address that is not one',
    effects: [],
    requests: 180,
    limit: FORM_LIMIT,
    targets: async (w) => [form('anonymous', w.anonymous, { email: 'not-an-email' })],
  },
  {
    method: 'POST',
    pattern: '/forgotten-password',
    query: false,
    csrfOnly: false,
    json: false,
    params: [],
    fields: ['username', 'answer', 'challenge'],
    setup: 'a browser that opened the page (CSRF token and the question it was asked)',
    base: 'an answer that is not a number',
    effects: [
      THROTTLE,
      {
        table: 'one_time_tokens',
        why: 'every post uses its question up, and the page shown again asks a new one',
        rows: (r) => r.account_id === null,
      },
    ],
    requests: 200,
    targets: async (w) => {
      const page = await sendRaw(w.port, {
        method: 'GET',
        target: '/forgotten-password',
        headers: [['Cookie', w.anonymous.cookies]],
      });
      const challenge = /name="challenge" value="([^"]*)"/.exec(page.text)?.[1] ?? '';
      const csrf = /name="_csrf" value="([^"]*)"/.exec(page.text)?.[1] ?? w.anonymous.csrf;
      return [
        form(
          'anonymous',
          { ...w.anonymous, csrf },
          { username: 'someone', answer: 'banana', challenge },
        ),
      ];
    },
  },
  {
    method: 'POST',
    pattern: '/forgotten-password/reset/:token',
    query: false,
    csrfOnly: false,
    json: false,
    params: ['token'],
    fields: ['new_password', 'confirm_password'],
    setup: "a reset link emailed to an active account's address",
    base: 'a one-letter new password and a different confirmation',
    effects: [],
    requests: 180,
    targets: async (w) => [
      form(
        'reset link',
        w.anonymous,
        { new_password: 'x', confirm_password: 'y' },
        { token: w.resetToken },
      ),
    ],
  },
  {
    method: 'POST',
    pattern: '/forgotten-password/legacy/:token',
    query: false,
    csrfOnly: false,
    json: false,
    params: ['token'],
    fields: ['new_password', 'confirm_password'],
    setup: "a reset link emailed to a legacy account's address",
    base: 'a one-letter new password and a different confirmation',
    effects: [],
    requests: 180,
    targets: async (w) => [
      form(
        'legacy reset link',
        w.anonymous,
        { new_password: 'x', confirm_password: 'y' },
        { token: w.legacyResetToken },
      ),
    ],
  },
  {
    method: 'POST',
    pattern: '/invitation/:token',
    query: false,
    csrfOnly: false,
    json: false,
    params: ['token'],
    fields: ['new_password', 'confirm_password'],
    setup: 'an invitation a centre sent to a new person (the token from its email)',
    base: 'a one-letter new password and a different confirmation',
    effects: [],
    requests: 180,
    targets: async (w) => [
      form(
        'invitation',
        w.anonymous,
        { new_password: 'x', confirm_password: 'y' },
        { token: w.invitationToken },
      ),
    ],
  },

  // What both built-in applications have.
  ...(['amp', 'portal'] as const).flatMap((app): Endpoint[] => [
    {
      method: 'POST',
      pattern: `/${app}/sign-out`,
      query: false,
      csrfOnly: true,
      json: false,
      params: [],
      fields: ['_csrf'],
      setup: `a signed-in ${app === 'amp' ? 'AMP' : 'Portal'} session`,
      base: 'a valid form signs out, so every request has a broken CSRF token',
      effects: [],
      requests: 100,
      targets: async (w) => [form('session', app === 'amp' ? w.amp : w.portalAppointee, {})],
    },
    {
      method: 'GET',
      pattern: `/${app}/callback`,
      query: true,
      csrfOnly: false,
      json: false,
      params: [],
      fields: ['code', 'state', 'iss', 'error', 'error_description'],
      setup: `a signed-in ${app === 'amp' ? 'AMP' : 'Portal'} session (no sign-in waiting)`,
      base: 'a sign-in answer nobody started: a code and a state this browser never asked for',
      effects: [],
      requests: 100,
      targets: async (w) => [
        plain('session', (app === 'amp' ? w.amp : w.portalAppointee).cookies, {
          code: 'bm90LWEtcmVhbC1jb2RlLWF0LWFsbC1qdW5rLWp1bmst',
          state: 'c3RhdGUtbm9ib2R5LWFza2VkLWZvcg',
          iss: `http://127.0.0.1:${w.port}`,
        }),
      ],
    },
    {
      method: 'POST',
      pattern: `/${app}/backchannel-logout`,
      query: false,
      csrfOnly: false,
      // A logout token refused is a 400; its body may be JSON or a page (RFC: the body is optional).
      json: false,
      client: true,
      params: [],
      fields: ['logout_token'],
      setup: 'none (the provider posts here, server to server)',
      base: 'an unsigned logout token',
      effects: [],
      requests: 140,
      limit: 16 * 1024,
      targets: async () => [plain('provider', '', { logout_token: JUNK_JWT })],
    },
  ]),

  // AMP, signed in a moment ago (no password asked again for security changes).
  ...ampEndpoints(),
  // The Portal.
  ...portalEndpoints(),
];

function ampEndpoints(): Endpoint[] {
  const amp = (
    pattern: string,
    fields: readonly string[],
    base: string,
    values: Record<string, string>,
    extra: Partial<Endpoint> = {},
  ): Endpoint => ({
    method: 'POST',
    pattern,
    query: false,
    csrfOnly: false,
    json: false,
    params: [],
    fields,
    setup: 'AMP signed in as an appointee a moment ago, an authenticator app being added',
    base,
    redirects: [TO_SIGN_IN, AMP_REAUTH],
    effects: [PENDING_SIGN_IN],
    requests: 170,
    targets: async (w) => [form('AMP session', w.amp, values)],
    ...extra,
  });
  return [
    amp(
      '/amp/profile',
      [
        'given_name',
        'family_name',
        'email',
        'phone',
        'teaching_centre',
        'locale',
        'version',
        'password',
      ],
      'the details as they are, with a version the account is not at (stale)',
      {
        given_name: 'Prawf',
        family_name: 'Hughes',
        email: 'fuzz.appointee@wjec-appointees.co.uk',
        phone: '',
        teaching_centre: '',
        locale: 'en',
        version: '999999',
      },
      { requests: 240 },
    ),
    amp('/amp/security/default', ['factor_id'], 'a factor id that names no factor', {
      factor_id: 'nope',
    }),
    amp('/amp/security/remove', ['factor_id'], 'a factor id that names no factor', {
      factor_id: 'nope',
    }),
    amp(
      '/amp/security/recovery-codes',
      ['_csrf'],
      'a valid form makes new codes, so every request has a broken CSRF token',
      {},
      { csrfOnly: true, requests: 100 },
    ),
    amp(
      '/amp/security/password',
      ['current_password', 'new_password', 'confirm_password'],
      'a wrong current password, a one-letter new one and a different confirmation',
      { current_password: 'Wrong-Password-1!', new_password: 'x', confirm_password: 'y' },
      { requests: 200 },
    ),
    amp(
      '/amp/security/sign-out-everywhere',
      ['_csrf'],
      'a valid form signs out everywhere, so every request has a broken CSRF token',
      {},
      { csrfOnly: true, requests: 100 },
    ),
    amp(
      '/amp/confirm-password',
      ['password', 'next'],
      'a wrong password',
      { password: 'Wrong-Password-1!', next: '/amp/security' },
      {
        effects: [
          PENDING_SIGN_IN,
          failureAudit(/^sign_in/, 'a wrong password is audited'),
          THROTTLE,
          LOCKOUTS,
        ],
        redirects: [TO_SIGN_IN],
      },
    ),
    amp('/amp/security/add', ['method'], 'a method that does not exist', { method: 'bogus' }),
    amp('/amp/security/add/phone', ['phone', 'delivery'], 'a phone number that is not one', {
      phone: 'not a phone',
      delivery: 'sms',
    }),
    amp('/amp/security/add/email', ['risks'], 'the risks not acknowledged', { risks: 'no' }),
    amp(
      '/amp/security/add/confirm',
      ['code', 'action'],
      'a code that is not six digits',
      { action: 'verify', code: 'abcdef' },
      {
        effects: [
          PENDING_SIGN_IN,
          failureAudit(/^mfa/, 'a wrong code is audited'),
          THROTTLE,
          LOCKOUTS,
        ],
        redirects: [
          TO_SIGN_IN,
          { to: /^\/amp\/security\/add$/, why: 'no authenticator app is being added any more' },
        ],
      },
    ),
    {
      method: 'GET',
      pattern: '/amp/confirm-password',
      query: true,
      csrfOnly: false,
      json: false,
      params: [],
      fields: ['next'],
      setup: 'AMP signed in as an appointee',
      base: 'the page asked for with a return address of AMP',
      ok: "the page is shown; an unusable return address is replaced by AMP's home",
      redirects: [TO_SIGN_IN],
      effects: [PENDING_SIGN_IN],
      requests: 140,
      targets: async (w) => [plain('AMP session', w.amp.cookies, { next: '/amp/security' })],
    },
  ];
}

function portalEndpoints(): Endpoint[] {
  const deniedAudit = failureAudit(
    /^centre\.access_denied$/,
    'a refused centre operation is audited',
  );
  const portal = (
    pattern: string,
    params: readonly string[],
    fields: readonly string[],
    setup: string,
    base: string,
    target: (w: World) => Target,
    extra: Partial<Endpoint> = {},
  ): Endpoint => ({
    method: 'POST',
    pattern,
    query: false,
    csrfOnly: false,
    json: false,
    params,
    fields,
    setup,
    base,
    redirects: [PORTAL_START],
    effects: [deniedAudit],
    requests: 170,
    targets: async (w) => [target(w)],
    ...extra,
  });
  const sheetRedirects = (prefix: string): AllowedRedirect[] => [
    PORTAL_START,
    {
      to: new RegExp(`^${prefix}[^?]*\\?(.*&)?saved=1`),
      why: 'a sheet with no box sent saves nothing and shows the sheet again',
    },
  ];
  const submitRedirects = (prefix: string): AllowedRedirect[] => [
    PORTAL_START,
    {
      to: new RegExp(`^${prefix}\\?(.*&)?submitted=0`),
      why: 'there are no draft marks to submit: nothing is submitted',
    },
  ];
  const marksEffects: Effect[] = [
    failureAudit(/^(marks|centre)\./, 'a refused mark sheet is audited'),
  ];
  return [
    portal(
      '/portal/centres',
      [],
      ['centre'],
      'the Portal signed in as an Exams Officer',
      'a centre the person does not belong to',
      (w) => form('EO session', w.portalEo, { centre: '99999' }),
    ),
    portal(
      '/portal/profile',
      [],
      ['given_name', 'family_name', 'phone', 'locale', 'version', 'password'],
      'the Portal signed in as an Exams Officer a moment ago',
      'the details as they are, with a version the account is not at (stale)',
      (w) =>
        form('EO session', w.portalEo, {
          given_name: 'Prawf',
          family_name: 'Hughes',
          phone: '',
          locale: 'en',
          version: '999999',
        }),
      { requests: 220 },
    ),
    portal(
      '/portal/centres/:centre/users/invite',
      ['centre'],
      ['given_name', 'family_name', 'email', 'locale', 'role', 'permissions'],
      'the Portal signed in as the Exams Officer of the centre',
      'an email address that is not one and a language that does not exist',
      (w) =>
        form(
          'EO session',
          w.portalEo,
          {
            given_name: 'Newydd',
            family_name: 'Person',
            email: 'not-an-email',
            locale: 'xx',
            role: 'user',
            permissions: 'resources',
          },
          { centre: w.centre },
        ),
      { requests: 220 },
    ),
    portal(
      '/portal/centres/:centre/users/:member/access',
      ['centre', 'member'],
      ['role', 'permissions', 'version'],
      'the Portal signed in as the Exams Officer; a user of the centre',
      'an account type that does not exist and a stale version',
      (w) =>
        form(
          'EO session',
          w.portalEo,
          { role: 'bogus', permissions: 'resources', version: '999999' },
          { centre: w.centre, member: w.memberId },
        ),
      { requests: 200 },
    ),
    portal(
      '/portal/centres/:centre/users/:member/delete',
      ['centre', 'member'],
      ['version'],
      'the Portal signed in as the Exams Officer',
      'a member id that names nobody',
      (w) =>
        form(
          'EO session',
          w.portalEo,
          { version: '1' },
          { centre: w.centre, member: w.unknownMemberId },
        ),
    ),
    portal(
      '/portal/centres/:centre/users/:member/resend',
      ['centre', 'member'],
      ['_csrf'],
      'the Portal signed in as the Exams Officer',
      'a member id that names nobody',
      (w) => form('EO session', w.portalEo, {}, { centre: w.centre, member: w.unknownMemberId }),
      { requests: 140 },
    ),
    portal(
      '/portal/emi/units/:unitId',
      ['unitId'],
      ['mark', 'action', 'page'],
      'the Portal signed in as an examiner of the unit',
      'a mark box saying "abc"',
      (w) => markForm(w.portalAppointee, w.emi.markField, { unitId: w.emi.unitId }),
      {
        redirects: sheetRedirects('/portal/emi/units/'),
        effects: marksEffects,
        limit: 64 * 1024,
        requests: 200,
      },
    ),
    portal(
      '/portal/emi/units/:unitId/submit',
      ['unitId'],
      ['_csrf'],
      'the Portal signed in as an examiner of the unit',
      'the unit has no draft marks: even a valid form submits nothing',
      (w) => form('examiner session', w.portalAppointee, {}, { unitId: w.emi.unitId }),
      {
        redirects: submitRedirects('/portal/emi'),
        effects: marksEffects,
        limit: 64 * 1024,
        requests: 140,
      },
    ),
    portal(
      '/portal/iamis/centres/:centre/units/:unitId',
      ['centre', 'unitId'],
      ['mark', 'action', 'page'],
      'the Portal signed in as the Exams Officer (IAMIS permission)',
      'a mark box saying "abc"',
      (w) => markForm(w.portalEo, w.iamis.markField, { centre: w.centre, unitId: w.iamis.unitId }),
      {
        redirects: sheetRedirects('/portal/iamis/centres/'),
        effects: marksEffects,
        limit: 64 * 1024,
        requests: 200,
      },
    ),
    portal(
      '/portal/iamis/centres/:centre/units/:unitId/submit',
      ['centre', 'unitId'],
      ['_csrf'],
      'the Portal signed in as the Exams Officer (IAMIS permission)',
      'the unit has no draft marks: even a valid form submits nothing',
      (w) => form('EO session', w.portalEo, {}, { centre: w.centre, unitId: w.iamis.unitId }),
      {
        redirects: submitRedirects('/portal/iamis/centres/\\d+'),
        effects: marksEffects,
        limit: 64 * 1024,
        requests: 140,
      },
    ),
    portal(
      '/portal/iamis/moderation/:unitId/centres/:centre',
      ['unitId', 'centre'],
      ['mark', 'action', 'page'],
      'the Portal signed in as a moderator of the centre (?as=moderator)',
      'a mark box saying "abc"',
      (w) =>
        markForm(
          w.portalAppointee,
          w.moderation.markField,
          { unitId: w.moderation.unitId, centre: w.moderation.centre },
          'as=moderator',
        ),
      {
        redirects: sheetRedirects('/portal/iamis/moderation/'),
        effects: marksEffects,
        limit: 64 * 1024,
        requests: 200,
      },
    ),
    portal(
      '/portal/support/accounts/:id/:action',
      ['id', 'action'],
      ['reason'],
      'the Portal signed in as a member of the support team',
      '"Enable" for an account that is active (refused: nothing to enable)',
      (w) =>
        form(
          'staff session',
          w.portalStaff,
          { reason: 'checking' },
          { id: w.supportTargetId, action: 'enable' },
        ),
      {
        effects: [failureAudit(/^support\./, 'a refused support request is audited')],
        requests: 200,
      },
    ),
    {
      method: 'GET',
      pattern: '/portal/support',
      query: true,
      csrfOnly: false,
      json: false,
      params: [],
      fields: ['q'],
      setup: 'the Portal signed in as a member of the support team',
      base: 'a search for a name',
      ok: 'a search shows its results (or asks again) whatever was typed',
      redirects: [PORTAL_START, TO_SIGN_IN],
      effects: [
        PENDING_SIGN_IN,
        failureAudit(/^support\./, 'a refused support request is audited'),
      ],
      requests: 140,
      targets: async (w) => [plain('staff session', w.portalStaff.cookies, { q: 'Hughes' })],
    },
    {
      method: 'GET',
      pattern: '/portal/centres/:centre/users',
      query: true,
      csrfOnly: false,
      json: false,
      params: ['centre'],
      fields: ['q', 'done'],
      setup: 'the Portal signed in as the Exams Officer',
      base: 'Manage Users searched for a name',
      ok: 'Manage Users shows its list (or asks again) whatever was typed',
      redirects: [PORTAL_START, TO_SIGN_IN],
      effects: [PENDING_SIGN_IN, deniedAudit],
      requests: 140,
      targets: async (w) => [
        {
          ...plain('EO session', w.portalEo.cookies, { q: 'Tomos' }),
          params: { centre: w.centre },
        },
      ],
    },
    {
      method: 'GET',
      pattern: '/portal/emi/units/:unitId',
      query: true,
      csrfOnly: false,
      json: false,
      params: ['unitId'],
      fields: ['page', 'saved'],
      setup: 'the Portal signed in as an examiner of the unit',
      base: 'the first page of the sheet',
      ok: 'the sheet is shown; a page number that is not one shows the first page',
      redirects: [PORTAL_START, TO_SIGN_IN],
      effects: [PENDING_SIGN_IN, ...marksEffects],
      requests: 140,
      targets: async (w) => [
        {
          ...plain('examiner session', w.portalAppointee.cookies, { page: '1' }),
          params: { unitId: w.emi.unitId },
        },
      ],
    },
  ];
}

function markForm(
  session: Session,
  markField: string,
  params: Record<string, string>,
  query?: string,
): Target {
  const target = form('sheet', session, { mark: 'abc', action: 'draft', page: '1' }, params, query);
  // The box's real name is mark_<candidate id>: the table calls it `mark`.
  return {
    ...target,
    fields: target.fields.map(([n, v]) => [n === 'mark' ? markField : n, v] as const),
  };
}

/** The fields of a row as the generator sees them (a mark box by its real name). */
function shapeFor(e: Endpoint, target: Target): EndpointShape {
  const markField = target.fields.find(([n]) => n.startsWith('mark_'))?.[0];
  return {
    ...e,
    client: e.client ?? e.json,
    fields: e.fields.map((f) => (f === 'mark' && markField ? markField : f)),
  };
}

/** After an accepted username: the password page shows it safely; then back to "Username". */
async function recoverUsername(w: World, t: Target, res: RawResponse): Promise<string[]> {
  const uid = t.params.uid ?? '';
  if (res.status !== 303 || header(res, 'location') !== `/interaction/${uid}`) return [];
  followUps++;
  const page = await sendRaw(w.port, {
    method: 'GET',
    target: `/interaction/${uid}`,
    headers: [['Cookie', t.cookies]],
  });
  const problems: string[] = [];
  if (page.status >= 500) problems.push(`the page after it answered ${page.status}`);
  const moved = page.text.includes(`/interaction/${uid}/password`);
  const csrf = t.fields.find(([n]) => n === '_csrf')?.[1] ?? '';
  if (moved) {
    followUps++;
    const back = await sendRaw(w.port, {
      method: 'POST',
      target: `/interaction/${uid}/password`,
      headers: [
        ['Cookie', t.cookies],
        ['Content-Type', 'application/x-www-form-urlencoded'],
      ],
      body: Buffer.from(new URLSearchParams({ _csrf: csrf, action: 'change_username' }).toString()),
    });
    if (back.status !== 303) problems.push(`"Change username" answered ${back.status}`);
  }
  return problems;
}

let followUps = 0;

function describeChange(c: RowChange): string {
  const show = (r: Row | null) => (r ? JSON.stringify(r).slice(0, 400) : 'none');
  return `${c.table} ${c.key}: ${show(c.before)} → ${show(c.after)}`;
}

/** Runs a test body; whatever it throws names the seed, so that the run can be repeated. */
function seeded(body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (err) {
      if (err instanceof Error && !err.message.includes(`seed ${SEED}`)) {
        err.message = `seed ${SEED} (repeat with BAD_INPUT_SEED=${SEED}): ${err.message}`;
      }
      throw err;
    }
  };
}

async function pool<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(runners);
}

describe(`bad input: every form and JSON endpoint refuses malformed requests clearly (${DB})`, function () {
  this.timeout(600_000);
  let world: World;
  let snapshots: DatabaseSnapshots;
  const root = new Prng(SEED);
  const byStatus = new Map<number, number>();
  const byKind = new Map<string, number>();
  const perEndpoint: { name: string; requests: number; statuses: Map<number, number> }[] = [];
  let total = 0;

  before(async function () {
    this.timeout(300_000);
    world = await buildWorld();
    snapshots = new DatabaseSnapshots(world.running.portal.db);
    // Let the mail the set-up queued go out, so the dispatcher is idle.
    await new Promise((r) => setTimeout(r, 500));
  });
  after(async () => {
    await world?.running.stop();
  });

  it('has a row for every POST route of the portal and every form and JSON endpoint of the provider', () => {
    const rows = new Set(ENDPOINTS.map((e) => `${e.method} ${e.pattern}`));
    const posts = declaredRoutes(world.running.portal.server).filter((r) => r.startsWith('POST '));
    expect(posts.length, 'POST routes found').to.be.greaterThan(25);
    const provider = [
      `GET ${PROVIDER_ROUTES.authorization}`,
      `POST ${PROVIDER_ROUTES.token}`,
      `GET ${PROVIDER_ROUTES.userinfo}`,
      `POST ${PROVIDER_ROUTES.userinfo}`,
      `POST ${PROVIDER_ROUTES.revocation}`,
      `GET ${PROVIDER_ROUTES.end_session}`,
      `POST ${PROVIDER_ROUTES.end_session}/confirm`,
    ];
    expect(
      [...posts, ...provider].filter((r) => !rows.has(r)),
      'endpoints without a row',
    ).to.deep.equal([]);
  });

  const seen = new Map<string, number>();
  for (const endpoint of ENDPOINTS) {
    const base = `${endpoint.method} ${endpoint.pattern}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const name =
      n > 1 || ENDPOINTS.filter((e) => `${e.method} ${e.pattern}` === base).length > 1
        ? `${base} (${endpoint.setup.split(',')[0]})`
        : base;

    it(
      `answers malformed ${name} without a 5xx, with a clear message, changing nothing it should not`,
      seeded(async () => {
        const rng = root.fork(name);
        const targets = await endpoint.targets(world);
        const count = Math.round(endpoint.requests * SCALE);
        const cases = Array.from({ length: count }, (_, i) => {
          const target = targets[i % targets.length] as Target;
          return {
            target,
            bad: badRequest(rng, shapeFor(endpoint, target), target, endpoint.limit ?? FORM_LIMIT),
          };
        });
        const failures: string[] = [];
        const statuses = new Map<number, number>();
        const fail = (text: string) => {
          if (failures.length < 25) failures.push(text);
        };
        const one = async ({ target, bad }: (typeof cases)[number]) => {
          let res: RawResponse;
          try {
            res = await sendRaw(world.port, bad.request);
          } catch (err) {
            fail(`[${bad.note}] no answer: ${(err as Error).message}`);
            return;
          }
          total++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
          byKind.set(bad.kind, (byKind.get(bad.kind) ?? 0) + 1);
          for (const p of answerProblems(res, bad, endpoint)) {
            fail(
              `[${bad.note}] ${p} — ${bad.request.method} ${bad.request.target.slice(0, 160)} → ${res.status} ${res.text.slice(0, 300).replace(/\s+/g, ' ')}`,
            );
          }
          if (endpoint.recover) {
            for (const p of await endpoint.recover(world, target, res, bad))
              fail(`[${bad.note}] ${p}`);
          }
        };
        // Nothing but the batches writes meanwhile: one batch's "after" is the next one's "before".
        let before = await snapshots.take();
        for (let at = 0; at < cases.length; at += BATCH) {
          const batch = cases.slice(at, at + BATCH);
          if (endpoint.serial) {
            const byTarget = new Map<Target, typeof batch>();
            for (const c of batch) byTarget.set(c.target, [...(byTarget.get(c.target) ?? []), c]);
            await pool([...byTarget.values()], CONCURRENCY, async (list) => {
              for (const c of list) await one(c);
            });
          } else {
            await pool(batch, CONCURRENCY, one);
          }
          const after = await snapshots.take();
          const changes = await snapshots.changes(before, after);
          before = after;
          for (const change of changes) {
            const row = change.after ?? change.before;
            const allowed = endpoint.effects.some((e) => {
              if (e.table !== change.table) return false;
              if (e.change) {
                return (
                  change.before !== null &&
                  change.after !== null &&
                  e.change(change.before, change.after)
                );
              }
              return (
                !e.rows ||
                (row !== null && e.rows(row, world)) ||
                (change.before !== null && e.rows(change.before, world))
              );
            });
            if (!allowed) fail(`a change to the database: ${describeChange(change)}`);
          }
        }
        perEndpoint.push({ name, requests: count, statuses });
        expect(
          failures,
          `seed ${SEED} (repeat with BAD_INPUT_SEED=${SEED}): ${name}\n  ${failures.join('\n  ')}`,
        ).to.deep.equal([]);
      }),
    );
  }

  it('sent at least 10,000 malformed requests in all', () => {
    const statuses = [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`);
    const kinds = [...byKind.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`);
    console.log(
      `      bad input (${DB}, seed ${SEED}): ${total} malformed requests + ${followUps} follow-ups; statuses ${statuses.join(', ')}`,
    );
    console.log(`      by kind: ${kinds.join(', ')}`);
    if (process.env.BAD_INPUT_REPORT) {
      for (const e of perEndpoint) {
        console.log(
          `      ${e.name}: ${e.requests} — ${[...e.statuses.entries()]
            .sort(([a], [b]) => a - b)
            .map(([s, n]) => `${s}×${n}`)
            .join(' ')}`,
        );
      }
    }
    expect(total, `seed ${SEED}`).to.be.at.least(10_000 * Math.min(1, SCALE));
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import {
  Argon2PasswordHasher,
  CentreService,
  KnexAccountRepository,
  cryptoRandom,
  type Account,
  type AccountKind,
  type RequiredAction,
} from '@porth/identity-core';
import { KnexMarksRepository } from '../../../packages/portal-express/src/rp/portal/marks/knex-marks-repository.js';
import {
  startTestPortal,
  type RunningTestPortal,
} from '../../../packages/portal-express/test/support/server.js';
import { insertLegacyAccount } from '../../../packages/portal-express/test/support/sign-in-setup.js';
import {
  answerOn,
  linkIn,
  mailTo,
} from '../../../packages/portal-express/test/support/recovery.js';
import { SetupBrowser } from './browser.js';

/** The password of every account the run makes. */
export const PASSWORD = 'Cyfrinair-Cryf-2026!';

/** The cookies and CSRF token of one browser session, to send requests as that browser. */
export interface Session {
  /** The Cookie header for the session's pages (the language cookie taken out). */
  readonly cookies: string;
  readonly csrf: string;
}

/** A sign-in at the provider, waiting at one of its steps. */
export interface Interaction extends Session {
  readonly uid: string;
}

/** The sign-in steps the run posts to, each with a sign-in waiting there. */
export const INTERACTION_STATES = [
  'username',
  'password',
  'migrate',
  'migrated',
  'second_factor',
  'mfa_setup',
  'recovery_codes',
  'update_password',
  'update_profile',
  'stay_signed_in',
  'consent',
  'abort',
] as const;
/** A sign-in step the run posts to. */
export type InteractionState = (typeof INTERACTION_STATES)[number];

/** A mark sheet's form: where it posts, and the name of one mark box. */
export interface Sheet {
  readonly unitId: string;
  readonly markField: string;
}

/** Everything the bad-input run needs: a portal, sessions, flows, links and ids. */
export interface World {
  readonly running: RunningTestPortal;
  readonly port: number;
  /** A public (PKCE) client and where it is sent back. */
  readonly client: {
    readonly id: string;
    readonly redirectUri: string;
    readonly postLogoutUri: string;
  };
  /** A confidential client and its secret. */
  readonly confidential: { readonly id: string; readonly secret: string };
  /** AMP, signed in a moment ago as an appointee, with an authenticator app being added. */
  readonly amp: Session;
  /** The Portal, signed in as the same appointee (an examiner and a moderator). */
  readonly portalAppointee: Session;
  /** The Portal, signed in as the Exams Officer of CENTRE. */
  readonly portalEo: Session;
  /** The Portal, signed in as a member of the support team. */
  readonly portalStaff: Session;
  /** A browser signed in at the provider itself. */
  readonly provider: Session;
  /** A browser signed in nowhere (its CSRF cookie and token only). */
  readonly anonymous: Session;
  readonly interactions: Readonly<Record<InteractionState, readonly Interaction[]>>;
  readonly centre: string;
  /** A user (not an admin) of CENTRE: whose access the Exams Officer could change. */
  readonly memberId: string;
  /** A well-formed member id that names nobody. */
  readonly unknownMemberId: string;
  readonly emi: Sheet;
  readonly iamis: Sheet;
  readonly moderation: Sheet & { readonly centre: string };
  /** An active account the support console is shown (nothing to enable on it). */
  readonly supportTargetId: string;
  /** The token of an invitation waiting to be accepted (a new person). */
  readonly invitationToken: string;
  /** The token of a password reset link of an active account. */
  readonly resetToken: string;
  /** The token of a password reset link of a legacy account. */
  readonly legacyResetToken: string;
  /** The flow ids of every sign-in above (the rows their posts may touch). */
  readonly flowIds: ReadonlySet<string>;
}

interface Person {
  readonly account: Account;
  readonly username: string;
  /** The authenticator app's secret; '' without one. */
  readonly totpSecret: string;
}

const lastStep = new Map<string, number>();

async function totpCode(world: { running: RunningTestPortal }, secret: string): Promise<string> {
  const now = Math.floor(world.running.portal.services.clock.now().getTime() / 30_000);
  const last = lastStep.get(secret) ?? now - 2;
  for (const step of [now - 1, now, now + 1]) {
    if (step <= last) continue;
    lastStep.set(secret, step);
    return generate({ secret, epoch: step * 30 });
  }
  throw new Error('no unused TOTP step left');
}

function withoutLanguage(cookies: string): string {
  return cookies
    .split('; ')
    .filter((c) => c && !c.startsWith('porth_lang='))
    .join('; ');
}

function sessionOf(browser: SetupBrowser, path: string): Session {
  return { cookies: withoutLanguage(browser.cookieHeader(path)), csrf: browser.csrfToken() };
}

function uidOf(browser: SetupBrowser): string {
  const uid = /\/interaction\/([^/?#]+)/.exec(browser.url)?.[1];
  if (!uid)
    throw new Error(`not on a sign-in page: ${browser.url}\n${browser.html.slice(0, 1500)}`);
  return uid;
}

function interactionOf(browser: SetupBrowser, expected: string): Interaction {
  const uid = uidOf(browser);
  if (!browser.html.includes(`/interaction/${uid}/${expected}`)) {
    throw new Error(
      `the sign-in is not at ${expected}: ${browser.url}\n${browser.html.slice(0, 2500)}`,
    );
  }
  return { uid, ...sessionOf(browser, `/interaction/${uid}/${expected}`) };
}

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** An authorization request URL of a public client (PKCE, S256). */
function authorizationUrl(
  running: RunningTestPortal,
  clientId: string,
  redirectUri: string,
  scope = 'openid profile email',
): string {
  const verifier = base64url(randomBytes(32));
  const query = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state: base64url(randomBytes(16)),
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  });
  return `${running.url}/auth?${query.toString()}`;
}

/** Builds the world: a portal with accounts, centres, marks, sessions, sign-ins and links. */
export async function buildWorld(): Promise<World> {
  const running = await startTestPortal();
  const { db, clock, random, mfa, outbox, hasher } = running.portal.services;
  const port = Number(new URL(running.url).port);
  const accounts = new KnexAccountRepository(db, clock, random);
  const passwordHash = await new Argon2PasswordHasher({ random: cryptoRandom }).hash(PASSWORD);
  const ctx = { running };

  const person = async (
    username: string,
    options: {
      kind?: AccountKind;
      totp?: boolean;
      requiredActions?: RequiredAction[];
      givenName?: string | null;
    } = {},
  ): Promise<Person> => {
    const account = await accounts.createActive({
      kind: options.kind ?? 'appointee',
      username,
      email: username.includes('@') ? username : `${username}@example.org`,
      emailVerified: true,
      givenName: options.givenName === undefined ? 'Prawf' : options.givenName,
      familyName: 'Hughes',
      locale: 'en',
      ...(options.requiredActions ? { requiredActions: options.requiredActions } : {}),
    });
    await accounts.setPasswordHash(account.id, passwordHash);
    let totpSecret = '';
    if (options.totp ?? true) {
      const enrolment = await mfa.startTotpEnrolment(account.id);
      totpSecret = enrolment.secretForTyping.replace(/\s+/g, '');
      const confirmed = await mfa.confirmEnrolment(account.id, {
        factorId: enrolment.factorId,
        code: await totpCode(ctx, totpSecret),
      });
      if (!('ok' in confirmed) || !confirmed.ok) throw new Error('could not confirm a TOTP factor');
    }
    return { account, username, totpSecret };
  };

  // Clients --------------------------------------------------------------------------------------
  const client = {
    id: 'fuzz-app',
    redirectUri: `${running.url}/fuzz-callback`,
    postLogoutUri: `${running.url}/fuzz-signed-out`,
  };
  await running.portal.services.clients.save({
    id: client.id,
    redirectUris: [client.redirectUri],
    postLogoutRedirectUris: [client.postLogoutUri],
    firstParty: true,
  });
  const confidential = {
    id: 'fuzz-confidential',
    secret: 'fuzz-confidential-secret-0123456789abcdef',
  };
  await running.portal.services.clients.save({
    id: confidential.id,
    secret: confidential.secret,
    redirectUris: [`${running.url}/fuzz-confidential-callback`],
    postLogoutRedirectUris: [],
    firstParty: true,
  });
  await running.portal.services.clients.save({
    id: 'fuzz-third-party',
    redirectUris: [`${running.url}/fuzz-third-party-callback`],
    postLogoutRedirectUris: [],
    firstParty: false,
  });

  const signIn = async (browser: SetupBrowser, who: Person) => {
    await browser.submit({ username: who.username });
    await browser.submit({ password: PASSWORD });
    await browser.submit({ action: 'verify', code: await totpCode(ctx, who.totpSecret) });
    await browser.submit({ stay_signed_in: 'no' });
  };

  // People, centres and marks ----------------------------------------------------------------------
  const appointee = await person('fuzz.appointee@wjec-appointees.co.uk');
  const eo = await person('fuzz.eo@glanmor.example.org', { kind: 'centre_user' });
  const member = await person('fuzz.member@glanmor.example.org', { kind: 'centre_user' });
  const staff = await person('fuzz.staff@wjec.example.org', { kind: 'staff' });
  const prov = await person('fuzz.provider@wjec-appointees.co.uk');

  let lastToken = '';
  const centres = new CentreService({
    db,
    clock,
    random,
    outbox,
    hasher,
    acceptUrl: (token) => {
      lastToken = token;
      return `${running.url}/invitation/${token}`;
    },
  });
  const centre = '68101';
  await centres.provisionCentre({
    number: centre,
    name: 'Ysgol Glan Môr',
    examsOfficer: { accountId: eo.account.id },
  });
  await centres.inviteUser({ accountId: eo.account.id }, centre, {
    givenName: 'Tomos',
    familyName: 'Rees',
    email: member.username,
    locale: 'en',
    role: 'user',
    permissions: ['resources'],
  });
  const memberId = (await centres.acceptInvitation({ token: lastToken })).membership.id;
  await centres.inviteUser({ accountId: eo.account.id }, centre, {
    givenName: 'Newydd',
    familyName: 'Person',
    email: 'fuzz.invitee@glanmor.example.org',
    locale: 'en',
    role: 'user',
    permissions: ['resources'],
  });
  const invitationToken = lastToken;

  const marks = new KnexMarksRepository(db, clock, random);
  const emiUnit = await marks.createUnit({
    series: 'GCSE JANUARY 2017',
    code: '9521/01',
    title: 'LATIN LANGUAGE CORE',
    maxMark: 60,
    kind: 'examined',
  });
  await marks.addCandidates(
    emiUnit.id,
    Array.from({ length: 3 }, (_, i) => ({
      centreNumber: centre,
      candidateNumber: String(i + 1).padStart(4, '0'),
      name: `Ymgeisydd ${i + 1}`,
    })),
  );
  await marks.allocate(appointee.account.id, emiUnit.id, 'examiner', { all: true });
  const iamisUnit = await marks.createUnit({
    series: 'GCSE JUNE 2017',
    code: '3000N1',
    title: 'WELSH LANGUAGE UNED 1',
    maxMark: 60,
    kind: 'internal_assessment',
  });
  await marks.addCandidates(
    iamisUnit.id,
    Array.from({ length: 3 }, (_, i) => ({
      centreNumber: centre,
      candidateNumber: String(i + 1).padStart(4, '0'),
      name: `Glan ${i + 1}`,
      inSample: i < 2,
    })),
  );
  const sampled = await marks.addCandidates(
    iamisUnit.id,
    Array.from({ length: 3 }, (_, i) => ({
      centreNumber: '68105',
      candidateNumber: String(i + 1).padStart(4, '0'),
      name: `Bro ${i + 1}`,
      inSample: i < 2,
    })),
  );
  await marks.importMarks(
    sampled.map((c, i) => ({
      candidateId: c.id,
      source: 'centre' as const,
      outcome: 'mark' as const,
      mark: 30 + i,
      submitted: true,
      enteredBy: 'import',
    })),
  );
  await marks.allocate(appointee.account.id, iamisUnit.id, 'moderator', {
    all: false,
    centres: ['68105'],
  });

  // Sessions ---------------------------------------------------------------------------------------
  const ampBrowser = new SetupBrowser(running.url);
  await ampBrowser.open('/amp');
  await signIn(ampBrowser, appointee);
  if (new URL(ampBrowser.url).pathname !== '/amp') throw new Error(`not at AMP: ${ampBrowser.url}`);
  await ampBrowser.open('/amp/security/add');
  await ampBrowser.submit({ method: 'app' });
  if (!ampBrowser.url.endsWith('/amp/security/add/confirm')) {
    throw new Error(`no authenticator app being added: ${ampBrowser.url}`);
  }
  const amp = sessionOf(ampBrowser, '/amp/profile');

  await ampBrowser.open('/portal/sign-in?as=appointee');
  if (new URL(ampBrowser.url).pathname !== '/portal')
    throw new Error(`not at the Portal: ${ampBrowser.url}`);
  const portalAppointee = sessionOf(ampBrowser, '/portal/emi');

  const sheetOf = async (path: string): Promise<string> => {
    await ampBrowser.open(path);
    const name = /name="(mark_[^"]+)"/.exec(ampBrowser.html)?.[1];
    if (!name)
      throw new Error(`no mark box on ${ampBrowser.url}:\n${ampBrowser.html.slice(0, 2000)}`);
    return name;
  };
  const emi: Sheet = {
    unitId: emiUnit.id,
    markField: await sheetOf(`/portal/emi/units/${emiUnit.id}`),
  };
  const moderation = {
    unitId: iamisUnit.id,
    centre: '68105',
    markField: await sheetOf(`/portal/iamis/moderation/${iamisUnit.id}/centres/68105?as=moderator`),
  };

  const eoBrowser = new SetupBrowser(running.url);
  await eoBrowser.open('/portal/sign-in?as=centre_user');
  await signIn(eoBrowser, eo);
  if (new URL(eoBrowser.url).pathname !== '/portal')
    throw new Error(`EO not at the Portal: ${eoBrowser.url}`);
  const portalEo = sessionOf(eoBrowser, '/portal/centres');
  await eoBrowser.open(`/portal/iamis/centres/${centre}/units/${iamisUnit.id}`);
  const iamisField = /name="(mark_[^"]+)"/.exec(eoBrowser.html)?.[1];
  if (!iamisField) throw new Error(`no centre mark box:\n${eoBrowser.html.slice(0, 2000)}`);
  const iamis: Sheet = { unitId: iamisUnit.id, markField: iamisField };

  const staffBrowser = new SetupBrowser(running.url);
  await staffBrowser.open('/portal/sign-in?as=appointee');
  await signIn(staffBrowser, staff);
  await staffBrowser.open('/portal/support');
  if (staffBrowser.status !== 200) throw new Error(`no support console: ${staffBrowser.status}`);
  const portalStaff = sessionOf(staffBrowser, '/portal/support');

  const providerBrowser = new SetupBrowser(running.url);
  await providerBrowser.open(authorizationUrl(running, client.id, client.redirectUri));
  await signIn(providerBrowser, prov);
  await providerBrowser.open('/forgotten-username');
  const provider = sessionOf(providerBrowser, '/session/end');

  const anonymousBrowser = new SetupBrowser(running.url);
  await anonymousBrowser.open('/forgotten-username');
  const anonymous = sessionOf(anonymousBrowser, '/forgotten-username');

  // Sign-ins waiting at each step --------------------------------------------------------------------
  const start = async () => {
    const browser = new SetupBrowser(running.url);
    await browser.open(authorizationUrl(running, client.id, client.redirectUri));
    return browser;
  };
  const atPassword = async (who: { username: string }) => {
    const browser = await start();
    await browser.submit({ username: who.username });
    return browser;
  };
  const atSecondFactor = async (who: Person) => {
    const browser = await atPassword(who);
    await browser.submit({ password: PASSWORD });
    return browser;
  };
  const afterSecondFactor = async (who: Person) => {
    const browser = await atSecondFactor(who);
    await browser.submit({ action: 'verify', code: await totpCode(ctx, who.totpSecret) });
    return browser;
  };

  const usernames: Interaction[] = [];
  for (let i = 0; i < 6; i++) usernames.push(interactionOf(await start(), 'username'));
  const abort = interactionOf(await start(), 'username');
  const password = interactionOf(
    await atPassword(await person('fuzz.password@wjec-appointees.co.uk')),
    'password',
  );
  const legacyOne = await insertLegacyAccount(running, {
    legacyUsername: 'fuzz.legacy.one',
    password: 'hen-gyfrinair-AMP',
    givenName: 'Hen',
    familyName: 'Un',
    email: 'fuzz.legacy.one@example.org',
  });
  const migrate = interactionOf(
    await atPassword({ username: legacyOne.legacyUsername ?? '' }),
    'migrate',
  );
  await insertLegacyAccount(running, {
    legacyUsername: 'fuzz.legacy.two',
    password: 'hen-gyfrinair-AMP-2',
    givenName: 'Hen',
    familyName: 'Dau',
    email: 'fuzz.legacy.two@example.org',
    phone: '01970 123456',
    teachingCentre: 'Coleg Ceredigion',
  });
  const migratedBrowser = await atPassword({ username: 'fuzz.legacy.two' });
  await migratedBrowser.submit({ password: 'hen-gyfrinair-AMP-2' });
  const migrated = interactionOf(migratedBrowser, 'migrated');
  const secondFactor = interactionOf(
    await atSecondFactor(await person('fuzz.second@wjec-appointees.co.uk')),
    'second_factor',
  );
  const mfaSetup = interactionOf(
    await atSecondFactor(await person('fuzz.setup@wjec-appointees.co.uk', { totp: false })),
    'mfa_setup',
  );
  const codesBrowser = await atSecondFactor(
    await person('fuzz.codes@wjec-appointees.co.uk', { totp: false }),
  );
  await codesBrowser.submit({ action: 'choose', method: 'totp' });
  const secret = /<p class="secret" id="secret">([^<]+)<\/p>/
    .exec(codesBrowser.html)?.[1]
    ?.replace(/\s+/g, '');
  if (!secret) throw new Error(`no authenticator key:\n${codesBrowser.html.slice(0, 2000)}`);
  await codesBrowser.submit({ action: 'verify', code: await totpCode(ctx, secret) });
  const recoveryCodes = interactionOf(codesBrowser, 'recovery_codes');
  const updatePassword = interactionOf(
    await afterSecondFactor(
      await person('fuzz.temporary@wjec-appointees.co.uk', {
        requiredActions: ['update_password'],
      }),
    ),
    'update_password',
  );
  const updateProfile = interactionOf(
    await afterSecondFactor(
      await person('fuzz.profile@wjec-appointees.co.uk', {
        requiredActions: ['update_profile'],
        givenName: null,
      }),
    ),
    'update_profile',
  );
  const stay = interactionOf(
    await afterSecondFactor(await person('fuzz.stay@wjec-appointees.co.uk')),
    'stay_signed_in',
  );
  await providerBrowser.open(
    authorizationUrl(
      running,
      'fuzz-third-party',
      `${running.url}/fuzz-third-party-callback`,
      'openid profile',
    ),
  );
  const consent = interactionOf(providerBrowser, 'consent');

  // Links from emails --------------------------------------------------------------------------------
  const resetPerson = await person('fuzz.reset@wjec-appointees.co.uk');
  await insertLegacyAccount(running, {
    legacyUsername: 'fuzz.legacy.three',
    password: 'hen-gyfrinair-AMP-3',
    givenName: 'Hen',
    familyName: 'Tri',
    email: 'fuzz.legacy.three@example.org',
  });
  const forgotten = new SetupBrowser(running.url);
  for (const username of [resetPerson.username, 'fuzz.legacy.three']) {
    await forgotten.open('/forgotten-password');
    await forgotten.submit({ username, answer: answerOn(forgotten.html) });
    if (!forgotten.url.endsWith('/forgotten-password/sent')) {
      throw new Error(
        `the reset was not requested: ${forgotten.url}\n${forgotten.html.slice(0, 1500)}`,
      );
    }
  }
  const mailFor = async (to: string, template: string) => {
    for (let i = 0; i < 50; i++) {
      const [mail] = await mailTo(running, to, template);
      if (mail) return mail;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${template} email to ${to}`);
  };
  const resetToken = linkIn(
    await mailFor(`${resetPerson.username}`, 'password_reset'),
    '/forgotten-password/reset/',
  ).replace('/forgotten-password/reset/', '');
  const legacyResetToken = linkIn(
    await mailFor('fuzz.legacy.three@example.org', 'password_reset'),
    '/forgotten-password/legacy/',
  ).replace('/forgotten-password/legacy/', '');

  const interactions: Record<InteractionState, readonly Interaction[]> = {
    username: usernames,
    password: [password],
    migrate: [migrate],
    migrated: [migrated],
    second_factor: [secondFactor],
    mfa_setup: [mfaSetup],
    recovery_codes: [recoveryCodes],
    update_password: [updatePassword],
    update_profile: [updateProfile],
    stay_signed_in: [stay],
    consent: [consent],
    abort: [abort],
  };
  return {
    running,
    port,
    client,
    confidential,
    amp,
    portalAppointee,
    portalEo,
    portalStaff,
    provider,
    anonymous,
    interactions,
    centre,
    memberId,
    unknownMemberId: randomBytes(16).toString('hex'),
    emi,
    iamis,
    moderation,
    supportTargetId: resetPerson.account.id,
    invitationToken,
    resetToken,
    legacyResetToken,
    flowIds: new Set(Object.values(interactions).flatMap((list) => list.map((i) => i.uid))),
  };
}

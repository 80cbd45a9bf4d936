import { generate } from 'otplib';
import {
  Argon2PasswordHasher,
  CentreService,
  KnexAccountRepository,
  cryptoRandom,
  type CentrePermission,
  type CentreRole,
} from '@porth/identity-core';
import { KnexMarksRepository } from '../../src/rp/portal/marks/knex-marks-repository.js';
import type { RunningTestPortal, TestUser } from './server.js';
import { Browser, freshTotpCode, signInAtProvider } from './rp.js';

/** The password of every account these helpers create. */
export const MARKS_TEST_PASSWORD = 'Cyfrinair-Cryf-2026!';

/**
 * A `centre_user` account (username = email, as an accepted invitation makes it) with a
 * password and a confirmed authenticator app, ready to sign in.
 */
export async function createCentreUser(
  running: RunningTestPortal,
  person: { given: string; family: string; email: string },
): Promise<TestUser> {
  const { db, clock, random, mfa } = running.portal.services;
  const accounts = new KnexAccountRepository(db, clock, random);
  const account = await accounts.createActive({
    kind: 'centre_user',
    username: person.email,
    email: person.email,
    emailVerified: true,
    givenName: person.given,
    familyName: person.family,
    locale: 'en',
  });
  await accounts.setPasswordHash(
    account.id,
    await new Argon2PasswordHasher({ random: cryptoRandom }).hash(MARKS_TEST_PASSWORD),
  );
  const enrolment = await mfa.startTotpEnrolment(account.id);
  const totpSecret = enrolment.secretForTyping.replace(/\s+/g, '');
  const confirmed = await mfa.confirmEnrolment(account.id, {
    factorId: enrolment.factorId,
    code: await generate({ secret: totpSecret, epoch: Math.floor(clock.now().getTime() / 1000) }),
  });
  if (!('ok' in confirmed) || !confirmed.ok) throw new Error('could not confirm the TOTP factor');
  return { account, username: person.email, password: MARKS_TEST_PASSWORD, totpSecret };
}

/** Centres and memberships through identity-core's CentreService, as the centre pages make them. */
export class TestCentres {
  readonly service: CentreService;
  private lastToken = '';

  constructor(running: RunningTestPortal) {
    const { db, clock, random, outbox, hasher } = running.portal.services;
    this.service = new CentreService({
      db,
      clock,
      random,
      outbox,
      hasher,
      acceptUrl: (token) => {
        this.lastToken = token;
        return `${running.url}/portal/invitation/${token}`;
      },
    });
  }

  /** Creates a centre with `examsOfficer` as its Exams Officer (every permission). */
  async create(number: string, name: string, examsOfficer: TestUser): Promise<void> {
    await this.service.provisionCentre({
      number,
      name,
      examsOfficer: { accountId: examsOfficer.account.id },
    });
  }

  /** Invites `user` to the centre (by its Exams Officer) and accepts; returns the membership id. */
  async addMember(
    centre: string,
    examsOfficer: TestUser,
    user: TestUser,
    role: Exclude<CentreRole, 'exams_officer'>,
    permissions: readonly CentrePermission[],
  ): Promise<string> {
    await this.service.inviteUser({ accountId: examsOfficer.account.id }, centre, {
      givenName: user.account.givenName ?? 'Test',
      familyName: user.account.familyName ?? 'User',
      email: user.username,
      locale: 'en',
      role,
      permissions,
    });
    const accepted = await this.service.acceptInvitation({ token: this.lastToken });
    return accepted.membership.id;
  }

  /** Changes a member's permissions (Manage Access, by the Exams Officer). */
  async setPermissions(
    centre: string,
    examsOfficer: TestUser,
    memberId: string,
    permissions: readonly CentrePermission[],
  ): Promise<void> {
    await this.service.changeAccess({ accountId: examsOfficer.account.id }, centre, memberId, {
      permissions,
    });
  }
}

/** A browser over HTTP signed in at the Portal as `user`. */
export async function portalBrowser(running: RunningTestPortal, user: TestUser): Promise<Browser> {
  const browser = new Browser(running.url);
  await browser.open('/portal/sign-in?as=appointee');
  await signInAtProvider(browser, user, await freshTotpCode(user.totpSecret));
  if (browser.url !== `${running.url}/portal`) {
    throw new Error(`not signed in at the Portal: ${browser.url}\n${browser.html.slice(0, 1500)}`);
  }
  return browser;
}

/** The marks repository over the running portal's database. */
export function marksRepo(running: RunningTestPortal): KnexMarksRepository {
  const { db, clock, random } = running.portal.services;
  return new KnexMarksRepository(db, clock, random);
}

/** Every row of the `marks` table, as text, to compare before and after a refused request. */
export async function allMarks(running: RunningTestPortal): Promise<string[]> {
  const rows = (await running.portal
    .db('marks')
    .orderBy(['candidate_id', 'source'])
    .select('candidate_id', 'source', 'outcome', 'mark', 'status', 'version')) as Record<
    string,
    unknown
  >[];
  return rows.map((r) =>
    [r.candidate_id, r.source, r.outcome, r.mark, r.status, Number(r.version)].join('|'),
  );
}

/** Decodes the HTML entities Handlebars writes, to compare page text with plain strings. */
export function pageText(html: string): string {
  return html
    .replace(/&#x27;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The value attribute of the mark box of candidate `candidateId` on the page, or null. */
export function markBox(html: string, candidateId: string): string | null {
  const m = new RegExp(`<input[^>]*name="mark_${candidateId}"[^>]*>`).exec(html);
  if (!m) return null;
  return /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
}

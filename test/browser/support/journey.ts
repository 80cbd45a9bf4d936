import { expect } from 'chai';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { Argon2PasswordHasher, KnexAccountRepository, cryptoRandom } from '@porth/identity-core';
import type { RunningTestPortal } from '../../../packages/portal-express/test/support/server.js';
import { questionOn } from '../../../packages/portal-express/test/support/recovery.js';
import type { SmtpTestServer } from '../../support/smtp-test-server.js';
import { checkPage } from './chromium.js';

/**
 * One person's walk through the pages in a real browser. Every page it arrives at is checked
 * for its heading and language, and (once per distinct page name) with axe and photographed at
 * both widths as `<prefix>-<nn>-<name>-<width>.png`.
 */
export class Journey {
  /** Every page address the browser asked for (redirects included), in order. */
  readonly visited: string[] = [];
  /** The names of the pages checked with axe so far. */
  readonly checked: string[] = [];
  private count = 0;

  constructor(
    readonly page: Page,
    private readonly prefix: string,
    /** The language every page must say it is in (`<html lang>`). */
    public lang: 'en' | 'cy' = 'en',
  ) {
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
        this.visited.push(request.url());
      }
    });
  }

  /** Opens an address (as if typed into the address bar) and waits for the page to load. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
  }

  /** Clicks something that loads a new page (a link or a submit button) and waits for it. */
  async click(target: Locator): Promise<void> {
    const loaded = this.page.waitForEvent('load');
    await target.click();
    await loaded;
  }

  /** Forgets the addresses visited so far (to see which ones the next steps visit). */
  forgetVisited(): void {
    this.visited.length = 0;
  }

  /** True when one of the addresses visited since `forgetVisited` was a provider sign-in page. */
  get sawSignInPage(): boolean {
    return this.visited.some((u) => new URL(u).pathname.startsWith('/interaction/'));
  }

  /**
   * Checks the page the browser is on: its one h1 says `heading`, `<html lang>` is the journey's
   * language, and — the first time a page of this `name` is seen — axe finds no violation, and
   * it is photographed at both widths.
   */
  async arrive(heading: string | RegExp, name: string): Promise<void> {
    const h1 = this.page.locator('h1');
    await h1.first().waitFor();
    expect(await h1.count(), `one h1 on ${name} (${this.page.url()})`).to.equal(1);
    const text = (await h1.innerText()).trim();
    if (typeof heading === 'string') {
      expect(text, `the heading of ${name} (${this.page.url()})`).to.equal(heading);
    } else {
      expect(text, `the heading of ${name} (${this.page.url()})`).to.match(heading);
    }
    expect(await this.page.getAttribute('html', 'lang'), `<html lang> on ${name}`).to.equal(
      this.lang,
    );
    if (this.checked.includes(name)) return;
    this.checked.push(name);
    this.count += 1;
    await checkPage(this.page, `${this.prefix}-${String(this.count).padStart(2, '0')}-${name}`);
  }
}

/**
 * The cookies a browser still has after it is closed and opened again: the persistent ones.
 * Playwright's storageState keeps session cookies too (with `expires: -1`); they are dropped.
 */
export async function cookiesAfterRestart(
  context: BrowserContext,
): Promise<Awaited<ReturnType<BrowserContext['storageState']>>> {
  const state = await context.storageState();
  return { ...state, cookies: state.cookies.filter((c) => c.expires !== -1) };
}

/** The answer to the forgotten-password page's question ("What is seven plus three?"), in digits. */
export async function answerToQuestion(page: Page): Promise<string> {
  const question = await page.locator('label[for="answer"]').innerText();
  const { first, second } = questionOn(question);
  expect(first, `a number in "${question}"`).to.be.at.least(0);
  expect(second, `a number in "${question}"`).to.be.at.least(0);
  return String(first + second);
}

/** The temporary password in the migration email that reached the SMTP server for `to`. */
export async function temporaryPasswordBySmtp(smtp: SmtpTestServer, to: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const mail = smtp.messages.find(
      (m) => m.envelopeTo.includes(to) && /temporary password/i.test(m.parsed.text ?? ''),
    );
    const found = /Your temporary password: (\S+)/.exec(mail?.parsed.text ?? '');
    if (found?.[1]) return found[1];
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no temporary password reached the SMTP server for ${to}`);
    await smtp.waitForMessages(smtp.messages.length + 1, left).catch(() => undefined);
  }
}

/** An active account with a password but no second factor yet: its first sign-in sets one up. */
export async function createAccountWithoutFactor(
  running: RunningTestPortal,
  person: { given: string; family: string; username: string; email: string; password: string },
): Promise<void> {
  const { db, clock, random } = running.portal.services;
  const accounts = new KnexAccountRepository(db, clock, random);
  const account = await accounts.createActive({
    kind: 'appointee',
    username: person.username,
    email: person.email,
    emailVerified: true,
    givenName: person.given,
    familyName: person.family,
    phone: '01970 123456',
    teachingCentre: 'Ysgol Penglais',
    locale: 'en',
  });
  await accounts.setPasswordHash(
    account.id,
    await new Argon2PasswordHasher({ random: cryptoRandom }).hash(person.password),
  );
}

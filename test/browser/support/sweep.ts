import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { expect } from 'chai';
import { generate } from 'otplib';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { cryptoRandom, randomId } from '@porth/identity-core';
import { KnexFactorRepository } from '@porth/mfa';
import type { RunningTestPortal } from '../../../packages/portal-express/test/support/server.js';
import { emailedCode } from '../../../packages/portal-express/test/support/sign-in-setup.js';
import {
  answerOn,
  linkIn,
  mailTo,
} from '../../../packages/portal-express/test/support/recovery.js';
import { screenshotDir } from './chromium.js';

/** The two languages every page is checked in. */
export type Lang = 'en' | 'cy';

/** The other language. */
export function otherLang(lang: Lang): Lang {
  return lang === 'en' ? 'cy' : 'en';
}

const portalDir = fileURLToPath(new URL('../../../packages/portal-express/', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/**
 * Every page view of the portal (`views/**.hbs` without the layouts, partials and the relying
 * applications' frames), e.g. `sign-in/username`.
 */
export function pageViews(): string[] {
  const viewsDir = join(portalDir, 'views');
  return walk(viewsDir)
    .filter((file) => file.endsWith('.hbs'))
    .map((file) =>
      relative(viewsDir, file)
        .replace(/\\/g, '/')
        .replace(/\.hbs$/, ''),
    )
    .filter(
      (view) =>
        !view.startsWith('layouts/') &&
        !view.startsWith('partials/') &&
        !/^(amp|portal)\/(bare|layout)$/.test(view),
    )
    .sort();
}

type Catalogue = { [key: string]: string | Catalogue };

function entriesOf(catalogue: Catalogue, prefix = ''): [string, string][] {
  return Object.entries(catalogue).flatMap(([key, value]): [string, string][] =>
    typeof value === 'string' ? [[`${prefix}${key}`, value]] : entriesOf(value, `${prefix}${key}.`),
  );
}

/** One language's messages (every `locales/<lang>/*.json`), by full key. */
export function messages(lang: Lang): ReadonlyMap<string, string> {
  const dir = join(portalDir, 'locales', lang);
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => entriesOf(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Catalogue)),
  );
}

/** Every message key of the portal's English catalogue: one showing on a page is a missing message. */
export function messageKeys(): ReadonlySet<string> {
  return new Set(messages('en').keys());
}

/** English words that must not show on a Welsh page: the English messages the Welsh ones differ from. */
export interface EnglishWords {
  /** Phrases of two words or more (the literal parts of English messages, between placeholders). */
  readonly phrases: readonly string[];
  /** Whole English messages, to compare with the whole text of a control, label or heading. */
  readonly whole: ReadonlySet<string>;
}

/** The English words of the portal's messages that a Welsh page must not show. */
export function englishWords(): EnglishWords {
  const en = messages('en');
  const cy = messages('cy');
  const welsh = [...cy.values()].join('\n');
  const phrases = new Set<string>();
  const whole = new Set<string>();
  for (const [key, value] of en) {
    if (cy.get(key) === value) continue;
    const literal = value.trim();
    if (!literal.includes('{{') && !welsh.includes(literal)) whole.add(literal);
    for (const part of value.split(/\{\{[^}]*\}\}|<[^>]*>|[\n()“”"]/)) {
      const phrase = part.replace(/^[\s.,:;!?–-]+|[\s.,:;!?–-]+$/g, '');
      if (phrase.split(/\s+/).length >= 2 && phrase.length >= 7 && !welsh.includes(phrase)) {
        phrases.add(phrase);
      }
    }
  }
  return { phrases: [...phrases], whole };
}

/** What a page check expects besides the usual (one h1, `<html lang>`, no violations). */
export interface PageExpectation {
  /** The view that renders the page (`views/<view>.hbs`), for the coverage check. */
  readonly view: string;
  /** The HTTP status the page must come with (default 200). */
  readonly status?: number;
  /** The Welsh page may have the English page's heading (a person's name, a unit's title). */
  readonly sameHeading?: boolean;
  /** The page's title is the site's name alone (the home page). */
  readonly siteTitle?: boolean;
  /** Why the Welsh page may show English anywhere (e.g. messages in their recipients' languages). */
  readonly mixedLanguages?: string;
  /** English words the Welsh page may show (data in English, such as a unit's title). */
  readonly english?: readonly string[];
}

/** One page checked in one language. */
export interface CheckedPage {
  readonly name: string;
  readonly lang: Lang;
  readonly view: string;
  readonly path: string;
  readonly status: number;
  readonly heading: string;
  readonly title: string;
}

/** Every page checked by every sweep of a test run, to report and to compare languages. */
export class SweepLog {
  readonly pages: CheckedPage[] = [];

  /** The page checked under `name` in `lang`, if any. */
  find(name: string, lang: Lang): CheckedPage | undefined {
    return this.pages.find((p) => p.name === name && p.lang === lang);
  }

  /** The views checked in `lang`. */
  views(lang: Lang): Set<string> {
    return new Set(this.pages.filter((p) => p.lang === lang).map((p) => p.view));
  }

  /** The distinct page names, in the order they were first checked. */
  names(): string[] {
    return [...new Set(this.pages.map((p) => p.name))];
  }
}

/** The width of a small phone: no page may need scrolling sideways at it (WCAG 1.4.10). */
export const PHONE_WIDTH = 360;

/** The axe rule tags checked: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/** Fails with a readable list when axe finds any WCAG 2.x A or AA violation on the page. */
async function expectNoViolations(page: Page, where: string): Promise<void> {
  // Legacy mode runs axe in the page itself instead of opening a blank page for every check.
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();
  const lines = results.violations.map(
    (v) =>
      `- ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  expect(lines, `accessibility violations on ${where}`).to.deep.equal([]);
}

/** The text of every control, label, heading, cell and list item on the page, one string each. */
const SHORT_TEXTS = `[...document.querySelectorAll('button, a, label, legend, summary, th, td, dt, dd, li, option, h1, h2, h3, caption, title')]
  .map((e) => (e.innerText ?? e.textContent ?? '').replace(/\\s+/g, ' ').trim())
  .filter((t) => t !== '')`;

/** `text` as a regular expression matching it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The innermost elements reaching past the right edge of the screen, named by tag and class. */
const TOO_WIDE = `[...document.body.querySelectorAll('*')]
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5))
  .slice(0, 8)
  .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' "' + (e.textContent ?? '').trim().slice(0, 30) + '"')`;

const KEY_LIKE = /[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+/g;
const BROKEN_TEXT = /\bundefined\b|\[object Object\]|\bNaN\b|\{\{|\}\}/;

/**
 * One browser page walking through the portal in English and Welsh, at phone width. Every page
 * it checks must have a title, exactly one h1, `<html lang>` of the language it is in, the
 * language switch to the other language, the expected HTTP status, no message key or template
 * placeholder showing, no English message showing on a Welsh page, a Welsh heading and title
 * that differ from the English ones (unless told), no sideways scrolling at PHONE_WIDTH and no
 * axe violation. With SWEEP_SCREENSHOTS set, it is photographed as `sweep-<lang>-<name>.png`.
 */
export class Sweep {
  /** The status of the last page the browser loaded. */
  status = 0;
  private static keys: ReadonlySet<string> | null = null;
  private static english: EnglishWords | null = null;

  constructor(
    readonly page: Page,
    readonly baseUrl: string,
    private readonly log: SweepLog,
    /** The language the page in the browser is in. */
    public lang: Lang = 'en',
  ) {
    page.on('response', (response) => {
      const request = response.request();
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
        this.status = response.status();
      }
    });
  }

  /** Opens a new page (tab) in `context` for a sweep. */
  static async open(
    context: BrowserContext,
    baseUrl: string,
    log: SweepLog,
    lang: Lang = 'en',
  ): Promise<Sweep> {
    const page = await context.newPage();
    await page.setViewportSize({ width: PHONE_WIDTH, height: 800 });
    return new Sweep(page, baseUrl, log, lang);
  }

  /** Goes to a path of the portal (or a full address), as if typed into the address bar. */
  async open(path: string): Promise<void> {
    await this.page.goto(path.startsWith('http') ? path : `${this.baseUrl}${path}`);
  }

  /** Goes to a path of the portal in `lang` (`?lang=`, which the portal remembers). */
  async openIn(lang: Lang, path: string): Promise<void> {
    const url = new URL(path, this.baseUrl);
    url.searchParams.set('lang', lang);
    this.lang = lang;
    await this.open(url.toString());
  }

  /** Clicks something that loads a new page (a link or a submit button) and waits for it. */
  async click(target: Locator): Promise<void> {
    const loaded = this.page.waitForEvent('load');
    await target.click();
    await loaded;
  }

  /** Submits the main content's form that holds `field` (a CSS selector inside it), by its submit button. */
  async submitFormWith(field: string): Promise<void> {
    await this.click(
      this.page
        .locator(`main form:has(${field}) button[type="submit"]:not([value="change_username"])`)
        .first(),
    );
  }

  /** Clicks the page's language switch; the next page is in the other language. */
  async switchLanguage(): Promise<void> {
    const link = this.page.locator('nav.language a');
    const to = otherLang(this.lang);
    expect(await link.getAttribute('lang'), `the language switch on ${this.page.url()}`).to.equal(
      to,
    );
    await this.click(link);
    this.lang = to;
  }

  /** The main content's text, as a person reads it. */
  async mainText(): Promise<string> {
    return this.page.locator('main').innerText();
  }

  /** Checks the page the browser is on, in the sweep's current language, as `<lang>-<name>`. */
  async check(name: string, expected: PageExpectation): Promise<void> {
    const { page, lang } = this;
    const t0 = performance.now();
    const where = `${lang}-${name} (${page.url()})`;
    expect(this.log.find(name, lang), `${where} is checked once`).to.equal(undefined);
    expect(await page.getAttribute('html', 'lang'), `<html lang> of ${where}`).to.equal(lang);
    expect(this.status, `the HTTP status of ${where}`).to.equal(expected.status ?? 200);
    const title = (await page.title()).trim();
    if (expected.siteTitle) expect(title, `the title of ${where}`).to.equal('Porth');
    else expect(title, `the title of ${where} names the page`).to.match(/\S.* – \S/);
    const h1 = page.locator('h1');
    expect(await h1.count(), `one h1 on ${where}`).to.equal(1);
    const heading = (await h1.innerText()).trim();
    expect(heading, `the heading of ${where}`).to.not.equal('');
    const switchLink = page.locator(`nav.language a[lang="${otherLang(lang)}"][href]`);
    expect(await switchLink.count(), `the language switch on ${where}`).to.equal(1);

    const text = await page.locator('body').innerText();
    Sweep.keys ??= messageKeys();
    const keys = Sweep.keys;
    const shownKeys = (text.match(KEY_LIKE) ?? []).filter((token) => keys.has(token));
    expect(shownKeys, `message keys shown instead of words on ${where}`).to.deep.equal([]);
    expect(BROKEN_TEXT.exec(text)?.[0] ?? null, `broken text on ${where}`).to.equal(null);

    if (lang === 'cy' && !expected.mixedLanguages) {
      Sweep.english ??= englishWords();
      const { phrases, whole } = Sweep.english;
      const allowed = expected.english ?? [];
      const flat = text.replace(/\s+/g, ' ');
      const shortTexts = (await page.evaluate(SHORT_TEXTS)) as string[];
      const leaks = [
        ...phrases.filter((p) =>
          new RegExp(`(^|[^\\p{L}])${escape(p)}($|[^\\p{L}])`, 'u').test(flat),
        ),
        ...shortTexts.filter((t) => whole.has(t)),
      ].filter((leak) => !allowed.some((a) => a.includes(leak) || leak.includes(a)));
      expect([...new Set(leaks)], `English words on ${where}`).to.deep.equal([]);
    }

    const otherPage = this.log.find(name, otherLang(lang));
    if (otherPage && !expected.sameHeading && !expected.siteTitle) {
      expect(
        heading,
        `the ${lang} heading of ${name} differs from the ${otherPage.lang} one`,
      ).to.not.equal(otherPage.heading);
      expect(
        title,
        `the ${lang} title of ${name} differs from the ${otherPage.lang} one`,
      ).to.not.equal(otherPage.title);
    }

    const screen = page.viewportSize()?.width ?? PHONE_WIDTH;
    const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
    const tooWide = width > screen ? ((await page.evaluate(TOO_WIDE)) as string[]) : [];
    expect(
      width,
      `${where} fits a ${screen}-pixel screen (too wide: ${tooWide.join(', ')})`,
    ).to.be.at.most(screen);
    await expectNoViolations(page, where);
    if (process.env.SWEEP_SCREENSHOTS) {
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({
        path: join(screenshotDir, `sweep-${lang}-${name}.png`),
        fullPage: true,
      });
    }
    if (process.env.SWEEP_TIMING)
      console.log(`${lang}-${name}`, Math.round(performance.now() - t0));
    this.log.pages.push({
      name,
      lang,
      view: expected.view,
      path: new URL(page.url()).pathname,
      status: this.status,
      heading,
      title,
    });
  }

  /**
   * Checks the page the browser is on, switches language with the page's own link, and checks
   * it again. `redo` brings back what the link does not (an error summary after a form was
   * posted: the link shows the form afresh).
   */
  async both(name: string, expected: PageExpectation, redo?: () => Promise<void>): Promise<void> {
    await this.check(name, expected);
    await this.switchLanguage();
    if (redo) await redo();
    await this.check(name, expected);
  }

  /**
   * For a page that cannot be shown again by a link (the answer to a form that used something
   * up): `produce` makes it in the current language, then in the other one (it must open its
   * first page with `openIn(lang, …)`).
   */
  async each(
    name: string,
    expected: PageExpectation,
    produce: (lang: Lang) => Promise<void>,
  ): Promise<void> {
    for (const lang of [this.lang, otherLang(this.lang)]) {
      this.lang = lang;
      await produce(lang);
      await this.check(name, expected);
    }
  }
}

/** A password every policy accepts, for the forms that set one. */
export const NEW_PASSWORD = 'Afon-Teifi-Glas-2026!';

/** Gives an account a confirmed authenticator app and makes it the default; returns its key. */
export async function addTotpFactor(
  running: RunningTestPortal,
  accountId: string,
): Promise<string> {
  const { mfa, clock } = running.portal.services;
  const enrolment = await mfa.startTotpEnrolment(accountId);
  const secret = enrolment.secretForTyping.replace(/\s+/g, '');
  const confirmed = await mfa.confirmEnrolment(accountId, {
    factorId: enrolment.factorId,
    code: await generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) }),
  });
  if (!('ok' in confirmed) || !confirmed.ok) throw new Error('could not confirm the TOTP factor');
  await mfa.setDefaultFactor(accountId, enrolment.factorId);
  return secret;
}

/** Gives an account a confirmed text-message or phone-call factor (test set-up, nothing sent). */
export async function addPhoneFactor(
  running: RunningTestPortal,
  accountId: string,
  kind: 'sms' | 'voice',
  e164: string,
  phoneType: 'MOBILE' | 'FIXED_LINE',
): Promise<string> {
  const { db, clock } = running.portal.services;
  const factors = new KnexFactorRepository(db);
  const now = clock.now();
  const factorId = randomId(cryptoRandom);
  await factors.lockAccount(accountId, now);
  await factors.insertPending({
    id: factorId,
    accountId,
    kind,
    destination: e164,
    phoneType,
    secretSealed: null,
    riskAcknowledgedAt: null,
    createdAt: now,
  });
  await factors.activate(factorId, now);
  return factorId;
}

/**
 * Asks for a password-reset link on the forgotten-password page in `lang` (answering its
 * question) and returns the path of the link emailed to `email` (`/forgotten-password/reset/…`
 * for a new username, `/forgotten-password/legacy/…` for a legacy one).
 */
export async function requestResetLink(
  s: Sweep,
  running: RunningTestPortal,
  lang: Lang,
  request: { readonly username: string; readonly email: string; readonly legacy: boolean },
): Promise<string> {
  const before = (await mailTo(running, request.email, 'password_reset')).length;
  await s.openIn(lang, '/forgotten-password');
  await s.page.locator('#username').fill(request.username);
  await s.page
    .locator('#answer')
    .fill(answerOn(await s.page.locator('label[for="answer"]').innerText()));
  await s.submitFormWith('#answer');
  expect(new URL(s.page.url()).pathname).to.equal('/forgotten-password/sent');
  const mails = await mailTo(running, request.email, 'password_reset');
  expect(mails.length, `a new reset email to ${request.email}`).to.equal(before + 1);
  return linkIn(
    mails[mails.length - 1],
    request.legacy ? '/forgotten-password/legacy/' : '/forgotten-password/reset/',
  );
}

/**
 * From the provider's username page: username, password, the code emailed for the default
 * (email) factor, and "Stay signed in? No".
 */
export async function signInWithEmailCode(
  s: Sweep,
  running: RunningTestPortal,
  person: { readonly username: string; readonly email: string; readonly password: string },
): Promise<void> {
  const { page } = s;
  await page.locator('#username').fill(person.username);
  await s.submitFormWith('#username');
  await page.locator('#password').fill(person.password);
  await s.submitFormWith('#password');
  await page.locator('#code').fill(await emailedCode(running, person.email));
  await s.submitFormWith('#code');
  await page.locator('input[name="stay_signed_in"][value="no"]').check();
  await s.submitFormWith('input[name="stay_signed_in"]');
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

/** Where screenshots of every page checked are written (a CI artefact; git-ignored). */
export const screenshotDir = fileURLToPath(
  new URL('../../../test-results/screenshots/', import.meta.url),
);

/** The viewport widths every page is photographed at: a phone and a desktop. */
export const WIDTHS = [390, 1280] as const;

/**
 * Starts Debian's Chromium (no browser download): CHROMIUM_PATH, else /usr/bin/chromium.
 * The flags keep it from reaching the network, which this machine does not allow.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh browser profile (cookies and all), at phone width unless told otherwise. */
export async function newContext(
  browser: Browser,
  options: {
    width?: number;
    locale?: string;
    storageState?: Awaited<ReturnType<BrowserContext['storageState']>>;
  } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 390, height: 844 },
    locale: options.locale ?? 'en-GB',
    ...(options.storageState ? { storageState: options.storageState } : {}),
  });
  // tsx names functions with a helper that does not exist inside the page.
  await context.addInitScript('globalThis.__name = (fn) => fn;');
  return context;
}

/** Fails with a readable list when axe finds any WCAG 2.0/2.1/2.2 A or AA violation on the page. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'])
    .analyze();
  if (results.violations.length > 0) {
    const lines = results.violations.map(
      (v) =>
        `- ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
    );
    throw new Error(`Accessibility violations on ${label} (${page.url()}):\n${lines.join('\n')}`);
  }
}

/** Photographs the page at every width in WIDTHS as test-results/screenshots/<name>-<width>.png. */
export async function screenshotAtWidths(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  const original = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: original?.height ?? 844 });
    await page.screenshot({ path: join(screenshotDir, `${name}-${width}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
}

/** Checks a page the way every journey step is checked: accessible, and photographed at both widths. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await expectAccessible(page, name);
  await screenshotAtWidths(page, name);
}

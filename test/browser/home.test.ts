import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import {
  startTestPortal,
  type RunningTestPortal,
} from '../../packages/portal-express/test/support/server.js';
import { checkPage, launchChromium, newContext } from './support/chromium.js';

describe('start page in a real browser', () => {
  let running: RunningTestPortal;
  let browser: Browser;
  before(async () => {
    running = await startTestPortal();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await running?.stop();
  });

  it('is accessible in English and Welsh, and the language switch works without JavaScript', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${running.url}/`);
    expect(await page.getAttribute('html', 'lang')).to.equal('en');
    await checkPage(page, 'home-en');
    await page.getByRole('link', { name: 'Cymraeg' }).click();
    expect(await page.getAttribute('html', 'lang')).to.equal('cy');
    await expect(await page.textContent('h1')).to.contain('Un cyfrif');
    await checkPage(page, 'home-cy');
    await context.close();
  });

  it('works with JavaScript switched off', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    await page.goto(`${running.url}/?lang=cy`);
    expect(await page.textContent('h1')).to.contain('Un cyfrif');
    await context.close();
  });
});

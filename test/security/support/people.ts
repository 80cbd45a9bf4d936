import { expect } from 'chai';
import type { ManualClock } from '@porth/identity-core/testing';
import type { RunningTestPortal } from '../../../packages/portal-express/test/support/server.js';
import { emailedCode } from '../../../packages/portal-express/test/support/sign-in-setup.js';
import { SecurityBrowser } from './browser.js';

/** Someone who signs in with a username, a password and an emailed code. */
export interface SignInDetails {
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

/**
 * From the provider's username page the browser is on: username, password, the emailed code and
 * "Stay signed in? No". The browser ends wherever the client sends it afterwards. A portal with a
 * manual clock has it moved on a minute first, so that a new code may be sent.
 */
export async function completeSignIn(
  running: RunningTestPortal & { readonly clock?: ManualClock },
  browser: SecurityBrowser,
  person: SignInDetails,
): Promise<void> {
  running.clock?.advance(61_000);
  expect(browser.html, `the sign-in page at ${browser.url}`).to.contain('name="username"');
  await browser.submit({ username: person.username });
  await browser.submit({ password: person.password });
  expect(browser.html, `the second-factor page at ${browser.url}`).to.contain('name="code"');
  await browser.submit({ action: 'verify', code: await emailedCode(running, person.email) });
  await browser.submit({ stay_signed_in: 'no' });
}

/**
 * A new browser signed in at `start` (`/amp`, or `/portal/sign-in?as=…`), which must end at
 * `expected` (default: the application's home).
 */
export async function signedInBrowser(
  running: RunningTestPortal & { readonly clock?: ManualClock },
  person: SignInDetails,
  start: string,
  expected = start.startsWith('/portal') ? '/portal' : '/amp',
): Promise<SecurityBrowser> {
  const browser = new SecurityBrowser(running.url);
  await browser.open(start);
  await completeSignIn(running, browser, person);
  expect(new URL(browser.url).pathname, browser.html.slice(0, 1500)).to.equal(expected);
  return browser;
}

/** Signs an already signed-in browser in to the Portal too (single sign-on, no prompt). */
export async function alsoAtPortal(browser: SecurityBrowser, as = 'appointee'): Promise<void> {
  await browser.open(`/portal/sign-in?as=${as}`);
  expect(new URL(browser.url).pathname, browser.html.slice(0, 1500)).to.equal('/portal');
}

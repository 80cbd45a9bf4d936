import { expect } from 'chai';
import {
  authorizationRequest,
  registerTestClient,
  type TestClient,
} from '../../packages/portal-express/test/support/server.js';
import {
  startClockedTestPortal,
  type ClockedTestPortal,
} from '../../packages/portal-express/test/support/provider.js';
import { insertLegacyAccount } from '../../packages/portal-express/test/support/sign-in-setup.js';
import {
  createPerson,
  type Person,
} from '../../packages/portal-express/test/support/support-console.js';
import { answerOn } from '../../packages/portal-express/test/support/recovery.js';
import { SecurityBrowser } from './support/browser.js';
import { compareTwice, describeComparison, withinBounds, type TimedArm } from './support/timing.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';
/**
 * Requests per arm for the sign-in forms (about 50 ms each). The recovery forms and a refusal
 * on the migration page answer after a fixed 400 ms, so half as many suffice there. `PORTH_TIMING_SAMPLES` sets more for an audit run.
 */
const SAMPLES = Number(process.env.PORTH_TIMING_SAMPLES ?? 30);
const WRONG_PASSWORD = 'Not-The-Password-1!';

describe(`the same answer time for known and unknown accounts (${DB})`, function () {
  this.timeout(600_000);
  this.slow(60_000);
  let running: ClockedTestPortal;
  let client: TestClient;
  let active: Person;

  before(async () => {
    // Limits out of the way: every request here is a failure from 127.0.0.1.
    running = await startClockedTestPortal({
      LOCKOUT_THRESHOLD: '1000000',
      HARD_LOCKOUT_THRESHOLD: '0',
      IP_LIMIT_PER_15_MINUTES: '1000000',
    });
    client = await registerTestClient(running);
    active = await createPerson(running, {
      kind: 'appointee',
      given: 'Megan',
      family: 'Lloyd',
      username: 'megan.lloyd@wjec-appointees.co.uk',
      email: 'megan@example.org',
    });
    await insertLegacyAccount(running, {
      legacyUsername: 'gwen.evans',
      password: 'Hen-Gyfrinair-AMP-1!',
      givenName: 'Gwen',
      familyName: 'Evans',
      email: 'gwen@example.org',
    });
  });
  after(async () => {
    await running?.stop();
  });

  const clearLimits = async () => {
    await running.portal.db('throttle_counters').delete();
  };

  /** Wrong passwords posted again and again on the page "Username" leads to for `username`. */
  async function wrongPasswords(label: string, username: string, page: string): Promise<TimedArm> {
    const browser = new SecurityBrowser(running.url);
    const { url } = await authorizationRequest(client);
    await browser.open(url.toString());
    await browser.submit({ username });
    expect(browser.html, label).to.contain(page);
    return {
      label,
      send: async () => {
        await browser.submit({ password: WRONG_PASSWORD }, undefined, false);
        expect(browser.status, label).to.equal(400);
      },
    };
  }

  /** A recovery form: opened (not timed), then posted (timed) with `fields` and the question's answer. */
  function recoveryForm(label: string, path: string, fields: Record<string, string>): TimedArm {
    const browser = new SecurityBrowser(running.url);
    return {
      label,
      before: async () => {
        await clearLimits();
        await browser.open(path);
      },
      send: async () => {
        const answer: Record<string, string> =
          path === '/forgotten-password' ? { answer: answerOn(browser.html) } : {};
        await browser.submit({ ...fields, ...answer }, path, false);
        expect(browser.status, label).to.equal(303);
      },
    };
  }

  /**
   * Compares two arms: their medians and the median of their paired differences must be within
   * 8 % of the slower median (at least 8 ms), or within the machine's measured noise when that is
   * larger (several test runs may share its 2 cores). An honest implementation stays inside that;
   * a skipped password hash (25–45 ms of argon2id, about half a request) or an early answer is
   * far outside it on a quiet machine.
   */
  async function expectSameTime(a: TimedArm, b: TimedArm, samples: number): Promise<void> {
    const comparison = await compareTwice(a, b, { samples, relative: 0.08, absoluteMs: 8 });
    console.log(`      ${describeComparison(comparison)}`);
    expect(withinBounds(comparison), describeComparison(comparison)).to.equal(true);
  }

  it('answers a wrong password as fast for an account as for a username nobody has', async () => {
    await expectSameTime(
      await wrongPasswords('an account', active.username, 'Enter your password'),
      await wrongPasswords(
        'no account',
        'nobody.here@wjec-appointees.co.uk',
        'Enter your password',
      ),
      SAMPLES,
    );
  });

  it('answers a wrong password on the migration page as fast for a legacy account (bcrypt) as for no account', async () => {
    await expectSameTime(
      await wrongPasswords('a legacy account', 'gwen.evans', 'Migrate your AMP account'),
      await wrongPasswords('no account', 'nobody.here', 'Migrate your AMP account'),
      Math.ceil(SAMPLES / 2),
    );
  });

  it('answers "Forgotten username" as fast for an address with an account as for one without', async () => {
    await expectSameTime(
      recoveryForm('an account', '/forgotten-username', { email: active.email }),
      recoveryForm('no account', '/forgotten-username', { email: 'nobody@example.org' }),
      Math.ceil(SAMPLES / 2),
    );
  });

  it('answers "Forgotten password" as fast for an account as for a username nobody has', async () => {
    await expectSameTime(
      recoveryForm('an account', '/forgotten-password', { username: active.username }),
      recoveryForm('no account', '/forgotten-password', { username: 'nobody.here' }),
      Math.ceil(SAMPLES / 2),
    );
  });
});

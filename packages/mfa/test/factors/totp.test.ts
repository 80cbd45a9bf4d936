import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { TestDatabase } from '@porth/identity-core/testing';
import {
  KnexFactorRepository,
  TotpFactor,
  base32Decode,
  base32Encode,
  groupForTyping,
  normaliseTotpCode,
  totpStepAt,
  type MfaService,
} from '../../src/index.js';
import {
  DATABASE,
  createHarness,
  defined,
  createMfaTestDatabase,
  pinnedRandom,
  testClock,
  type Harness,
} from '../support/fixtures.js';

const run = promisify(execFile);

/** RFC 6238 appendix B: the SHA-1 seed and its 8-digit codes. */
const RFC_SECRET = new TextEncoder().encode('12345678901234567890');
const RFC_VECTORS: readonly [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

/** True when `command` can be run. */
async function installed(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/** A TOTP code computed by Debian's oathtool (an independent implementation) for `time`. */
async function oathtoolCode(base32Secret: string, time: Date): Promise<string> {
  const { stdout } = await run('oathtool', [
    '--totp',
    '--base32',
    `--now=@${Math.floor(time.getTime() / 1000)}`,
    base32Secret,
  ]);
  return stdout.trim();
}

/** Decodes a QR code PNG (a data URL) with zbarimg, an independent decoder. */
async function decodeQr(dataUrl: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'porth-qr-'));
  try {
    const file = join(dir, 'qr.png');
    writeFileSync(file, Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
    const { stdout } = await run('zbarimg', ['--quiet', '--raw', file]);
    return stdout.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('TotpFactor', () => {
  const totp = new TotpFactor();

  for (const [seconds, code] of RFC_VECTORS) {
    it(`computes the RFC 6238 SHA-1 code ${code} at T=${seconds}`, async () => {
      expect(await totp.codeAt(RFC_SECRET, new Date(seconds * 1000), 8)).to.equal(code);
    });

    it(`accepts the 6-digit code ${code.slice(-6)} at T=${seconds} as that time-step`, async () => {
      const at = new Date(seconds * 1000);
      expect(await totp.matchingStep(RFC_SECRET, code.slice(-6), at)).to.equal(totpStepAt(at));
    });
  }

  it('accepts a code one step either side of now and refuses two steps away', async () => {
    const now = new Date(1_800_000_000_000);
    const step = totpStepAt(now);
    const codeFor = (delta: number) =>
      totp.codeAt(RFC_SECRET, new Date(now.getTime() + delta * 30_000));
    expect(await totp.matchingStep(RFC_SECRET, await codeFor(-1), now)).to.equal(step - 1);
    expect(await totp.matchingStep(RFC_SECRET, await codeFor(1), now)).to.equal(step + 1);
    expect(await totp.matchingStep(RFC_SECRET, await codeFor(-2), now)).to.equal(null);
    expect(await totp.matchingStep(RFC_SECRET, await codeFor(2), now)).to.equal(null);
  });

  it('ignores spaces and hyphens in a typed code and refuses anything but six digits', async () => {
    const now = new Date(1_800_000_000_000);
    const code = await totp.codeAt(RFC_SECRET, now);
    expect(
      await totp.matchingStep(RFC_SECRET, `${code.slice(0, 3)} ${code.slice(3)}`, now),
    ).to.equal(totpStepAt(now));
    for (const bad of ['', '12345', '1234567', 'abcdef', '12 34 5']) {
      expect(normaliseTotpCode(bad)).to.equal(null);
      expect(await totp.matchingStep(RFC_SECRET, bad, now)).to.equal(null);
    }
  });

  it('encodes base32 as RFC 4648 does and reads it back as typed', () => {
    expect(base32Encode(new TextEncoder().encode('foobar'))).to.equal('MZXW6YTBOI');
    expect(base32Encode(RFC_SECRET)).to.equal('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(
      Buffer.from(defined(base32Decode('gezd gnbv-gy3t qojq gezd gnbv gy3t qojq'))).toString(),
    ).to.equal('12345678901234567890');
    expect(base32Decode('GEZ1')).to.equal(null);
    expect(groupForTyping('GEZDGNBVGY3TQOJQ')).to.equal('GEZD GNBV GY3T QOJQ');
  });
});

describe(`authenticator app enrolment and sign-in (${DATABASE})`, () => {
  let t: TestDatabase;
  let h: Harness;
  const clock = testClock();
  const random = pinnedRandom(RFC_SECRET);

  before(async () => {
    t = await createMfaTestDatabase();
    h = createHarness(t, clock, { random });
  });
  after(async () => {
    await t?.destroy();
  });

  /** Enrols an app factor and confirms it with its current code; returns the factor id and secret. */
  async function enrolledTotp(service: MfaService, accountId: string) {
    const enrolment = await service.startTotpEnrolment(accountId);
    const secret = defined(base32Decode(enrolment.secretForTyping));
    const code = await new TotpFactor().codeAt(secret, clock.now());
    const confirmed = await service.confirmEnrolment(accountId, {
      factorId: enrolment.factorId,
      code,
    });
    expect(confirmed.ok).to.equal(true);
    clock.advance(30_000);
    return { factorId: enrolment.factorId, secret, enrolment };
  }

  it('gives an otpauth URI with issuer and username, a QR code zbarimg decodes to it, and the secret in fours', async function () {
    if (!(await installed('zbarimg'))) {
      console.log('      zbarimg is not installed (apt-get install zbar-tools): skipping');
      this.skip();
    }
    const account = await h.createAccount();
    const enrolment = await h.service.startTotpEnrolment(account.id);
    const uri = new URL(enrolment.otpauthUri);
    expect(uri.protocol).to.equal('otpauth:');
    expect(uri.host).to.equal('totp');
    expect(decodeURIComponent(uri.pathname)).to.equal(`/Porth:${account.username}`);
    expect(uri.searchParams.get('issuer')).to.equal('Porth');
    const secret = defined(uri.searchParams.get('secret'));
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).to.have.length(20);
    expect(enrolment.secretForTyping).to.equal(defined(secret.match(/.{4}/g)).join(' '));
    expect(enrolment.label).to.equal(account.username);
    expect(enrolment.qrPngDataUrl).to.match(/^data:image\/png;base64,/);
    expect(enrolment.qrSvg).to.match(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(await decodeQr(enrolment.qrPngDataUrl)).to.equal(enrolment.otpauthUri);
  });

  it('accepts a code computed by oathtool from the secret in the decoded QR code', async function () {
    if (!(await installed('oathtool')) || !(await installed('zbarimg'))) {
      console.log(
        '      oathtool or zbarimg is not installed (apt-get install oathtool zbar-tools): skipping',
      );
      this.skip();
    }
    const account = await h.createAccount();
    const enrolment = await h.service.startTotpEnrolment(account.id);
    const secret = defined(
      new URL(await decodeQr(enrolment.qrPngDataUrl)).searchParams.get('secret'),
    );
    const first = await h.service.confirmEnrolment(account.id, {
      factorId: enrolment.factorId,
      code: await oathtoolCode(secret, clock.now()),
    });
    expect(first).to.deep.include({
      ok: true,
      method: 'totp',
      weak: false,
      factorId: enrolment.factorId,
    });
    clock.advance(30_000);
    const signIn = await h.service.verify(account.id, {
      factorId: enrolment.factorId,
      code: await oathtoolCode(secret, clock.now()),
    });
    expect(signIn).to.deep.include({ ok: true, method: 'totp' });
    if (signIn.ok) expect(signIn.amr).to.deep.equal(['otp']);
  });

  it('accepts the RFC 6238 codes for the RFC seed at the RFC times', async () => {
    const account = await h.createAccount();
    clock.set(1111111100 * 1000);
    random.pinNext(RFC_SECRET);
    const enrolment = await h.service.startTotpEnrolment(account.id);
    expect(enrolment.secretForTyping.replace(/ /g, '')).to.equal(base32Encode(RFC_SECRET));
    clock.set(1111111109 * 1000);
    const confirmed = await h.service.confirmEnrolment(account.id, {
      factorId: enrolment.factorId,
      code: '081804',
    });
    expect(confirmed.ok).to.equal(true);
    for (const [seconds, code] of RFC_VECTORS.slice(3)) {
      clock.set(seconds * 1000);
      const result = await h.service.verify(account.id, {
        factorId: enrolment.factorId,
        code: code.slice(-6),
      });
      expect(result.ok, `T=${seconds}`).to.equal(true);
    }
    clock.set(testClock().now());
  });

  it('refuses a code used twice within its time-step, and an earlier step after a later one', async () => {
    const account = await h.createAccount();
    const { factorId, secret } = await enrolledTotp(h.service, account.id);
    const totp = new TotpFactor();
    const now = await totp.codeAt(secret, clock.now());
    expect((await h.service.verify(account.id, { factorId, code: now })).ok).to.equal(true);
    expect(await h.service.verify(account.id, { factorId, code: now })).to.deep.include({
      ok: false,
      reason: 'code_already_used',
    });
    // The previous step's code is still inside the ±1 window, but an earlier step than one used.
    const previous = await totp.codeAt(secret, new Date(clock.now().getTime() - 30_000));
    expect(await h.service.verify(account.id, { factorId, code: previous })).to.deep.include({
      ok: false,
      reason: 'code_already_used',
    });
    clock.advance(30_000);
    const next = await totp.codeAt(secret, clock.now());
    expect((await h.service.verify(account.id, { factorId, code: next })).ok).to.equal(true);
  });

  it('accepts exactly one of 20 concurrent submissions of one valid code (on MariaDB over three connection pools)', async () => {
    const account = await h.createAccount();
    const { factorId, secret } = await enrolledTotp(h.service, account.id);
    const generous = {
      throttle: {
        perFactor: { limit: 100, windowMs: 60_000 },
        perAccount: { limit: 100, windowMs: 60_000 },
      },
    };
    // better-sqlite3 is synchronous: a second pool in the same process would block the event
    // loop while it waits for the first one's lock, so SQLite runs them all on its one connection.
    const pools = t.dialect === 'mysql' ? [t.db, t.connectAgain(), t.connectAgain()] : [t.db];
    const services = pools.map((db) => h.serviceOn(db, { policy: generous }));
    const code = await new TotpFactor().codeAt(secret, clock.now());
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        defined(services[i % services.length]).verify(account.id, { factorId, code }),
      ),
    );
    expect(results.filter((r) => r.ok)).to.have.length(1);
    expect(results.filter((r) => !r.ok && r.reason === 'code_already_used')).to.have.length(19);
    const factor = await new KnexFactorRepository(t.db).find(account.id, factorId);
    expect(factor?.lastUsedStep).to.equal(totpStepAt(clock.now()));
    const audit = await h.audit(account.id);
    expect(audit.filter((e) => e.type === 'mfa.verified')).to.have.length(1);
    expect(audit.filter((e) => e.type === 'mfa.verification_failed')).to.have.length(19);
  });

  it('refuses a wrong code, audits it without the code, and tells TOTP from sent-code factors', async () => {
    const account = await h.createAccount();
    const { factorId, secret } = await enrolledTotp(h.service, account.id);
    const right = await new TotpFactor().codeAt(secret, clock.now());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(await h.service.verify(account.id, { factorId, code: wrong })).to.deep.include({
      ok: false,
      reason: 'invalid_code',
    });
    const failed = (await h.audit(account.id)).filter((e) => e.type === 'mfa.verification_failed');
    expect(failed).to.have.length(1);
    expect(JSON.stringify(failed[0])).not.to.include(wrong);
    expect(failed[0]?.details).to.deep.include({ reason: 'invalid_code', factorId });
  });

  it('shows a pending enrolment again with the same key and QR code, and nothing once it is confirmed', async () => {
    const account = await h.createAccount();
    const started = await h.service.startTotpEnrolment(account.id);
    const again = await h.service.pendingTotpEnrolment(account.id, started.factorId);
    expect(again?.otpauthUri).to.equal(started.otpauthUri);
    expect(again?.secretForTyping).to.equal(started.secretForTyping);
    expect(again?.qrSvg).to.equal(started.qrSvg);
    expect(
      await h.service.pendingTotpEnrolment('someone-else', started.factorId).catch(() => null),
    ).to.equal(null);
    const secret = defined(base32Decode(started.secretForTyping));
    const confirmed = await h.service.confirmEnrolment(account.id, {
      factorId: started.factorId,
      code: await new TotpFactor().codeAt(secret, clock.now()),
    });
    expect(confirmed.ok).to.equal(true);
    clock.advance(30_000);
    expect(await h.service.pendingTotpEnrolment(account.id, started.factorId)).to.equal(null);
  });

  it('stores the secret sealed, never as its base32 or raw bytes', async () => {
    const account = await h.createAccount();
    const { factorId, secret } = await enrolledTotp(h.service, account.id);
    const row = await t.db('mfa_factors').where({ id: factorId }).first();
    expect(row.secret_sealed).to.match(/^v1\./);
    expect(row.secret_sealed).not.to.include(base32Encode(secret));
    expect(row.secret_sealed).not.to.include(Buffer.from(secret).toString('base64url'));
  });

  it('refuses to confirm an enrolment after an hour, and a factor that is already active', async () => {
    const account = await h.createAccount();
    const enrolment = await h.service.startTotpEnrolment(account.id);
    clock.advance(60 * 60_000);
    const secret = defined(base32Decode(enrolment.secretForTyping));
    const code = await new TotpFactor().codeAt(secret, clock.now());
    await h.service.confirmEnrolment(account.id, { factorId: enrolment.factorId, code }).then(
      () => expect.fail('should refuse'),
      (err: unknown) => expect(err).to.have.property('code', 'MFA_ENROLMENT_EXPIRED'),
    );
    const { factorId } = await enrolledTotp(h.service, account.id);
    await h.service.confirmEnrolment(account.id, { factorId, code }).then(
      () => expect.fail('should refuse'),
      (err: unknown) => expect(err).to.have.property('code', 'MFA_ALREADY_CONFIRMED'),
    );
  });
});

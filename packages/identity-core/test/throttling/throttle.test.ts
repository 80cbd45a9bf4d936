import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { assertRateLimit, throttleKey } from '../../src/throttling/throttle.js';
import {
  assertLockoutPolicy,
  lockoutState,
  LOCKED_UNTIL_RESET_MS,
} from '../../src/throttling/lockout.js';
import { ipThrottleKey } from '../../src/throttling/sign-in-throttle.js';

describe('throttling keys and settings', () => {
  it('stores a short plain key as it is', () => {
    expect(throttleKey('sign-in:ip:192.0.2.7')).to.equal('sign-in:ip:192.0.2.7');
    expect(throttleKey('k'.repeat(191))).to.equal('k'.repeat(191));
  });

  it('hashes keys longer than the 191-character column', () => {
    const long = 'k'.repeat(192);
    expect(throttleKey(long)).to.equal(`sha256:${createHash('sha256').update(long).digest('hex')}`);
    expect(throttleKey(long).length).to.be.at.most(191);
    expect(throttleKey(`${long}x`)).to.not.equal(throttleKey(long));
  });

  it('hashes keys MySQL would confuse or that look like a hash already', () => {
    expect(throttleKey('user ')).to.not.equal('user ');
    expect(throttleKey('user ')).to.not.equal(throttleKey('user'));
    const posing = throttleKey('k'.repeat(300));
    expect(throttleKey(posing)).to.not.equal(posing);
  });

  it('rejects an empty key', () => {
    expect(() => throttleKey('')).to.throw(RangeError);
  });

  it('rejects limits and windows that are not positive whole numbers', () => {
    expect(() => assertRateLimit({ limit: 0, windowMs: 1000 })).to.throw(RangeError);
    expect(() => assertRateLimit({ limit: 5, windowMs: -1 })).to.throw(RangeError);
    expect(() => assertRateLimit({ limit: 1.5, windowMs: 1000 })).to.throw(RangeError);
    expect(() => assertRateLimit({ limit: 5, windowMs: Number.NaN })).to.throw(RangeError);
    expect(() => assertRateLimit({ limit: 5, windowMs: 1000 })).to.not.throw();
  });

  it('rejects lockout policies without a positive threshold or lock time', () => {
    expect(() => assertLockoutPolicy({ threshold: 0, lockMs: 1000 })).to.throw(RangeError);
    expect(() => assertLockoutPolicy({ threshold: 3, lockMs: 0 })).to.throw(RangeError);
    expect(() => assertLockoutPolicy({ threshold: 3, lockMs: null })).to.not.throw();
  });

  it('reports a lock until reset without a retry time', () => {
    const state = lockoutState(100, LOCKED_UNTIL_RESET_MS, Date.UTC(2026, 0, 1));
    expect(state).to.deep.include({ locked: true, untilReset: true, retryAfterMs: null });
    expect(state.lockedUntil?.getTime()).to.equal(LOCKED_UNTIL_RESET_MS);
    expect(lockoutState(3, 5000, 4000)).to.deep.include({ locked: true, retryAfterMs: 1000 });
    expect(lockoutState(3, 5000, 5000)).to.deep.include({ locked: false, lockedUntil: null });
  });

  it('counts IPv4 addresses one by one, also when written IPv4-mapped', () => {
    expect(ipThrottleKey('192.0.2.7')).to.equal('192.0.2.7');
    expect(ipThrottleKey(' 192.0.2.7 ')).to.equal('192.0.2.7');
    expect(ipThrottleKey('::ffff:192.0.2.7')).to.equal('192.0.2.7');
    expect(ipThrottleKey('::FFFF:c000:0207')).to.equal('192.0.2.7');
    expect(ipThrottleKey('192.0.2.8')).to.not.equal(ipThrottleKey('192.0.2.7'));
  });

  it('counts IPv6 addresses by their /64 network, however they are written', () => {
    const key = ipThrottleKey('2001:db8:1:2::1');
    expect(key).to.equal('2001:db8:1:2::/64');
    expect(ipThrottleKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).to.equal(key);
    expect(ipThrottleKey('[2001:db8:1:2:aaaa::9]')).to.equal(key);
    expect(ipThrottleKey('2001:db8:1:2::1%eth0')).to.equal(key);
    expect(ipThrottleKey('2001:db8:1:3::1')).to.not.equal(key);
    expect(ipThrottleKey('::1')).to.equal('0:0:0:0::/64');
    expect(ipThrottleKey('fe80::1.2.3.4')).to.equal('fe80:0:0:0::/64');
  });

  it('uses an address it cannot parse as it is, in lower case', () => {
    expect(ipThrottleKey('Unknown-Proxy')).to.equal('unknown-proxy');
  });
});

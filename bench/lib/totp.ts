/** RFC 6238 codes (HMAC-SHA1, 6 digits, 30-second steps), as the bench users' phones would show. */
import { createHmac } from 'node:crypto';
import { base32Decode } from '@porth/mfa';

/** The TOTP code of base32 `secret` for the 30-second step `step`. */
export function totpCode(secret: string, step: number): string {
  const key = base32Decode(secret);
  if (!key) throw new Error('not a base32 TOTP secret');
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

/** The 30-second step that `epochMs` falls in. */
export function totpStep(epochMs: number): number {
  return Math.floor(epochMs / 30_000);
}

import { SealedBox, type RandomSource } from '@porth/identity-core';
import { SecretUnreadableError } from '../errors.js';

/** The HKDF `info` of the key that encrypts TOTP secrets. */
export const TOTP_SECRET_KEY_INFO = 'porth/mfa/totp-secret/v1';

/**
 * Encrypts TOTP secrets at rest. A TOTP secret must be recoverable to compute codes, so it
 * cannot be hashed; it is sealed with identity-core's SealedBox under its own key and bound to
 * its factor id, so a sealed secret copied onto another row does not open.
 */
export class SecretCipher {
  private readonly box: SealedBox;

  constructor(secretKey: string, random: RandomSource) {
    this.box = new SealedBox(secretKey, TOTP_SECRET_KEY_INFO, random);
  }

  /** Seals `secret` for the factor `factorId`. */
  seal(factorId: string, secret: Uint8Array): string {
    return this.box.seal(factorId, secret);
  }

  /** Opens what seal() made for `factorId`; throws SecretUnreadableError otherwise. */
  open(factorId: string, sealed: string): Uint8Array {
    const plain = this.box.open(factorId, sealed);
    if (plain === null) throw new SecretUnreadableError();
    return new Uint8Array(plain);
  }
}

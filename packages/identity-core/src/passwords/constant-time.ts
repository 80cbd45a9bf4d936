import { timingSafeEqual } from 'node:crypto';

/**
 * Compares two byte strings in constant time for their common length; different lengths are
 * unequal (the length of a digest is not a secret).
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Decodes strict standard base64 (padding optional) or returns null when the text is not base64. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return null;
  if (text.length !== unpadded.length && text.length % 4 !== 0) return null;
  const bytes = Buffer.from(unpadded, 'base64');
  // Reject non-canonical encodings (stray bits in the last character).
  return bytes.toString('base64').replace(/=+$/, '') === unpadded ? bytes : null;
}

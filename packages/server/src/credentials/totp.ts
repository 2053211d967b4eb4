/**
 * TOTP (RFC 6238) on node:crypto: HOTP (RFC 4226) over the number of 30-second steps since the
 * epoch. Ward enrols SHA-1, 6 digits and 30 seconds, the parameters every authenticator app
 * understands (others ignore the algorithm/digits parameters of the otpauth URI), with a 160-bit
 * secret (RFC 4226 §4 recommends at least 128). `generate` takes the algorithm and digits too, so
 * the RFC 6238 test vectors (SHA-256/512, 8 digits) check the same code.
 *
 * Verification accepts the current step and one step either side (clock skew), but only a step
 * later than the last one accepted for that secret: a code works once, and an older code never
 * works after a newer one did. The caller stores the returned step (atomically, see
 * directory/credential-store.ts) before it counts the code as good.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_SECRET_BYTES = 20;
/** Steps accepted either side of the current one. */
export const TOTP_SKEW_STEPS = 1;

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 4648 base32, case-insensitive, spaces and padding ignored; undefined on anything else. */
export function base32Decode(text: string): Buffer | undefined {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) return undefined;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

export function timeStep(nowMs: number, period = TOTP_PERIOD_SECONDS): number {
  return Math.floor(nowMs / 1000 / period);
}

/** The HOTP value of `secret` at counter `step`, as a zero-padded decimal string (RFC 4226 §5.3). */
export function hotp(secret: Uint8Array, step: number, digits = TOTP_DIGITS, algorithm: TotpAlgorithm = 'sha1'): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac(algorithm, secret).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
}

/** The TOTP code at `nowMs`. */
export function totpCode(secret: Uint8Array, nowMs: number, opts: { digits?: number; algorithm?: TotpAlgorithm } = {}): string {
  return hotp(secret, timeStep(nowMs), opts.digits ?? TOTP_DIGITS, opts.algorithm ?? 'sha1');
}

/** Digits only, after dropping spaces and dashes people type ("123 456"); undefined if not a code. */
export function normaliseTotpCode(code: unknown): string | undefined {
  if (typeof code !== 'string' || code.length > 32) return undefined;
  const clean = code.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(clean) ? clean : undefined;
}

/**
 * The step `code` matches (current ±1), provided it is later than `lastStep`; undefined when it
 * matches none. Every candidate is compared in constant time.
 */
export function matchTotp(secret: Uint8Array, code: string, nowMs: number, lastStep: number): number | undefined {
  const clean = normaliseTotpCode(code);
  if (clean === undefined) return undefined;
  const now = timeStep(nowMs);
  let found: number | undefined;
  for (let step = now - TOTP_SKEW_STEPS; step <= now + TOTP_SKEW_STEPS; step++) {
    const same = timingSafeEqual(Buffer.from(hotp(secret, step)), Buffer.from(clean));
    if (same && step > lastStep && found === undefined) found = step;
  }
  return found;
}

/** The otpauth URI (Google Authenticator key URI format) an app scans. */
export function otpauthUri(secret: Uint8Array, issuer: string, accountName: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const params = new URLSearchParams({
    secret: base32Encode(secret),
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}

/**
 * Password hashing and policy, for the primary password and the unix password alike.
 *
 * argon2id with m=19456 KiB (19 MiB), t=2, p=1: the OWASP Password Storage Cheat Sheet and ASVS 5.0
 * Appendix C minimum for argon2id. It costs about 20-30 ms and 19 MiB per hash here, which keeps
 * logins cheap for a server that also answers hosts, while an offline guess costs the same.
 * Hashes are PHC strings, so the parameters travel with each hash: raising them later only needs a
 * new constant here, and `needsRehash` upgrades each stored hash at its owner's next good login.
 *
 * Unknown accounts are checked against a dummy hash with the same parameters, so the time of a
 * failed login does not tell whether the name exists. Passwords never reach a log or an error.
 */
import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { WardError } from '@ward/proto';
import { passwordQualityProblem, type PasswordRules } from '../credentials/password-quality.js';

export const PASSWORD_HASH_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../credentials/password-quality.js';

/**
 * The quality rules for setting a password (credentials/password-quality.ts: NIST SP 800-63B
 * length, no composition rules, not a common password, not containing the account's names).
 * `rules` is the account name alone (the password must not equal it), or the policy's minimum
 * length and the names the password must not contain.
 */
export function passwordProblem(password: unknown, rules?: string | PasswordRules): string | undefined {
  return passwordQualityProblem(password, typeof rules === 'string' ? { exactNames: [rules] } : (rules ?? {}));
}

export function assertPasswordPolicy(password: unknown, rules?: string | PasswordRules): asserts password is string {
  const problem = passwordProblem(password, rules);
  if (problem) throw new WardError('invalid_password', problem);
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, PASSWORD_HASH_OPTIONS);
}

let dummyHash: Promise<string> | undefined;
function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(18).toString('base64'));
  return dummyHash;
}

export interface VerifyResult {
  ok: boolean;
  /** A fresh hash to store when the stored one used weaker (older) parameters. */
  rehash?: string;
}

/**
 * Checks `password` against `hash`, or against the dummy hash when there is none (unknown account,
 * no password set), so both cases take the same time. A malformed stored hash counts as a failure.
 */
export async function verifyPassword(hash: string | undefined, password: string): Promise<VerifyResult> {
  const target = hash ?? (await getDummyHash());
  let ok = false;
  try {
    ok = await argon2.verify(target, password);
  } catch {
    ok = false;
  }
  if (!ok || hash === undefined) return { ok: false };
  if (!hash.startsWith('$argon2id$') || argon2.needsRehash(hash, PASSWORD_HASH_OPTIONS)) return { ok: true, rehash: await hashPassword(password) };
  return { ok: true };
}

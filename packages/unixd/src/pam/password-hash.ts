/**
 * The offline password cache's hash: argon2id, salted, slow, in PHC string form. Parameters are
 * OWASP's second recommended set (19 MiB, t=2, p=1): a login pays ~20 ms, a stolen cache file
 * costs an attacker the same per guess, and the daemon's memory stays small (one hash at a time
 * uses 19 MiB, not the library's default 64 MiB).
 */
import * as argon2 from 'argon2';

const PARAMS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, PARAMS);
}

/** false on a mismatch and on a damaged hash alike. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

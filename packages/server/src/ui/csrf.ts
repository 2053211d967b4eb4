/**
 * CSRF tokens of the web UI: synchronizer tokens derived, not stored. A token is
 * HMAC-SHA256(key, purpose NUL binding), where the binding is a secret the browser proves it
 * holds through an HttpOnly cookie: the login session id (signed-in forms), the credential update
 * session id (credential forms) or the random pre-sign-in value (sign-in and reset forms). Another
 * site can neither read the cookie nor compute the token, and a token taken from one session is
 * useless in another. The key is generated on first start and kept in the directory's settings
 * (backups carry it), so tokens in open pages survive a restart.
 *
 * This is one of two walls: every POST is also checked for its Origin / Sec-Fetch-Site
 * (security.ts), and the session cookie is SameSite=Lax.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Directory } from '../directory/types.js';

export const CSRF_KEY_SETTING = 'ui.csrf_key';
/** The form field and the header (for the JSON calls of page scripts) carrying the token. */
export const CSRF_FIELD = 'csrf';
export const CSRF_HEADER = 'x-csrf-token';

export type CsrfPurpose = 'session' | 'cu' | 'pre';

export class Csrf {
  private constructor(private readonly key: Buffer) {}

  /** Load the key from the directory, creating it on first start. */
  static open(directory: Directory): Csrf {
    let stored = directory.getSetting(CSRF_KEY_SETTING);
    if (stored === undefined || !/^[A-Za-z0-9_-]{43}$/.test(stored)) {
      stored = randomBytes(32).toString('base64url');
      directory.setSetting(CSRF_KEY_SETTING, stored);
    }
    return new Csrf(Buffer.from(stored, 'base64url'));
  }

  token(purpose: CsrfPurpose, binding: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\0${binding}`).digest('base64url');
  }

  /** Constant-time comparison of a submitted token with the expected one. */
  check(purpose: CsrfPurpose, binding: string, submitted: unknown): boolean {
    if (typeof submitted !== 'string' || submitted.length !== 43) return false;
    const expected = Buffer.from(this.token(purpose, binding));
    const given = Buffer.from(submitted);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/**
 * The cookies of the web UI, and reading and writing them without a cookie library.
 *
 * Every cookie is `__Host-` prefixed: the browser then insists on Secure, Path=/ and no Domain,
 * so no other host (a sibling subdomain) can set or shadow it. Every cookie is HttpOnly: page
 * scripts never need them.
 *
 *   __Host-ward_session  the login session: the same signed session token the API issues, checked
 *                        on every request against its record, so signing out anywhere ends it.
 *                        SameSite=Lax, not Strict: a person arriving from another site (an
 *                        application sending them to sign in through SSO, a link in a mail) must
 *                        arrive signed in on that top-level GET; Lax still withholds the cookie
 *                        from every cross-site POST and every cross-site subresource or frame,
 *                        and every state-changing form also carries a CSRF token.
 *   __Host-ward_pre      a random value identifying a browser before sign-in: the CSRF token of
 *                        the sign-in and reset forms is bound to it (login CSRF). Strict.
 *   __Host-ward_signin   the id of the sign-in in progress (AuthFlow), 5 minutes. Strict.
 *   __Host-ward_cu       the id of the credential update session in progress. Strict.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const COOKIE = {
  session: '__Host-ward_session',
  pre: '__Host-ward_pre',
  signin: '__Host-ward_signin',
  cu: '__Host-ward_cu',
} as const;

export type CookieName = (typeof COOKIE)[keyof typeof COOKIE];

/** Longest cookie value we accept; ours are below 1 KiB. */
const MAX_VALUE = 4096;
/** Cookie values we write and accept: base64url, JWT dots, nothing that needs quoting. */
const VALUE_RE = /^[A-Za-z0-9_.-]+$/;

/** The value of one of our cookies in the request, or undefined (absent, malformed or oversized). */
export function readCookie(request: FastifyRequest, name: CookieName): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    // The first one wins: browsers send the most specific (our __Host- one) first.
    return value.length <= MAX_VALUE && VALUE_RE.test(value) ? value : undefined;
  }
  return undefined;
}

export interface CookieOptions {
  sameSite: 'Lax' | 'Strict';
  /** Seconds; absent for a cookie that ends with the browser session. */
  maxAge?: number;
}

function serialize(name: CookieName, value: string, opts: CookieOptions): string {
  if (!VALUE_RE.test(value) && value !== '') throw new Error(`cookie ${name}: value has characters that need quoting`);
  const parts = [`${name}=${value}`, 'Path=/', 'Secure', 'HttpOnly', `SameSite=${opts.sameSite}`];
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(opts.maxAge))}`);
  return parts.join('; ');
}

function append(reply: FastifyReply, cookie: string): void {
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  void reply.header('set-cookie', [...list, cookie]);
}

export function setCookie(reply: FastifyReply, name: CookieName, value: string, opts: CookieOptions): void {
  append(reply, serialize(name, value, opts));
}

export function clearCookie(reply: FastifyReply, name: CookieName): void {
  append(reply, serialize(name, '', { sameSite: 'Strict', maxAge: 0 }));
}

/**
 * The web session: a login session of the directory (the same records and signed tokens as the
 * API, see http/tokens.ts) carried in the `__Host-ward_session` cookie. Every request verifies the
 * token and its record, so a session revoked anywhere (sign-out here, `ward session destroy`,
 * a password change, a locked account) stops working at once.
 *
 * Also the pre-sign-in binding (`__Host-ward_pre`) the sign-in and reset forms' CSRF tokens hang
 * on, and the safe handling of `next` (where to go after signing in), which must stay on this
 * server: an open redirect on an IdP is a phishing tool.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WardError } from '@ward/proto';
import type { Actor, SessionRecord } from '../directory/types.js';
import type { Services } from '../http/handlers/context.js';
import { sessionToken } from '../http/tokens.js';
import type { AppCatalog } from './apps.js';
import type { Assets } from './assets.js';
import { clearCookie, COOKIE, readCookie, setCookie } from './cookies.js';
import type { Csrf } from './csrf.js';

/** What every UI route can reach. */
export interface UiContext {
  services: Services;
  csrf: Csrf;
  assets: Assets;
  apps: AppCatalog;
  /** The public origin (config `origin`), e.g. https://idm.example.com. */
  origin: string;
}

export interface WebSession {
  actor: Actor;
  sessionId: string;
  /** The CSRF token of this session's forms. */
  csrf: string;
}

const sessions = new WeakMap<FastifyRequest, WebSession | null>();

/** The signed-in session of the request, or undefined (no cookie, or one that no longer verifies). */
export async function currentSession(ui: UiContext, request: FastifyRequest): Promise<WebSession | undefined> {
  const cached = sessions.get(request);
  if (cached !== undefined) return cached ?? undefined;
  let found: WebSession | null = null;
  const token = readCookie(request, COOKIE.session);
  if (token !== undefined) {
    try {
      const ctx = await ui.services.tokens.verify(token);
      // An API token pasted into a cookie is not a browser session.
      if (ctx.kind === 'session') {
        found = { actor: ctx.actor, sessionId: ctx.sessionId, csrf: ui.csrf.token('session', ctx.sessionId) };
      }
    } catch (e) {
      if (!(e instanceof WardError)) throw e;
    }
  }
  sessions.set(request, found);
  return found ?? undefined;
}

/** Put a fresh login session in the cookie (after a successful sign-in). */
export async function startWebSession(ui: UiContext, reply: FastifyReply, session: SessionRecord): Promise<void> {
  const token = await sessionToken(ui.services.tokens, session);
  setCookie(reply, COOKIE.session, token, { sameSite: 'Lax', maxAge: (session.expiresAt - Date.now()) / 1000 });
}

export function endWebSession(reply: FastifyReply): void {
  clearCookie(reply, COOKIE.session);
}

/** The pre-sign-in binding for a page being rendered: the cookie's value, or a new one set now. */
export function preBinding(request: FastifyRequest, reply: FastifyReply): string {
  const existing = readCookie(request, COOKIE.pre);
  if (existing !== undefined && existing.length >= 32) return existing;
  const fresh = randomBytes(32).toString('base64url');
  setCookie(reply, COOKIE.pre, fresh, { sameSite: 'Strict' });
  return fresh;
}

/** Check the CSRF token of a form posted before sign-in. */
export function checkPreCsrf(ui: UiContext, request: FastifyRequest, submitted: unknown): void {
  const binding = readCookie(request, COOKIE.pre);
  if (binding === undefined) {
    throw new WardError('forbidden', 'your browser did not send back the cookie of this page: allow cookies for this site and try again');
  }
  if (!ui.csrf.check('pre', binding, submitted)) throw csrfError();
}

export function checkSessionCsrf(ui: UiContext, session: WebSession, submitted: unknown): void {
  if (!ui.csrf.check('session', session.sessionId, submitted)) throw csrfError();
}

export function csrfError(): WardError {
  return new WardError('forbidden', 'this form has expired or did not come from this site; reload the page and try again');
}

export const DEFAULT_NEXT = '/ui/apps';

/**
 * `next` as given when it is a path on this server (`/x...`, not `//host` or `/\host`, no control
 * characters or white space, bounded); the apps page otherwise.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return DEFAULT_NEXT;
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(next) || next.includes('\\')) return DEFAULT_NEXT;
  return next;
}

/** The sign-in page's URL that comes back to `path` afterwards. */
export function loginUrl(path: string, notice?: string): string {
  const q = new URLSearchParams();
  if (path !== DEFAULT_NEXT) q.set('next', path);
  if (notice) q.set('notice', notice);
  const s = q.toString();
  return s ? `/ui/login?${s}` : '/ui/login';
}

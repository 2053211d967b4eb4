/**
 * Sign-in and sign-out routes. The pages drive the server's sign-in state machine (AuthFlow,
 * auth/types.ts) one step at a time: the id of the sign-in in progress is kept in the HttpOnly
 * `__Host-ward_signin` cookie, each answer of the flow becomes a page (continue: the next step;
 * denied: the first page again with the reason; success: the session cookie and a redirect to
 * `next`). Passkey steps arrive as JSON from login.js.
 *
 * Paths are relative to the `/ui` prefix this scope is registered under.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { WardError, type ErrorCode } from '@ward/proto';
import type { AuthState, AuthStep, DeniedCode } from '../../auth/types.js';
import { clearCookie, COOKIE, readCookie, setCookie } from '../cookies.js';
import { CSRF_FIELD, CSRF_HEADER } from '../csrf.js';
import { formOf } from '../forms.js';
import { NOTICES, noticeFromQuery, sendPage, sentence, type Notice } from '../layout.js';
import { loginStartPage, loginStepPage } from '../pages/login.js';
import { assertSameOrigin } from '../security.js';
import {
  checkPreCsrf, checkSessionCsrf, currentSession, endWebSession, loginUrl, preBinding, safeNext, startWebSession,
  type UiContext,
} from '../session.js';

/** The sign-in in progress lives this long in its cookie (the server keeps it 5 minutes). */
const SIGNIN_COOKIE_SECONDS = 300;

const DENIED_STATUS: Record<DeniedCode, number> = { auth_failed: 401, rate_limited: 429, policy: 403, session_expired: 401 };
const DENIED_ERROR: Record<DeniedCode, ErrorCode> = {
  auth_failed: 'auth_failed',
  rate_limited: 'rate_limited',
  policy: 'forbidden',
  session_expired: 'unauthenticated',
};

const PasskeyFinishBody = Type.Object(
  {
    response: Type.Object({}, { additionalProperties: true }),
    next: Type.Optional(Type.String({ maxLength: 2048 })),
    flow: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
const EmptyBody = Type.Object({}, { additionalProperties: false });

/** The flow's "success": end any older web session, start the new one, forget the sign-in. */
async function signedIn(ui: UiContext, request: FastifyRequest, reply: FastifyReply, st: Extract<AuthState, { state: 'success' }>): Promise<void> {
  const previous = await currentSession(ui, request);
  if (previous) ui.services.directory.revokeSession(previous.actor.uuid, previous.sessionId);
  await startWebSession(ui, reply, st.session);
  clearCookie(reply, COOKIE.signin);
}

function deniedNotice(st: Extract<AuthState, { state: 'denied' }>): Notice {
  return { kind: 'error', text: sentence(st.reason) };
}

/** Render what a form step of the flow answered. */
async function answerForm(
  ui: UiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  st: AuthState,
  c: { name: string; next: string; csrf: string },
): Promise<FastifyReply> {
  const common = { assets: ui.assets, csrf: c.csrf, next: c.next };
  if (st.state === 'success') {
    await signedIn(ui, request, reply, st);
    return reply.redirect(c.next, 303);
  }
  if (st.state === 'denied') {
    clearCookie(reply, COOKIE.signin);
    if (st.code === 'rate_limited' && st.retryAfterSeconds) void reply.header('retry-after', String(st.retryAfterSeconds));
    return sendPage(reply, DENIED_STATUS[st.code], loginStartPage({ ...common, name: c.name, notice: deniedNotice(st) }));
  }
  setCookie(reply, COOKIE.signin, st.session, { sameSite: 'Strict', maxAge: SIGNIN_COOKIE_SECONDS });
  return sendPage(reply, 200, loginStepPage({ ...common, name: c.name, allowed: st.allowed, passkeyOptions: st.passkeyOptions }));
}

/** The secret of a form step, by its kind. */
function stepFromForm(kind: string, read: (field: string, label: string, max: number) => string): AuthStep {
  switch (kind) {
    case 'password':
      return { kind, password: read('password', 'your password', 1024) };
    case 'totp':
      return { kind, code: read('totp', 'the code', 16).replace(/\s+/g, '') };
    case 'backup_code':
      return { kind, code: read('backup_code', 'a backup code', 64).replace(/\s+/g, '') };
    default:
      throw new WardError('bad_request', 'the form names no known sign-in step');
  }
}

export function loginRoutes(scope: FastifyInstance, ui: UiContext): void {
  const flow = ui.services.authFlow;

  scope.get('/login', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const next = safeNext(q.next);
    const notice = noticeFromQuery(q);
    // Signed in already: straight on, unless the page asks to confirm it is them (re-authentication,
    // for credential changes or because an application asked: prompt=login, max_age).
    if ((await currentSession(ui, request)) && notice !== NOTICES.reauth && notice !== NOTICES.sso_reauth) return reply.redirect(next, 303);
    const csrf = ui.csrf.token('pre', preBinding(request, reply));
    return sendPage(reply, 200, loginStartPage({ assets: ui.assets, csrf, next, notice }));
  });

  scope.post('/login', async (request, reply) => {
    const form = formOf(request.body);
    assertSameOrigin(request, ui.origin);
    const csrf = form.optional(CSRF_FIELD, 64) ?? '';
    checkPreCsrf(ui, request, csrf);
    const next = safeNext(form.optional('next', 2048));
    const name = form.text('name', 'your name', 320);
    const st = await flow.begin({ name, source: request.ip });
    return answerForm(ui, request, reply, st, { name, next, csrf });
  });

  scope.post('/login/step', async (request, reply) => {
    const form = formOf(request.body);
    assertSameOrigin(request, ui.origin);
    const csrf = form.optional(CSRF_FIELD, 64) ?? '';
    checkPreCsrf(ui, request, csrf);
    const next = safeNext(form.optional('next', 2048));
    const name = (form.optional('username', 320) ?? '').trim();
    const id = readCookie(request, COOKIE.signin);
    if (!id) {
      const notice: Notice = { kind: 'error', text: 'Your sign-in took too long and has ended. Start again.' };
      return sendPage(reply, 401, loginStartPage({ assets: ui.assets, csrf, next, name, notice }));
    }
    const step = stepFromForm(form.required('kind', 32), (f, label, max) => form.text(f, label, max));
    const st = await flow.step(id, step, request.ip);
    return answerForm(ui, request, reply, st, { name, next, csrf });
  });

  // A username-less passkey sign-in: the options for navigator.credentials.get() and the id to finish it with.
  scope.post('/login/passkey/begin', { schema: { body: EmptyBody } }, async (request) => {
    assertSameOrigin(request, ui.origin);
    checkPreCsrf(ui, request, request.headers[CSRF_HEADER]);
    const st = await flow.begin({ source: request.ip });
    if (st.state === 'continue' && st.passkeyOptions) return { flow: st.session, options: st.passkeyOptions };
    if (st.state === 'denied') throw new WardError(DENIED_ERROR[st.code], st.reason);
    throw new WardError('unavailable', 'passkey sign-in is not available');
  });

  scope.post('/login/passkey/finish', { schema: { body: PasskeyFinishBody } }, async (request, reply) => {
    assertSameOrigin(request, ui.origin);
    checkPreCsrf(ui, request, request.headers[CSRF_HEADER]);
    const body = request.body as { response: unknown; next?: string; flow?: string };
    // The button's own sign-in names its flow; a step page's passkey continues the one in the cookie.
    const id = body.flow ?? readCookie(request, COOKIE.signin);
    if (!id) throw new WardError('unauthenticated', 'the sign-in has ended; start again');
    const st = await flow.step(id, { kind: 'passkey', response: body.response as never }, request.ip);
    if (st.state === 'success') {
      await signedIn(ui, request, reply, st);
      return { redirect: safeNext(body.next) };
    }
    clearCookie(reply, COOKIE.signin);
    if (st.state === 'denied') throw new WardError(DENIED_ERROR[st.code], st.reason);
    throw new WardError('auth_failed', 'the passkey alone cannot finish this sign-in; use the form');
  });

  scope.post('/logout', async (request, reply) => {
    const form = formOf(request.body);
    assertSameOrigin(request, ui.origin);
    const session = await currentSession(ui, request);
    if (session) {
      // Only this site's own form may sign a person out (no forced sign-out from elsewhere).
      checkSessionCsrf(ui, session, form.optional(CSRF_FIELD, 64));
      ui.services.directory.revokeSession(session.actor.uuid, session.sessionId);
      request.log.info({ event: 'logout', name: session.actor.name, session: session.sessionId, source: request.ip }, 'signed out of the web UI');
    }
    endWebSession(reply);
    return reply.redirect(loginUrl('/ui/apps', 'signed_out'), 303);
  });
}

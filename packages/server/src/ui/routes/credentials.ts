/**
 * Credential update routes: a reset link or the signed-in person's "Change credentials" opens a
 * credential update (CU) session of the server (credentials/types.ts), whose id is kept in the
 * HttpOnly `__Host-ward_cu` cookie; each form stages one change; "Save all changes" commits them
 * at once. The CSRF token of these forms is bound to the CU session id.
 *
 * Paths are relative to the `/ui` prefix this scope is registered under.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { WardError } from '@ward/proto';
import type { CuStatus } from '../../credentials/types.js';
import { clearCookie, COOKIE, readCookie, setCookie } from '../cookies.js';
import { CSRF_FIELD, CSRF_HEADER } from '../csrf.js';
import { formOf, type Form } from '../forms.js';
import { noticeFromQuery, sendPage, sentence, type Notice, type NoticeKey } from '../layout.js';
import { backupCodesPage, credentialsPage, resetInvalidPage, resetLandingPage, totpEnrolPage } from '../pages/credentials.js';
import { assertSameOrigin } from '../security.js';
import { checkPreCsrf, checkSessionCsrf, csrfError, currentSession, loginUrl, preBinding, type UiContext } from '../session.js';
import { PendingTotp } from './pending-totp.js';
import { requireSession } from './profile.js';

const RESET_TOKEN_RE = /^[A-Za-z0-9_-]{16,256}$/;
const PasskeyFinishBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), response: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: false },
);
const EmptyBody = Type.Object({}, { additionalProperties: false });

/** A request of the open CU session: its id and the person's nav bar if they are also signed in. */
interface Cu {
  id: string;
  csrf: string;
  signedIn?: { name: string; csrf: string };
}

export function credentialRoutes(scope: FastifyInstance, ui: UiContext): void {
  const updates = ui.services.credentialUpdates;
  const pending = new PendingTotp();

  /**
   * Where a person goes when the CU session ends: their profile if they are signed in (as the
   * account whose credentials these were, when known), else the sign-in page.
   */
  async function leave(
    request: FastifyRequest,
    reply: FastifyReply,
    notice: NoticeKey,
    signedOut: NoticeKey = notice,
    account?: string,
  ): Promise<FastifyReply> {
    const cuId = readCookie(request, COOKIE.cu);
    if (cuId) pending.delete(cuId);
    clearCookie(reply, COOKIE.cu);
    const session = await currentSession(ui, request);
    const toProfile = session !== undefined && (account === undefined || session.actor.name === account);
    return reply.redirect(toProfile ? `/ui/profile?notice=${notice}` : loginUrl('/ui/apps', signedOut), 303);
  }

  async function cuOf(request: FastifyRequest): Promise<Cu | undefined> {
    const id = readCookie(request, COOKIE.cu);
    if (!id) return undefined;
    const session = await currentSession(ui, request);
    return { id, csrf: ui.csrf.token('cu', id), ...(session ? { signedIn: { name: session.actor.name, csrf: session.csrf } } : {}) };
  }

  /** The CU session of a form post, after the origin and CSRF checks; undefined when it has ended. */
  async function posted(request: FastifyRequest): Promise<{ cu: Cu; form: Form } | undefined> {
    const form = formOf(request.body);
    assertSameOrigin(request, ui.origin);
    const cu = await cuOf(request);
    if (!cu) return undefined;
    if (!ui.csrf.check('cu', cu.id, form.optional(CSRF_FIELD, 64))) throw csrfError();
    return { cu, form };
  }

  /** The CU page again, with a notice (after a refused change). */
  function render(reply: FastifyReply, cu: Cu, status: CuStatus, code: number, notice?: Notice): FastifyReply {
    return sendPage(reply, code, credentialsPage({ assets: ui.assets, csrf: cu.csrf, cu: status, notice, ...(cu.signedIn ? { signedIn: cu.signedIn } : {}) }));
  }

  /**
   * Run one staged change of a posted form. A refusal the person can fix shows the page again
   * with the reason; an ended session goes back to where the person came from.
   */
  async function change(
    request: FastifyRequest,
    reply: FastifyReply,
    run: (cu: Cu, form: Form) => Promise<NoticeKey | FastifyReply>,
  ): Promise<FastifyReply> {
    const p = await posted(request);
    if (!p) return leave(request, reply, 'cu_expired');
    try {
      const done = await run(p.cu, p.form);
      return typeof done === 'string' ? reply.redirect(`/ui/credentials?notice=${done}`, 303) : done;
    } catch (e) {
      if (!(e instanceof WardError) || e.status >= 500) throw e;
      let status: CuStatus;
      try {
        status = updates.status(p.cu.id);
      } catch {
        return leave(request, reply, 'cu_expired');
      }
      return render(reply, p.cu, status, e.status, { kind: 'error', text: sentence(e.message) });
    }
  }

  // The reset link: a page with a button; the token is used up only by the POST.
  scope.get('/reset', async (request, reply) => {
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string' || !RESET_TOKEN_RE.test(token)) return sendPage(reply, 404, resetInvalidPage({ assets: ui.assets }));
    const csrf = ui.csrf.token('pre', preBinding(request, reply));
    return sendPage(reply, 200, resetLandingPage({ assets: ui.assets, csrf, token, notice: noticeFromQuery(request.query) }));
  });

  scope.post('/reset', async (request, reply) => {
    const form = formOf(request.body);
    assertSameOrigin(request, ui.origin);
    checkPreCsrf(ui, request, form.optional(CSRF_FIELD, 64));
    const token = form.required('token', 256);
    let cu: CuStatus;
    try {
      if (!RESET_TOKEN_RE.test(token)) throw new WardError('not_found');
      cu = updates.beginWithResetToken(token);
    } catch (e) {
      if (e instanceof WardError && e.code === 'not_found') return sendPage(reply, 404, resetInvalidPage({ assets: ui.assets }));
      throw e;
    }
    request.log.info({ event: 'credential_update_open', name: cu.account.name, via: 'reset_token', source: request.ip }, 'credential update opened');
    setCookie(reply, COOKIE.cu, cu.id, { sameSite: 'Strict', maxAge: (cu.expiresAt - Date.now()) / 1000 });
    return reply.redirect('/ui/credentials', 303);
  });

  // From the profile: a recent sign-in opens a CU session for oneself; an older one must sign in again.
  scope.post('/credentials/start', async (request, reply) => {
    const form = formOf(request.body);
    assertSameOrigin(request, ui.origin);
    const session = await requireSession(ui, request, reply, '/ui/profile');
    if (!session) return reply;
    checkSessionCsrf(ui, session, form.optional(CSRF_FIELD, 64));
    let cu: CuStatus;
    try {
      cu = updates.beginForSelf(session.actor, session.sessionId);
    } catch (e) {
      if (e instanceof WardError && e.code === 'unauthenticated') return reply.redirect(loginUrl('/ui/profile', 'reauth'), 303);
      throw e;
    }
    setCookie(reply, COOKIE.cu, cu.id, { sameSite: 'Strict', maxAge: (cu.expiresAt - Date.now()) / 1000 });
    return reply.redirect('/ui/credentials', 303);
  });

  scope.get('/credentials', async (request, reply) => {
    const cu = await cuOf(request);
    if (!cu) return leave(request, reply, 'cu_expired');
    let status: CuStatus;
    try {
      status = updates.status(cu.id);
    } catch (e) {
      if (e instanceof WardError && e.code === 'not_found') return leave(request, reply, 'cu_expired');
      throw e;
    }
    return render(reply, cu, status, 200, noticeFromQuery(request.query));
  });

  scope.post('/credentials/password', (request, reply) =>
    change(request, reply, async (cu, form) => {
      const password = form.required('password', 1024);
      if (!password) throw new WardError('invalid_password', 'enter the new password');
      if (password !== form.required('confirm', 1024)) throw new WardError('invalid_password', 'the two passwords differ; type the same password twice');
      await updates.setPassword(cu.id, password);
      return 'password_staged';
    }),
  );

  scope.post('/credentials/totp/init', (request, reply) =>
    change(request, reply, async (cu) => {
      const status = updates.status(cu.id);
      pending.set(cu.id, updates.totpInit(cu.id), status.expiresAt);
      return reply.redirect('/ui/credentials/totp', 303);
    }),
  );

  scope.get('/credentials/totp', async (request, reply) => {
    const cu = await cuOf(request);
    const enrolment = cu && pending.get(cu.id);
    if (!cu || !enrolment) return reply.redirect('/ui/credentials', 303);
    return sendPage(reply, 200, totpEnrolPage({ assets: ui.assets, csrf: cu.csrf, enrolment, label: 'Authenticator', ...(cu.signedIn ? { signedIn: cu.signedIn } : {}) }));
  });

  scope.post('/credentials/totp/verify', (request, reply) =>
    change(request, reply, async (cu, form) => {
      const label = form.text('label', 'a name for the authenticator', 64);
      const code = form.text('code', 'the code from the app', 16).replace(/\s+/g, '');
      try {
        updates.totpVerify(cu.id, label, code);
      } catch (e) {
        // A wrong code: the same QR code again, so the person need not scan a new one.
        const enrolment = pending.get(cu.id);
        if (!(e instanceof WardError) || e.status >= 500 || !enrolment) throw e;
        return sendPage(reply, e.status, totpEnrolPage({
          assets: ui.assets, csrf: cu.csrf, enrolment, label, notice: { kind: 'error', text: sentence(e.message) },
          ...(cu.signedIn ? { signedIn: cu.signedIn } : {}),
        }));
      }
      pending.delete(cu.id);
      return 'totp_staged';
    }),
  );

  scope.post('/credentials/totp/remove', (request, reply) =>
    change(request, reply, async (cu, form) => {
      updates.totpRemove(cu.id, form.required('label', 64));
      return 'totp_removed';
    }),
  );

  scope.post('/credentials/passkey/remove', (request, reply) =>
    change(request, reply, async (cu, form) => {
      updates.passkeyRemove(cu.id, form.required('id', 1024));
      return 'passkey_removed';
    }),
  );

  scope.post('/credentials/backup-codes', (request, reply) =>
    change(request, reply, async (cu) => {
      const codes = await updates.backupCodesGenerate(cu.id);
      return sendPage(reply, 200, backupCodesPage({ assets: ui.assets, csrf: cu.csrf, codes, ...(cu.signedIn ? { signedIn: cu.signedIn } : {}) }));
    }),
  );

  scope.post('/credentials/commit', (request, reply) =>
    change(request, reply, async (cu) => {
      const status = updates.status(cu.id);
      await updates.commit(cu.id);
      request.log.info({ event: 'credential_update_commit', name: status.account.name, source: request.ip }, 'credentials changed');
      return leave(request, reply, 'credentials_saved', 'committed', status.account.name);
    }),
  );

  scope.post('/credentials/cancel', async (request, reply) => {
    const p = await posted(request);
    if (p) {
      try {
        updates.cancel(p.cu.id);
      } catch (e) {
        if (!(e instanceof WardError && e.code === 'not_found')) throw e;
      }
    }
    return leave(request, reply, 'cancelled');
  });

  // Passkey registration, from credentials.js: options for navigator.credentials.create(), then its answer.
  async function jsonCu(request: FastifyRequest): Promise<Cu> {
    assertSameOrigin(request, ui.origin);
    const cu = await cuOf(request);
    if (!cu) throw new WardError('not_found', 'this credential update has ended; reload the page');
    if (!ui.csrf.check('cu', cu.id, request.headers[CSRF_HEADER])) throw csrfError();
    return cu;
  }

  scope.post('/credentials/passkey/options', { schema: { body: EmptyBody } }, async (request) => {
    const cu = await jsonCu(request);
    return { options: await updates.passkeyInit(cu.id) };
  });

  scope.post('/credentials/passkey/finish', { schema: { body: PasskeyFinishBody } }, async (request) => {
    const cu = await jsonCu(request);
    const body = request.body as { name: string; response: unknown };
    const name = body.name.trim();
    if (!name) throw new WardError('invalid_attribute', 'give the passkey a name');
    await updates.passkeyFinish(cu.id, name, body.response as never);
    return { redirect: '/ui/credentials?notice=passkey_added#passkeys' };
  });
}

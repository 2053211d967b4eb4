/**
 * Handlers of health, sign-in and sessions. Sign-in goes through the state machine (auth/flow.ts):
 * `/v1/auth/begin` and `/v1/auth/step` expose it step by step; `/v1/auth/login` is the one-shot
 * password login, kept for password-only accounts and refused when the account needs more. The
 * flow logs every attempt (name, account, source; never a secret); a denial becomes an error
 * answer: auth_failed (401), rate_limited (429 with Retry-After) or forbidden (403, policy).
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import {
  WARD_VERSION, WardError, type AuthBeginRequest, type AuthStateResponse, type AuthStepRequest, type LoginRequest, type LoginResponse,
  type SessionInfo, type StatusResponse, type WhoamiResponse,
} from '@ward/proto';
import type { AuthState, AuthStep } from '../../auth/types.js';
import { sessionToken } from '../tokens.js';
import { iso, ok, rateLimited, type Call, type Handler, type Services } from './context.js';

/** A key that is never set: reading it proves the database answers. */
const PROBE_SETTING = 'status.probe';

export function sessionHandlers(s: Services): Record<string, Handler> {
  const d = s.directory;
  /** An AuthState as the REST answer: continue and success are 200, a denial is an error. */
  async function answer(c: Call, state: AuthState): Promise<AuthStateResponse> {
    if (state.state === 'continue') {
      return { state: 'continue', session: state.session, allowed: state.allowed, ...(state.passkeyOptions ? { passkey_options: state.passkeyOptions } : {}) };
    }
    if (state.state === 'denied') {
      if (state.code === 'rate_limited') throw rateLimited(c, state.retryAfterSeconds ?? s.config.loginFailureWindow, state.reason);
      throw new WardError(state.code === 'policy' ? 'forbidden' : 'auth_failed', state.reason);
    }
    return {
      state: 'success',
      token: await sessionToken(s.tokens, state.session),
      session_id: state.session.id,
      expires_at: iso(state.session.expiresAt),
      name: state.account.name,
      spn: state.account.spn,
      amr: state.amr,
    };
  }

  return {
    status: (c): StatusResponse => {
      try {
        d.getSetting(PROBE_SETTING);
      } catch (e) {
        c.request.log.error({ err: e }, 'status: the database does not answer');
        throw new WardError('unavailable', 'the database does not answer');
      }
      return { status: 'ok', version: WARD_VERSION, domain: s.config.domain };
    },

    auth_login: async (c): Promise<LoginResponse> => {
      const { name, password } = c.body as LoginRequest;
      const source = c.request.ip;
      const begun = await s.authFlow.begin({ name, source });
      const state = begun.state === 'continue' ? await s.authFlow.step(begun.session, { kind: 'password', password }, source) : begun;
      if (state.state === 'continue') {
        throw new WardError('auth_failed', 'this account needs a second factor: sign in with /v1/auth/begin and /v1/auth/step (ward login does)');
      }
      const r = await answer(c, state);
      return { token: r.token!, session_id: r.session_id!, expires_at: r.expires_at!, name: r.name!, spn: r.spn! };
    },

    auth_begin: async (c): Promise<AuthStateResponse> => {
      const { name } = c.body as AuthBeginRequest;
      return answer(c, await s.authFlow.begin({ ...(name !== undefined ? { name } : {}), source: c.request.ip }));
    },

    auth_step: async (c): Promise<AuthStateResponse> => {
      const body = c.body as AuthStepRequest;
      const missing = (field: string) => new WardError('bad_request', `a ${body.kind} step needs "${field}"`);
      let step: AuthStep;
      if (body.kind === 'password') {
        if (body.password === undefined) throw missing('password');
        step = { kind: 'password', password: body.password };
      } else if (body.kind === 'passkey') {
        if (body.response === undefined) throw missing('response');
        step = { kind: 'passkey', response: body.response as unknown as AuthenticationResponseJSON };
      } else {
        if (body.code === undefined) throw missing('code');
        step = { kind: body.kind, code: body.code };
      }
      return answer(c, await s.authFlow.step(body.session, step, c.request.ip));
    },

    auth_logout: (c) => {
      const auth = c.auth;
      if (auth.kind !== 'session') throw new WardError('bad_request', 'an API token is not a session; revoke it with api-token destroy');
      const r = d.revokeSession(auth.actor.uuid, auth.sessionId);
      c.request.log.info({ event: 'logout', name: auth.actor.name, session: auth.sessionId }, 'logged out');
      return ok(r.changed);
    },

    auth_whoami: (c): WhoamiResponse => {
      const { actor, kind } = c.auth;
      return {
        uuid: actor.uuid,
        name: actor.name,
        spn: `${actor.name}@${d.domain}`,
        kind: actor.kind,
        token_kind: kind,
        read_write: actor.readWrite,
        groups: d.groupsOf(actor.uuid),
      };
    },

    session_list: (c): SessionInfo[] => {
      const auth = c.auth;
      const now = Date.now();
      return d
        .listSessions(auth.actor.uuid)
        .filter((r) => !r.revoked && r.expiresAt > now)
        .map((r) => ({
          id: r.id,
          created_at: iso(r.createdAt),
          expires_at: iso(r.expiresAt),
          source: r.source,
          current: auth.kind === 'session' && auth.sessionId === r.id,
        }));
    },

    session_destroy: (c) => {
      const auth = c.auth;
      // Someone else's session answers like an unknown id: nothing tells that it exists.
      const id = c.params.session_id!;
      if (!d.listSessions(auth.actor.uuid).some((r) => r.id === id)) throw new WardError('not_found', 'you have no such session');
      const r = d.revokeSession(auth.actor.uuid, id);
      c.request.log.info({ event: 'session_destroy', name: auth.actor.name, session: c.params.session_id }, 'session ended');
      return ok(r.changed);
    },
  };
}

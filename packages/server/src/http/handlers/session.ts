/**
 * Handlers of health, login and sessions. A login checks the password through the directory
 * (argon2id; an unknown name costs the same and answers the same `auth_failed`), creates a
 * session record and returns a signed token naming it. Every attempt is logged with the account
 * name and the source address; the password and the token never are.
 */
import { WARD_VERSION, WardError, type LoginRequest, type LoginResponse, type SessionInfo, type StatusResponse, type WhoamiResponse } from '@ward/proto';
import { iso, ok, rateLimited, throttleKey, type Handler, type Services } from './context.js';

/** A key that is never set: reading it proves the database answers. */
const PROBE_SETTING = 'status.probe';

export function sessionHandlers(s: Services): Record<string, Handler> {
  const d = s.directory;
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
      const event = { event: 'login', name, source };
      const key = throttleKey(name, d.domain);
      if (s.throttle.blocked(source, key)) {
        c.request.log.warn({ ...event, outcome: 'throttled' }, 'login refused: too many failures');
        throw rateLimited(c, s.config.loginFailureWindow);
      }
      const who = await d.verifyPassword(name, password);
      if (!who) {
        s.throttle.recordFailure(source, key);
        c.request.log.info({ ...event, outcome: 'failure' }, 'login failed');
        throw new WardError('auth_failed');
      }
      s.throttle.recordSuccess(source, key);
      const session = d.createSession(who.uuid, s.config.sessionTtl, source);
      const token = await s.tokens.signSession(session);
      c.request.log.info({ ...event, account: who.spn, outcome: 'success', session: session.id }, 'login succeeded');
      return { token, session_id: session.id, expires_at: iso(session.expiresAt), name: who.name, spn: who.spn };
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
      const r = d.revokeSession(auth.actor.uuid, c.params.session_id!);
      c.request.log.info({ event: 'session_destroy', name: auth.actor.name, session: c.params.session_id }, 'session ended');
      return ok(r.changed);
    },
  };
}

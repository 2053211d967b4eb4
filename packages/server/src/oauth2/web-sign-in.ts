/**
 * The bridge between the IdP's own sign-in (the web UI's login session, `__Host-ward_session`)
 * and the OpenID Connect side: which login session a browser request carries, how it was signed
 * in (RFC 8176 `amr`, recorded by `recordSignInMethods` when the sign-in flow succeeds), and the
 * `acr` that follows from it.
 *
 * The login session is the one source of truth: an application's sign-in always goes through it
 * (interactions.ts), and the provider's own session is re-checked against it on every
 * authorization request (policy.ts), so signing out of the IdP or signing in as someone else
 * also ends what the provider remembered.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { WardError } from '@ward/proto';
import type { AuthFlow } from '../auth/types.js';
import type { Directory } from '../directory/types.js';
import type { TokenService } from '../http/tokens.js';
import { COOKIE, readCookie } from '../ui/cookies.js';
import type { OAuth2Store } from './store.js';

export interface WebSignIn {
  accountUuid: string;
  sessionId: string;
  /** When the login session was created (ms): the `auth_time`. */
  createdAt: number;
  amr: string[];
}

/** Authentication Context Class References Ward states (docs/oauth2.md). */
export const ACR = {
  password: 'urn:ward:acr:password',
  mfa: 'urn:ward:acr:mfa',
  passkey: 'urn:ward:acr:passkey',
} as const;
export const ACR_VALUES: readonly string[] = Object.values(ACR);

export function acrOf(amr: readonly string[]): string {
  if (amr.includes('hwk')) return ACR.passkey;
  if (amr.includes('mfa')) return ACR.mfa;
  return ACR.password;
}

export class WebSignIns {
  constructor(
    private readonly tokens: TokenService,
    private readonly directory: Directory,
    private readonly store: OAuth2Store,
  ) {}

  /** The live login session of a request's cookies, or undefined. */
  async of(headers: IncomingHttpHeaders): Promise<WebSignIn | undefined> {
    // readCookie only reads the headers; the provider's Koa context has the same ones.
    const token = readCookie({ headers } as FastifyRequest, COOKIE.session);
    if (token === undefined) return undefined;
    let sessionId: string;
    try {
      const ctx = await this.tokens.verify(token);
      if (ctx.kind !== 'session') return undefined;
      sessionId = ctx.sessionId;
    } catch (e) {
      if (e instanceof WardError) return undefined;
      throw e;
    }
    const session = this.directory.getSession(sessionId);
    if (!session) return undefined;
    return {
      accountUuid: session.accountUuid,
      sessionId,
      createdAt: session.createdAt,
      // Sessions from before this record existed, or made by the password-only API login.
      amr: this.store.sessionMethods(sessionId) ?? ['pwd'],
    };
  }
}

/** The sign-in flow, also recording how each successful sign-in was made (for `amr` and `acr`). */
export function recordSignInMethods(flow: AuthFlow, store: OAuth2Store): AuthFlow {
  return {
    begin: (req) => flow.begin(req),
    async step(sessionId, step, source) {
      const st = await flow.step(sessionId, step, source);
      if (st.state === 'success') store.recordSessionMethods(st.session.id, st.amr);
      return st;
    },
  };
}

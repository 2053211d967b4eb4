/**
 * What every route handler receives, and the services behind it. A handler is one line of
 * translation: take the validated params and body, call the directory with the caller's Actor,
 * return the answer the route's response schema describes. Access rules live in the directory.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WardError, shortName } from '@ward/proto';
import type { AuthFlow } from '../../auth/types.js';
import type { ServerConfig } from '../../config.js';
import type { CredentialUpdates } from '../../credentials/types.js';
import type { Actor, Directory } from '../../directory/types.js';
import type { OAuth2Service } from '../../oauth2/index.js';
import { authOf } from '../auth.js';
import type { LoginThrottle } from '../login-throttle.js';
import type { TokenContext, TokenService } from '../tokens.js';

export interface Services {
  config: ServerConfig;
  directory: Directory;
  tokens: TokenService;
  /** Brakes password guessing on POST /v1/auth/login. */
  throttle: LoginThrottle;
  /** The same for the unix password check, counted per (host, name) only. */
  unixThrottle: LoginThrottle;
  /** The sign-in state machine (auth/flow.ts), for /v1/auth/* and the web UI. */
  authFlow: AuthFlow;
  /** Credential update sessions and reset tokens (credentials/updates.ts). */
  credentialUpdates: CredentialUpdates;
  /** Single sign-on: OAuth2 clients, their maps and signing keys (src/oauth2). */
  oauth2: OAuth2Service;
}

export interface Call {
  /** Path parameters, already checked against the route's params schema. */
  params: Record<string, string>;
  /** The body, already checked against the route's body schema (cast it to the route's type). */
  body: unknown;
  /** The query string, already checked against the route's query schema (no other keys). */
  query: Record<string, string | undefined>;
  request: FastifyRequest;
  reply: FastifyReply;
  /** The verified token; on an anonymous route reading it throws `unauthenticated`. */
  readonly auth: TokenContext;
  readonly actor: Actor;
}

export type Handler = (call: Call) => unknown;

export function makeCall(request: FastifyRequest, reply: FastifyReply): Call {
  return {
    params: (request.params ?? {}) as Record<string, string>,
    body: request.body,
    query: (request.query ?? {}) as Record<string, string | undefined>,
    request,
    reply,
    get auth() {
      return authOf(request);
    },
    get actor() {
      return authOf(request).actor;
    },
  };
}

/** Creation answers 201 when something was created and 200 when an identical entry existed. */
export function created<T>(call: Call, result: { changed: boolean }, value: T): T {
  void call.reply.code(result.changed ? 201 : 200);
  return value;
}

export function ok(changed = true): { ok: true; changed: boolean } {
  return { ok: true, changed };
}

/**
 * The key failed attempts are counted under: `alice` and `alice@domain` are one account, so an
 * attacker cannot double the attempts by switching forms.
 */
export function throttleKey(name: string, domain: string): string {
  return shortName(name, domain) ?? name;
}

/** The refusal of a throttled attempt, telling the client when to come back. */
export function rateLimited(call: Call, windowSeconds: number, message?: string): WardError {
  void call.reply.header('retry-after', String(windowSeconds));
  return new WardError('rate_limited', message);
}

/** Directory times are milliseconds since the epoch; the API speaks RFC 3339. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

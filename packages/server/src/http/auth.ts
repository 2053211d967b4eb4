/**
 * Authentication of API requests. Routes marked `token` in proto's ROUTES run `requireToken`
 * as their onRequest hook: before the body is read, so an unauthenticated client cannot make the
 * server parse or validate anything. The verified token is kept on the request for the handler.
 * Authorisation (who may change what) is the directory's job, given the Actor; this layer adds
 * one rule of its own as a second wall: a read-only API token never reaches a writing route.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WardError } from '@ward/proto';
import type { TokenContext, TokenService } from './tokens.js';

const authByRequest = new WeakMap<FastifyRequest, TokenContext>();

/** `Authorization: Bearer <token>` -> the token; undefined when the header is absent. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+([A-Za-z0-9_.~+/-]+=*)[ ]*$/i.exec(header);
  if (!m) throw new WardError('unauthenticated', 'the Authorization header must be "Bearer <token>"');
  return m[1];
}

export function tokenHook(tokens: TokenService) {
  return async function requireToken(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearerToken(request);
    if (token === undefined) throw new WardError('unauthenticated');
    const ctx = await tokens.verify(token);
    if (!ctx.actor.readWrite && request.method !== 'GET' && request.method !== 'HEAD') {
      throw new WardError('read_only_token');
    }
    authByRequest.set(request, ctx);
  };
}

/** The verified token of a request on a `token` route. */
export function authOf(request: FastifyRequest): TokenContext {
  const ctx = authByRequest.get(request);
  if (!ctx) throw new WardError('unauthenticated');
  return ctx;
}

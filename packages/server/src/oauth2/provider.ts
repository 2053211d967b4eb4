/**
 * The running oidc-provider and its place in the Fastify server.
 *
 * Mounting (ecosystem.md §1.2, the verified hook variant): Fastify routes `/oauth2/*` and
 * `/.well-known/openid-configuration` (except the interaction pages, which are Fastify routes of
 * interactions.ts) are handed to the provider's Koa callback in the route's onRequest hook, after
 * `reply.hijack()`: before Fastify parses a body, so the provider reads its own form posts, and
 * without shadowing any other route. The Host header is set to the configured origin's host, so
 * every endpoint URL the provider prints matches the issuer whatever name the request used.
 *
 * Rebuilding: the provider's configuration holds things that change at run time (the signing
 * keys, the scopes and claim names administrators map); when the store's generation moves or a
 * retired key reaches its end, the next request builds a new provider from the same store.
 * All protocol state is in SQLite (adapter.ts) and the cookie keys are persisted, so the new
 * instance continues every session, interaction and token of the old one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Provider, KoaContextWithOIDC } from 'oidc-provider';
import type { Directory } from '../directory/types.js';
import { COOKIE } from '../ui/cookies.js';
import type { SigningKeys } from './keys.js';
import type { loadOidcProvider } from './library.js';
import { providerConfiguration, ROUTES, type ConfigDeps } from './provider-config.js';

type Lib = Awaited<ReturnType<typeof loadOidcProvider>>['lib'];

/** The settings key of the provider's cookie signing keys (Keygrip, newest first). */
export const COOKIE_KEYS_SETTING = 'oauth2.cookie_keys';

/** The cookie keys, created on first start and kept in the directory's settings. */
export function cookieKeys(directory: Directory): string[] {
  const stored = directory.getSetting(COOKIE_KEYS_SETTING);
  if (stored !== undefined) {
    const keys = JSON.parse(stored) as unknown;
    if (Array.isArray(keys) && keys.length > 0 && keys.every((k) => typeof k === 'string' && k.length >= 32)) return keys as string[];
  }
  const keys = [randomBytes(32).toString('base64url')];
  directory.setSetting(COOKIE_KEYS_SETTING, JSON.stringify(keys));
  return keys;
}

/** Headers on every provider answer (its HTML pages set their own Content-Security-Policy). */
const PROVIDER_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=31536000',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // The authorization request's URL (with its state) must not reach anyone as a referrer.
  'referrer-policy': 'no-referrer',
};

export interface HostDeps extends ConfigDeps {
  keys: SigningKeys;
  directory: Directory;
  origin: string;
  log: FastifyBaseLogger;
}

export class ProviderHost {
  private provider: Provider | undefined;
  private handler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  private builtAt = -1;
  private rebuildAt = Infinity;
  private readonly host: string;

  constructor(
    private readonly lib: Lib,
    private readonly deps: HostDeps,
  ) {
    this.host = new URL(deps.origin).host;
  }

  /** The current provider, rebuilt first if its configuration changed. */
  current(): Provider {
    const gen = this.deps.store.generation;
    if (!this.provider || gen !== this.builtAt || Date.now() >= this.rebuildAt) this.build(gen);
    return this.provider!;
  }

  private build(gen: number): void {
    const { keys, store } = this.deps;
    const provider = new this.lib.Provider(this.deps.origin, providerConfiguration(this.lib, this.deps, store.vocabulary(), keys.jwks()));
    provider.proxy = false;
    this.watch(provider);
    this.provider = provider;
    this.handler = provider.callback() as (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    this.builtAt = gen;
    this.rebuildAt = keys.nextExpiry() ?? Infinity;
  }

  /** Hand a request to the provider (the Fastify route hijacked it). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.current();
    req.headers.host = this.host;
    for (const [k, v] of Object.entries(PROVIDER_HEADERS)) res.setHeader(k, v);
    return this.handler!(req, res);
  }

  /** Logging of what happens inside the provider (never a token or secret), and sign-out. */
  private watch(provider: Provider): void {
    const log = this.deps.log;
    const who = (ctx: KoaContextWithOIDC) => ({ client: ctx.oidc?.client?.clientId ?? null, source: ctx.ip });
    provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => log.error({ ...who(ctx), route: ctx.oidc?.route, err }, 'oauth2 server error'));
    provider.on('grant.error', (ctx: KoaContextWithOIDC, err: { error?: string; error_description?: string }) =>
      log.info({ ...who(ctx), error: err.error, reason: err.error_description }, 'oauth2 token request refused'));
    provider.on('authorization.error', (ctx: KoaContextWithOIDC, err: { error?: string; error_description?: string }) =>
      log.info({ ...who(ctx), error: err.error, reason: err.error_description }, 'oauth2 authorization refused'));
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => log.debug({ ...who(ctx), grant_type: ctx.oidc.params?.grant_type }, 'oauth2 tokens issued'));

    // "Sign out of Ward and its applications" also ends the IdP's login session (RP-initiated logout).
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303 || !ctx.oidc.params?.logout) return;
      const web = await this.deps.webSignIns.of(ctx.req.headers);
      if (web) this.deps.directory.revokeSession(web.accountUuid, web.sessionId);
      ctx.append('set-cookie', `${COOKIE.session}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`);
      log.info({ event: 'logout', via: 'oauth2', client: ctx.oidc.client?.clientId ?? null, session: web?.sessionId ?? null, source: ctx.ip }, 'signed out through an application');
    });
  }
}

/** Register the provider's paths on the Fastify app. */
export function mountProvider(app: FastifyInstance, host: ProviderHost): void {
  const toProvider = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.hijack();
    await host.handle(request.raw, reply.raw);
  };
  const never = async () => undefined;
  const paths = [...new Set(Object.values(ROUTES).map((p) => `/${p.split('/')[1]}/*`)), '/.well-known/openid-configuration'];
  for (const url of paths) app.route({ method: ['GET', 'POST', 'OPTIONS'], url, onRequest: toProvider, handler: never });
}

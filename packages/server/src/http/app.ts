/**
 * The Fastify application of `wardd`: HTTPS only, every route of proto's ROUTES registered in one
 * loop with its schemas, one error handler, security headers on every answer, and a logger that
 * never sees a body or an Authorization header.
 *
 * Validation is strict on purpose: Fastify's default Ajv settings would silently drop unknown
 * fields and coerce "12" into 12; here an unknown field or a wrong type is a 400 naming it. The
 * query string too: a route takes only the keys its `query` schema lists (none when it has none).
 * Response schemas are mandatory: serialisation writes only the fields a schema lists, which is
 * the last guard against an answer leaking a secret the directory holds.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import { API_BODY_LIMIT, ErrorBodySchema, ROUTES, type RouteDef } from '@ward/proto';
import type { AuthFlow } from '../auth/types.js';
import type { LogLevel } from '../config.js';
import type { CredentialUpdates } from '../credentials/types.js';
import { tokenHook } from './auth.js';
import { clientErrorHandler, frameworkErrorHandler, handleError, handleNotFound } from './errors.js';
import { buildHandlers, makeCall, type Handler, type Services } from './handlers/index.js';
import type { TokenService } from './tokens.js';
import { oauth2Plugin } from '../oauth2/index.js';
import { uiPlugin } from '../ui/index.js';

/** The services the web UI reaches through the Fastify instance (auth/README.md). */
declare module 'fastify' {
  interface FastifyInstance {
    authFlow: AuthFlow;
    credentialUpdates: CredentialUpdates;
    wardTokens: TokenService;
  }
}

export type AuthServices = Pick<Services, 'authFlow' | 'credentialUpdates'>;

export interface AppOptions {
  services: Omit<Services, keyof AuthServices>;
  /** Builds the sign-in and credential services with the app's logger (http/auth-services.ts). */
  authServices: (log: FastifyBaseLogger) => AuthServices;
  tls: { cert: string | Buffer; key: string | Buffer };
  logLevel: LogLevel;
  /** Where log lines go (one JSON object per line); standard output when absent. */
  logStream?: NodeJS.WritableStream;
}

/** Headers on every answer. The API is JSON for programs: nothing may cache, frame or sniff it. */
const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
};

/** The query of a route that takes none: any key is refused, as an unknown body field is. */
const NO_QUERY = { type: 'object', properties: {}, additionalProperties: false } as const;

/** A request taking longer than this (headers and body) is cut off: slow clients cannot pin sockets. */
const REQUEST_TIMEOUT_MS = 30_000;

export function buildApp(opts: AppOptions): FastifyInstance {
  const app = Fastify({
    https: { cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' },
    bodyLimit: API_BODY_LIMIT,
    requestTimeout: REQUEST_TIMEOUT_MS,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // EntryRef allows 320 characters; longer ones must reach validation (a clear 400), not the router's 404.
    routerOptions: { maxParamLength: 1024 },
    logger: {
      level: opts.logLevel,
      ...(opts.logStream ? { stream: opts.logStream } : {}),
      // Fastify's request serializer lists no headers; the redaction is a second wall.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], censor: '[redacted]' },
    },
    // One debug line per answer (below) instead of Fastify's two info lines per request.
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: frameworkErrorHandler(SECURITY_HEADERS),
    clientErrorHandler,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  }) as unknown as FastifyInstance;

  // Only JSON bodies: without the text/plain parser a wrong content type is a 415.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  app.addHook('onRequest', async (_request, reply) => {
    void reply.headers(SECURITY_HEADERS);
  });
  // Long polls end at once when the server stops (they answer "no change"), so close() does not wait them out.
  app.addHook('preClose', (done) => {
    opts.services.directory.releaseUnixWaiters();
    done();
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'answered',
    );
  });

  const services: Services = { ...opts.services, ...opts.authServices(app.log) };
  app.decorate('authFlow', services.authFlow);
  app.decorate('credentialUpdates', services.credentialUpdates);
  app.decorate('wardTokens', services.tokens);
  registerRoutes(app, services);
  // The web UI (src/ui): its pages, forms and assets under /ui, in a scope of their own; the apps
  // page lists the applications of single sign-on.
  void app.register(uiPlugin, { services, apps: services.oauth2.catalog });
  // Single sign-on (src/oauth2): /oauth2/*, discovery and the interaction pages (after the UI).
  void app.register(oauth2Plugin, { services });
  return app;
}

/** Register ROUTES, each with its schemas, its authentication and its handler from the table. */
function registerRoutes(app: FastifyInstance, services: Services): void {
  const handlers = buildHandlers(services);
  const routes = ROUTES as Record<string, RouteDef>;
  const missing = Object.keys(routes).filter((name) => !handlers[name]);
  const extra = Object.keys(handlers).filter((name) => !routes[name]);
  if (missing.length || extra.length) {
    throw new Error(`route table and handler table differ: without handler [${missing.join(', ')}], without route [${extra.join(', ')}]`);
  }
  const requireToken = tokenHook(services.tokens);
  for (const [name, def] of Object.entries(routes)) {
    const handler = handlers[name] as Handler;
    const route: RouteOptions = {
      method: def.method,
      url: def.path,
      schema: {
        ...(def.params ? { params: def.params } : {}),
        querystring: def.query ?? NO_QUERY,
        ...(def.body ? { body: def.body } : {}),
        response: { '2xx': def.response, '4xx': ErrorBodySchema, '5xx': ErrorBodySchema },
      },
      handler: async (request: FastifyRequest, reply: FastifyReply) => handler(makeCall(request, reply)),
    };
    if (def.auth === 'token') route.onRequest = requireToken;
    app.route(route);
  }
}

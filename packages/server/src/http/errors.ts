/**
 * The one place where a failure becomes an HTTP answer. Every error body is `{error, message}`
 * with a code from proto's catalog; the status comes from the catalog too. Fastify's own errors
 * (schema validation, JSON parsing, body size, content type) are translated here, so a client
 * never sees a shape other than the catalog's. Anything unexpected is a 500 `internal` whose
 * message is hidden from the caller and logged in full.
 */
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOG, WardError, type ErrorBody, type ErrorCode } from '@ward/proto';

interface ValidationItem {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `body.mail.0: must NOT have more than 320 characters` — names the field the client got wrong. */
export function validationMessage(context: string | undefined, items: ValidationItem[]): string {
  const item = items[0];
  if (!item) return `the request ${context ?? 'input'} is not valid`;
  const segments = [context ?? 'request', ...item.instancePath.split('/').filter(Boolean).map(unescapePointer)];
  const field = (extra?: unknown) => (typeof extra === 'string' ? [...segments, extra] : segments).join('.');
  switch (item.keyword) {
    case 'required':
      return `${field(item.params.missingProperty)}: is required`;
    case 'additionalProperties':
      return `${field(item.params.additionalProperty)}: is not an accepted field`;
    case 'minProperties':
      return `${field()}: must hold at least one field`;
    default:
      return `${field()}: ${item.message ?? 'is not valid'}`;
  }
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Fastify's request-level error codes and what they mean in the catalog's terms. */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'bad_request', message: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'bad_request', message: 'the body is empty but the content type says JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad_request', message: 'the Content-Length does not match the body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: ERROR_CATALOG.payload_too_large.message },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', message: ERROR_CATALOG.unsupported_media_type.message },
  // Raised by the router before any route runs (see handleFrameworkError).
  FST_ERR_BAD_URL: { code: 'bad_request', message: 'the URL is not valid (bad percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'bad_request', message: 'a segment of the URL path is too long' },
};

/**
 * SQLite failures of the storage itself (better-sqlite3's SqliteError codes): the disk is full,
 * the file cannot be written or read, or another writer holds it too long. The request was fine
 * and nothing was written (the transaction rolled back); the server is what cannot serve it now:
 * 503, logged in full like any internal error.
 */
const STORAGE_FAILURES = /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|CORRUPT|NOTADB)/;
const STORAGE_MESSAGES: Record<string, string> = {
  SQLITE_FULL: 'the server cannot store the change: its disk is full; nothing was changed, try again later',
};

/** Translate any thrown value into the status and body the client receives. */
export function errorReply(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (error instanceof WardError) return { status: error.status, body: error.toBody(), internal: error.status >= 500 };
  const sqlite = (error as { name?: unknown; code?: unknown }) ?? {};
  if (sqlite.name === 'SqliteError' && typeof sqlite.code === 'string' && STORAGE_FAILURES.test(sqlite.code)) {
    const message = STORAGE_MESSAGES[sqlite.code] ?? 'the server cannot use its storage now; nothing was changed, try again later';
    return { status: 503, body: { error: 'unavailable', message }, internal: true };
  }
  const fe = error as Partial<FastifyError> & { validation?: ValidationItem[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    return { status: 400, body: { error: 'bad_request', message: validationMessage(fe.validationContext, fe.validation) }, internal: false };
  }
  const known = typeof fe.code === 'string' ? FASTIFY_ERRORS[fe.code] : undefined;
  if (known) return { status: ERROR_CATALOG[known.code].status, body: { error: known.code, message: known.message }, internal: false };
  // Other client errors Fastify detects itself (a malformed URL, a bad header): a plain 400.
  if (typeof fe.code === 'string' && fe.code.startsWith('FST_') && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: 400, body: { error: 'bad_request', message: fe.message ?? ERROR_CATALOG.bad_request.message }, internal: false };
  }
  return { status: 500, body: { error: 'internal', message: ERROR_CATALOG.internal.message }, internal: true };
}

/** Answers that say something about authentication are worth an info line; other 4xx are debug noise. */
const NOTABLE = new Set<ErrorCode>(['unauthenticated', 'auth_failed', 'token_invalid', 'forbidden', 'read_only_token', 'rate_limited']);

/** Fastify's setErrorHandler callback. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body, internal } = errorReply(error);
  const where = { method: request.method, url: request.url.split('?')[0], status, error: body.error };
  if (internal) request.log.error({ ...where, err: error }, 'request failed');
  else if (NOTABLE.has(body.error)) request.log.info(where, body.message);
  else request.log.debug({ ...where, reason: body.message }, 'request refused');
  void reply.code(status).send(body);
}

/**
 * Fastify's frameworkErrors callback: errors the router meets before routing (a bad
 * percent-encoding, an over-long path segment). No hook has run yet, so the security headers
 * are set here before the one error handler answers.
 */
export function frameworkErrorHandler(headers: Record<string, string>) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    void reply.headers(headers);
    handleError(error, request, reply);
  };
}

/**
 * Fastify's clientErrorHandler: the HTTP parser refused the bytes (a bad Content-Length, a header
 * block too large, a request too slow). There is no request object, only the socket: answer in
 * the catalog's shape if it can still be written, and close it.
 */
export function clientErrorHandler(this: { log: FastifyBaseLogger }, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const message =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'the request was not received in time'
    : error.code === 'HPE_HEADER_OVERFLOW' ? 'the request headers are too large'
    : 'the HTTP request is malformed';
  this.log.debug({ code: error.code }, `client error: ${message}`);
  if (socket.writable) {
    const body = JSON.stringify({ error: 'bad_request', message } satisfies ErrorBody);
    socket.write(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Fastify's setNotFoundHandler callback: no route for this method and path. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` } satisfies ErrorBody);
}

/**
 * Errors in the web UI's scope. Page and form routes answer with an HTML page in the catalog's
 * terms (status and message from http/errors.ts's errorReply, so the words match the API's);
 * the JSON endpoints of the page scripts answer exactly as the REST API does. Unknown paths under
 * /ui get an HTML 404 page.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorReply, handleError } from '../http/errors.js';
import { sendPage, sentence } from './layout.js';
import { errorPage } from './pages/error.js';
import { setUiHeaders } from './security.js';
import type { UiContext } from './session.js';

/** The page scripts' calls send and expect JSON. */
function wantsJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('application/json');
}

export function uiErrorHandler(ui: UiContext) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    setUiHeaders(reply);
    if (wantsJson(request)) {
      handleError(error, request, reply);
      return;
    }
    const { status, body, internal } = errorReply(error);
    const where = { method: request.method, url: request.url.split('?')[0], status, error: body.error };
    if (internal) request.log.error({ ...where, err: error }, 'web UI request failed');
    else request.log.info({ ...where, reason: body.message }, 'web UI request refused');
    void sendPage(reply, status, errorPage(ui.assets, status, sentence(body.message)));
  };
}

export function uiNotFound(ui: UiContext) {
  return (_request: FastifyRequest, reply: FastifyReply): void => {
    setUiHeaders(reply);
    void sendPage(reply, 404, errorPage(ui.assets, 404, 'There is no page at this address.'));
  };
}

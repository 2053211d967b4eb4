/**
 * The web UI of `wardd`: server-rendered pages for people (sign-in, applications, profile,
 * credential updates), registered by the app as one Fastify plugin:
 *
 *   void app.register(uiPlugin, { services });          // http/app.ts
 *
 *   GET  /                        -> /ui/apps when signed in, else /ui/login
 *   /ui/login, /ui/login/step, /ui/login/passkey/*, /ui/logout      routes/login.ts
 *   /ui/apps, /ui/profile, /ui/profile/ssh*                          routes/profile.ts
 *   /ui/reset, /ui/credentials*                                      routes/credentials.ts
 *   /ui/static/*                                                     assets.ts
 *
 * Everything under /ui lives in one encapsulated scope with its own headers (security.ts), form
 * parser (forms.ts), error pages (errors.ts) and 404 page; the REST API's JSON-only rules are
 * untouched. The plugin itself is not encapsulated (skip-override, as fastify-plugin does), so
 * its UiContext is reachable as `app.wardUi` by the single sign-on routes, which reuse the
 * sign-in page (`loginUrl(next)`), the session (`currentSession`), the CSRF tokens and the
 * consent page (pages/consent.ts); see README.md.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../http/handlers/context.js';
import { NO_APPS, type AppCatalog } from './apps.js';
import { Assets } from './assets.js';
import { Csrf } from './csrf.js';
import { uiErrorHandler, uiNotFound } from './errors.js';
import { registerFormParser } from './forms.js';
import { credentialRoutes } from './routes/credentials.js';
import { loginRoutes } from './routes/login.js';
import { profileRoutes } from './routes/profile.js';
import { setUiHeaders } from './security.js';
import { currentSession, type UiContext } from './session.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The web UI's context, for routes that render its pages (single sign-on). */
    wardUi: UiContext;
  }
}

export interface UiOptions {
  services: Services;
  /** Where the apps page's list comes from; none until single sign-on provides it. */
  apps?: AppCatalog;
}

export async function uiPlugin(app: FastifyInstance, opts: UiOptions): Promise<void> {
  const ui: UiContext = {
    services: opts.services,
    csrf: Csrf.open(opts.services.directory),
    assets: new Assets(app.log),
    apps: opts.apps ?? NO_APPS,
    origin: opts.services.config.origin,
  };
  app.decorate('wardUi', ui);

  app.get('/', async (request, reply) => {
    setUiHeaders(reply);
    return reply.redirect((await currentSession(ui, request)) ? '/ui/apps' : '/ui/login', 303);
  });

  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (_request, reply) => {
        setUiHeaders(reply);
      });
      registerFormParser(scope);
      scope.setErrorHandler(uiErrorHandler(ui));
      scope.setNotFoundHandler(uiNotFound(ui));
      ui.assets.register(scope);
      loginRoutes(scope, ui);
      profileRoutes(scope, ui);
      credentialRoutes(scope, ui);
    },
    { prefix: '/ui' },
  );
}
// Not encapsulated: the decoration above is visible to the rest of the app (fastify-plugin's mechanism).
(uiPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

export type { AppCatalog, AppLink } from './apps.js';
export { CSRF_FIELD, CSRF_HEADER } from './csrf.js';
export { formOf, registerFormParser, type Form } from './forms.js';
export { html, type SafeHtml } from './html.js';
export { page, sendPage } from './layout.js';
export { consentPage, type ConsentPage } from './pages/consent.js';
export { assertSameOrigin, setUiHeaders } from './security.js';
export { checkSessionCsrf, currentSession, loginUrl, safeNext, type UiContext, type WebSession } from './session.js';

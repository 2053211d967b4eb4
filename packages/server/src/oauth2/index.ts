/**
 * Single sign-on for web applications: OAuth2 and OpenID Connect on oidc-provider, mounted in
 * wardd's Fastify server. README.md beside this file maps the parts; docs/oauth2.md is the
 * administrator's documentation.
 *
 *   const oauth2 = await OAuth2Service.open({ db, directory, config, tokens });   // http/server.ts
 *   services.oauth2 = oauth2;                  // REST handlers (http/handlers/oauth2.ts) use .admin
 *   authFlow = oauth2.recordSignInMethods(authFlow);   // amr/acr of web sign-ins
 *   app.register(uiPlugin, { services, apps: oauth2.catalog });                   // the apps page
 *   app.register(oauth2Plugin, { services });  // after the UI: /oauth2/*, discovery, interactions
 */
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { AuthFlow } from '../auth/types.js';
import type { ServerConfig } from '../config.js';
import type { Directory } from '../directory/types.js';
import type { Services } from '../http/handlers/context.js';
import type { TokenService } from '../http/tokens.js';
import type { AppCatalog } from '../ui/apps.js';
import { sweepExpired } from './adapter.js';
import { OAuth2Admin } from './admin.js';
import { Entitlements } from './entitlements.js';
import { interactionRoutes } from './interactions.js';
import { SigningKeys } from './keys.js';
import { loadOidcProvider } from './library.js';
import { cookieKeys, mountProvider, ProviderHost } from './provider.js';
import { OAuth2Store } from './store.js';
import { recordSignInMethods, WebSignIns } from './web-sign-in.js';

/** Expired protocol state (codes, tokens, sessions, interactions) is deleted this often. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

export interface OAuth2Options {
  db: Database.Database;
  directory: Directory;
  config: ServerConfig;
  tokens: TokenService;
}

export class OAuth2Service {
  readonly store: OAuth2Store;
  readonly keys: SigningKeys;
  readonly entitlements: Entitlements;
  readonly admin: OAuth2Admin;
  readonly webSignIns: WebSignIns;
  readonly catalog: AppCatalog;
  private sweeper: NodeJS.Timeout | undefined;

  private constructor(readonly options: OAuth2Options) {
    this.store = new OAuth2Store(options.db);
    this.keys = new SigningKeys(this.store);
    this.entitlements = new Entitlements(options.directory, this.store);
    this.admin = new OAuth2Admin(this.store, options.directory, this.keys, options.config.origin);
    this.webSignIns = new WebSignIns(options.tokens, options.directory, this.store);
    this.catalog = { appsFor: (actor) => this.entitlements.appsFor(actor) };
  }

  /** Opens the SSO part of a server: signing keys created on first start, expired state swept. */
  static async open(options: OAuth2Options): Promise<OAuth2Service> {
    const service = new OAuth2Service(options);
    await service.keys.ensure();
    sweepExpired(options.db);
    service.sweeper = setInterval(() => sweepExpired(options.db), SWEEP_INTERVAL_MS);
    service.sweeper.unref();
    return service;
  }

  recordSignInMethods(flow: AuthFlow): AuthFlow {
    return recordSignInMethods(flow, this.store);
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/** Registers the provider's endpoints and the interaction pages; needs the web UI (app.wardUi) registered first. */
export async function oauth2Plugin(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const service = opts.services.oauth2;
  const { lib, runtimeNotice } = await loadOidcProvider();
  if (runtimeNotice) app.log.debug({ notice: runtimeNotice }, 'oidc-provider runs on this Node.js release, which it no longer lists as supported');
  const ui = app.wardUi;
  const deps = {
    config: service.options.config,
    store: service.store,
    entitlements: service.entitlements,
    webSignIns: service.webSignIns,
    assets: ui.assets,
    cookieKeys: cookieKeys(service.options.directory),
  };
  const host = new ProviderHost(lib, { ...deps, keys: service.keys, directory: service.options.directory, origin: service.options.config.origin, log: app.log });
  host.current(); // a configuration error stops the start, not the first sign-in
  mountProvider(app, host);
  interactionRoutes(app, { lib, host, ui, store: service.store, entitlements: service.entitlements, webSignIns: service.webSignIns });
  app.addHook('onClose', async () => service.close());
}
// Not encapsulated: its routes sit beside the API's (fastify-plugin's mechanism, as uiPlugin).
(oauth2Plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

export { OAuth2Admin } from './admin.js';
export type { OAuth2Store } from './store.js';

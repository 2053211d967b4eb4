/**
 * The interaction pages: where the provider sends the browser when an authorization request
 * needs the person (policy.ts). Fastify routes in a scope of their own with the web UI's headers,
 * form parser and error pages:
 *
 *   GET  /oauth2/interaction/:uid          login:   finish with the IdP's login session, or send the
 *                                                   person to /ui/login, which comes back here;
 *                                          access:  the "access denied" page;
 *                                          consent: the consent page (ui/pages/consent.ts)
 *   POST /oauth2/interaction/:uid/consent  allow (recorded, consent.ts) or deny
 *   POST /oauth2/interaction/:uid/abort    "Back to the application" from the denied page:
 *                                          the application receives error=access_denied
 *
 * Posts carry the signed-in session's CSRF token and must come from this origin, like every form
 * of the UI. The interaction is the one named by the provider's interaction cookie, and must be
 * the one in the URL.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Provider } from 'oidc-provider';
import { WardError } from '@ward/proto';
import { EphemeralStore } from '../auth/ephemeral.js';
import { uiErrorHandler } from '../ui/errors.js';
import {
  CSRF_FIELD, assertSameOrigin, checkSessionCsrf, consentPage, currentSession, formOf, loginUrl, registerFormParser, sendPage,
  setUiHeaders, type UiContext, type WebSession,
} from '../ui/index.js';
import { syncGrant, wantedScopes } from './consent.js';
import type { Entitlements } from './entitlements.js';
import type { loadOidcProvider } from './library.js';
import { accessDeniedPage, continuePage, cspAllowingFormTo, scopeDescription } from './pages.js';
import { ACCESS_PROMPT } from './policy.js';
import { TTL } from './provider-config.js';
import type { ProviderHost } from './provider.js';
import type { OAuth2Store } from './store.js';
import { acrOf, type WebSignIns } from './web-sign-in.js';

type Lib = Awaited<ReturnType<typeof loadOidcProvider>>['lib'];
type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Login prompt reasons that need a sign-in made after the request, not the one the person has. */
const FRESH_SIGN_IN_REASONS = new Set(['login_prompt', 'max_age', 'id_token_hint', 'claims_id_token_sub_value', 'essential_acr', 'essential_acrs']);

export interface InteractionDeps {
  lib: Lib;
  host: ProviderHost;
  ui: UiContext;
  store: OAuth2Store;
  entitlements: Entitlements;
  webSignIns: WebSignIns;
}

const EXPIRED = 'this sign-in to the application has expired or is already finished; go back to the application and start again';

export function interactionRoutes(app: FastifyInstance, deps: InteractionDeps): void {
  const { lib, host, ui, store, entitlements, webSignIns } = deps;
  /** Sign-ins asked for by prompt=login or max_age: which session was current when the person was sent. */
  const reauthTickets = new EphemeralStore<{ uid: string; stale: string | null }>(10_000);

  async function details(provider: Provider, request: FastifyRequest, reply: FastifyReply): Promise<Interaction> {
    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(request.raw, reply.raw);
    } catch (e) {
      if (e instanceof lib.errors.SessionNotFound) throw new WardError('not_found', EXPIRED);
      throw e;
    }
    if (interaction.uid !== (request.params as { uid: string }).uid) throw new WardError('not_found', EXPIRED);
    return interaction;
  }

  const clientOf = (interaction: Interaction) => {
    const client = store.client(String(interaction.params.client_id ?? ''));
    if (!client) throw new WardError('not_found', 'the application is no longer registered here');
    return client;
  };

  /** The signed-in session behind a consent or access page: the account the provider knows. */
  async function sessionFor(request: FastifyRequest, interaction: Interaction): Promise<WebSession> {
    const session = await currentSession(ui, request);
    if (!session || session.actor.uuid !== interaction.session?.accountId) {
      throw new WardError('unauthenticated', 'your sign-in ended or changed meanwhile; go back to the application and start again');
    }
    return session;
  }

  async function finish(provider: Provider, request: FastifyRequest, reply: FastifyReply, result: Parameters<Provider['interactionResult']>[2]) {
    const url = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: !('error' in result) });
    return reply.redirect(url, 303);
  }

  async function login(provider: Provider, interaction: Interaction, request: FastifyRequest, reply: FastifyReply) {
    const path = `/oauth2/interaction/${interaction.uid}`;
    const web = await webSignIns.of(request.headers);
    if (interaction.prompt.reasons.some((r) => FRESH_SIGN_IN_REASONS.has(r))) {
      // A sign-in made after this request is needed: the ticket remembers which session was
      // current when the person was sent to sign in; a different one on return is a new sign-in.
      const ticket = (request.query as Record<string, unknown>).reauth;
      const sent = typeof ticket === 'string' ? reauthTickets.take(ticket) : undefined;
      if (!web || !sent || sent.uid !== interaction.uid || sent.stale === web.sessionId) {
        const id = reauthTickets.add({ uid: interaction.uid, stale: web?.sessionId ?? null }, Date.now() + TTL.Interaction * 1000);
        return reply.redirect(loginUrl(`${path}?signed_in=1&reauth=${id}`, web ? 'sso_reauth' : undefined), 303);
      }
    } else if (!web) {
      return reply.redirect(loginUrl(`${path}?signed_in=1`), 303);
    }
    const client = clientOf(interaction);
    const url = await provider.interactionResult(
      request.raw,
      reply.raw,
      { login: { accountId: web.accountUuid, acr: acrOf(web.amr), amr: web.amr, remember: true, ts: Math.floor(web.createdAt / 1000) } },
      { mergeWithLastSubmission: false },
    );
    request.log.info({ event: 'oauth2_login', account: web.accountUuid, client: client.name, session: web.sessionId, source: request.ip }, 'signed in to an application');
    if ((request.query as Record<string, unknown>).signed_in === undefined) return reply.redirect(url, 303);
    // Straight from the sign-in form: continue in a new navigation (pages.ts, continuePage).
    void reply.header('refresh', `0; url=${url}`);
    return sendPage(reply, 200, continuePage(ui.assets, client.displayname, url));
  }

  async function consent(interaction: Interaction, request: FastifyRequest, reply: FastifyReply) {
    const session = await sessionFor(request, interaction);
    const client = clientOf(interaction);
    const ent = entitlements.of(session.actor.uuid, client.name);
    if (!ent?.access) throw new WardError('forbidden', `your account may not use ${client.displayname}`);
    const scopes = wantedScopes(String(interaction.params.scope ?? '').split(' '), ent).map((s) => ({ name: s, description: scopeDescription(s) }));
    const claims = Object.keys(ent.claims);
    if (claims.length) scopes.push({ name: claims.join(', '), description: 'Details your administrator set for this application' });
    const redirectUri = String(interaction.params.redirect_uri ?? client.landingUrl);
    void reply.header('content-security-policy', cspAllowingFormTo(redirectUri));
    const markup = consentPage({
      assets: ui.assets,
      signedIn: { name: session.actor.name, csrf: session.csrf },
      application: { displayName: client.displayname, host: new URL(redirectUri).host },
      scopes,
      action: `/oauth2/interaction/${interaction.uid}/consent`,
    });
    return sendPage(reply, 200, markup);
  }

  async function denied(interaction: Interaction, request: FastifyRequest, reply: FastifyReply) {
    const session = await sessionFor(request, interaction);
    const client = clientOf(interaction);
    request.log.info({ event: 'oauth2_access_denied', account: session.actor.name, client: client.name, source: request.ip }, 'not entitled to an application');
    void reply.header('content-security-policy', cspAllowingFormTo(String(interaction.params.redirect_uri ?? '')));
    const markup = accessDeniedPage({
      assets: ui.assets,
      signedIn: { name: session.actor.name, csrf: session.csrf },
      application: client.displayname,
      action: `/oauth2/interaction/${interaction.uid}/abort`,
    });
    return sendPage(reply, 403, markup);
  }

  void app.register(async (scope) => {
    scope.addHook('onRequest', async (_request, reply) => {
      setUiHeaders(reply);
    });
    registerFormParser(scope);
    scope.setErrorHandler(uiErrorHandler(ui));
    const params = { schema: { params: { type: 'object', properties: { uid: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } }, required: ['uid'] } } };

    scope.get('/oauth2/interaction/:uid', params, async (request, reply) => {
      const provider = host.current();
      const interaction = await details(provider, request, reply);
      switch (interaction.prompt.name) {
        case 'login':
          return login(provider, interaction, request, reply);
        case ACCESS_PROMPT:
          return denied(interaction, request, reply);
        case 'consent':
          return consent(interaction, request, reply);
        default:
          throw new WardError('internal', `unexpected interaction prompt ${interaction.prompt.name}`);
      }
    });

    scope.post('/oauth2/interaction/:uid/consent', params, async (request, reply) => {
      const form = formOf(request.body);
      assertSameOrigin(request, ui.origin);
      const provider = host.current();
      const interaction = await details(provider, request, reply);
      const session = await sessionFor(request, interaction);
      checkSessionCsrf(ui, session, form.optional(CSRF_FIELD, 64));
      if (interaction.prompt.name !== 'consent') throw new WardError('conflict', EXPIRED);
      const client = clientOf(interaction);
      const decision = form.required('decision', 16);
      const log = { account: session.actor.name, client: client.name, source: request.ip };
      if (decision !== 'allow') {
        request.log.info({ event: 'oauth2_consent', ...log, outcome: 'denied' }, 'consent refused');
        return finish(provider, request, reply, { error: 'access_denied', error_description: 'the person did not allow the application' });
      }
      const ent = entitlements.of(session.actor.uuid, client.name);
      if (!ent?.access) throw new WardError('forbidden', `your account may not use ${client.displayname}`);
      const requested = String(interaction.params.scope ?? '').split(' ');
      const wanted = wantedScopes(requested, ent);
      store.write(() => store.addConsent(session.actor.uuid, client.uuid, wanted));
      const grant = await syncGrant(provider, store, ent, requested, interaction.grantId);
      request.log.info({ event: 'oauth2_consent', ...log, outcome: 'allowed', scopes: wanted }, 'consent given');
      return finish(provider, request, reply, { consent: { grantId: grant!.jti } });
    });

    scope.post('/oauth2/interaction/:uid/abort', params, async (request, reply) => {
      const form = formOf(request.body);
      assertSameOrigin(request, ui.origin);
      const provider = host.current();
      const interaction = await details(provider, request, reply);
      checkSessionCsrf(ui, await sessionFor(request, interaction), form.optional(CSRF_FIELD, 64));
      return finish(provider, request, reply, { error: 'access_denied', error_description: 'the account may not use this application' });
    });
  });
}

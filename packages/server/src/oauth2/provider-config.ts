/**
 * The configuration of oidc-provider for Ward (docs/oauth2.md explains each choice):
 *
 *   - one issuer, the server's origin; endpoints under /oauth2/, discovery at
 *     /.well-known/openid-configuration; authorization code flow only (no implicit or hybrid,
 *     no password grant), PKCE S256 required for public clients and by default for all;
 *   - clients come from the administrator's registrations (`clientMetadata`), read on each
 *     request through the adapter's Client model;
 *   - ID tokens ES256 by default, RS256 per client; keys from keys.ts;
 *   - claims: `sub` (the person's uuid, stable), `amr`, `acr`, `auth_time`, the mapped claims under
 *     `openid`; name and
 *     preferred_username under `profile`; email and email_verified under `email`; `groups` under
 *     `groups`. Scope claims go into the ID token as well as userinfo (conformIdTokenClaims off);
 *   - refresh tokens on every code exchange, rotated on every use (a reused one revokes the whole
 *     grant), at most REFRESH_TOKEN_SECONDS after the sign-in, bound to the IdP session unless the
 *     application asked for offline_access; introspection and revocation of a client's own tokens;
 *     client credentials for confidential clients; RP-initiated logout; PAR;
 *   - dev interactions off; the login, access and consent prompts of policy.ts; our pages.
 */
import type { AccountClaims, AdapterPayload, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { landingUrlProblem } from '@ward/proto';
import type { JWK } from 'jose';
import type { ServerConfig } from '../config.js';
import type { Assets } from '../ui/assets.js';
import { SqliteAdapter } from './adapter.js';
import { grantLoader } from './consent.js';
import { standardClaims, type Entitlements } from './entitlements.js';
import type { loadOidcProvider } from './library.js';
import { cspAllowingFormTo, logoutPage, protocolErrorPage, signedOutPage } from './pages.js';
import { entitlementOf, interactionPolicy } from './policy.js';
import type { ClientRecord, OAuth2Store } from './store.js';
import { ACR_VALUES, type WebSignIns } from './web-sign-in.js';

type Lib = Awaited<ReturnType<typeof loadOidcProvider>>['lib'];

/** Lifetimes in seconds (ecosystem.md §1.7; docs/oauth2.md). */
export const TTL = {
  AuthorizationCode: 60,
  AccessToken: 600,
  ClientCredentials: 600,
  IdToken: 3600,
  Interaction: 600,
  Grant: 14 * 86400,
} as const;
/** A refresh token works at most this long after the sign-in it came from, however often rotated. */
export const REFRESH_TOKEN_SECONDS = 7 * 86400;

export const ROUTES = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  userinfo: '/oauth2/userinfo',
  jwks: '/oauth2/jwks',
  introspection: '/oauth2/token/introspect',
  revocation: '/oauth2/token/revoke',
  end_session: '/oauth2/logout',
  pushed_authorization_request: '/oauth2/par',
} as const;

export const STANDARD_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'groups'] as const;

/**
 * The provider's cookies: its session cookie (Path=/) is `__Host-` like the web UI's, so no
 * sibling host can set or shadow it; the interaction cookies are scoped to their own paths
 * (/oauth2/interaction/<uid>, /oauth2/authorize/<uid>), which the prefix does not allow.
 */
export const COOKIE_NAMES = { session: '__Host-ward_oidc_session', interaction: 'ward_oidc_interaction', resume: 'ward_oidc_resume' };

/** A registered client as oidc-provider metadata. */
export function clientMetadata(c: ClientRecord): AdapterPayload {
  return {
    client_id: c.name,
    client_name: c.displayname,
    client_uri: c.landingUrl,
    redirect_uris: c.redirectUrls,
    // Where RP-initiated logout may return to: the landing page or a redirect URL.
    // Only URLs today's rules accept: an older Ward registered http landing URLs too.
    post_logout_redirect_uris: [...new Set([c.landingUrl, ...c.redirectUrls])].filter((u) => !landingUrlProblem(u)),
    response_types: ['code'],
    grant_types: c.public ? ['authorization_code', 'refresh_token'] : ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_method: c.public ? 'none' : 'client_secret_basic',
    ...(c.secret !== null ? { client_secret: c.secret } : {}),
    id_token_signed_response_alg: c.idTokenAlg,
    // Loopback redirects with any port (RFC 8252 §7.3) are what "native" means to the library.
    application_type: c.public && c.allowLocalhost ? 'native' : 'web',
  };
}

export interface ConfigDeps {
  config: Pick<ServerConfig, 'sessionTtl'>;
  store: OAuth2Store;
  entitlements: Entitlements;
  webSignIns: WebSignIns;
  assets: Assets;
  cookieKeys: string[];
}

function sendHtml(ctx: KoaContextWithOIDC, markup: { value: string }, formTarget?: string): void {
  ctx.type = 'html';
  ctx.set('content-security-policy', cspAllowingFormTo(formTarget));
  ctx.set('cache-control', 'no-store');
  ctx.body = markup.value;
}

const INTERACTIVE_ROUTES = new Set(['authorization', 'resume', 'pushed_authorization_request', 'end_session', 'end_session_confirm']);

export function providerConfiguration(lib: Lib, deps: ConfigDeps, vocabulary: { scopes: string[]; claims: string[] }, jwks: JWK[]): Configuration {
  const { store, entitlements, assets } = deps;
  return {
    adapter: (model: string) => new SqliteAdapter(model, store.db, (id) => {
      const c = store.client(id);
      return c && clientMetadata(c);
    }),
    jwks: { keys: jwks } as Configuration['jwks'],
    cookies: {
      names: COOKIE_NAMES,
      keys: deps.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    responseTypes: ['code'],
    scopes: [...new Set([...STANDARD_SCOPES, ...vocabulary.scopes])],
    subjectTypes: ['public'],
    claims: {
      iss: null,
      sid: null,
      // How and when the person signed in travels with every ID token, not only when asked for.
      openid: ['sub', 'amr', 'acr', 'auth_time', ...vocabulary.claims],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    acrValues: [...ACR_VALUES],
    conformIdTokenClaims: false,
    allowOmittingSingleRegisteredRedirectUri: false,
    clientDefaults: {
      id_token_signed_response_alg: 'ES256',
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    pkce: {
      required: (_ctx, client) => client.clientAuthMethod === 'none' || store.client(client.clientId)?.pkceRequired !== false,
    },
    routes: ROUTES,
    ttl: {
      ...TTL,
      Session: deps.config.sessionTtl,
      RefreshToken: (ctx) => {
        const rotated = ctx?.oidc?.entities.RotatedRefreshToken;
        return rotated ? Math.max(1, rotated.remainingTTL) : REFRESH_TOKEN_SECONDS;
      },
    },
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    loadExistingGrant: grantLoader(store, (ctx) => entitlementOf(entitlements, ctx)),
    findAccount: async (ctx, sub) => {
      const person = entitlements.person(sub);
      if (!person) return undefined;
      const clientId = ctx.oidc.client?.clientId;
      const ent = clientId ? entitlements.of(sub, clientId) : undefined;
      // Outside the sign-in itself (token, refresh, userinfo), no entitlement means no account:
      // removing someone from the application's groups ends what they hold at once.
      if (clientId && !ent?.access && !INTERACTIVE_ROUTES.has(ctx.oidc.route)) return undefined;
      return { accountId: sub, claims: () => ({ ...standardClaims(person), ...(ent?.access ? ent.claims : {}) }) as AccountClaims };
    },
    interactions: {
      url: (_ctx, interaction) => `/oauth2/interaction/${interaction.uid}`,
      policy: interactionPolicy(lib, { entitlements, store, webSignIns: deps.webSignIns }),
    },
    clientBasedCORS: (ctx, origin, client) => {
      if (ctx.oidc.route !== 'userinfo' && client.clientAuthMethod !== 'none') return false;
      return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
    },
    renderError: (ctx, out) => {
      sendHtml(ctx, protocolErrorPage(assets, ctx.status || 400, out.error, out.error_description));
    },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: { enabled: false },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      introspection: {
        enabled: true,
        // A client learns about its own tokens only, and a person's token is active only while
        // the person may still use the application (as at userinfo and refresh).
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId !== client.clientId) return false;
          const accountId = 'accountId' in token ? token.accountId : undefined;
          return !accountId || entitlements.of(accountId, client.clientId)?.access === true;
        },
      },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx) => {
          const oidc = ctx.oidc;
          const state = (oidc.session?.state ?? {}) as { secret?: string };
          const markup = logoutPage(assets, {
            application: oidc.client?.clientName ?? undefined,
            action: oidc.urlFor('end_session_confirm'),
            xsrf: state.secret ?? '',
          });
          const target = typeof oidc.params?.post_logout_redirect_uri === 'string' ? oidc.params.post_logout_redirect_uri : undefined;
          sendHtml(ctx, markup, target);
        },
        postLogoutSuccessSource: (ctx) => {
          sendHtml(ctx, signedOutPage(assets, ctx.oidc.client?.clientName ?? undefined));
        },
      },
    },
  };
}

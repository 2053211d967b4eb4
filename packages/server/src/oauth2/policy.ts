/**
 * The interaction policy: what must happen before an authorization request is answered with a
 * code. Three prompts, checked in order on every request (a pending prompt sends the browser to
 * /oauth2/interaction/<uid>, interactions.ts):
 *
 *   login        oidc-provider's checks (no session, prompt=login, max_age, id_token_hint...) plus
 *                `ward_session`: the provider's session must be the IdP's current login session
 *                (same account, same sign-in), so signing out of Ward or signing in as someone
 *                else is never bypassed by what the provider remembered;
 *   ward_access  the person must be entitled to the application (in a scope-mapped group); if not,
 *                the interaction shows "access denied" and no code is issued (with prompt=none
 *                the application gets error=access_denied at once);
 *   consent      the person has not yet agreed to a requested scope they are entitled to
 *                (consent.ts), or the application asked with prompt=consent.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Entitlement, Entitlements } from './entitlements.js';
import { missingConsent } from './consent.js';
import type { loadOidcProvider } from './library.js';
import type { OAuth2Store } from './store.js';
import type { WebSignIns } from './web-sign-in.js';

type Lib = Awaited<ReturnType<typeof loadOidcProvider>>['lib'];

export const ACCESS_PROMPT = 'ward_access';

export interface PolicyDeps {
  entitlements: Entitlements;
  store: OAuth2Store;
  webSignIns: WebSignIns;
}

const perRequest = new WeakMap<object, Entitlement | null>();

/** The entitlement of the request's account for its client, computed once per request. */
export function entitlementOf(entitlements: Entitlements, ctx: KoaContextWithOIDC): Entitlement | undefined {
  const cached = perRequest.get(ctx);
  if (cached !== undefined) return cached ?? undefined;
  const accountId = ctx.oidc.session?.accountId ?? ctx.oidc.account?.accountId;
  const clientId = ctx.oidc.client?.clientId;
  const ent = accountId && clientId ? entitlements.of(accountId, clientId) : undefined;
  perRequest.set(ctx, ent ?? null);
  return ent;
}

export function interactionPolicy(lib: Lib, deps: PolicyDeps) {
  const { Prompt, Check, base } = lib.interactionPolicy;
  const policy = base();

  const login = policy.get('login')!;
  login.checks.add(
    new Check('ward_session', 'the sign-in at the identity provider ended or changed', async (ctx) => {
      const session = ctx.oidc.session;
      if (!session?.accountId) return Check.NO_NEED_TO_PROMPT; // no_session asks already
      const web = await deps.webSignIns.of(ctx.req.headers);
      if (!web || web.accountUuid !== session.accountId) return Check.REQUEST_PROMPT;
      return Math.floor(web.createdAt / 1000) === session.loginTs ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  const access = new Prompt(
    { name: ACCESS_PROMPT, requestable: false },
    new Check('not_entitled', 'the account may not use this application', 'access_denied', (ctx) =>
      entitlementOf(deps.entitlements, ctx)?.access ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
    ),
  );

  const consent = new Prompt(
    { name: 'consent', requestable: true },
    (ctx) => {
      const ent = entitlementOf(deps.entitlements, ctx);
      return { missingOIDCScope: ent ? missingConsent(ctx.oidc.requestParamOIDCScopes, ent, deps.store) : [] };
    },
    new Check('op_scopes_missing', 'requested scopes not granted', (ctx) => {
      const ent = entitlementOf(deps.entitlements, ctx);
      if (!ent) return Check.REQUEST_PROMPT;
      return missingConsent(ctx.oidc.requestParamOIDCScopes, ent, deps.store).length ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );

  policy.remove('consent');
  policy.add(access);
  policy.add(consent);
  return policy;
}

/**
 * Consent and grants. What a person agreed to give an application is kept in `oauth2_consents`
 * (store.ts), per person and client, across sign-ins and sessions: the first time the consent
 * page asks, afterwards it asks again only when the application asks for a scope the person has
 * not agreed to yet (and is entitled to).
 *
 * oidc-provider's Grant, which tokens hang on, is derived from that record on every
 * authorization request (`loadExistingGrant`): it holds the consented scopes the person is still
 * entitled to (a scope map removed since is dropped from it), and marks the requested scopes the
 * person is not entitled to as rejected, so they are left out of the tokens without asking.
 */
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Entitlement } from './entitlements.js';
import type { OAuth2Store } from './store.js';

type Grant = InstanceType<Provider['Grant']>;

/** The requested scopes the person is entitled to: what the application will receive. */
export function wantedScopes(requested: Iterable<string>, ent: Entitlement): string[] {
  return [...new Set(requested)].filter((s) => ent.scopes.has(s));
}

/** Requested scopes the person may use but has not agreed to give this application yet. */
export function missingConsent(requested: Iterable<string>, ent: Entitlement, store: OAuth2Store): string[] {
  const agreed = store.consent(ent.person.uuid, ent.client.uuid) ?? new Set<string>();
  return wantedScopes(requested, ent).filter((s) => !agreed.has(s));
}

function sameSet(a: string | undefined, b: readonly string[]): boolean {
  const left = new Set((a ?? '').split(' ').filter(Boolean));
  return left.size === b.length && b.every((s) => left.has(s));
}

/**
 * The grant for this person, client and request, brought in line with the consent record;
 * undefined when there is nothing consented yet (the consent prompt will ask).
 */
export async function syncGrant(
  provider: Provider,
  store: OAuth2Store,
  ent: Entitlement,
  requested: Iterable<string>,
  grantId: string | undefined,
): Promise<Grant | undefined> {
  const accountId = ent.person.uuid;
  const clientId = ent.client.name;
  const consented = [...(store.consent(accountId, ent.client.uuid) ?? [])].filter((s) => ent.scopes.has(s)).sort();
  const rejected = [...new Set(requested)].filter((s) => !ent.scopes.has(s)).sort();
  let grant = grantId ? await provider.Grant.find(grantId) : undefined;
  if (grant && (grant.accountId !== accountId || grant.clientId !== clientId)) grant = undefined;
  if (!grant && consented.length === 0) return undefined;
  const fresh = !grant;
  grant ??= new provider.Grant({ accountId, clientId });
  if (!fresh && sameSet(grant.openid?.scope, consented) && sameSet(grant.rejected?.openid?.scope, rejected)) return grant;
  delete grant.openid;
  delete grant.rejected;
  if (consented.length) grant.addOIDCScope(consented);
  if (rejected.length) grant.rejectOIDCScope(rejected);
  await grant.save();
  return grant;
}

/** The `loadExistingGrant` hook of the provider configuration. */
export function grantLoader(store: OAuth2Store, entitlement: (ctx: KoaContextWithOIDC) => Entitlement | undefined) {
  return async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const ent = entitlement(ctx);
    if (!ent?.access) return undefined; // the access prompt ends this request
    const oidc = ctx.oidc;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(ent.client.name);
    return syncGrant(oidc.provider, store, ent, oidc.requestParamOIDCScopes, grantId);
  };
}

/**
 * Handlers of the OAuth2 client routes (`ward system oauth2 ...`): one line each onto
 * oauth2/admin.ts, which checks the caller's rights (system_admins, idm_oauth2_admins) and every
 * value. Creation answers 201 or 200 (identical client existed); changes answer `{ok, changed}`.
 */
import type {
  CreateOAuth2ClientRequest, OAuth2ClaimJoinRequest, OAuth2ClaimMapRequest, OAuth2RedirectUrlRequest, OAuth2ScopeMapRequest,
  UpdateOAuth2ClientRequest,
} from '@ward/proto';
import { created, ok, type Handler, type Services } from './context.js';

export function oauth2Handlers(s: Services): Record<string, Handler> {
  const a = s.oauth2.admin;
  const url = (c: { body: unknown }) => (c.body as OAuth2RedirectUrlRequest).url;
  const scopes = (c: { body: unknown }) => (c.body as OAuth2ScopeMapRequest).scopes;
  return {
    oauth2_list: (c) => a.list(c.actor),
    oauth2_create: (c) => {
      const r = a.create(c.actor, c.body as CreateOAuth2ClientRequest);
      return created(c, r, r.client);
    },
    oauth2_get: (c) => a.get(c.actor, c.params.id!),
    oauth2_update: (c) => a.update(c.actor, c.params.id!, c.body as UpdateOAuth2ClientRequest),
    oauth2_delete: (c) => {
      a.delete(c.actor, c.params.id!);
      return ok();
    },
    oauth2_redirect_url_add: (c) => ok(a.addRedirectUrl(c.actor, c.params.id!, url(c))),
    oauth2_redirect_url_remove: (c) => ok(a.removeRedirectUrl(c.actor, c.params.id!, url(c))),
    oauth2_basic_secret_get: (c) => a.basicSecret(c.actor, c.params.id!),
    oauth2_basic_secret_reset: (c) => a.resetBasicSecret(c.actor, c.params.id!),
    oauth2_scope_map_set: (c) => ok(a.setScopeMap(c.actor, c.params.id!, c.params.group!, false, scopes(c))),
    oauth2_scope_map_delete: (c) => ok(a.deleteScopeMap(c.actor, c.params.id!, c.params.group!, false)),
    oauth2_sup_scope_map_set: (c) => ok(a.setScopeMap(c.actor, c.params.id!, c.params.group!, true, scopes(c))),
    oauth2_sup_scope_map_delete: (c) => ok(a.deleteScopeMap(c.actor, c.params.id!, c.params.group!, true)),
    oauth2_claim_map_set: (c) =>
      ok(a.setClaimMap(c.actor, c.params.id!, c.params.claim!, c.params.group!, (c.body as OAuth2ClaimMapRequest).values)),
    oauth2_claim_map_delete: (c) => ok(a.deleteClaimMap(c.actor, c.params.id!, c.params.claim!, c.params.group!)),
    oauth2_claim_join_set: (c) => ok(a.setClaimJoin(c.actor, c.params.id!, c.params.claim!, (c.body as OAuth2ClaimJoinRequest).join)),
    oauth2_signing_keys_list: (c) => a.signingKeys(c.actor),
    oauth2_signing_keys_rotate: (c) => a.rotateSigningKeys(c.actor),
  };
}

/**
 * Handlers of credential administration: one-time reset links for persons (the only way an
 * administrator helps with someone's credentials: they never see or set a person's password) and
 * the account policy of groups.
 */
import type { ResetTokenRequest, ResetTokenResponse, SetAccountPolicyRequest } from '@ward/proto';
import { iso, type Handler, type Services } from './context.js';

export function credentialHandlers(s: Services): Record<string, Handler> {
  const d = s.directory;
  return {
    person_credential_reset_token: (c): ResetTokenResponse => {
      const { ttl } = c.body as ResetTokenRequest;
      const r = s.credentialUpdates.createResetToken(c.actor, c.params.id!, ttl);
      void c.reply.code(201);
      return { token: r.token, url: r.url, expires_at: iso(r.expiresAt) };
    },
    group_account_policy_get: (c) => d.getAccountPolicy(c.actor, c.params.id!),
    group_account_policy_set: (c) => d.setAccountPolicy(c.actor, c.params.id!, c.body as SetAccountPolicyRequest),
  };
}

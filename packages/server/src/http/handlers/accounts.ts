/**
 * Handlers of the person and service-account routes. The two kinds share every route shape and
 * differ only in the path prefix, so one table is built per kind and the kind is handed to the
 * directory, which answers not_found for an entry of the other kind.
 */
import type {
  AddSshKeyRequest, ApiToken, CreateAccountRequest, CreateApiTokenRequest, CreateApiTokenResponse,
  SetAccountPosixRequest, SetPasswordRequest, UpdateAccountRequest,
} from '@ward/proto';
import type { AccountKind, ApiTokenRecord } from '../../directory/types.js';
import { created, iso, ok, type Handler, type Services } from './context.js';

export function accountHandlers(s: Services, kind: AccountKind): Record<string, Handler> {
  const d = s.directory;
  return {
    [`${kind}_list`]: (c) => d.listAccounts(c.actor, kind),
    [`${kind}_create`]: (c) => {
      const r = d.createAccount(c.actor, kind, c.body as CreateAccountRequest);
      return created(c, r, r.account);
    },
    [`${kind}_get`]: (c) => d.getAccount(c.actor, kind, c.params.id!),
    [`${kind}_update`]: (c) => d.updateAccount(c.actor, kind, c.params.id!, c.body as UpdateAccountRequest),
    [`${kind}_delete`]: (c) => {
      d.deleteAccount(c.actor, kind, c.params.id!);
      return ok();
    },
    [`${kind}_posix_set`]: (c) => d.setAccountPosix(c.actor, kind, c.params.id!, c.body as SetAccountPosixRequest),
    // Reading through getAccount first applies the kind and the caller's read rights.
    [`${kind}_posix_get`]: (c) => d.getUnixAccount(d.getAccount(c.actor, kind, c.params.id!).uuid),
    [`${kind}_unix_password_set`]: async (c) => {
      await d.setUnixPassword(c.actor, kind, c.params.id!, (c.body as SetPasswordRequest).password);
      return ok();
    },
    [`${kind}_ssh_list`]: (c) => d.listSshKeys(c.actor, kind, c.params.id!),
    [`${kind}_ssh_add`]: (c) => {
      const { tag, key } = c.body as AddSshKeyRequest;
      const r = d.addSshKey(c.actor, kind, c.params.id!, tag, key);
      return created(c, r, r.key);
    },
    [`${kind}_ssh_delete`]: (c) => ok(d.deleteSshKey(c.actor, kind, c.params.id!, c.params.tag!).changed),
  };
}

export function apiTokenInfo(r: ApiTokenRecord): ApiToken {
  return {
    id: r.id,
    label: r.label,
    read_write: r.readWrite,
    created_at: iso(r.createdAt),
    expires_at: r.expiresAt === null ? null : iso(r.expiresAt),
  };
}

export function apiTokenHandlers(s: Services): Record<string, Handler> {
  const d = s.directory;
  return {
    service_account_token_list: (c) => d.listApiTokens(c.actor, c.params.id!),
    service_account_token_create: async (c): Promise<CreateApiTokenResponse> => {
      const record = d.createApiToken(c.actor, c.params.id!, c.body as CreateApiTokenRequest);
      void c.reply.code(201);
      return { token: await s.tokens.signApiToken(record), info: apiTokenInfo(record) };
    },
    service_account_token_destroy: (c) => ok(d.destroyApiToken(c.actor, c.params.id!, c.params.token_id!).changed),
  };
}

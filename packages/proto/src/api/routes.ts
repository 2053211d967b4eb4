/**
 * The REST API's route table, written down once: the server registers exactly these routes with
 * these schemas, and the client calls them by key. `auth` says who may call: `anonymous` (no token
 * needed), `token` (any valid token; the server checks the finer rights per entry).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import * as A from './accounts.js';
import * as Au from './auth.js';
import * as C from './common.js';
import * as G from './groups.js';
import * as O from './oauth2.js';
import * as S from './ssh.js';
import * as U from './unix.js';

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  auth: 'anonymous' | 'token';
  params?: TSchema;
  /** The query string's schema (every value a string); unknown keys are refused. */
  query?: TSchema;
  body?: TSchema;
  response: TSchema;
  summary: string;
}

const P = C.EntryParams;
const KeyParams = Type.Object({ id: C.EntryRef, tag: Type.String({ minLength: 1, maxLength: 64 }) });
const TokenParams = Type.Object({ id: C.EntryRef, token_id: Type.String({ minLength: 1, maxLength: 64 }) });
const SessionParams = Type.Object({ session_id: Type.String({ minLength: 1, maxLength: 64 }) });

/** The per-kind account routes; the key type makes `person_get` etc. members of RouteName. */
type AccountRouteOp =
  | 'list' | 'create' | 'get' | 'update' | 'delete' | 'posix_set' | 'posix_get' | 'unix_password_set'
  | 'ssh_list' | 'ssh_add' | 'ssh_delete';

function accountRoutes<K extends string>(kind: K, base: string): Record<`${K}_${AccountRouteOp}`, RouteDef> {
  return {
    [`${kind}_list`]: { method: 'GET', path: base, auth: 'token', response: A.AccountList, summary: `list ${kind}s` },
    [`${kind}_create`]: { method: 'POST', path: base, auth: 'token', body: A.CreateAccountRequest, response: A.Account, summary: `create a ${kind}` },
    [`${kind}_get`]: { method: 'GET', path: `${base}/:id`, auth: 'token', params: P, response: A.Account, summary: `read a ${kind}` },
    [`${kind}_update`]: { method: 'PATCH', path: `${base}/:id`, auth: 'token', params: P, body: A.UpdateAccountRequest, response: A.Account, summary: `change a ${kind}` },
    [`${kind}_delete`]: { method: 'DELETE', path: `${base}/:id`, auth: 'token', params: P, response: C.Ok, summary: `delete a ${kind}` },
    [`${kind}_posix_set`]: { method: 'PUT', path: `${base}/:id/posix`, auth: 'token', params: P, body: A.SetAccountPosixRequest, response: A.Account, summary: `enable or change POSIX attributes of a ${kind}` },
    [`${kind}_posix_get`]: { method: 'GET', path: `${base}/:id/posix`, auth: 'token', params: P, response: U.UnixAccount, summary: `the POSIX view of a ${kind}` },
    [`${kind}_unix_password_set`]: { method: 'PUT', path: `${base}/:id/unix_password`, auth: 'token', params: P, body: A.SetPasswordRequest, response: C.Ok, summary: `set the unix password of a ${kind}` },
    [`${kind}_ssh_list`]: { method: 'GET', path: `${base}/:id/ssh_keys`, auth: 'token', params: P, response: S.SshKeyList, summary: `list SSH keys of a ${kind}` },
    [`${kind}_ssh_add`]: { method: 'POST', path: `${base}/:id/ssh_keys`, auth: 'token', params: P, body: S.AddSshKeyRequest, response: S.SshKey, summary: `add an SSH key to a ${kind}` },
    [`${kind}_ssh_delete`]: { method: 'DELETE', path: `${base}/:id/ssh_keys/:tag`, auth: 'token', params: KeyParams, response: C.Ok, summary: `delete an SSH key of a ${kind}` },
  } as Record<string, RouteDef> as Record<`${K}_${AccountRouteOp}`, RouteDef>;
}

export const ROUTES = {
  status: { method: 'GET', path: '/status', auth: 'anonymous', response: C.StatusResponse, summary: 'health' },
  auth_login: { method: 'POST', path: '/v1/auth/login', auth: 'anonymous', body: Au.LoginRequest, response: Au.LoginResponse, summary: 'password login; returns a session token' },
  auth_begin: { method: 'POST', path: '/v1/auth/begin', auth: 'anonymous', body: Au.AuthBeginRequest, response: Au.AuthStateResponse, summary: 'start a sign-in; answers the mechanisms that may follow' },
  auth_step: { method: 'POST', path: '/v1/auth/step', auth: 'anonymous', body: Au.AuthStepRequest, response: Au.AuthStateResponse, summary: 'one step of a sign-in: password, TOTP, backup code or passkey' },
  auth_logout: { method: 'POST', path: '/v1/auth/logout', auth: 'token', response: C.Ok, summary: 'end the current session' },
  auth_whoami: { method: 'GET', path: '/v1/auth/whoami', auth: 'token', response: Au.WhoamiResponse, summary: 'who the token belongs to' },
  session_list: { method: 'GET', path: '/v1/sessions', auth: 'token', response: Au.SessionList, summary: 'the caller\u2019s sessions' },
  session_destroy: { method: 'DELETE', path: '/v1/sessions/:session_id', auth: 'token', params: SessionParams, response: C.Ok, summary: 'end one of the caller\u2019s sessions' },
  ...accountRoutes('person', '/v1/person'),
  ...accountRoutes('service_account', '/v1/service_account'),
  person_credential_reset_token: { method: 'POST', path: '/v1/person/:id/credential/reset_token', auth: 'token', params: P, body: Au.ResetTokenRequest, response: Au.ResetTokenResponse, summary: 'a one-time link for the person to set their credentials' },
  service_account_token_list: { method: 'GET', path: '/v1/service_account/:id/api_tokens', auth: 'token', params: P, response: A.ApiTokenList, summary: 'list API tokens' },
  service_account_token_create: { method: 'POST', path: '/v1/service_account/:id/api_tokens', auth: 'token', params: P, body: A.CreateApiTokenRequest, response: A.CreateApiTokenResponse, summary: 'generate an API token' },
  service_account_token_destroy: { method: 'DELETE', path: '/v1/service_account/:id/api_tokens/:token_id', auth: 'token', params: TokenParams, response: C.Ok, summary: 'revoke an API token' },
  group_list: { method: 'GET', path: '/v1/group', auth: 'token', response: G.GroupList, summary: 'list groups' },
  group_create: { method: 'POST', path: '/v1/group', auth: 'token', body: G.CreateGroupRequest, response: G.Group, summary: 'create a group' },
  group_get: { method: 'GET', path: '/v1/group/:id', auth: 'token', params: P, response: G.Group, summary: 'read a group' },
  group_delete: { method: 'DELETE', path: '/v1/group/:id', auth: 'token', params: P, response: C.Ok, summary: 'delete a group' },
  group_members_list: { method: 'GET', path: '/v1/group/:id/members', auth: 'token', params: P, response: G.MemberList, summary: 'direct and effective members' },
  group_members_add: { method: 'POST', path: '/v1/group/:id/members', auth: 'token', params: P, body: G.MembersRequest, response: C.Ok, summary: 'add members' },
  group_members_remove: { method: 'DELETE', path: '/v1/group/:id/members', auth: 'token', params: P, body: G.MembersRequest, response: C.Ok, summary: 'remove members' },
  group_members_set: { method: 'PUT', path: '/v1/group/:id/members', auth: 'token', params: P, body: G.MembersRequest, response: C.Ok, summary: 'replace the direct members' },
  group_posix_set: { method: 'PUT', path: '/v1/group/:id/posix', auth: 'token', params: P, body: G.SetGroupPosixRequest, response: G.Group, summary: 'enable or change the gidnumber' },
  group_posix_get: { method: 'GET', path: '/v1/group/:id/posix', auth: 'token', params: P, response: U.UnixGroup, summary: 'the POSIX view of a group' },
  group_account_policy_get: { method: 'GET', path: '/v1/group/:id/account_policy', auth: 'token', params: P, response: G.AccountPolicy, summary: 'the account policy a group sets' },
  group_account_policy_set: { method: 'PATCH', path: '/v1/group/:id/account_policy', auth: 'token', params: P, body: G.SetAccountPolicyRequest, response: G.AccountPolicy, summary: 'change the account policy of a group (null removes a value)' },
  oauth2_list: { method: 'GET', path: '/v1/oauth2', auth: 'token', response: O.OAuth2ClientList, summary: 'list OAuth2 / OpenID Connect clients' },
  oauth2_create: { method: 'POST', path: '/v1/oauth2', auth: 'token', body: O.CreateOAuth2ClientRequest, response: O.OAuth2Client, summary: 'register an application (confidential or public client)' },
  oauth2_get: { method: 'GET', path: '/v1/oauth2/:id', auth: 'token', params: O.OAuth2ClientParams, response: O.OAuth2Client, summary: 'read a client with its maps' },
  oauth2_update: { method: 'PATCH', path: '/v1/oauth2/:id', auth: 'token', params: O.OAuth2ClientParams, body: O.UpdateOAuth2ClientRequest, response: O.OAuth2Client, summary: 'change a client\u2019s settings' },
  oauth2_delete: { method: 'DELETE', path: '/v1/oauth2/:id', auth: 'token', params: O.OAuth2ClientParams, response: C.Ok, summary: 'delete a client and every grant and token it holds' },
  oauth2_redirect_url_add: { method: 'POST', path: '/v1/oauth2/:id/redirect_urls', auth: 'token', params: O.OAuth2ClientParams, body: O.OAuth2RedirectUrlRequest, response: C.Ok, summary: 'allow a redirect URL (exact match)' },
  oauth2_redirect_url_remove: { method: 'DELETE', path: '/v1/oauth2/:id/redirect_urls', auth: 'token', params: O.OAuth2ClientParams, body: O.OAuth2RedirectUrlRequest, response: C.Ok, summary: 'remove a redirect URL' },
  oauth2_basic_secret_get: { method: 'GET', path: '/v1/oauth2/:id/basic_secret', auth: 'token', params: O.OAuth2ClientParams, response: O.OAuth2BasicSecret, summary: 'the client secret of a confidential client' },
  oauth2_basic_secret_reset: { method: 'POST', path: '/v1/oauth2/:id/basic_secret', auth: 'token', params: O.OAuth2ClientParams, response: O.OAuth2BasicSecret, summary: 'replace the client secret (the old one stops working)' },
  oauth2_scope_map_set: { method: 'PUT', path: '/v1/oauth2/:id/scope_maps/:group', auth: 'token', params: O.OAuth2GroupParams, body: O.OAuth2ScopeMapRequest, response: C.Ok, summary: 'members of the group may use the client and receive these scopes' },
  oauth2_scope_map_delete: { method: 'DELETE', path: '/v1/oauth2/:id/scope_maps/:group', auth: 'token', params: O.OAuth2GroupParams, response: C.Ok, summary: 'remove a group\u2019s scope map' },
  oauth2_sup_scope_map_set: { method: 'PUT', path: '/v1/oauth2/:id/sup_scope_maps/:group', auth: 'token', params: O.OAuth2GroupParams, body: O.OAuth2ScopeMapRequest, response: C.Ok, summary: 'extra scopes for members of the group (who need a scope map too)' },
  oauth2_sup_scope_map_delete: { method: 'DELETE', path: '/v1/oauth2/:id/sup_scope_maps/:group', auth: 'token', params: O.OAuth2GroupParams, response: C.Ok, summary: 'remove a supplementary scope map' },
  oauth2_claim_map_set: { method: 'PUT', path: '/v1/oauth2/:id/claim_maps/:claim/:group', auth: 'token', params: O.OAuth2ClaimGroupParams, body: O.OAuth2ClaimMapRequest, response: C.Ok, summary: 'the values a claim takes for members of the group' },
  oauth2_claim_map_delete: { method: 'DELETE', path: '/v1/oauth2/:id/claim_maps/:claim/:group', auth: 'token', params: O.OAuth2ClaimGroupParams, response: C.Ok, summary: 'remove a group\u2019s values of a claim' },
  oauth2_claim_join_set: { method: 'PUT', path: '/v1/oauth2/:id/claim_joins/:claim', auth: 'token', params: O.OAuth2ClaimParams, body: O.OAuth2ClaimJoinRequest, response: C.Ok, summary: 'how a claim\u2019s values are joined: csv, ssv or array' },
  oauth2_signing_keys_list: { method: 'GET', path: '/v1/oauth2_signing_keys', auth: 'token', response: O.OAuth2SigningKeyList, summary: 'the ID token signing keys, active and retired' },
  oauth2_signing_keys_rotate: { method: 'POST', path: '/v1/oauth2_signing_keys/rotate', auth: 'token', response: O.OAuth2SigningKeyList, summary: 'new signing keys; the old ones keep verifying until their tokens expire' },
  unix_account_list: { method: 'GET', path: '/v1/unix/account', auth: 'anonymous', response: U.UnixAccountList, summary: 'every POSIX account (bulk, for host caches)' },
  unix_account_get: { method: 'GET', path: '/v1/unix/account/:id', auth: 'anonymous', params: P, response: U.UnixAccount, summary: 'one POSIX account by name, spn, uuid or uidnumber' },
  unix_account_ssh_keys: { method: 'GET', path: '/v1/unix/account/:id/ssh_keys', auth: 'anonymous', params: P, response: Type.Array(Type.String()), summary: 'an account\u2019s SSH keys, authorized_keys lines' },
  unix_account_auth: { method: 'POST', path: '/v1/unix/account/:id/auth', auth: 'anonymous', params: P, body: U.UnixAuthRequest, response: U.UnixAuthResponse, summary: 'check a unix password' },
  unix_group_list: { method: 'GET', path: '/v1/unix/group', auth: 'anonymous', response: U.UnixGroupList, summary: 'every POSIX group (bulk)' },
  unix_group_get: { method: 'GET', path: '/v1/unix/group/:id', auth: 'anonymous', params: P, response: U.UnixGroup, summary: 'one POSIX group by name, spn, uuid or gidnumber' },
  unix_sync_accounts: { method: 'GET', path: '/v1/unix/sync/account', auth: 'anonymous', query: U.UnixSyncPageQuery, response: U.UnixAccountPage, summary: 'a page of POSIX accounts by uuid, with the change-log cursor (host sync)' },
  unix_sync_groups: { method: 'GET', path: '/v1/unix/sync/group', auth: 'anonymous', query: U.UnixSyncPageQuery, response: U.UnixGroupPage, summary: 'a page of POSIX groups by uuid, with the change-log cursor (host sync)' },
  unix_sync_changes: { method: 'GET', path: '/v1/unix/sync/changes', auth: 'anonymous', query: U.UnixChangesQuery, response: U.UnixChanges, summary: 'what changed in the unix view since a cursor (long poll)' },
} as const satisfies Record<string, RouteDef>;

export type RouteName = keyof typeof ROUTES;

/** Fill `:param` placeholders, percent-encoding each value. */
export function routePath(path: string, params: Record<string, string | number> = {}): string {
  return path.replace(/:([a-z_]+)/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`missing path parameter ${key}`);
    return encodeURIComponent(String(value));
  });
}

/**
 * Single sign-on (OAuth2 / OpenID Connect) administration: the applications ("clients") an
 * administrator registers, who may use them (scope maps on groups), what they receive (claim
 * maps), their client secret, and the IdP's signing keys. The protocol endpoints themselves
 * (/oauth2/*, /.well-known/openid-configuration) are OpenID Connect's, not part of this API.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DISPLAYNAME_MAX_LENGTH } from '../names.js';
import { EntryRef, Name } from './common.js';

/** Algorithms an ID token may be signed with: ES256 by default, RS256 for applications that need it. */
export const OAUTH2_ID_TOKEN_ALGS = ['ES256', 'RS256'] as const;
export type OAuth2IdTokenAlg = (typeof OAUTH2_ID_TOKEN_ALGS)[number];
/** How the values of a claim reach the application: comma- or space-separated text, or a JSON array. */
export const OAUTH2_CLAIM_JOINS = ['csv', 'ssv', 'array'] as const;
export type OAuth2ClaimJoin = (typeof OAUTH2_CLAIM_JOINS)[number];

export const OAUTH2_URL_MAX_LENGTH = 2048;
export const OAUTH2_SCOPE_MAX_LENGTH = 64;
export const OAUTH2_SCOPES_MAX = 32;
export const OAUTH2_CLAIM_NAME_MAX_LENGTH = 64;
export const OAUTH2_CLAIM_VALUES_MAX = 64;
/** A claim value: text, or (starting with "{") a JSON object. */
export const OAUTH2_CLAIM_VALUE_MAX_LENGTH = 4096;

const Url = Type.String({ minLength: 1, maxLength: OAUTH2_URL_MAX_LENGTH });
const Alg = Type.Union(OAUTH2_ID_TOKEN_ALGS.map((a) => Type.Literal(a)));
const Join = Type.Union(OAUTH2_CLAIM_JOINS.map((j) => Type.Literal(j)));
const Scope = Type.String({ minLength: 1, maxLength: OAUTH2_SCOPE_MAX_LENGTH });
const ClaimName = Type.String({ minLength: 1, maxLength: OAUTH2_CLAIM_NAME_MAX_LENGTH });

export const OAuth2ScopeMap = Type.Object({ group: Type.String(), scopes: Type.Array(Type.String()) });
export type OAuth2ScopeMap = Static<typeof OAuth2ScopeMap>;

export const OAuth2ClaimMap = Type.Object({
  claim: Type.String(),
  join: Join,
  /** Per group, the values that group contributes (a value starting with "{" is a JSON object). */
  groups: Type.Array(Type.Object({ group: Type.String(), values: Type.Array(Type.String()) })),
});
export type OAuth2ClaimMap = Static<typeof OAuth2ClaimMap>;

export const OAuth2Client = Type.Object({
  uuid: Type.String(),
  /** The client_id. */
  name: Type.String(),
  displayname: Type.String(),
  landing_url: Type.String(),
  /** confidential: has a client secret (client_secret_basic); public: PKCE only, no secret. */
  type: Type.Union([Type.Literal('confidential'), Type.Literal('public')]),
  redirect_urls: Type.Array(Type.String()),
  allow_localhost_redirects: Type.Boolean(),
  id_token_alg: Alg,
  /** Whether the authorization request must carry a PKCE S256 challenge (always for public clients). */
  pkce_required: Type.Boolean(),
  scope_maps: Type.Array(OAuth2ScopeMap),
  sup_scope_maps: Type.Array(OAuth2ScopeMap),
  claim_maps: Type.Array(OAuth2ClaimMap),
  /** The issuer and discovery document an application is configured with. */
  issuer: Type.String(),
  discovery_url: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type OAuth2Client = Static<typeof OAuth2Client>;
export const OAuth2ClientList = Type.Array(OAuth2Client);

export const CreateOAuth2ClientRequest = Type.Object(
  {
    name: Name,
    displayname: Type.String({ minLength: 1, maxLength: DISPLAYNAME_MAX_LENGTH }),
    landing_url: Url,
    /** true: a public client (no secret, PKCE required). */
    public: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type CreateOAuth2ClientRequest = Static<typeof CreateOAuth2ClientRequest>;

export const UpdateOAuth2ClientRequest = Type.Object(
  {
    displayname: Type.Optional(Type.String({ minLength: 1, maxLength: DISPLAYNAME_MAX_LENGTH })),
    landing_url: Type.Optional(Url),
    allow_localhost_redirects: Type.Optional(Type.Boolean()),
    id_token_alg: Type.Optional(Alg),
    pkce_required: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateOAuth2ClientRequest = Static<typeof UpdateOAuth2ClientRequest>;

export const OAuth2RedirectUrlRequest = Type.Object({ url: Url }, { additionalProperties: false });
export type OAuth2RedirectUrlRequest = Static<typeof OAuth2RedirectUrlRequest>;

export const OAuth2ScopeMapRequest = Type.Object(
  { scopes: Type.Array(Scope, { minItems: 1, maxItems: OAUTH2_SCOPES_MAX }) },
  { additionalProperties: false },
);
export type OAuth2ScopeMapRequest = Static<typeof OAuth2ScopeMapRequest>;

export const OAuth2ClaimMapRequest = Type.Object(
  { values: Type.Array(Type.String({ minLength: 1, maxLength: OAUTH2_CLAIM_VALUE_MAX_LENGTH }), { minItems: 1, maxItems: OAUTH2_CLAIM_VALUES_MAX }) },
  { additionalProperties: false },
);
export type OAuth2ClaimMapRequest = Static<typeof OAuth2ClaimMapRequest>;

export const OAuth2ClaimJoinRequest = Type.Object({ join: Join }, { additionalProperties: false });
export type OAuth2ClaimJoinRequest = Static<typeof OAuth2ClaimJoinRequest>;

/** The client secret, shown only to client administrators (system_admins, idm_oauth2_admins). */
export const OAuth2BasicSecret = Type.Object({ client_id: Type.String(), client_secret: Type.String() });
export type OAuth2BasicSecret = Static<typeof OAuth2BasicSecret>;

export const OAuth2SigningKey = Type.Object({
  kid: Type.String(),
  alg: Alg,
  /** active: signs new tokens; retired: only verifies tokens signed before the rotation, until removed_after. */
  state: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
  created_at: Type.String(),
  retired_at: Type.Union([Type.String(), Type.Null()]),
  removed_after: Type.Union([Type.String(), Type.Null()]),
});
export type OAuth2SigningKey = Static<typeof OAuth2SigningKey>;
export const OAuth2SigningKeyList = Type.Array(OAuth2SigningKey);

export const OAuth2ClientParams = Type.Object({ id: Name });
export const OAuth2GroupParams = Type.Object({ id: Name, group: EntryRef });
export const OAuth2ClaimParams = Type.Object({ id: Name, claim: ClaimName });
export const OAuth2ClaimGroupParams = Type.Object({ id: Name, claim: ClaimName, group: EntryRef });

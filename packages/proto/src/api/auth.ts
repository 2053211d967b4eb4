import { Type, type Static } from '@sinclair/typebox';
import { EntryRef } from './common.js';

export const LoginRequest = Type.Object(
  { name: EntryRef, password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const LoginResponse = Type.Object({
  token: Type.String(),
  session_id: Type.String(),
  expires_at: Type.String({ description: 'RFC 3339' }),
  name: Type.String(),
  spn: Type.String(),
});
export type LoginResponse = Static<typeof LoginResponse>;

export const WhoamiResponse = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  spn: Type.String(),
  kind: Type.String(),
  token_kind: Type.Union([Type.Literal('session'), Type.Literal('api_token'), Type.Literal('anonymous')]),
  read_write: Type.Boolean(),
  groups: Type.Array(Type.String()),
});
export type WhoamiResponse = Static<typeof WhoamiResponse>;

export const SessionInfo = Type.Object({
  id: Type.String(),
  created_at: Type.String(),
  expires_at: Type.String(),
  source: Type.String(),
  current: Type.Boolean(),
});
export type SessionInfo = Static<typeof SessionInfo>;
export const SessionList = Type.Array(SessionInfo);
export type SessionList = Static<typeof SessionList>;

export const AUTH_MECHANISMS = ['password', 'totp', 'backup_code', 'passkey'] as const;
export type AuthMechanism = (typeof AUTH_MECHANISMS)[number];
const Mechanism = Type.Union(AUTH_MECHANISMS.map((m) => Type.Literal(m)));

/** Start a sign-in; without `name` only a (username-less) passkey is offered. */
export const AuthBeginRequest = Type.Object({ name: Type.Optional(EntryRef) }, { additionalProperties: false });
export type AuthBeginRequest = Static<typeof AuthBeginRequest>;

/** A WebAuthn AuthenticationResponseJSON (as @simplewebauthn/browser's startAuthentication returns it). */
export const PasskeyAssertion = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024 }),
    rawId: Type.String({ minLength: 1, maxLength: 1024 }),
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: Type.String({ maxLength: 8192 }),
        authenticatorData: Type.String({ maxLength: 8192 }),
        signature: Type.String({ maxLength: 2048 }),
        userHandle: Type.Optional(Type.String({ maxLength: 1024 })),
      },
      { additionalProperties: true },
    ),
    clientExtensionResults: Type.Object({}, { additionalProperties: true }),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: true },
);

/** One step of a sign-in: `kind` says which of password, code or response is read. */
export const AuthStepRequest = Type.Object(
  {
    session: Type.String({ minLength: 1, maxLength: 128 }),
    kind: Mechanism,
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    response: Type.Optional(PasskeyAssertion),
  },
  { additionalProperties: false },
);
export type AuthStepRequest = Static<typeof AuthStepRequest>;

/**
 * `continue`: send the next step (one of `allowed`) with `session`. `success`: the fields of a
 * LoginResponse are set. A denied sign-in is an error answer (auth_failed, rate_limited, forbidden).
 */
export const AuthStateResponse = Type.Object({
  state: Type.Union([Type.Literal('continue'), Type.Literal('success')]),
  session: Type.Optional(Type.String()),
  allowed: Type.Optional(Type.Array(Mechanism)),
  passkey_options: Type.Optional(Type.Unknown({ description: 'PublicKeyCredentialRequestOptionsJSON' })),
  token: Type.Optional(Type.String()),
  session_id: Type.Optional(Type.String()),
  expires_at: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  spn: Type.Optional(Type.String()),
  amr: Type.Optional(Type.Array(Type.String())),
});
export type AuthStateResponse = Static<typeof AuthStateResponse>;

export const ResetTokenRequest = Type.Object(
  { ttl: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400, description: 'seconds; default 3600' })) },
  { additionalProperties: false },
);
export type ResetTokenRequest = Static<typeof ResetTokenRequest>;

export const ResetTokenResponse = Type.Object({
  token: Type.String(),
  url: Type.String(),
  expires_at: Type.String({ description: 'RFC 3339' }),
});
export type ResetTokenResponse = Static<typeof ResetTokenResponse>;

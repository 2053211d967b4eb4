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

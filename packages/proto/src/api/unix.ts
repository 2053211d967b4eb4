import { Type, type Static } from '@sinclair/typebox';

/** What a host needs about a group: name, number and its POSIX members (nested ones included). */
export const UnixGroup = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  spn: Type.String(),
  gidnumber: Type.Integer(),
  members: Type.Array(Type.String(), { description: 'names of POSIX accounts, nested members included' }),
});
export type UnixGroup = Static<typeof UnixGroup>;
export const UnixGroupList = Type.Array(UnixGroup);

export const UnixGroupRef = Type.Object({
  name: Type.String(),
  spn: Type.String(),
  gidnumber: Type.Integer(),
});

/**
 * What a host needs about an account. `groups` starts with the primary (own) group. `locked` is
 * true when an administrator locked the account or it had expired when the IdP answered;
 * `expire_at` (RFC 3339, or null for never) lets a host refuse the account once that moment
 * passes even while it cannot reach the IdP.
 */
export const UnixAccount = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  spn: Type.String(),
  displayname: Type.String(),
  uidnumber: Type.Integer(),
  gidnumber: Type.Integer(),
  shell: Type.String(),
  groups: Type.Array(UnixGroupRef),
  sshkeys: Type.Array(Type.String()),
  locked: Type.Boolean(),
  expire_at: Type.Union([Type.String({ description: 'RFC 3339 date-time from which the account may not log in' }), Type.Null()]),
});
export type UnixAccount = Static<typeof UnixAccount>;
export const UnixAccountList = Type.Array(UnixAccount);

export const UnixAuthRequest = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type UnixAuthRequest = Static<typeof UnixAuthRequest>;
export const UnixAuthResponse = Type.Object({ ok: Type.Boolean(), account: Type.Union([UnixAccount, Type.Null()]) });
export type UnixAuthResponse = Static<typeof UnixAuthResponse>;

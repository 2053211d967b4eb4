import { Type, type Static } from '@sinclair/typebox';
import { EntryRef, Name } from './common.js';

export const Group = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  spn: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  builtin: Type.Boolean(),
  members: Type.Array(Type.String(), { description: 'names of direct members' }),
  memberof: Type.Array(Type.String(), { description: 'names of every group this group sits in' }),
  gidnumber: Type.Union([Type.Integer(), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type Group = Static<typeof Group>;
export const GroupList = Type.Array(Group);

export const CreateGroupRequest = Type.Object(
  { name: Name, description: Type.Optional(Type.String({ maxLength: 1024 })) },
  { additionalProperties: false },
);
export type CreateGroupRequest = Static<typeof CreateGroupRequest>;

export const MembersRequest = Type.Object(
  { members: Type.Array(EntryRef, { maxItems: 1000 }) },
  { additionalProperties: false },
);
export type MembersRequest = Static<typeof MembersRequest>;

export const MemberList = Type.Object({
  direct: Type.Array(Type.String()),
  /** Every account reached through nested groups, by name. */
  effective: Type.Array(Type.String()),
});
export type MemberList = Static<typeof MemberList>;

export const SetGroupPosixRequest = Type.Object(
  { gidnumber: Type.Optional(Type.Integer()) },
  { additionalProperties: false },
);
export type SetGroupPosixRequest = Static<typeof SetGroupPosixRequest>;

export const CREDENTIAL_TYPE_MINIMUMS = ['any', 'mfa', 'passkey'] as const;
export const CredentialTypeMinimum = Type.Union(CREDENTIAL_TYPE_MINIMUMS.map((v) => Type.Literal(v)));
export type CredentialTypeMinimum = (typeof CREDENTIAL_TYPE_MINIMUMS)[number];
/** Bounds of the policy values (the server checks them too). */
export const AUTH_EXPIRY_MIN_SECONDS = 60;
export const AUTH_EXPIRY_MAX_SECONDS = 30 * 86400;
export const POLICY_PASSWORD_MIN_LENGTH_MIN = 8;
export const POLICY_PASSWORD_MIN_LENGTH_MAX = 256;

/** A group's account policy; null = this group does not set that value. */
export const AccountPolicy = Type.Object({
  group: Type.String(),
  credential_type_minimum: Type.Union([CredentialTypeMinimum, Type.Null()]),
  auth_expiry: Type.Union([Type.Integer(), Type.Null()], { description: 'session lifetime, seconds' }),
  password_minimum_length: Type.Union([Type.Integer(), Type.Null()]),
});
export type AccountPolicy = Static<typeof AccountPolicy>;

/** Changes to a group's account policy: each given key is set, null removes it. */
export const SetAccountPolicyRequest = Type.Object(
  {
    credential_type_minimum: Type.Optional(Type.Union([CredentialTypeMinimum, Type.Null()])),
    auth_expiry: Type.Optional(Type.Union([Type.Integer({ minimum: AUTH_EXPIRY_MIN_SECONDS, maximum: AUTH_EXPIRY_MAX_SECONDS }), Type.Null()])),
    password_minimum_length: Type.Optional(
      Type.Union([Type.Integer({ minimum: POLICY_PASSWORD_MIN_LENGTH_MIN, maximum: POLICY_PASSWORD_MIN_LENGTH_MAX }), Type.Null()]),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type SetAccountPolicyRequest = Static<typeof SetAccountPolicyRequest>;

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

import { Type, type Static } from '@sinclair/typebox';
import { DISPLAYNAME_MAX_LENGTH } from '../names.js';
import { Name } from './common.js';

const DisplayName = Type.String({ minLength: 1, maxLength: DISPLAYNAME_MAX_LENGTH });
const Mail = Type.String({ minLength: 3, maxLength: 320 });

export const PosixAttrs = Type.Object({
  uidnumber: Type.Integer(),
  gidnumber: Type.Integer(),
  shell: Type.String(),
});
export type PosixAttrs = Static<typeof PosixAttrs>;

/** Persons and service accounts share this shape; `kind` tells them apart. */
export const Account = Type.Object({
  uuid: Type.String(),
  kind: Type.Union([Type.Literal('person'), Type.Literal('service_account')]),
  name: Type.String(),
  spn: Type.String(),
  displayname: Type.String(),
  mail: Type.Array(Type.String()),
  description: Type.Union([Type.String(), Type.Null()]),
  builtin: Type.Boolean(),
  memberof: Type.Array(Type.String(), { description: 'names of every group, direct or nested' }),
  direct_memberof: Type.Array(Type.String()),
  posix: Type.Union([PosixAttrs, Type.Null()]),
  has_unix_password: Type.Boolean(),
  /** An administrator's lock: no login of any kind while true. */
  locked: Type.Boolean(),
  /** RFC 3339; after this instant the account can no longer log in. */
  expire_at: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type Account = Static<typeof Account>;
export const AccountList = Type.Array(Account);

export const CreateAccountRequest = Type.Object(
  {
    name: Name,
    displayname: DisplayName,
    mail: Type.Optional(Type.Array(Mail, { maxItems: 16 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type CreateAccountRequest = Static<typeof CreateAccountRequest>;

export const UpdateAccountRequest = Type.Object(
  {
    name: Type.Optional(Name),
    displayname: Type.Optional(DisplayName),
    mail: Type.Optional(Type.Array(Mail, { maxItems: 16 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 1024 }), Type.Null()])),
    locked: Type.Optional(Type.Boolean()),
    expire_at: Type.Optional(Type.Union([Type.String({ format: 'date-time', maxLength: 64 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateAccountRequest = Static<typeof UpdateAccountRequest>;

export const SetAccountPosixRequest = Type.Object(
  {
    gidnumber: Type.Optional(Type.Integer()),
    shell: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
);
export type SetAccountPosixRequest = Static<typeof SetAccountPosixRequest>;

export const SetPasswordRequest = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type SetPasswordRequest = Static<typeof SetPasswordRequest>;

export const ApiToken = Type.Object({
  id: Type.String(),
  label: Type.String(),
  read_write: Type.Boolean(),
  created_at: Type.String(),
  expires_at: Type.Union([Type.String(), Type.Null()]),
});
export type ApiToken = Static<typeof ApiToken>;
export const ApiTokenList = Type.Array(ApiToken);

export const CreateApiTokenRequest = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 128 }),
    read_write: Type.Optional(Type.Boolean()),
    /** Lifetime in seconds; absent means no expiry. */
    expires_in: Type.Optional(Type.Integer({ minimum: 60, maximum: 10 * 365 * 86400 })),
  },
  { additionalProperties: false },
);
export type CreateApiTokenRequest = Static<typeof CreateApiTokenRequest>;

/** The token itself is shown once, at creation. */
export const CreateApiTokenResponse = Type.Object({ token: Type.String(), info: ApiToken });
export type CreateApiTokenResponse = Static<typeof CreateApiTokenResponse>;

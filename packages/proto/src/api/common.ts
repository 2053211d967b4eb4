import { Type, type Static } from '@sinclair/typebox';
import { NAME_MAX_LENGTH } from '../names.js';

/** Request bodies above this are refused with 413 before they are parsed. */
export const API_BODY_LIMIT = 64 * 1024;
export const API_PREFIX = '/v1';

export const Name = Type.String({ minLength: 1, maxLength: NAME_MAX_LENGTH });
/** A path parameter naming an entry: its name, its spn (`name@domain`) or its uuid. */
export const EntryRef = Type.String({ minLength: 1, maxLength: 320 });
export const EntryParams = Type.Object({ id: EntryRef });
export type EntryParams = Static<typeof EntryParams>;

export const ErrorBodySchema = Type.Object({ error: Type.String(), message: Type.String() });
export const Ok = Type.Object({ ok: Type.Boolean(), changed: Type.Optional(Type.Boolean()) });
export type Ok = Static<typeof Ok>;

export const EntryKind = Type.Union([
  Type.Literal('person'),
  Type.Literal('service_account'),
  Type.Literal('group'),
]);
export type EntryKind = Static<typeof EntryKind>;

export const StatusResponse = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  domain: Type.String(),
});
export type StatusResponse = Static<typeof StatusResponse>;

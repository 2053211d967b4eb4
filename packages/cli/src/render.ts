/**
 * The text form of each API object: which attributes an administrator sees, in which order, and
 * the one-line row of each in a list. The JSON form is always the API object itself.
 */
import type { Account, ApiToken, Group, MemberList, SessionInfo, SshKey, UnixAccount, UnixGroup, WhoamiResponse } from '@ward/proto';
import type { Fields } from './output.js';

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

export function accountFields(a: Account): Fields {
  return [
    ['name', a.name],
    ['spn', a.spn],
    ['uuid', a.uuid],
    ['kind', a.kind],
    ['displayname', a.displayname],
    ['mail', a.mail],
    ['description', a.description],
    ['builtin', a.builtin ? 'yes' : undefined],
    ['memberof', a.memberof],
    ['direct_memberof', a.direct_memberof],
    ['uidnumber', a.posix?.uidnumber],
    ['gidnumber', a.posix?.gidnumber],
    ['shell', a.posix?.shell],
    ['unix_password', a.posix || a.has_unix_password ? (a.has_unix_password ? 'set' : 'not set') : undefined],
    ['locked', yesNo(a.locked)],
    ['expire_at', a.expire_at ?? 'never'],
    ['created_at', a.created_at],
    ['updated_at', a.updated_at],
  ];
}

export const accountRow = (a: Account): string[] => [a.name, a.posix ? String(a.posix.uidnumber) : '-', a.displayname];

export function groupFields(g: Group): Fields {
  return [
    ['name', g.name],
    ['spn', g.spn],
    ['uuid', g.uuid],
    ['description', g.description],
    ['builtin', g.builtin ? 'yes' : undefined],
    ['gidnumber', g.gidnumber],
    ['members', g.members],
    ['memberof', g.memberof],
    ['created_at', g.created_at],
    ['updated_at', g.updated_at],
  ];
}

export const groupRow = (g: Group): string[] => [g.name, g.gidnumber === null ? '-' : String(g.gidnumber), g.description ?? ''];

export function memberFields(m: MemberList): Fields {
  return [
    ['direct', m.direct],
    ['effective', m.effective],
  ];
}

export function unixAccountFields(u: UnixAccount): Fields {
  return [
    ['name', u.name],
    ['spn', u.spn],
    ['uuid', u.uuid],
    ['displayname', u.displayname],
    ['uidnumber', u.uidnumber],
    ['gidnumber', u.gidnumber],
    ['shell', u.shell],
    ['group', u.groups.map((g) => `${g.name} (${g.gidnumber})`)],
    ['sshkey', u.sshkeys],
    ['locked', yesNo(u.locked)],
  ];
}

export function unixGroupFields(g: UnixGroup): Fields {
  return [
    ['name', g.name],
    ['spn', g.spn],
    ['uuid', g.uuid],
    ['gidnumber', g.gidnumber],
    ['member', g.members],
  ];
}

export function sshKeyFields(k: SshKey): Fields {
  return [
    ['tag', k.tag],
    ['type', k.type],
    ['bits', k.bits],
    ['fingerprint', k.fingerprint],
    ['comment', k.comment || undefined],
  ];
}

export const sshKeyRow = (k: SshKey): string[] => [k.tag, k.type, String(k.bits), k.fingerprint, k.comment];

export function apiTokenFields(t: ApiToken): Fields {
  return [
    ['id', t.id],
    ['label', t.label],
    ['access', t.read_write ? 'read-write' : 'read-only'],
    ['created_at', t.created_at],
    ['expires_at', t.expires_at ?? 'never'],
  ];
}

export const apiTokenRow = (t: ApiToken): string[] => [
  t.id,
  t.read_write ? 'read-write' : 'read-only',
  t.expires_at ? `expires ${t.expires_at}` : 'no expiry',
  t.label,
];

export const sessionRow = (s: SessionInfo): string[] => [
  s.id,
  `created ${s.created_at}`,
  `expires ${s.expires_at}`,
  s.source,
  s.current ? '(current)' : '',
];

export function whoamiFields(w: WhoamiResponse): Fields {
  return [
    ['name', w.name],
    ['spn', w.spn],
    ['uuid', w.uuid],
    ['kind', w.kind],
    ['token', w.token_kind],
    ['access', w.read_write ? 'read-write' : 'read-only'],
    ['memberof', w.groups],
  ];
}

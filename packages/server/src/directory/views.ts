/**
 * Turns stored rows into the API's Account and Group objects. One entry at a time for single
 * reads, or with a BulkContext (all names, the membership closure and the unix-password holders,
 * each read once) for listings, so listing N entries costs a few queries, not N of each.
 */
import type { Account, Group } from '@ward/proto';
import type { MembershipClosure } from './closure.js';
import { iso, type DirectoryCore, type EntryRow } from './core.js';
import type { AccountKind } from './types.js';

export interface BulkContext {
  closure: MembershipClosure;
  names: Map<string, string>;
  unixPasswords: Set<string>;
}

export function bulkContext(core: DirectoryCore): BulkContext {
  const rows = core.stmt('SELECT uuid, name FROM entries').raw().all() as Array<[string, string]>;
  const unix = core.stmt("SELECT account_uuid FROM credentials WHERE type = 'unix'").pluck().all() as string[];
  return { closure: core.closure(), names: new Map(rows), unixPasswords: new Set(unix) };
}

function sortedNames(core: DirectoryCore, uuids: Iterable<string>, bulk?: BulkContext): string[] {
  if (!bulk) return core.names(uuids);
  const names: string[] = [];
  for (const uuid of uuids) {
    const name = bulk.names.get(uuid);
    if (name !== undefined) names.push(name);
  }
  return names.sort();
}

function hasUnixPassword(core: DirectoryCore, uuid: string, bulk?: BulkContext): boolean {
  if (bulk) return bulk.unixPasswords.has(uuid);
  return core.stmt("SELECT 1 FROM credentials WHERE account_uuid = ? AND type = 'unix'").get(uuid) !== undefined;
}

export function accountView(core: DirectoryCore, row: EntryRow, bulk?: BulkContext): Account {
  const memberOf = bulk ? bulk.closure.memberOf(row.uuid) : core.memberOf(row.uuid);
  const direct = bulk ? bulk.closure.directParents(row.uuid) : core.directParents(row.uuid);
  return {
    uuid: row.uuid,
    kind: row.kind as AccountKind,
    name: row.name,
    spn: core.spn(row.name),
    displayname: row.displayname,
    mail: JSON.parse(row.mail) as string[],
    description: row.description,
    builtin: row.builtin === 1,
    memberof: sortedNames(core, memberOf, bulk),
    direct_memberof: sortedNames(core, direct, bulk),
    posix:
      row.posix_id === null
        ? null
        : { uidnumber: row.posix_id, gidnumber: row.posix_id, shell: row.shell ?? '' },
    has_unix_password: hasUnixPassword(core, row.uuid, bulk),
    locked: row.locked === 1,
    expire_at: row.expire_at === null ? null : iso(row.expire_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function groupView(core: DirectoryCore, row: EntryRow, bulk?: BulkContext): Group {
  const memberOf = bulk ? bulk.closure.memberOf(row.uuid) : core.memberOf(row.uuid);
  const members = bulk ? bulk.closure.directMembers(row.uuid) : core.directMembers(row.uuid);
  return {
    uuid: row.uuid,
    name: row.name,
    spn: core.spn(row.name),
    description: row.description,
    builtin: row.builtin === 1,
    members: sortedNames(core, members, bulk),
    memberof: sortedNames(core, memberOf, bulk),
    gidnumber: row.posix_id,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

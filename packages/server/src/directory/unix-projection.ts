/**
 * The unix projection of directory entries, computed per entry or per page (unix-view.ts describes
 * what it holds). Nothing here keeps a copy of the view: every answer is read from the store when
 * asked, so a write never costs a rebuild. Membership comes from the cached closure when it is
 * current, or when a bulk read is worth building it for; single entries otherwise walk the
 * membership graph from the entry itself (closure.ts, memberOfOne / effectiveMembersOne).
 *
 * A page projects in a fixed number of queries however many entries it holds: the groups, member
 * names and SSH keys of the whole page are each read in one statement (json_each of the uuids).
 */
import type { UnixAccount, UnixGroup } from '@ward/proto';
import { iso, type DirectoryCore } from './core.js';
import { renderSshKey } from './sshkey.js';

export interface AccountRow {
  uuid: string;
  name: string;
  displayname: string;
  posix_id: number;
  shell: string | null;
  locked: 0 | 1;
  expire_at: number | null;
}

export interface GroupRow {
  uuid: string;
  name: string;
  posix_id: number;
}

export const ACCOUNT_COLUMNS = 'uuid, name, displayname, posix_id, shell, locked, expire_at';
export const GROUP_COLUMNS = 'uuid, name, posix_id';
/** SQL conditions on `entries` for what the unix view shows. */
export const IS_POSIX_ACCOUNT = "kind != 'group' AND posix_id IS NOT NULL";
export const IS_POSIX_GROUP = "kind = 'group' AND posix_id IS NOT NULL";
/**
 * `entries` read through the index of POSIX groups by uuid. Without stats SQLite prefers the kind
 * index for `kind = 'group'`, which reads every group for a lookup by uuid and sorts them all
 * for a page; naming the index avoids both (and fails loudly should it ever not fit).
 */
export const POSIX_GROUPS_BY_UUID = 'entries INDEXED BY entries_posix_groups';

/** Where membership comes from for one projection. */
export interface Membership {
  memberOf(uuid: string): Iterable<string>;
  effectiveMembers(group: string): Iterable<string>;
}

/**
 * `bulk`: a listing of many entries, for which building the closure once (if a write made it
 * stale) is cheaper than walking the graph per entry. Otherwise the closure is used only when
 * it is already current.
 */
export function membership(core: DirectoryCore, bulk: boolean): Membership {
  if (bulk) {
    const closure = core.closure();
    return { memberOf: (u) => closure.memberOf(u), effectiveMembers: (g) => closure.effectiveMembers(g) };
  }
  return { memberOf: (u) => core.memberOf(u), effectiveMembers: (g) => core.effectiveMembers(g) };
}

const IN_LIST = 'uuid IN (SELECT value FROM json_each(?))';

function union(sets: Iterable<Iterable<string>>): string[] {
  const all = new Set<string>();
  for (const set of sets) for (const uuid of set) all.add(uuid);
  return [...all];
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The authorized_keys lines of each of `uuids`, in tag order. */
function keysOf(core: DirectoryCore, uuids: readonly string[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const rows = core
    .stmt('SELECT account_uuid, type, blob, comment FROM ssh_keys WHERE account_uuid IN (SELECT value FROM json_each(?)) ORDER BY account_uuid, tag')
    .all(JSON.stringify(uuids)) as Array<{ account_uuid: string; type: string; blob: Buffer; comment: string }>;
  for (const row of rows) {
    const line = renderSshKey(row);
    const list = result.get(row.account_uuid);
    if (list) list.push(line);
    else result.set(row.account_uuid, [line]);
  }
  return result;
}

/** When each of `uuids` last had its unix password set (accounts without one are absent). */
function passwordTimes(core: DirectoryCore, uuids: readonly string[]): Map<string, number> {
  const rows = core
    .stmt("SELECT account_uuid, updated_at FROM credentials WHERE type = 'unix' AND account_uuid IN (SELECT value FROM json_each(?))")
    .raw()
    .all(JSON.stringify(uuids)) as Array<[string, number]>;
  return new Map(rows);
}

/** Accounts as hosts see them; `now` decides whether an expiry has made one `locked`. */
export function projectAccounts(core: DirectoryCore, rows: readonly AccountRow[], m: Membership, now = core.now()): UnixAccount[] {
  if (rows.length === 0) return [];
  const groupsOf = rows.map((row) => [...m.memberOf(row.uuid)]);
  const candidates = union(groupsOf);
  const posixGroups = new Map<string, { name: string; spn: string; gidnumber: number }>();
  if (candidates.length > 0) {
    const groupRows = core
      .stmt(`SELECT ${GROUP_COLUMNS} FROM ${POSIX_GROUPS_BY_UUID} WHERE ${IN_LIST} AND ${IS_POSIX_GROUP}`)
      .all(JSON.stringify(candidates)) as GroupRow[];
    for (const g of groupRows) posixGroups.set(g.uuid, { name: g.name, spn: core.spn(g.name), gidnumber: g.posix_id });
  }
  const uuids = rows.map((r) => r.uuid);
  const keys = keysOf(core, uuids);
  const passwords = passwordTimes(core, uuids);
  return rows.map((row, i) => {
    const spn = core.spn(row.name);
    const refs = groupsOf[i]!.flatMap((uuid) => posixGroups.get(uuid) ?? []).sort(byName);
    const passwordSet = passwords.get(row.uuid);
    return {
      uuid: row.uuid,
      name: row.name,
      spn,
      displayname: row.displayname,
      uidnumber: row.posix_id,
      gidnumber: row.posix_id,
      shell: row.shell ?? '',
      groups: [{ name: row.name, spn, gidnumber: row.posix_id }, ...refs],
      sshkeys: keys.get(row.uuid) ?? [],
      locked: row.locked === 1 || (row.expire_at !== null && row.expire_at <= now),
      expire_at: row.expire_at === null ? null : iso(row.expire_at),
      password_changed_at: passwordSet === undefined ? null : iso(passwordSet),
    };
  });
}

/** Real POSIX groups with the sorted names of the POSIX accounts in them, nested ones included. */
export function projectGroups(core: DirectoryCore, rows: readonly GroupRow[], m: Membership): UnixGroup[] {
  if (rows.length === 0) return [];
  const membersOf = rows.map((row) => [...m.effectiveMembers(row.uuid)]);
  const candidates = union(membersOf);
  const names = new Map<string, string>();
  if (candidates.length > 0) {
    const accountRows = core
      .stmt(`SELECT uuid, name FROM entries WHERE ${IN_LIST} AND ${IS_POSIX_ACCOUNT}`)
      .all(JSON.stringify(candidates)) as Array<{ uuid: string; name: string }>;
    for (const a of accountRows) names.set(a.uuid, a.name);
  }
  return rows.map((row, i) => ({
    uuid: row.uuid,
    name: row.name,
    spn: core.spn(row.name),
    gidnumber: row.posix_id,
    members: membersOf[i]!.flatMap((uuid) => names.get(uuid) ?? []).sort(),
  }));
}

/** An account's implicit primary group: its own name, uuid and number, with itself as the member. */
export function personalGroup(core: DirectoryCore, row: Pick<AccountRow, 'uuid' | 'name' | 'posix_id'>): UnixGroup {
  return { uuid: row.uuid, name: row.name, spn: core.spn(row.name), gidnumber: row.posix_id, members: [row.name] };
}

/** POSIX accounts by uuid (absent ones are not POSIX accounts now). */
export function accountRowsByUuid(core: DirectoryCore, uuids: readonly string[]): AccountRow[] {
  if (uuids.length === 0) return [];
  return core.stmt(`SELECT ${ACCOUNT_COLUMNS} FROM entries WHERE ${IN_LIST} AND ${IS_POSIX_ACCOUNT}`).all(JSON.stringify(uuids)) as AccountRow[];
}

/** Real POSIX groups by uuid. */
export function groupRowsByUuid(core: DirectoryCore, uuids: readonly string[]): GroupRow[] {
  if (uuids.length === 0) return [];
  return core.stmt(`SELECT ${GROUP_COLUMNS} FROM ${POSIX_GROUPS_BY_UUID} WHERE ${IN_LIST} AND ${IS_POSIX_GROUP}`).all(JSON.stringify(uuids)) as GroupRow[];
}

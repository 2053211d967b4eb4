/**
 * Groups and their membership. Members are accounts or groups (nesting); cycles are allowed. All
 * membership calls are idempotent: adding a present member or removing an absent one succeeds and
 * changes nothing, and `changed` says whether anything did.
 */
import { randomUUID } from 'node:crypto';
import { WardError, type CreateGroupRequest, type Group, type MemberList, type SetGroupPosixRequest } from '@ward/proto';
import { assertCanChangeGroup, assertCanChangeMembers, assertCanCreateGroup, rightsOf, targetFor, writeRightsOf } from './access.js';
import type { DirectoryCore, EntryRow } from './core.js';
import { choosePosixId } from './posix-ids.js';
import type { Actor } from './types.js';
import { checkDescription, checkKeys, checkName } from './validate.js';
import { bulkContext, groupView } from './views.js';

/** The most members one request may name (as MembersRequest in @ward/proto). */
export const MEMBERS_PER_REQUEST = 1000;

export function listGroups(core: DirectoryCore, actor: Actor): Group[] {
  const rights = rightsOf(core, actor);
  if (!rights.isReader) return [];
  const rows = core.stmt("SELECT * FROM entries WHERE kind = 'group' ORDER BY name").all() as EntryRow[];
  const bulk = bulkContext(core);
  return rows.map((row) => groupView(core, row, bulk));
}

export function createGroup(core: DirectoryCore, actor: Actor, req: CreateGroupRequest): { group: Group; changed: boolean } {
  const rights = writeRightsOf(core, actor);
  assertCanCreateGroup(rights);
  checkKeys(req, new Set(['name', 'description']), 'a new group');
  const name = checkName(req.name);
  const description = checkDescription(req.description);
  return core.write(() => {
    const existing = core.entryByName(name);
    if (existing) {
      if (existing.kind === 'group' && existing.builtin === 0 && existing.description === description) {
        return { group: groupView(core, existing), changed: false };
      }
      throw new WardError('duplicate_name', `the name "${name}" is already in use`);
    }
    const now = core.now();
    const uuid = randomUUID();
    core
      .stmt("INSERT INTO entries (uuid, kind, name, description, created_at, updated_at) VALUES (?, 'group', ?, ?, ?, ?)")
      .run(uuid, name, description, now, now);
    core.changed('data');
    return { group: groupView(core, core.reread(uuid)), changed: true };
  });
}

export function getGroup(core: DirectoryCore, actor: Actor, ref: string): Group {
  const rights = rightsOf(core, actor);
  return groupView(core, targetFor(core, rights, ref, ['group']));
}

export function deleteGroup(core: DirectoryCore, actor: Actor, ref: string): void {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, ['group']);
  assertCanChangeGroup(core, rights, target, 'delete');
  if (target.builtin === 1) throw new WardError('builtin', `the built-in group "${target.name}" cannot be deleted`);
  core.write(() => {
    // Deleting a group takes all its members out of it: the same rights as removing them.
    assertCanChangeMembers(core, rights, target, core.directMembers(target.uuid).map((uuid) => core.reread(uuid)));
    // Its memberships (as a group and as a member) go with it. No account depends on a group for
    // its primary group: primary groups are implicit, so nothing on a host breaks.
    core.stmt('DELETE FROM entries WHERE uuid = ?').run(target.uuid);
    core.changed('membership');
  });
}

export function listMembers(core: DirectoryCore, actor: Actor, ref: string): MemberList {
  const rights = rightsOf(core, actor);
  const target = targetFor(core, rights, ref, ['group']);
  return { direct: core.names(core.directMembers(target.uuid)), effective: core.names(core.effectiveMembers(target.uuid)) };
}

function checkMemberList(members: unknown): string[] {
  if (!Array.isArray(members)) throw new WardError('invalid_attribute', 'members must be a list of names');
  if (members.length > MEMBERS_PER_REQUEST) {
    throw new WardError('invalid_attribute', `at most ${MEMBERS_PER_REQUEST} members per request`);
  }
  for (const m of members) if (typeof m !== 'string') throw new WardError('invalid_attribute', 'members must be names');
  return members as string[];
}

/** The uuids of the named members; every one must exist and be allowed in `group`. */
function resolveMembers(core: DirectoryCore, group: EntryRow, refs: string[]): Set<string> {
  const uuids = new Set<string>();
  for (const ref of refs) {
    const row = core.resolve(ref);
    if (!row) throw new WardError('not_found', `no account or group "${ref.slice(0, 320)}"`);
    if (row.uuid === group.uuid) throw new WardError('invalid_attribute', `the group "${group.name}" cannot contain itself`);
    if (row.builtin === 1 && row.name === 'anonymous') {
      throw new WardError('invalid_attribute', 'anonymous cannot be a member of a group');
    }
    uuids.add(row.uuid);
  }
  return uuids;
}

/** The direct members a membership call adds and removes, computed inside its write. */
interface MembershipPlan {
  add: string[];
  remove: string[];
}

function membershipChange(
  core: DirectoryCore,
  actor: Actor,
  ref: string,
  members: unknown,
  plan: (group: EntryRow, resolve: () => Set<string>, refs: string[], current: Set<string>) => MembershipPlan,
): { changed: boolean } {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, ['group']);
  assertCanChangeGroup(core, rights, target, 'members');
  const refs = checkMemberList(members);
  return core.write(() => {
    const group = core.reread(target.uuid);
    const { add, remove } = plan(group, () => resolveMembers(core, group, refs), refs, new Set(core.directMembers(group.uuid)));
    // Who is added or removed matters too (a policy lifted or imposed, a built-in group nested):
    // checked on the actual change, inside the write, so a no-op is never refused.
    assertCanChangeMembers(core, rights, group, [...add, ...remove].map((uuid) => core.reread(uuid)));
    const insert = core.stmt('INSERT OR IGNORE INTO memberships (group_uuid, member_uuid) VALUES (?, ?)');
    const del = core.stmt('DELETE FROM memberships WHERE group_uuid = ? AND member_uuid = ?');
    let count = 0;
    for (const uuid of remove) count += del.run(group.uuid, uuid).changes;
    for (const uuid of add) count += insert.run(group.uuid, uuid).changes;
    if (count > 0) {
      core.stmt('UPDATE entries SET updated_at = ? WHERE uuid = ?').run(core.now(), group.uuid);
      core.changed('membership');
    }
    return { changed: count > 0 };
  });
}

export function addMembers(core: DirectoryCore, actor: Actor, ref: string, members: string[]): { changed: boolean } {
  return membershipChange(core, actor, ref, members, (_group, resolve, _refs, current) => ({
    add: [...resolve()].filter((uuid) => !current.has(uuid)),
    remove: [],
  }));
}

export function removeMembers(core: DirectoryCore, actor: Actor, ref: string, members: string[]): { changed: boolean } {
  return membershipChange(core, actor, ref, members, (_group, _resolve, refs, current) => {
    // An unknown member is simply not there: nothing to do.
    const uuids = refs.map((r) => core.resolve(r)?.uuid).filter((u): u is string => u !== undefined && current.has(u));
    return { add: [], remove: [...new Set(uuids)] };
  });
}

export function setMembers(core: DirectoryCore, actor: Actor, ref: string, members: string[]): { changed: boolean } {
  return membershipChange(core, actor, ref, members, (_group, resolve, _refs, current) => {
    const wanted = resolve();
    return { add: [...wanted].filter((u) => !current.has(u)), remove: [...current].filter((u) => !wanted.has(u)) };
  });
}

export function setGroupPosix(core: DirectoryCore, actor: Actor, ref: string, req: SetGroupPosixRequest): Group {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, ['group']);
  assertCanChangeGroup(core, rights, target, 'posix');
  checkKeys(req, new Set(['gidnumber']), 'POSIX attributes');
  return core.write(() => {
    const row = core.reread(target.uuid);
    const id = choosePosixId(core, row, req.gidnumber, 'gidnumber');
    if (id === row.posix_id) return groupView(core, row);
    core.stmt('UPDATE entries SET posix_id = ?, updated_at = ? WHERE uuid = ?').run(id, core.now(), row.uuid);
    core.changed('data');
    return groupView(core, core.reread(row.uuid));
  });
}

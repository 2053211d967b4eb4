/**
 * "Local users and groups win", as pure functions of a directory entry and the host's own files,
 * so the socket answers (resolver.ts) and the memory-mapped NSS file (map/) apply the very same
 * rules. See resolver.ts for why each rule exists.
 */
import type { UnixAccount, UnixGroup } from '@ward/proto';
import type { IdSet } from '../local/etc-files.js';

/** What a local entry shares with this directory entry (name, SPN or number), or undefined. */
export function localClash(local: IdSet, e: { name: string; spn: string }, num: number, numName: 'uid' | 'gid'): string | undefined {
  return local.names.has(e.name) ? `name ${e.name}`
    : local.names.has(e.spn) ? `name ${e.spn}`
    : local.ids.has(num) ? `${numName} ${num}`
    : undefined;
}

/** The group without member names a local user also has (those mean the local user here). */
export function withoutLocalMembers(g: UnixGroup, localUsers: IdSet): UnixGroup {
  const local = localUsers.names;
  return g.members.some((m) => local.has(m)) ? { ...g, members: g.members.filter((m) => !local.has(m)) } : g;
}

/** A user's gids (primary first, each once), without groups the host's own files shadow. */
export function visibleGids(a: UnixAccount, localGroups: IdSet): number[] {
  const gids = [a.gidnumber, ...a.groups.map((g) => g.gidnumber)];
  const shadowed = new Set(a.groups.filter((g) => localGroups.names.has(g.name) || localGroups.names.has(g.spn)).map((g) => g.gidnumber));
  return [...new Set(gids)].filter((gid) => !localGroups.ids.has(gid) && !shadowed.has(gid));
}

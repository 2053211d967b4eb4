/**
 * getpwent/getgrent pages. The C module asks page by page (offset, ENUM_PAGE entries each) on
 * separate requests. Pages are read from SQLite with keyset queries, never from a copy of the
 * directory in memory (100,000 users would hold tens of MiB of heap): entries in order of number
 * (then name), and for each offset handed out the key where its page ended is remembered, so the
 * next page (asked with that offset) starts there in O(page). An offset not remembered (another
 * process's walk evicted it, or the daemon restarted in between) is found by walking from the
 * start in bounded batches: slower, still correct, still bounded in memory.
 *
 * Enumeration never asks the IdP itself (sync keeps the cache complete); hidden entries (shadowed
 * by local ones) are left out, as on the lookup path. A page after a change in the cache continues
 * from its key: an entry added behind it is missed by that walk, one ahead of it is seen, as with
 * any live database (glibc's own `files` module behaves the same when /etc/passwd changes).
 */
import { LRUCache } from 'lru-cache';
import { ENUM_PAGE, type UnixAccount, type UnixGroup } from '@ward/proto';
import type { CacheStore } from '../cache/store.js';
import { groupOf, passwdOf, privateGroupOf, type GroupRecord, type PasswdRecord, type RenderConfig } from './render.js';
import type { Resolver } from './resolver.js';

/** Walks remembered at once (each a few bytes): many processes enumerating at the same time. */
const WALKS = 1024;

interface GroupKey {
  gid: number;
  name: string;
}

export class Enumerator {
  private readonly passwdKeys = new LRUCache<number, number>({ max: WALKS });
  private readonly groupKeys = new LRUCache<number, GroupKey>({ max: WALKS });

  constructor(
    private readonly store: CacheStore,
    private readonly resolver: Pick<Resolver, 'hiddenUser' | 'hiddenGroup' | 'visibleMembers'>,
    private readonly cfg: RenderConfig,
  ) {}

  passwdPage(offset: number): PasswdRecord[] {
    const remembered = offset === 0 ? -1 : this.passwdKeys.get(offset);
    let key = remembered ?? -1;
    let skip = remembered === undefined ? offset : 0;
    const out: PasswdRecord[] = [];
    while (out.length < ENUM_PAGE) {
      const batch = this.store.accountsAfter(key, ENUM_PAGE);
      if (batch.length === 0) break;
      for (const a of batch) {
        key = a.uidnumber;
        if (this.resolver.hiddenUser(a)) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        out.push(passwdOf(a, this.cfg));
        if (out.length === ENUM_PAGE) break;
      }
    }
    if (out.length) this.passwdKeys.set(offset + out.length, key);
    return out;
  }

  groupPage(offset: number): GroupRecord[] {
    const remembered = offset === 0 ? undefined : this.groupKeys.get(offset);
    let key: GroupKey = remembered ?? { gid: -1, name: '' };
    let skip = remembered === undefined ? offset : 0;
    const out: GroupRecord[] = [];
    while (out.length < ENUM_PAGE) {
      const batch = this.groupBatch(key);
      if (batch.length === 0) break;
      for (const { group, isPrivate } of batch) {
        // Several accounts may imply the same private gid: the first by name stands for it.
        const duplicate = isPrivate && group.gidnumber === key.gid;
        key = { gid: group.gidnumber, name: group.name };
        if (duplicate || this.resolver.hiddenGroup(group)) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        out.push(groupOf(this.resolver.visibleMembers(group), this.cfg));
        if (out.length === ENUM_PAGE) break;
      }
    }
    if (out.length) this.groupKeys.set(offset + out.length, key);
    return out;
  }

  /**
   * The next groups after `key` in (gid, name) order: real groups and the private groups of
   * accounts whose gid no real group has, merged.
   */
  private groupBatch(key: GroupKey): Array<{ group: UnixGroup; isPrivate: boolean }> {
    const real = this.store.groupsAfter(key.gid, key.name, ENUM_PAGE).map((group) => ({ group, isPrivate: false }));
    const owners: UnixAccount[] = this.store.privateGroupOwnersAfter(key.gid, key.name, ENUM_PAGE);
    const priv = owners.flatMap((a) => {
      const group = privateGroupOf(a);
      return group ? [{ group, isPrivate: true }] : [];
    });
    // Each list is complete up to its last entry; past the smaller of the two ends, the other may
    // be missing entries, so the merge stops there (the next batch starts from the key).
    const limit = [real, priv]
      .filter((l) => l.length === ENUM_PAGE)
      .map((l) => l[l.length - 1]!.group)
      .reduce<UnixGroup | undefined>((min, g) => (min === undefined || before(g, min) ? g : min), undefined);
    return [...real, ...priv]
      .filter((e) => limit === undefined || !before(limit, e.group))
      .sort((x, y) => (before(x.group, y.group) ? -1 : before(y.group, x.group) ? 1 : 0));
  }
}

function before(x: UnixGroup, y: UnixGroup): boolean {
  return x.gidnumber < y.gidnumber || (x.gidnumber === y.gidnumber && x.name < y.name);
}

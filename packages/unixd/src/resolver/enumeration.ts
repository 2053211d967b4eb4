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
import { ENUM_PAGE, RESPONSE_MAX, type UnixGroup } from '@ward/proto';
import type { CacheStore } from '../cache/store.js';
import { groupOf, passwdOf, type GroupRecord, type PasswdRecord, type RenderConfig } from './render.js';
import type { Resolver } from './resolver.js';

/** Walks remembered at once (each a few bytes): many processes enumerating at the same time. */
const WALKS = 1024;
/** Real groups read per query (each may be large): a page asks again for more as it needs. */
const REAL_BATCH = 32;
/** A group page's budget: well inside the protocol's RESPONSE_MAX, whatever the groups' sizes. */
const PAGE_BYTES = RESPONSE_MAX / 4;

/** About what a group record takes in a frame (each string is a u32 length and its bytes). */
function recordBytes(r: GroupRecord): number {
  let n = 16 + Buffer.byteLength(r.name);
  for (const m of r.members) n += 4 + Buffer.byteLength(m);
  return n;
}

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
      const batch = this.store.passwdAfter(key, ENUM_PAGE);
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
    let bytes = 0;
    while (out.length < ENUM_PAGE) {
      const batch = this.groupBatch(key);
      if (batch.length === 0) break;
      for (const { group, isPrivate } of batch) {
        // Several accounts may imply the same private gid: the first by name stands for it.
        const duplicate = isPrivate && group.gidnumber === key.gid;
        if (duplicate || this.resolver.hiddenGroup(group) || skip-- > 0) {
          key = { gid: group.gidnumber, name: group.name };
          continue;
        }
        const record = groupOf(this.resolver.visibleMembers(group), this.cfg);
        const size = recordBytes(record);
        // Large groups: the page ends early rather than outgrow the protocol's frame (the C
        // module asks for the next offset until a page comes back empty).
        if (out.length > 0 && bytes + size > PAGE_BYTES) return this.endGroupPage(offset, out, key);
        key = { gid: group.gidnumber, name: group.name };
        bytes += size;
        out.push(record);
        if (out.length === ENUM_PAGE) break;
      }
    }
    return this.endGroupPage(offset, out, key);
  }

  private endGroupPage(offset: number, out: GroupRecord[], key: GroupKey): GroupRecord[] {
    if (out.length) this.groupKeys.set(offset + out.length, key);
    return out;
  }

  /**
   * The next groups after `key` in (gid, name) order: real groups and the private groups of
   * accounts whose gid no real group has, merged.
   */
  private groupBatch(key: GroupKey): Array<{ group: UnixGroup; isPrivate: boolean }> {
    // Private groups cost no JSON parse: a page's worth. Real groups may hold thousands of
    // members each: only those up to the last private one (when that list is full), a few at a
    // time, so a page of private groups does not parse the big groups that sort after them.
    const priv = this.store.privateGroupsAfter(key.gid, key.name, ENUM_PAGE);
    const privLast = priv.length === ENUM_PAGE ? priv[priv.length - 1] : undefined;
    const real = this.store.groupsAfter(key.gid, key.name, REAL_BATCH, privLast && { gid: privLast.gidnumber, name: privLast.name });
    // Each list is complete up to its last entry; past the smaller of the two ends, the other may
    // be missing entries, so the merge stops there (the next batch starts from the key).
    const limit = [real.length === REAL_BATCH ? real : [], privLast ? [privLast] : []]
      .filter((l) => l.length > 0)
      .map((l) => l[l.length - 1]!)
      .reduce<UnixGroup | undefined>((min, g) => (min === undefined || before(g, min) ? g : min), undefined);
    return [...real.map((group) => ({ group, isPrivate: false })), ...priv.map((group) => ({ group, isPrivate: true }))]
      .filter((e) => limit === undefined || !before(limit, e.group))
      .sort((x, y) => (before(x.group, y.group) ? -1 : before(y.group, x.group) ? 1 : 0));
  }
}

function before(x: UnixGroup, y: UnixGroup): boolean {
  return x.gidnumber < y.gidnumber || (x.gidnumber === y.gidnumber && x.name < y.name);
}

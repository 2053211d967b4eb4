/**
 * getpwent/getgrent pages. The C module asks page by page (offset, ENUM_PAGE entries each) on
 * separate requests, so the order must be stable between pages: entries sorted by number then
 * name, from a snapshot rebuilt only when the cache or the host's files change. Enumeration
 * never asks the IdP itself (the background refresh keeps the cache complete); hidden entries
 * (shadowed by local ones) are left out.
 */
import { ENUM_PAGE, type UnixGroup } from '@ward/proto';
import type { CacheStore } from '../cache/store.js';
import type { LocalFiles } from '../local/etc-files.js';
import { groupOf, passwdOf, privateGroupOf, type GroupRecord, type PasswdRecord, type RenderConfig } from './render.js';
import type { Resolver } from './resolver.js';

interface Snapshot {
  key: string;
  passwd: PasswdRecord[];
  group: GroupRecord[];
}

export class Enumerator {
  private snap: Snapshot | undefined;

  constructor(
    private readonly store: CacheStore,
    private readonly local: LocalFiles,
    private readonly resolver: Resolver,
    private readonly cfg: RenderConfig,
  ) {}

  passwdPage(offset: number): PasswdRecord[] {
    return this.snapshot().passwd.slice(offset, offset + ENUM_PAGE);
  }

  groupPage(offset: number): GroupRecord[] {
    return this.snapshot().group.slice(offset, offset + ENUM_PAGE);
  }

  private snapshot(): Snapshot {
    const key = `${this.store.generation}:${this.local.generation}`;
    if (this.snap?.key === key) return this.snap;
    const everyone = this.store.allAccounts().map((c) => c.value);
    const accounts = everyone.filter((a) => !this.resolver.hiddenUser(a));
    const groups = this.store.allGroups().map((c) => c.value);
    const taken = new Set(groups.map((g) => g.gidnumber));
    const all: UnixGroup[] = [...groups];
    for (const a of everyone) {
      const pg = privateGroupOf(a);
      if (pg && !taken.has(pg.gidnumber)) {
        taken.add(pg.gidnumber);
        all.push(pg);
      }
    }
    all.sort((x, y) => x.gidnumber - y.gidnumber || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    this.snap = {
      key,
      passwd: accounts.map((a) => passwdOf(a, this.cfg)),
      group: all.filter((g) => !this.resolver.hiddenGroup(g)).map((g) => groupOf(this.resolver.visibleMembers(g), this.cfg)),
    };
    return this.snap;
  }
}

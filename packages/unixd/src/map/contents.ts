/**
 * What the memory-mapped NSS file holds: exactly what the socket would answer for each entry.
 * Entries are rendered by resolver/render.ts and filtered by resolver/local-wins.ts as the
 * Resolver and the Enumerator do (hidden users and groups left out, local member names dropped,
 * initgroups lists filtered, private groups derived from accounts only where no real group has
 * their gid or name). A key the socket would refuse (a system uid or gid, a name the host's
 * files hold) is simply not indexed: the NSS module then asks the socket, which says no.
 *
 * Rows are read in keyset pages from one read transaction on the caller's own connection (a
 * consistent snapshot), and the event loop gets a turn between pages, so generating a file for
 * 100,000 users never stalls the daemon's lookups.
 */
import type Database from 'better-sqlite3';
import { posixIdProblem, type UnixAccount, type UnixGroup } from '@ward/proto';
import type { IdSet } from '../local/etc-files.js';
import { localClash, visibleGids, withoutLocalMembers } from '../resolver/local-wins.js';
import { groupOf, passwdOf, privateGroupOf, type RenderConfig } from '../resolver/render.js';
import { yieldToLoop, type MapFileBuilder } from './file-writer.js';

export const PAGE_ROWS = 100;

export interface LocalView {
  users: IdSet;
  groups: IdSet;
}

/** A lookup key the socket answers: not a local name, nor an SPN whose name part is local. */
function keyAllowed(local: IdSet, key: string): boolean {
  const at = key.indexOf('@');
  return !local.names.has(key) && !(at > 0 && local.names.has(key.slice(0, at)));
}

function altName(e: { name: string; spn: string }, cfg: RenderConfig): string {
  return cfg.name_format === 'spn' ? e.name : e.spn;
}

async function* pages<T>(db: Database.Database, table: 'account' | 'grp', num: 'uid' | 'gid'): AsyncGenerator<T[]> {
  const page = db.prepare(`SELECT ${num} AS n, data FROM ${table} WHERE ${num} > ? ORDER BY ${num} LIMIT ${PAGE_ROWS}`);
  let after = -1;
  for (;;) {
    const rows = page.all(after) as Array<{ n: number; data: string }>;
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.n;
    yield rows.map((r) => JSON.parse(r.data) as T);
    await yieldToLoop();
  }
}

function addGroup(out: MapFileBuilder, g: UnixGroup, local: LocalView, cfg: RenderConfig, numbered: boolean, enumerate: boolean): void {
  if (localClash(local.groups, g, g.gidnumber, 'gid')) return;
  const rec = groupOf(withoutLocalMembers(g, local.users), cfg);
  const keys = [g.name, g.spn].filter((k) => keyAllowed(local.groups, k));
  const num = numbered && !posixIdProblem(g.gidnumber) ? g.gidnumber : undefined;
  out.add('group', { ...rec, alt: altName(g, cfg) }, keys, num, enumerate, g.gidnumber);
}

/**
 * Streams every entry into `out` from the cache tables `account` and `grp` (only their uid/gid
 * and data columns are read). The caller holds a read transaction on `db` around this.
 */
export async function writeContents(db: Database.Database, out: MapFileBuilder, local: LocalView, cfg: RenderConfig): Promise<void> {
  // Real groups first: in the name and gid tables the first entry of a key wins, as the
  // Resolver asks the group table before deriving a private group.
  const realGids = new Set<number>();
  const realNames = new Set<string>();
  for await (const groups of pages<UnixGroup>(db, 'grp', 'gid')) {
    for (const g of groups) {
      realGids.add(g.gidnumber);
      realNames.add(g.name).add(g.spn);
      addGroup(out, g, local, cfg, true, true);
    }
  }
  // Private groups listed by getgrent: the first account (by uid) for each gid, as the Enumerator.
  const listed = new Set<number>(realGids);
  for await (const accounts of pages<UnixAccount>(db, 'account', 'uid')) {
    for (const a of accounts) {
      if (!localClash(local.users, a, a.uidnumber, 'uid')) {
        const keys = [a.name, a.spn].filter((k) => keyAllowed(local.users, k));
        const num = posixIdProblem(a.uidnumber) ? undefined : a.uidnumber;
        const rec = { ...passwdOf(a, cfg), alt: altName(a, cfg), gids: visibleGids(a, local.groups) };
        out.add('passwd', rec, keys, num, true, a.uidnumber);
      }
      const pg = privateGroupOf(a);
      if (!pg || realGids.has(pg.gidnumber) || realNames.has(pg.name) || realNames.has(pg.spn)) continue;
      const enumerate = !listed.has(pg.gidnumber);
      listed.add(pg.gidnumber);
      // By gid the Resolver finds a private group through the account whose uid is that gid.
      addGroup(out, pg, local, cfg, a.uidnumber === pg.gidnumber, enumerate);
    }
  }
}

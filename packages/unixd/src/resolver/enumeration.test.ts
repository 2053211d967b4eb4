/**
 * Enumeration pages from the real SQLite cache and the real resolver rules (local files on
 * disk): every page walk, remembered or not, gives each visible entry exactly once in (number,
 * name) order, with the local-wins hiding of the lookup path and private groups derived.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ENUM_PAGE, RESPONSE_MAX, STATUS, encodeResponse, type UnixAccount, type UnixGroup } from '@ward/proto';
import { DirectoryCache } from '../cache/memory.js';
import { CacheStore } from '../cache/store.js';
import { IdpSource } from '../idp/source.js';
import { LocalFiles } from '../local/etc-files.js';
import { Logger } from '../log.js';
import { Connectivity } from './connectivity.js';
import { Enumerator } from './enumeration.js';
import { Resolver } from './resolver.js';

const quiet = new Logger('error', { write: () => true });
const dir = mkdtempSync(path.join(tmpdir(), 'ward-unixd-enum-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cfg = { name_format: 'short', default_shell: '/bin/sh', home_prefix: '/home/', home_by: 'name', home_alias: 'none' } as const;

const uuid = (kind: number, i: number) => `00000000-0000-4000-${kind}000-${String(i).padStart(12, '0')}`;
function account(i: number, uid: number, privateGroup = true): UnixAccount {
  const name = `u${i}`;
  return {
    uuid: uuid(8, i), name, spn: `${name}@ward.test`, displayname: name, uidnumber: uid, gidnumber: privateGroup ? uid : 90000,
    shell: '/bin/bash', groups: privateGroup ? [{ name, spn: `${name}@ward.test`, gidnumber: uid }] : [], sshkeys: [], locked: false, expire_at: null,
  };
}
function group(i: number, gid: number, members: string[]): UnixGroup {
  return { uuid: uuid(9, i), name: `g${i}`, spn: `g${i}@ward.test`, gidnumber: gid, members };
}

function setup() {
  const passwd = path.join(dir, 'passwd');
  const grp = path.join(dir, 'group');
  // u7 is shadowed by a local user's name, uid 70013 by a local uid, gid 70020 by a local group.
  writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\nu7:x:1007:1007::/home/u7:/bin/sh\nlocal13:x:70013:100::/:/bin/sh\n');
  writeFileSync(grp, 'root:x:0:\nlocalg:x:70020:\n');
  const store = CacheStore.open(path.join(dir, `c${Date.now()}${Math.random()}.db`), quiet);
  const accounts = Array.from({ length: 700 }, (_, i) => account(i, 70000 + i, i % 5 !== 0));
  const groups = Array.from({ length: 300 }, (_, i) => group(i, i % 2 ? 70000 + i * 2 : 80000 + i, [...new Set(['u1', 'u7', `u${i}`])]));
  store.writeListed(accounts, groups, 1);
  const local = new LocalFiles(passwd, grp, quiet);
  const idp = new IdpSource({ url: 'https://127.0.0.1:1', caPath: null, token: undefined, timeoutMs: 100 }, quiet);
  const resolver = new Resolver({ cache: new DirectoryCache(store, 60_000), idp, local, conn: new Connectivity(quiet), cfg: { cache_ttl: 300, negative_ttl: 60, idp_timeout_ms: 100 }, log: quiet });
  return { store, idp, resolver, accounts, groups };
}

function walk<T>(page: (offset: number) => T[]): T[] {
  const all: T[] = [];
  for (;;) {
    const p = page(all.length);
    if (p.length === 0) return all;
    expect(p.length).toBeLessThanOrEqual(ENUM_PAGE);
    all.push(...p);
  }
}

test('passwd and group walks: every visible entry once, in order, local ones hidden, private groups derived', () => {
  const { store, idp, resolver, accounts, groups } = setup();
  const e = new Enumerator(store, resolver, cfg);
  const pw = walk((o) => e.passwdPage(o));
  const expectedUsers = accounts.filter((a) => a.name !== 'u7' && a.uidnumber !== 70013).map((a) => a.name);
  expect(pw.map((r) => r.name)).toEqual(expectedUsers);

  const gr = walk((o) => e.groupPage(o));
  const realGids = new Set(groups.map((g) => g.gidnumber));
  const expected = [
    ...groups.map((g) => ({ name: g.name, gid: g.gidnumber })),
    ...accounts.filter((a, i) => i % 5 !== 0 && !realGids.has(a.uidnumber)).map((a) => ({ name: a.name, gid: a.uidnumber })),
  ].filter((g) => g.gid !== 70020) // hidden by the local group's gid (u7's private group stays: no local group u7)
    .sort((x, y) => x.gid - y.gid || (x.name < y.name ? -1 : 1));
  expect(gr.map((r) => ({ name: r.name, gid: r.gid }))).toEqual(expected);
  // A member named like a local user is left out, as on the lookup path.
  expect(gr.find((r) => r.name === 'g1')?.members).toEqual(['u1']);

  // A walk the daemon does not remember (another Enumerator: a restart) gives the same pages.
  const fresh = new Enumerator(store, resolver, cfg);
  expect(fresh.passwdPage(ENUM_PAGE)).toEqual(pw.slice(ENUM_PAGE, 2 * ENUM_PAGE));
  expect(fresh.groupPage(ENUM_PAGE * 2)).toEqual(gr.slice(2 * ENUM_PAGE, 3 * ENUM_PAGE));
  idp.close();
  store.close();
});

test('a walk continues from its key across changes in the cache', () => {
  const { store, idp, resolver, accounts } = setup();
  const e = new Enumerator(store, resolver, cfg);
  const first = e.passwdPage(0);
  // An account behind the walk's key goes away; the next page still starts after the first.
  store.deleteAccount(accounts[0]!.uuid);
  const second = e.passwdPage(first.length);
  expect(second[0]!.uid).toBeGreaterThan(first[first.length - 1]!.uid);
  idp.close();
  store.close();
});

test('pages of large groups end early instead of outgrowing the protocol frame; the walk still gives every group', () => {
  const { store, idp, resolver } = setup();
  const members = Array.from({ length: 2000 }, (_, k) => `member-with-a-long-name-${k}`);
  store.writeListed([], Array.from({ length: 40 }, (_, i) => group(1000 + i, 95000 + i, members)), 2);
  const e = new Enumerator(store, resolver, cfg);
  const sizes: number[] = [];
  const all = walk((o) => {
    const p = e.groupPage(o);
    sizes.push(encodeResponse('GR_ENUM', STATUS.OK, { entries: p }).length);
    return p;
  });
  expect(Math.max(...sizes)).toBeLessThan(RESPONSE_MAX);
  expect(all.filter((g) => g.members.length === 2000)).toHaveLength(40);
  idp.close();
  store.close();
});

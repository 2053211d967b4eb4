/** The SQLite cache on a real file: lookups, refresh semantics, passwords, persistence, recovery. */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import type { UnixAccount, UnixGroup } from '@ward/proto';
import { Logger } from '../log.js';
import { DirectoryCache } from './memory.js';
import { CacheStore } from './store.js';

const quiet = new Logger('error', { write: () => true });
const dir = mkdtempSync(path.join(tmpdir(), 'ward-unixd-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function account(name: string, uid: number, extra: Partial<UnixAccount> = {}): UnixAccount {
  n++;
  return {
    uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    name, spn: `${name}@ward.test`, displayname: name, uidnumber: uid, gidnumber: uid, shell: '/bin/bash',
    groups: [{ name, spn: `${name}@ward.test`, gidnumber: uid }], sshkeys: [], locked: false, expire_at: null, ...extra,
  };
}
function group(name: string, gid: number, members: string[]): UnixGroup {
  n++;
  return { uuid: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`, name, spn: `${name}@ward.test`, gidnumber: gid, members };
}

test('finds entries by every key and keeps them across reopening', () => {
  const file = path.join(dir, 'a.db');
  const s = CacheStore.open(file, quiet);
  const alice = account('alice', 70000);
  s.putAccount(alice, 1000);
  s.putGroup(group('devs', 70001, ['alice']), 1000);
  expect(s.account('name', 'alice')?.value).toEqual(alice);
  expect(s.account('spn', 'alice@ward.test')?.fetchedAt).toBe(1000);
  expect(s.account('uid', 70000)?.value.name).toBe('alice');
  expect(s.account('uuid', alice.uuid)?.value.name).toBe('alice');
  expect(s.group('gid', 70001)?.value.members).toEqual(['alice']);
  s.setPasswordHash(alice.uuid, '$argon2id$fake');
  s.close();
  expect(statSync(file).mode & 0o777).toBe(0o600);

  const again = CacheStore.open(file, quiet);
  expect(again.account('name', 'alice')?.value).toEqual(alice);
  expect(again.passwordHash(alice.uuid)).toBe('$argon2id$fake');
  again.close();
});

test('a newer entry replaces an older one holding the same name or number', () => {
  const s = CacheStore.open(path.join(dir, 'b.db'), quiet);
  const old = account('bob', 70010);
  s.putAccount(old, 1);
  s.setPasswordHash(old.uuid, 'h');
  const reused = account('bob', 70011);
  s.putAccount(reused, 2);
  expect(s.account('uuid', old.uuid)).toBeUndefined();
  expect(s.passwordHash(old.uuid)).toBeUndefined();
  expect(s.account('name', 'bob')?.value.uidnumber).toBe(70011);
  s.close();
});

test('a full listing sweeps what it lacked, keeps newer single fetches and surviving passwords, then stores its cursor', () => {
  const s = CacheStore.open(path.join(dir, 'c.db'), quiet);
  const keep = account('keep', 70020);
  const gone = account('gone', 70021);
  const newer = account('newer', 70022);
  s.putAccount(keep, 10);
  s.putAccount(gone, 10);
  s.setPasswordHash(keep.uuid, 'hk');
  s.setPasswordHash(gone.uuid, 'hg');
  s.putGroup(group('oldgroup', 70030, []), 10);
  s.finishListing('c0', 50);
  const mark = s.beginListing();
  expect(mark).toBeGreaterThan(10);
  expect(s.cursor()).toBeUndefined(); // a listing cut short here must start over
  s.putAccount(newer, mark + 1); // fetched by a lookup after the listing started
  s.writeListed([{ ...keep, displayname: 'Kept' }, { ...newer, displayname: 'Older copy' }], [group('devs', 70031, ['keep'])], mark);
  while (s.sweepListing(mark, 1) > 0) { /* in chunks of 1 */ }
  s.finishListing('c1', 100);
  expect(s.account('name', 'keep')?.value.displayname).toBe('Kept');
  expect(s.account('name', 'gone')).toBeUndefined();
  expect(s.account('name', 'newer')?.value.displayname).toBe('newer');
  expect(s.passwordHash(keep.uuid)).toBe('hk');
  expect(s.passwordHash(gone.uuid)).toBeUndefined();
  expect(s.group('name', 'oldgroup')).toBeUndefined();
  expect(s.counts()).toEqual({ users: 2, groups: 1 });
  expect(s.lastRefresh()).toBe(100);
  expect(s.cursor()).toBe('c1');

  // A change page: upserts, deletes (password hash with it) and the cursor in one transaction.
  s.applyChanges({ accounts: [{ ...keep, shell: '/bin/zsh' }], groups: [], deletedAccounts: [newer.uuid], deletedGroups: [] }, 'c2', 200);
  expect(s.account('name', 'keep')?.value.shell).toBe('/bin/zsh');
  expect(s.account('name', 'newer')).toBeUndefined();
  expect(s.cursor()).toBe('c2');
  expect(s.lastRefresh()).toBe(200);
  s.applyChanges({ accounts: [], groups: [], deletedAccounts: [keep.uuid], deletedGroups: [] }, undefined, 300);
  expect(s.cursor()).toBe('c2'); // not the page's last chunk: the cursor waits for it
  expect(s.passwordHash(keep.uuid)).toBeUndefined();

  s.markAllStale();
  expect(s.group('name', 'devs')?.fetchedAt).toBe(0);
  s.clear();
  expect(s.counts()).toEqual({ users: 0, groups: 0 });
  expect(s.passwordHash(keep.uuid)).toBeUndefined();
  expect(s.lastRefresh()).toBeUndefined();
  s.close();
});

test('the memory layer never serves what the store no longer holds', () => {
  const s = CacheStore.open(path.join(dir, 'd.db'), quiet);
  const mem = new DirectoryCache(s, 60_000, 64 * 1024);
  const a = account('carol', 70040);
  expect(mem.account('name', 'carol')).toBeUndefined();
  s.putAccount(a, 5);
  expect(mem.account('name', 'carol')?.value.uidnumber).toBe(70040);
  expect(Object.isFrozen(mem.account('name', 'carol')?.value)).toBe(true);
  s.deleteAccount(a.uuid);
  expect(mem.account('name', 'carol')).toBeUndefined();
  s.close();
});

test('a damaged file is moved aside and the daemon starts with an empty cache', () => {
  const file = path.join(dir, 'broken.db');
  writeFileSync(file, 'this is not a database, just some text that is long enough '.repeat(100));
  const s = CacheStore.open(file, quiet);
  expect(s.counts()).toEqual({ users: 0, groups: 0 });
  s.close();
  expect(readdirSync(dir).some((f) => f.startsWith('broken.db.corrupt-'))).toBe(true);
  expect(existsSync(file)).toBe(true);
});

test('a cache of schema 1 (accounts without expire_at) is upgraded in place, offline passwords kept', () => {
  const file = path.join(dir, 'v1.db');
  // The schema-1 layout, as a host running the previous version left it.
  const old = new Database(file);
  old.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE account (uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spn TEXT NOT NULL UNIQUE, uid INTEGER NOT NULL UNIQUE,
      data TEXT NOT NULL, fetched_at INTEGER NOT NULL);
    CREATE TABLE grp (uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spn TEXT NOT NULL UNIQUE, gid INTEGER NOT NULL UNIQUE,
      data TEXT NOT NULL, fetched_at INTEGER NOT NULL);
    CREATE TABLE password (uuid TEXT PRIMARY KEY, hash TEXT NOT NULL, stored_at INTEGER NOT NULL);
    INSERT INTO meta VALUES ('schema', '1'), ('last_refresh', '1000');`);
  const { expire_at: _none, ...v1 } = account('olga', 70050);
  void _none;
  old.prepare('INSERT INTO account VALUES (?, ?, ?, ?, ?, ?)').run(v1.uuid, v1.name, v1.spn, v1.uidnumber, JSON.stringify(v1), 1000);
  old.prepare('INSERT INTO password VALUES (?, ?, ?)').run(v1.uuid, '$argon2id$olga', 1000);
  old.close();

  const lines: string[] = [];
  const s = CacheStore.open(file, new Logger('info', { write: (l: string) => lines.push(l) }));
  expect(lines.join('')).toMatch(/has schema 1; upgrading it in place to schema 4/);
  // Never expiring until the IdP says otherwise, and stale so that the next lookup asks it.
  expect(s.account('name', 'olga')).toMatchObject({ value: { ...v1, expire_at: null }, fetchedAt: 0 });
  // Its private group (gid = uid) is found by group enumeration's index.
  expect(s.privateGroupsAfter(-1, '', 10).map((g) => g.name)).toEqual(['olga']);
  expect(s.cursor()).toBeUndefined();
  expect(s.passwordHash(v1.uuid)).toBe('$argon2id$olga');
  expect(s.lastRefresh()).toBe(1000);
  s.close();
  const again = CacheStore.open(file, quiet);
  expect(again.account('name', 'olga')?.value.expire_at).toBeNull();
  again.close();
});

test('enumeration pages come from keyset queries: accounts by uid, groups and private groups by (gid, name)', () => {
  const s = CacheStore.open(path.join(dir, 'e.db'), quiet);
  const a1 = account('ann', 70100);
  const a2 = account('abe', 70102, { gidnumber: 70101, groups: [] }); // no private group
  s.putAccount(a2, 1);
  s.putAccount(a1, 1);
  s.putGroup(group('ops', 70100, []), 1); // takes ann's private gid
  s.putGroup(group('dev', 70099, []), 1);
  expect(s.passwdAfter(-1, 10)).toEqual([
    { uuid: a1.uuid, name: 'ann', spn: 'ann@ward.test', uidnumber: 70100, gidnumber: 70100, displayname: 'ann', shell: '/bin/bash' },
    { uuid: a2.uuid, name: 'abe', spn: 'abe@ward.test', uidnumber: 70102, gidnumber: 70101, displayname: 'abe', shell: '/bin/bash' },
  ]);
  expect(s.passwdAfter(70100, 10).map((a) => a.name)).toEqual(['abe']);
  expect(s.groupsAfter(-1, '', 10).map((g) => g.name)).toEqual(['dev', 'ops']);
  expect(s.groupsAfter(70099, 'dev', 10).map((g) => g.name)).toEqual(['ops']);
  expect(s.privateGroupsAfter(-1, '', 10)).toEqual([]);
  s.deleteGroup(s.group('name', 'ops')!.value.uuid);
  expect(s.privateGroupsAfter(-1, '', 10)).toEqual([{ uuid: a1.uuid, name: 'ann', spn: 'ann@ward.test', gidnumber: 70100, members: ['ann'] }]);
  s.close();
});

test('a password change at the IdP drops the offline hash taken under the old one (issue 10 item 1)', () => {
  const s = CacheStore.open(path.join(dir, 'pw.db'), quiet);
  const T1 = '2026-01-01T00:00:00.000Z';
  const T2 = '2026-02-01T00:00:00.000Z';
  const ann = account('ann', 70300, { password_changed_at: T1 });
  const ben = account('ben', 70301, { password_changed_at: T1 });
  s.putAccount(ann, 1000);
  s.putAccount(ben, 1000);
  s.setPasswordHash(ann.uuid, 'hash-of-ann-p1', T1);
  s.setPasswordHash(ben.uuid, 'hash-of-ben-p1', T1);
  // The same password generation again (a rename, a key change): kept.
  s.putAccount({ ...ann, displayname: 'Ann B' }, 2000);
  expect(s.passwordHash(ann.uuid)).toBe('hash-of-ann-p1');
  // A new one: gone; ben's is untouched. The IdP removing the password (null) ends it too.
  s.putAccount({ ...ann, password_changed_at: T2 }, 3000);
  s.putAccount(ben, 3000);
  expect([s.passwordHash(ann.uuid), s.passwordHash(ben.uuid)]).toEqual([undefined, 'hash-of-ben-p1']);
  s.putAccount({ ...ben, password_changed_at: null }, 4000);
  expect(s.passwordHash(ben.uuid)).toBeUndefined();
  // A hash stored after a sync already brought a newer change is not kept either.
  s.setPasswordHash(ann.uuid, 'hash-under-an-old-answer', T1);
  expect(s.passwordHash(ann.uuid)).toBeUndefined();
  s.close();
});

test('hashes stored before they recorded the change time are judged by when they were stored', () => {
  const s = CacheStore.open(path.join(dir, 'pw-legacy.db'), quiet);
  const cay = account('cay', 70310);
  s.putAccount(cay, 1000);
  s.setPasswordHash(cay.uuid, 'legacy-hash'); // an IdP without password_changed_at
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  s.putAccount({ ...cay, password_changed_at: hourAgo }, 2000);
  expect(s.passwordHash(cay.uuid)).toBe('legacy-hash'); // stored well after that change
  s.putAccount({ ...cay, password_changed_at: new Date().toISOString() }, 3000);
  expect(s.passwordHash(cay.uuid)).toBeUndefined(); // a change since (or within the clock margin)
  s.close();
});

test('an empty change page at the same cursor commits nothing (the NSS map is not rewritten for it)', () => {
  const file = path.join(dir, 'idle.db');
  const s = CacheStore.open(file, quiet);
  const none = { accounts: [], groups: [], deletedAccounts: [], deletedGroups: [] };
  s.applyChanges({ ...none, accounts: [account('ida', 70320)] }, 'log-1', 1000);
  const watcher = new Database(file, { readonly: true });
  const version = () => watcher.pragma('data_version', { simple: true });
  const before = version();
  s.applyChanges(none, 'log-1', 5000);
  expect(version()).toBe(before);
  expect(s.lastRefresh()).toBe(5000);
  s.applyChanges(none, 'log-2', 6000); // a new cursor is stored
  expect(version()).not.toBe(before);
  expect(s.cursor()).toBe('log-2');
  watcher.close();
  s.close();
});

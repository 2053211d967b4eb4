import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode, openTestDirectory, type TestDirectory } from './test-support.js';

let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
});
afterEach(() => t.cleanup());

function realKey(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ward-key-'));
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', join(dir, 'k')]);
    return readFileSync(join(dir, 'k.pub'), 'utf8').trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** alice (POSIX) in devs (POSIX) in engineering (not POSIX) in staff (POSIX); bob not POSIX in devs. */
function scenario(): void {
  for (const n of ['alice', 'bob', 'carol']) t.newAccount(n);
  for (const g of ['devs', 'engineering', 'staff']) t.dir.createGroup(t.admin, { name: g });
  t.dir.addMembers(t.admin, 'devs', ['alice', 'bob']);
  t.dir.addMembers(t.admin, 'engineering', ['devs']);
  t.dir.addMembers(t.admin, 'staff', ['engineering', 'carol']);
  t.dir.setAccountPosix(t.admin, 'person', 'alice', { gidnumber: 5001, shell: '/bin/zsh' });
  t.dir.setAccountPosix(t.admin, 'person', 'carol', { gidnumber: 5003 });
  t.dir.setGroupPosix(t.admin, 'devs', { gidnumber: 7001 });
  t.dir.setGroupPosix(t.admin, 'staff', { gidnumber: 7003 });
}

describe('the unix view of accounts', () => {
  it('gives POSIX accounts with their primary group first, then POSIX groups, nested included', () => {
    scenario();
    const key = realKey();
    t.dir.addSshKey(t.admin, 'person', 'alice', 'laptop', `${key}\n`);
    const alice = t.dir.getUnixAccount('alice');
    expect(alice).toEqual({
      uuid: t.actor('alice').uuid,
      name: 'alice',
      spn: 'alice@example.test',
      displayname: 'Test alice',
      uidnumber: 5001,
      gidnumber: 5001,
      shell: '/bin/zsh',
      groups: [
        { name: 'alice', spn: 'alice@example.test', gidnumber: 5001 },
        { name: 'devs', spn: 'devs@example.test', gidnumber: 7001 },
        { name: 'staff', spn: 'staff@example.test', gidnumber: 7003 },
      ],
      sshkeys: [key],
      locked: false,
      expire_at: null,
      password_changed_at: null,
    });
    for (const ref of ['5001', 'alice@example.test', alice.uuid]) expect(t.dir.getUnixAccount(ref)).toEqual(alice);
    expect(t.dir.listUnixAccounts().map((a) => a.name)).toEqual(['alice', 'carol']);
  });

  it('does not know non-POSIX entries', () => {
    scenario();
    expect(errorCode(() => t.dir.getUnixAccount('bob'))).toBe('not_found');
    expect(errorCode(() => t.dir.getUnixAccount('devs'))).toBe('not_found');
    expect(errorCode(() => t.dir.getUnixAccount('7001'))).toBe('not_found');
    expect(errorCode(() => t.dir.getUnixAccount('alice@other.test'))).toBe('not_found');
    expect(errorCode(() => t.dir.getUnixGroup('engineering'))).toBe('not_found');
    expect(errorCode(() => t.dir.getUnixGroup('bob'))).toBe('not_found');
  });

  it('follows every change: keys, membership, rename, lock, expiry, delete', async () => {
    scenario();
    t.dir.listUnixAccounts(); // build the cache first, so the changes below must invalidate it
    const key = realKey();
    t.dir.addSshKey(t.admin, 'person', 'alice', 'laptop', key);
    expect(t.dir.getUnixAccount('alice').sshkeys).toEqual([key]);
    t.dir.removeMembers(t.admin, 'engineering', ['devs']);
    expect(t.dir.getUnixAccount('alice').groups.map((g) => g.name)).toEqual(['alice', 'devs']);
    t.dir.updateAccount(t.admin, 'person', 'alice', { name: 'alicia' });
    expect(t.dir.getUnixAccount('5001').name).toBe('alicia');
    expect(t.dir.getUnixGroup('devs').members).toEqual(['alicia']);
    t.dir.updateAccount(t.admin, 'person', 'alicia', { locked: true });
    expect(t.dir.getUnixAccount('alicia').locked).toBe(true);
    const expireAt = new Date(Date.now() + 300).toISOString();
    t.dir.updateAccount(t.admin, 'person', 'alicia', { locked: false, expire_at: expireAt });
    // Hosts get the moment itself, so they can refuse the account on time while offline.
    expect(t.dir.getUnixAccount('alicia')).toMatchObject({ locked: false, expire_at: expireAt });
    await new Promise((resolve) => setTimeout(resolve, 400)); // no write: the expiry alone must show
    expect(t.dir.getUnixAccount('alicia')).toMatchObject({ locked: true, expire_at: expireAt });
    t.dir.deleteSshKey(t.admin, 'person', 'alicia', 'laptop');
    expect(t.dir.getUnixAccount('alicia')).toMatchObject({ locked: true, sshkeys: [] });
    t.dir.deleteAccount(t.admin, 'person', 'alicia');
    expect(errorCode(() => t.dir.getUnixAccount('5001'))).toBe('not_found');
    expect(t.dir.getUnixGroup('devs').members).toEqual([]);
  });

  it('never keeps a view of changes that were rolled back', () => {
    scenario();
    expect(() =>
      t.dir.db.transaction(() => {
        t.dir.addMembers(t.admin, 'devs', ['carol']);
        expect(t.dir.getUnixGroup('devs').members).toEqual(['alice', 'carol']);
        throw new Error('abort');
      })(),
    ).toThrow('abort');
    expect(t.dir.getUnixGroup('devs').members).toEqual(['alice']);
  });

  it('sees changes made by another process on the same store', () => {
    scenario();
    expect(t.dir.getUnixAccount('alice').shell).toBe('/bin/zsh');
    const second = new Database(t.dbPath); // as a `wardd` command would, on its own connection
    second.prepare("UPDATE entries SET shell = '/bin/sh' WHERE name = 'alice'").run();
    second.close();
    expect(t.dir.getUnixAccount('alice').shell).toBe('/bin/sh');
  });
});

describe('the unix view of groups', () => {
  it('lists POSIX members, nested included, and the implicit primary groups', () => {
    scenario();
    expect(t.dir.getUnixGroup('staff')).toEqual({
      uuid: t.dir.getGroup(t.admin, 'staff').uuid,
      name: 'staff',
      spn: 'staff@example.test',
      gidnumber: 7003,
      members: ['alice', 'carol'],
    });
    expect(t.dir.getUnixGroup('7001').members).toEqual(['alice']);
    expect(t.dir.getUnixGroup('alice')).toMatchObject({ name: 'alice', gidnumber: 5001, members: ['alice'] });
    expect(t.dir.getUnixGroup('5003').name).toBe('carol');
    expect(t.dir.listUnixGroups().map((g) => [g.name, g.gidnumber])).toEqual([
      ['alice', 5001], ['carol', 5003], ['devs', 7001], ['staff', 7003],
    ]);
  });

  it('handles membership cycles', () => {
    scenario();
    t.dir.addMembers(t.admin, 'devs', ['staff']);
    expect(t.dir.getUnixGroup('devs').members).toEqual(['alice', 'carol']);
    expect(t.dir.getUnixAccount('carol').groups.map((g) => g.name)).toEqual(['carol', 'devs', 'staff']);
  });

  it('serves shared, immutable listings', () => {
    scenario();
    const list = t.dir.listUnixAccounts();
    expect(Object.isFrozen(list)).toBe(true);
    expect(Object.isFrozen(list[0])).toBe(true);
    expect(Object.isFrozen(list[0]!.groups)).toBe(true);
    expect(t.dir.listUnixAccounts()).toBe(list); // until something changes
    t.dir.updateAccount(t.admin, 'person', 'carol', { displayname: 'Carol C.' });
    expect(t.dir.listUnixAccounts().find((a) => a.name === 'carol')!.displayname).toBe('Carol C.');
  });
});

/**
 * The unix change log as a host following it sees it: after each kind of write, exactly which
 * accounts and groups a change page names (as they are now) and which it reports deleted.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UnixChanges } from '@ward/proto';
import { testSshKey } from '../testing/ssh-keys.js';
import { openDirectory } from './directory.js';
import { TEST_DOMAIN, openTestDirectory, type TestDirectory } from './test-support.js';

let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
});
afterEach(() => {
  vi.useRealTimers();
  t.cleanup();
});

const uuidOf = (name: string): string => t.dir.db.prepare('SELECT uuid FROM entries WHERE name = ?').pluck().get(name) as string;

/** A host's position in the log: `next()` names what changed since the previous call. */
function follower() {
  let cursor = t.dir.unixSyncCursor();
  return {
    raw(): UnixChanges {
      const page = t.dir.unixChangesNow(cursor);
      cursor = page.cursor;
      return page;
    },
    next(): { accounts: string[]; groups: string[]; deleted_accounts: string[]; deleted_groups: string[] } {
      const page = this.raw();
      expect(page).toMatchObject({ resync: false, more: false });
      return {
        accounts: page.accounts.map((a) => a.name).sort(),
        groups: page.groups.map((g) => g.name).sort(),
        deleted_accounts: [...page.deleted_accounts].sort(),
        deleted_groups: [...page.deleted_groups].sort(),
      };
    },
  };
}

const none = { accounts: [], groups: [], deleted_accounts: [], deleted_groups: [] };

/**
 * alice, bob, carol POSIX; dave not. devs (POSIX) holds alice and bob; ops (POSIX) holds carol;
 * engineering (not POSIX) holds devs; staff (POSIX) holds engineering.
 */
function scenario(): void {
  for (const n of ['alice', 'bob', 'carol', 'dave']) t.newAccount(n);
  for (const g of ['devs', 'ops', 'engineering', 'staff']) t.dir.createGroup(t.admin, { name: g });
  for (const n of ['alice', 'bob', 'carol']) t.dir.setAccountPosix(t.admin, 'person', n, {});
  for (const g of ['devs', 'ops', 'staff']) t.dir.setGroupPosix(t.admin, g, {});
  t.dir.addMembers(t.admin, 'devs', ['alice', 'bob']);
  t.dir.addMembers(t.admin, 'ops', ['carol']);
  t.dir.addMembers(t.admin, 'engineering', ['devs']);
  t.dir.addMembers(t.admin, 'staff', ['engineering']);
}

describe('the change log names what a write changed', () => {
  it('account attributes: only the account; non-POSIX accounts not at all', () => {
    scenario();
    const host = follower();
    t.dir.updateAccount(t.admin, 'person', 'alice', { displayname: 'Alice A.' });
    expect(host.next()).toEqual({ ...none, accounts: ['alice'] });
    t.dir.setAccountPosix(t.admin, 'person', 'alice', { shell: '/bin/zsh' });
    expect(host.next()).toEqual({ ...none, accounts: ['alice'] });
    t.dir.updateAccount(t.admin, 'person', 'dave', { displayname: 'Dave D.' });
    t.dir.updateAccount(t.admin, 'person', 'alice', { mail: ['alice@example.test'] }); // not in the unix view
    expect(host.next()).toEqual(none);
  });

  it('lock, expiry and the moment an expiry passes', () => {
    scenario();
    const host = follower();
    t.dir.updateAccount(t.admin, 'person', 'bob', { locked: true });
    const locked = host.raw();
    expect(locked.accounts.map((a) => [a.name, a.locked])).toEqual([['bob', true]]);
    const expireAt = Date.now() + 3_600_000;
    t.dir.updateAccount(t.admin, 'person', 'bob', { locked: false, expire_at: new Date(expireAt).toISOString() });
    expect(host.raw().accounts.map((a) => [a.name, a.locked])).toEqual([['bob', false]]);
    expect(host.next()).toEqual(none);
    // No write: the hour passes, and the next read logs bob as a change, now locked.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(expireAt + 1);
    expect(host.raw().accounts.map((a) => [a.name, a.locked])).toEqual([['bob', true]]);
    expect(host.next()).toEqual(none);
  });

  it('a unix password set: the account, with when it was set (hosts drop older offline hashes)', async () => {
    scenario();
    const host = follower();
    await t.dir.setUnixPassword(t.admin, 'person', 'alice', 'a-long-unix-password');
    const set = host.raw();
    expect(set.accounts.map((a) => a.name)).toEqual(['alice']);
    const first = set.accounts[0]!.password_changed_at!;
    expect(Date.parse(first)).toBeGreaterThan(0);
    expect(t.dir.getUnixAccount('bob').password_changed_at).toBeNull();
    expect(await t.dir.verifyUnixPassword('alice', 'a-long-unix-password')).toMatchObject({ password_changed_at: first });
    expect(host.next()).toEqual(none); // checking a password changes nothing
    await t.dir.setUnixPassword(t.admin, 'person', 'alice', 'another-unix-password');
    expect(host.raw().accounts.map((a) => [a.name, a.password_changed_at !== first])).toEqual([['alice', true]]);
  });

  it('SSH keys added and deleted: the account', () => {
    scenario();
    const host = follower();
    t.dir.addSshKey(t.admin, 'person', 'carol', 'laptop', testSshKey('ed25519', 'carol@laptop'));
    const added = host.raw();
    expect(added.accounts.map((a) => [a.name, a.sshkeys.length])).toEqual([['carol', 1]]);
    t.dir.deleteSshKey(t.admin, 'person', 'carol', 'laptop');
    expect(host.raw().accounts.map((a) => [a.name, a.sshkeys.length])).toEqual([['carol', 0]]);
  });

  it('POSIX enabled on an account: it and the groups it is in, nested ones included', () => {
    scenario();
    t.dir.addMembers(t.admin, 'devs', ['dave']);
    const host = follower();
    t.dir.setAccountPosix(t.admin, 'person', 'dave', {});
    expect(host.next()).toEqual({ ...none, accounts: ['dave'], groups: ['devs', 'staff'] });
    expect(t.dir.getUnixGroup('staff').members).toEqual(['alice', 'bob', 'dave']);
  });

  it('POSIX enabled on a group: it and every account in it, nested ones included', () => {
    scenario();
    const host = follower();
    t.dir.setGroupPosix(t.admin, 'engineering', {});
    expect(host.next()).toEqual({ ...none, accounts: ['alice', 'bob'], groups: ['engineering'] });
  });

  it('renames: an account and its groups; a group and its accounts; a number change likewise', () => {
    scenario();
    const host = follower();
    t.dir.updateAccount(t.admin, 'person', 'alice', { name: 'alicia' });
    expect(host.next()).toEqual({ ...none, accounts: ['alicia'], groups: ['devs', 'staff'] });
    t.dir.db.transaction(() => {
      t.dir.removeMembers(t.admin, 'staff', ['engineering']);
      t.dir.addMembers(t.admin, 'staff', ['ops']);
    })();
    host.next();
    t.dir.updateAccount(t.admin, 'person', 'carol', { name: 'caroline' });
    expect(host.next()).toEqual({ ...none, accounts: ['caroline'], groups: ['ops', 'staff'] });
    t.dir.setGroupPosix(t.admin, 'devs', { gidnumber: 7777 });
    expect(host.next()).toEqual({ ...none, accounts: ['alicia', 'bob'], groups: ['devs'] });
  });

  it('a member added to a nested group: the account, the group and the groups above it', () => {
    scenario();
    const host = follower();
    t.dir.addMembers(t.admin, 'devs', ['carol']);
    expect(host.next()).toEqual({ ...none, accounts: ['carol'], groups: ['devs', 'staff'] });
    t.dir.addMembers(t.admin, 'devs', ['dave']); // not POSIX: its groups' member lists do not change
    expect(host.next()).toEqual({ ...none, groups: ['devs', 'staff'] });
  });

  it('a group nested into another and taken out again: every account below, every group above', () => {
    scenario();
    const host = follower();
    t.dir.addMembers(t.admin, 'engineering', ['ops']);
    expect(host.next()).toEqual({ ...none, accounts: ['carol'], groups: ['staff'] });
    t.dir.removeMembers(t.admin, 'staff', ['engineering']);
    expect(host.next()).toEqual({ ...none, accounts: ['alice', 'bob', 'carol'], groups: ['staff'] });
    expect(t.dir.getUnixGroup('staff').members).toEqual([]);
    expect(t.dir.getUnixAccount('carol').groups.map((g) => g.name)).toEqual(['carol', 'ops']);
  });

  it('cycles: closing one names everyone in it; opening it again likewise', () => {
    scenario();
    const host = follower();
    t.dir.addMembers(t.admin, 'devs', ['staff']);
    expect(host.next()).toEqual({ ...none, accounts: ['alice', 'bob'], groups: ['devs', 'staff'] });
    t.dir.addMembers(t.admin, 'ops', ['staff']);
    expect(host.next()).toEqual({ ...none, accounts: ['alice', 'bob'], groups: ['ops'] });
    t.dir.removeMembers(t.admin, 'engineering', ['devs']);
    expect(host.next()).toEqual({ ...none, accounts: ['alice', 'bob'], groups: ['devs', 'ops', 'staff'] });
  });

  it('an account deleted: reported deleted, and the groups it was in changed', () => {
    scenario();
    const alice = uuidOf('alice');
    const host = follower();
    t.dir.deleteAccount(t.admin, 'person', 'alice');
    expect(host.next()).toEqual({ ...none, groups: ['devs', 'staff'], deleted_accounts: [alice] });
    expect(t.dir.getUnixGroup('staff').members).toEqual(['bob']);
    t.dir.deleteAccount(t.admin, 'person', 'dave'); // never POSIX: hosts never had it
    expect(host.next()).toEqual(none);
  });

  it('a group with nested members deleted: reported deleted, every account below and group above changed', () => {
    scenario();
    t.dir.addMembers(t.admin, 'devs', ['ops']);
    const devs = uuidOf('devs');
    const host = follower();
    t.dir.deleteGroup(t.admin, 'devs');
    expect(host.next()).toEqual({ ...none, accounts: ['alice', 'bob', 'carol'], groups: ['staff'], deleted_groups: [devs] });
    expect(t.dir.getUnixAccount('carol').groups.map((g) => g.name)).toEqual(['carol', 'ops']);
    t.dir.deleteGroup(t.admin, 'engineering'); // not POSIX itself, but staff loses nothing more
    expect(host.next()).toEqual({ ...none, groups: ['staff'] });
  });

  it('names each entry once per page, as it is now', () => {
    scenario();
    const host = follower();
    for (const displayname of ['one', 'two', 'three']) t.dir.updateAccount(t.admin, 'person', 'bob', { displayname });
    const page = host.raw();
    expect(page.accounts.map((a) => [a.name, a.displayname])).toEqual([['bob', 'three']]);
  });

  it('notices writes another process made with plain SQL (the triggers record them)', () => {
    scenario();
    const host = follower();
    const second = new Database(t.dbPath);
    second.prepare("UPDATE entries SET shell = '/bin/sh' WHERE name = 'alice'").run();
    second.prepare("UPDATE entries SET posix_id = NULL WHERE name = 'bob'").run();
    second.close();
    const page = host.raw();
    expect(page.accounts.map((a) => [a.name, a.shell])).toEqual([['alice', '/bin/sh']]);
    expect(page.deleted_accounts).toEqual([uuidOf('bob')]);
    expect(page.groups.map((g) => [g.name, g.members]).sort()).toEqual([['devs', ['alice']], ['staff', ['alice']]]);
  });

  it('follows changes another wardd process made through its own directory', () => {
    scenario();
    const host = follower();
    t.dir.updateAccount(t.admin, 'person', 'alice', { displayname: 'Alice A.' });
    expect(host.raw().accounts.map((a) => [a.name, a.shell])).toEqual([['alice', '/bin/bash']]);
    const other = openDirectory({ dbPath: t.dbPath, domain: TEST_DOMAIN }); // as `wardd recover-account` opens it
    try {
      other.setAccountPosix(t.admin, 'person', 'alice', { shell: '/bin/ksh' });
    } finally {
      other.close();
    }
    expect(host.raw().accounts.map((a) => [a.name, a.displayname, a.shell])).toEqual([['alice', 'Alice A.', '/bin/ksh']]);
  });

  it('forgets changes that were rolled back', () => {
    scenario();
    const host = follower();
    expect(() =>
      t.dir.db.transaction(() => {
        t.dir.addMembers(t.admin, 'ops', ['alice']);
        throw new Error('abort');
      })(),
    ).toThrow('abort');
    expect(host.next()).toEqual(none);
  });
});

import { POSIX_ALLOC_FIRST } from '@ward/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode, openTestDirectory, type TestDirectory } from './test-support.js';

let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
});
afterEach(() => t.cleanup());

const posixPerson = (name: string, req: { gidnumber?: number; shell?: string } = {}) => {
  t.newAccount(name);
  return t.dir.setAccountPosix(t.admin, 'person', name, req).posix!;
};

describe('POSIX numbers', () => {
  it('are allocated upward from the allocation start, shared by accounts and groups', () => {
    expect(posixPerson('alice')).toEqual({ uidnumber: POSIX_ALLOC_FIRST, gidnumber: POSIX_ALLOC_FIRST, shell: '/bin/bash' });
    t.dir.createGroup(t.admin, { name: 'devs' });
    expect(t.dir.setGroupPosix(t.admin, 'devs', {}).gidnumber).toBe(POSIX_ALLOC_FIRST + 1);
    expect(posixPerson('bob').uidnumber).toBe(POSIX_ALLOC_FIRST + 2);
  });

  it('accept an explicit number outside the reserved ranges', () => {
    expect(posixPerson('alice', { gidnumber: 1000 }).uidnumber).toBe(1000);
    t.dir.createGroup(t.admin, { name: 'devs' });
    expect(t.dir.setGroupPosix(t.admin, 'devs', { gidnumber: 59999 }).gidnumber).toBe(59999);
    expect(posixPerson('carol', { gidnumber: 2147483647 }).uidnumber).toBe(2147483647);
  });

  it('refuse reserved numbers with reserved_id and change nothing', () => {
    t.newAccount('alice');
    for (const id of [0, 999, 60000, 65534, 65535, 524288, 1879048191, 2147483648, 4294967295, -1]) {
      expect(errorCode(() => t.dir.setAccountPosix(t.admin, 'person', 'alice', { gidnumber: id })), String(id)).toBe('reserved_id');
    }
    expect(errorCode(() => t.dir.setAccountPosix(t.admin, 'person', 'alice', { gidnumber: 1000.5 }))).toBe('invalid_attribute');
    expect(t.dir.getAccount(t.admin, 'person', 'alice').posix).toBeNull();
  });

  it('refuse a number in use by any account or group with duplicate_id', () => {
    posixPerson('alice', { gidnumber: 5000 });
    t.dir.createGroup(t.admin, { name: 'devs' });
    t.dir.setGroupPosix(t.admin, 'devs', { gidnumber: 6000 });
    t.newAccount('bob');
    expect(errorCode(() => t.dir.setAccountPosix(t.admin, 'person', 'bob', { gidnumber: 5000 }))).toBe('duplicate_id');
    expect(errorCode(() => t.dir.setAccountPosix(t.admin, 'person', 'bob', { gidnumber: 6000 }))).toBe('duplicate_id');
    t.dir.createGroup(t.admin, { name: 'ops' });
    expect(errorCode(() => t.dir.setGroupPosix(t.admin, 'ops', { gidnumber: 5000 }))).toBe('duplicate_id');
    expect(t.dir.getAccount(t.admin, 'person', 'bob').posix).toBeNull();
    expect(t.dir.getGroup(t.admin, 'ops').gidnumber).toBeNull();
  });

  it('are never allocated again after a delete, even across restarts', () => {
    const first = posixPerson('alice').uidnumber;
    t.dir.deleteAccount(t.admin, 'person', 'alice');
    t.reopen();
    expect(posixPerson('bob').uidnumber).toBe(first + 1);
    // An explicit number in the allocation range is skipped by the allocator while in use…
    posixPerson('carol', { gidnumber: first + 2 });
    expect(posixPerson('dave').uidnumber).toBe(first + 3);
    // …and after its delete too.
    t.dir.deleteAccount(t.admin, 'person', 'carol');
    expect(posixPerson('erin').uidnumber).toBe(first + 4);
    // An administrator may still give a freed number explicitly.
    expect(posixPerson('frank', { gidnumber: first }).uidnumber).toBe(first);
  });

  it('change only what is given when set again (idempotent)', () => {
    const alice = posixPerson('alice', { shell: '/bin/zsh' });
    const before = t.dir.getAccount(t.admin, 'person', 'alice');
    expect(t.dir.setAccountPosix(t.admin, 'person', 'alice', {})).toEqual(before);
    expect(t.dir.setAccountPosix(t.admin, 'person', 'alice', { gidnumber: alice.uidnumber })).toEqual(before);
    expect(t.dir.setAccountPosix(t.admin, 'person', 'alice', { shell: '/bin/sh' }).posix).toEqual({ ...alice, shell: '/bin/sh' });
    expect(t.dir.setAccountPosix(t.admin, 'person', 'alice', { gidnumber: 7000 }).posix).toEqual({ uidnumber: 7000, gidnumber: 7000, shell: '/bin/sh' });
    t.dir.createGroup(t.admin, { name: 'devs' });
    const gid = t.dir.setGroupPosix(t.admin, 'devs', {}).gidnumber;
    expect(t.dir.setGroupPosix(t.admin, 'devs', {}).gidnumber).toBe(gid);
  });

  it('validate the shell', () => {
    t.newAccount('alice');
    for (const shell of ['bash', '/bin/../bin/sh', '/bin/ba sh', '/bin/sh\n', '']) {
      expect(errorCode(() => t.dir.setAccountPosix(t.admin, 'person', 'alice', { shell })), shell).toBe('invalid_attribute');
    }
    expect(errorCode(() => t.dir.setAccountPosix(t.admin, 'person', 'alice', { uidnumber: 5000 } as never))).toBe('invalid_attribute');
    expect(t.dir.getAccount(t.admin, 'person', 'alice').posix).toBeNull();
  });
});

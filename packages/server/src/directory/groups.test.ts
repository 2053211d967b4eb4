import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode, openTestDirectory, type TestDirectory } from './test-support.js';

let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
});
afterEach(() => t.cleanup());

const group = (name: string): void => void t.dir.createGroup(t.admin, { name });
const memberof = (name: string, kind: 'person' | 'group' = 'person'): string[] =>
  kind === 'group' ? t.dir.getGroup(t.admin, name).memberof : t.dir.getAccount(t.admin, 'person', name).memberof;

describe('createGroup', () => {
  it('creates, is idempotent, and refuses a taken or bad name', () => {
    const { group: devs, changed } = t.dir.createGroup(t.admin, { name: 'devs', description: 'Developers' });
    expect(changed).toBe(true);
    expect(devs).toMatchObject({ name: 'devs', spn: 'devs@example.test', description: 'Developers', builtin: false, members: [], memberof: [], gidnumber: null });
    expect(t.dir.createGroup(t.admin, { name: 'devs', description: 'Developers' })).toEqual({ group: devs, changed: false });
    expect(errorCode(() => t.dir.createGroup(t.admin, { name: 'devs', description: 'Other' }))).toBe('duplicate_name');
    t.newAccount('alice');
    expect(errorCode(() => t.dir.createGroup(t.admin, { name: 'alice' }))).toBe('duplicate_name');
    expect(errorCode(() => t.dir.createGroup(t.admin, { name: 'system_admins' }))).toBe('duplicate_name');
    expect(errorCode(() => t.dir.createGroup(t.admin, { name: 'Dev Ops' }))).toBe('invalid_name');
    expect(errorCode(() => t.dir.createGroup(t.admin, { name: 'ops', description: 'a\u0001' }))).toBe('invalid_attribute');
  });
});

describe('nested membership', () => {
  it('makes memberof transitive and lists effective members', () => {
    t.newAccount('alice');
    t.newAccount('bob');
    t.newAccount('svc', 'service_account');
    for (const g of ['devs', 'engineering', 'staff']) group(g);
    t.dir.addMembers(t.admin, 'devs', ['alice', 'svc']);
    t.dir.addMembers(t.admin, 'engineering', ['devs', 'bob']);
    t.dir.addMembers(t.admin, 'staff', ['engineering@example.test']);
    expect(memberof('alice')).toEqual(['devs', 'engineering', 'staff']);
    expect(t.dir.getAccount(t.admin, 'person', 'alice').direct_memberof).toEqual(['devs']);
    expect(memberof('bob')).toEqual(['engineering', 'staff']);
    expect(memberof('devs', 'group')).toEqual(['engineering', 'staff']);
    expect(t.dir.getGroup(t.admin, 'engineering').members).toEqual(['bob', 'devs']);
    expect(t.dir.listMembers(t.admin, 'staff')).toEqual({ direct: ['engineering'], effective: ['alice', 'bob', 'svc'] });
    expect(t.dir.groupsOf(t.actor('alice').uuid)).toEqual(['devs', 'engineering', 'staff']);
    // The same answers from the bulk path (closure) as from the single-entry path.
    const listed = t.dir.listAccounts(t.admin, 'person').find((a) => a.name === 'alice')!;
    expect(listed.memberof).toEqual(['devs', 'engineering', 'staff']);
    expect(t.dir.listGroups(t.admin).find((g) => g.name === 'devs')!.memberof).toEqual(['engineering', 'staff']);
    expect(t.dir.listMembers(t.admin, 'staff').effective).toEqual(['alice', 'bob', 'svc']);
  });

  it('allows cycles and stays finite and correct', () => {
    t.newAccount('alice');
    t.newAccount('bob');
    for (const g of ['a', 'b', 'c', 'outer']) group(g);
    t.dir.addMembers(t.admin, 'a', ['b', 'alice']);
    t.dir.addMembers(t.admin, 'b', ['c']);
    t.dir.addMembers(t.admin, 'c', ['a', 'bob']);
    t.dir.addMembers(t.admin, 'outer', ['c']);
    for (const pass of ['single', 'bulk']) {
      if (pass === 'bulk') t.dir.listAccounts(t.admin, 'person'); // builds the closure
      expect(memberof('alice')).toEqual(['a', 'b', 'c', 'outer']);
      expect(memberof('bob')).toEqual(['a', 'b', 'c', 'outer']);
      expect(memberof('a', 'group')).toEqual(['b', 'c', 'outer']);
      expect(memberof('outer', 'group')).toEqual([]);
      expect(t.dir.listMembers(t.admin, 'b').effective).toEqual(['alice', 'bob']);
      expect(t.dir.listMembers(t.admin, 'outer').effective).toEqual(['alice', 'bob']);
    }
    expect(errorCode(() => t.dir.addMembers(t.admin, 'a', ['a']))).toBe('invalid_attribute');
  });

  it('is idempotent: re-adding and removing absent members change nothing', () => {
    t.newAccount('alice');
    group('devs');
    expect(t.dir.addMembers(t.admin, 'devs', ['alice'])).toEqual({ changed: true });
    const stamp = t.dir.getGroup(t.admin, 'devs').updated_at;
    expect(t.dir.addMembers(t.admin, 'devs', ['alice', 'alice@example.test'])).toEqual({ changed: false });
    expect(t.dir.removeMembers(t.admin, 'devs', ['nobody', 'idm_admin'])).toEqual({ changed: false });
    expect(t.dir.getGroup(t.admin, 'devs').updated_at).toBe(stamp);
    expect(t.dir.removeMembers(t.admin, 'devs', ['alice'])).toEqual({ changed: true });
    expect(t.dir.removeMembers(t.admin, 'devs', ['alice'])).toEqual({ changed: false });
  });

  it('applies a member list all or nothing', () => {
    t.newAccount('alice');
    group('devs');
    expect(errorCode(() => t.dir.addMembers(t.admin, 'devs', ['alice', 'ghost']))).toBe('not_found');
    expect(errorCode(() => t.dir.addMembers(t.admin, 'devs', ['alice', 'anonymous']))).toBe('invalid_attribute');
    expect(errorCode(() => t.dir.addMembers(t.admin, 'devs', Array.from({ length: 1001 }, () => 'alice')))).toBe('invalid_attribute');
    expect(errorCode(() => t.dir.addMembers(t.admin, 'nope', ['alice']))).toBe('not_found');
    expect(t.dir.getGroup(t.admin, 'devs').members).toEqual([]);
  });

  it('replaces the direct members with setMembers', () => {
    for (const n of ['alice', 'bob', 'carol']) t.newAccount(n);
    group('devs');
    group('ops');
    t.dir.addMembers(t.admin, 'devs', ['alice', 'bob']);
    expect(t.dir.setMembers(t.admin, 'devs', ['bob', 'carol', 'ops'])).toEqual({ changed: true });
    expect(t.dir.getGroup(t.admin, 'devs').members).toEqual(['bob', 'carol', 'ops']);
    expect(t.dir.setMembers(t.admin, 'devs', ['ops', 'carol', 'bob'])).toEqual({ changed: false });
    expect(errorCode(() => t.dir.setMembers(t.admin, 'devs', ['ghost']))).toBe('not_found');
    expect(t.dir.setMembers(t.admin, 'devs', [])).toEqual({ changed: true });
    expect(t.dir.getGroup(t.admin, 'devs').members).toEqual([]);
  });
});

describe('deleteGroup', () => {
  it('removes its memberships both ways; built-in groups stay', () => {
    t.newAccount('alice');
    group('devs');
    group('staff');
    t.dir.addMembers(t.admin, 'devs', ['alice']);
    t.dir.addMembers(t.admin, 'staff', ['devs']);
    t.dir.deleteGroup(t.admin, 'devs');
    expect(memberof('alice')).toEqual([]);
    expect(t.dir.getGroup(t.admin, 'staff').members).toEqual([]);
    expect(errorCode(() => t.dir.getGroup(t.admin, 'devs'))).toBe('not_found');
    expect(errorCode(() => t.dir.deleteGroup(t.admin, 'idm_admins'))).toBe('builtin');
    expect(errorCode(() => t.dir.deleteGroup(t.admin, 'alice'))).toBe('not_found');
  });
});

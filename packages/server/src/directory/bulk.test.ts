/**
 * A sanity check at the scale the issue names (10,000 persons in 1,000 nested groups): the
 * directory builds it through its own API and lists it in bulk without error, correctly. Speed is
 * measured by the benchmark, not asserted here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDirectory, type TestDirectory } from './test-support.js';
import { BUILTIN_GROUPS } from './types.js';

const PERSONS = 10_000;
const GROUPS = 1_000;

let t: TestDirectory;
beforeAll(() => {
  t = openTestDirectory();
  const { dir, admin } = t;
  // One outer transaction: each call still runs its own checks and (nested) transaction, but the
  // store fsyncs once instead of 30,000 times.
  dir.db.transaction(() => {
    for (let g = 0; g < GROUPS; g++) {
      dir.createGroup(admin, { name: `g${g}` });
      dir.setGroupPosix(admin, `g${g}`, {});
      // A tree: g(n) sits in g(floor((n-1)/10)), four levels deep, plus one cycle at the top.
      if (g > 0) dir.addMembers(admin, `g${Math.floor((g - 1) / 10)}`, [`g${g}`]);
    }
    dir.addMembers(admin, 'g1', ['g0']);
    for (let p = 0; p < PERSONS; p++) {
      dir.createAccount(admin, 'person', { name: `p${p}`, displayname: `Person ${p}` });
      dir.setAccountPosix(admin, 'person', `p${p}`, {});
    }
    for (let g = 0; g < GROUPS; g++) {
      const members = Array.from({ length: PERSONS / GROUPS }, (_, i) => `p${g * (PERSONS / GROUPS) + i}`);
      dir.addMembers(admin, `g${g}`, members);
    }
  })();
}, 300_000);
afterAll(() => t.cleanup());

describe('10,000 persons in 1,000 nested groups', () => {
  it('lists every POSIX account with its nested groups', () => {
    const accounts = t.dir.listUnixAccounts();
    expect(accounts).toHaveLength(PERSONS);
    // p9999 is in g999, which sits in g99, g9, g0 and (through the cycle) g1.
    const last = t.dir.getUnixAccount('p9999');
    expect(last.groups.map((g) => g.name)).toEqual(['p9999', 'g0', 'g1', 'g9', 'g99', 'g999']);
    expect(t.dir.getUnixAccount(String(last.uidnumber)).name).toBe('p9999');
    expect(t.dir.listUnixAccounts()).toBe(accounts); // kept until something changes
  });

  it('lists every POSIX group with its nested members', () => {
    const groups = t.dir.listUnixGroups();
    expect(groups).toHaveLength(GROUPS + PERSONS); // real groups + primary groups
    const top = t.dir.getUnixGroup('g0');
    expect(top.members).toHaveLength(PERSONS); // everyone sits below g0
    expect(t.dir.getUnixGroup('g999').members).toEqual(Array.from({ length: 10 }, (_, i) => `p${9990 + i}`).sort());
  });

  it('lists accounts and groups for administrators, and follows a change', () => {
    expect(t.dir.listAccounts(t.admin, 'person')).toHaveLength(PERSONS);
    expect(t.dir.listGroups(t.admin)).toHaveLength(GROUPS + Object.keys(BUILTIN_GROUPS).length);
    t.dir.removeMembers(t.admin, 'g99', ['g999']);
    expect(t.dir.getUnixAccount('p9999').groups.map((g) => g.name)).toEqual(['p9999', 'g999']);
    expect(t.dir.getUnixGroup('g0').members).toHaveLength(PERSONS - 10);
  });
});

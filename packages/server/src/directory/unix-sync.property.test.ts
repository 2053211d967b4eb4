/**
 * Convergence of host sync, as a property: random sequences of directory writes, with a simulated
 * host that lists the view page by page at a random point (writes land between its pages) and then
 * follows change pages at random moments, always leave the host's copy equal to a fresh full
 * listing once it has caught up. The log is kept small and compacted at random, so hosts also
 * fall behind the floor and must resync. (The host daemon's own store has its own property test.)
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WardError, type UnixAccount, type UnixGroup } from '@ward/proto';
import { testSshKey } from '../testing/ssh-keys.js';
import type { SqliteDirectory } from './directory.js';
import { openTestDirectory, type TestDirectory } from './test-support.js';

const ACCOUNTS = 4;
const GROUPS = 4;
const KEYS = [testSshKey('ed25519', 'k0'), testSshKey('ed25519', 'k1')];
const HOUR = 3_600_000;

type Op =
  | { op: 'createAccount' | 'posixAccount' | 'deleteAccount' | 'renameAccount' | 'shell' | 'foreignShell'; i: number }
  | { op: 'createGroup' | 'posixGroup' | 'deleteGroup' | 'renameGroup' | 'regid'; i: number }
  | { op: 'add' | 'remove'; g: number; member: number; isGroup: boolean }
  | { op: 'lock'; i: number; locked: boolean }
  | { op: 'expire'; i: number; when: -1 | 0 | 1 }
  | { op: 'addKey' | 'deleteKey'; i: number; k: number }
  | { op: 'compact' }
  | { op: 'host' }
  | { op: 'hostPages'; n: number };

const account = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const group = fc.integer({ min: 0, max: GROUPS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('createAccount', 'posixAccount', 'deleteAccount', 'renameAccount', 'shell', 'foreignShell'), i: account }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('createGroup', 'posixGroup', 'deleteGroup', 'renameGroup', 'regid'), i: group }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('add', 'add', 'remove'), g: group, member: fc.integer({ min: 0, max: 3 }), isGroup: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lock'), i: account, locked: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('expire'), i: account, when: fc.constantFrom(-1, 0, 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('addKey', 'deleteKey'), i: account, k: fc.integer({ min: 0, max: KEYS.length - 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'compact' }) },
  { weight: 3, arbitrary: fc.constant({ op: 'host' }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('hostPages'), n: fc.integer({ min: 1, max: 4 }) }) },
) as fc.Arbitrary<Op>;

/** Where every run starts: all accounts and groups exist, half of each POSIX, a few memberships. */
function seed(t: TestDirectory): void {
  for (let i = 0; i < ACCOUNTS; i++) {
    t.dir.createAccount(t.admin, 'person', { name: `a${i}`, displayname: `a${i}` });
    if (i % 2 === 0) t.dir.setAccountPosix(t.admin, 'person', `a${i}`, {});
  }
  for (let i = 0; i < GROUPS; i++) {
    t.dir.createGroup(t.admin, { name: `g${i}` });
    if (i % 2 === 0) t.dir.setGroupPosix(t.admin, `g${i}`, {});
  }
  t.dir.addMembers(t.admin, 'g0', ['a0', 'a1', 'g1']);
  t.dir.addMembers(t.admin, 'g1', ['a2', 'g2']);
}

/** A host as the sync protocol describes it: list page by page, then follow the log. */
class Host {
  accounts = new Map<string, UnixAccount>();
  groups = new Map<string, UnixGroup>();
  private state: { phase: 'accounts' | 'groups'; after?: string; cursor?: string } | { phase: 'follow'; cursor: string } = { phase: 'accounts' };

  constructor(private readonly dir: SqliteDirectory) {}

  /** One request; true when it found the host up to date. */
  step(): boolean {
    const s = this.state;
    if (s.phase === 'follow') {
      const c = this.dir.unixChangesNow(s.cursor);
      if (c.resync) {
        this.accounts.clear();
        this.groups.clear();
        this.state = { phase: 'accounts' };
        return false;
      }
      for (const a of c.accounts) this.accounts.set(a.uuid, a);
      for (const g of c.groups) this.groups.set(g.uuid, g);
      for (const u of c.deleted_accounts) this.accounts.delete(u);
      for (const u of c.deleted_groups) this.groups.delete(u);
      const idle = !c.more && c.cursor === s.cursor;
      this.state = { phase: 'follow', cursor: c.cursor };
      return idle;
    }
    const page = s.phase === 'accounts' ? this.dir.unixSyncAccounts(s.after, '2') : this.dir.unixSyncGroups(s.after, '2');
    const cursor = s.cursor ?? page.cursor; // the first page's cursor
    for (const item of page.items) (s.phase === 'accounts' ? this.accounts : this.groups).set(item.uuid, item as never);
    if (page.next) this.state = { phase: s.phase, after: page.next, cursor };
    else this.state = s.phase === 'accounts' ? { phase: 'groups', cursor } : { phase: 'follow', cursor };
    return false;
  }

  catchUp(): void {
    for (let i = 0; i < 10_000; i++) if (this.step()) return;
    throw new Error('the host never caught up');
  }
}

const byUuid = <T extends { uuid: string }>(list: Iterable<T>): T[] => [...list].sort((a, b) => (a.uuid < b.uuid ? -1 : 1));

/** The whole view by the bulk calls (no paging, no memo): real groups only, as sync sends them. */
function fullListing(dir: SqliteDirectory): { accounts: UnixAccount[]; groups: UnixGroup[] } {
  const accounts = dir.listUnixAccounts();
  const personal = new Set(accounts.map((a) => a.uuid));
  return { accounts: byUuid(accounts), groups: byUuid(dir.listUnixGroups().filter((g) => !personal.has(g.uuid))) };
}

let t: TestDirectory | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

function apply(t: TestDirectory, host: Host | undefined, op: Op, names: { accounts: string[]; groups: string[] }, counter: { n: number }): void {
  const d = t.dir;
  const a = 'i' in op ? names.accounts[op.i] : undefined;
  const g = 'i' in op ? names.groups[op.i] : undefined;
  switch (op.op) {
    case 'createAccount': return void d.createAccount(t.admin, 'person', { name: a!, displayname: a! });
    case 'posixAccount': return void d.setAccountPosix(t.admin, 'person', a!, {});
    case 'deleteAccount': return void d.deleteAccount(t.admin, 'person', a!);
    case 'renameAccount': {
      const next = `a${op.i}r${(counter.n += 1)}`;
      d.updateAccount(t.admin, 'person', a!, { name: next });
      names.accounts[op.i] = next;
      return;
    }
    case 'shell': return void d.setAccountPosix(t.admin, 'person', a!, { shell: `/bin/sh${(counter.n += 1)}` });
    case 'foreignShell': return foreign(t, 'UPDATE entries SET shell = ? WHERE name = ?', `/bin/x${(counter.n += 1)}`, a!);
    case 'createGroup': return void d.createGroup(t.admin, { name: g! });
    case 'posixGroup': return void d.setGroupPosix(t.admin, g!, {});
    case 'regid': return void d.setGroupPosix(t.admin, g!, { gidnumber: 70000 + (counter.n += 1) });
    case 'deleteGroup': return void d.deleteGroup(t.admin, g!);
    case 'renameGroup': {
      const next = `g${op.i}r${(counter.n += 1)}`;
      foreign(t, 'UPDATE entries SET name = ? WHERE name = ?', next, g!); // the API has no group rename (yet)
      names.groups[op.i] = next;
      return;
    }
    case 'add':
    case 'remove': {
      const member = op.isGroup ? names.groups[op.member]! : names.accounts[op.member]!;
      if (op.op === 'add') d.addMembers(t.admin, names.groups[op.g]!, [member]);
      else d.removeMembers(t.admin, names.groups[op.g]!, [member]);
      return;
    }
    case 'lock': return void d.updateAccount(t.admin, 'person', a!, { locked: op.locked });
    case 'expire': {
      const at = op.when === 0 ? null : new Date(Date.now() + op.when * HOUR).toISOString();
      return void d.updateAccount(t.admin, 'person', a!, { expire_at: at });
    }
    case 'addKey': return void d.addSshKey(t.admin, 'person', a!, `k${op.k}`, KEYS[op.k]!);
    case 'deleteKey': return void d.deleteSshKey(t.admin, 'person', a!, `k${op.k}`);
    case 'compact': return d.compactUnixChanges();
    case 'host': return void host?.step();
    case 'hostPages': for (let i = 0; i < op.n; i++) host?.step();
  }
}

/** A write by another process, in plain SQL (as a `wardd` command or an operator might). */
function foreign(t: TestDirectory, sql: string, ...args: string[]): void {
  const other = new Database(t.dbPath);
  try {
    other.prepare(sql).run(...args);
  } finally {
    other.close();
  }
}

describe('host sync converges', () => {
  it('to a fresh full listing, whatever the writes and wherever the host listed or followed', { timeout: 120_000 }, () => {
    fc.assert(
      // keepRows: a long log (hosts never fall behind) or a short one (they resync after compactions).
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.nat({ max: 12 }), fc.constantFrom(10, 100_000), (ops, listAt, keepRows) => {
        t?.cleanup();
        t = openTestDirectory({ unixChangeLog: { keepRows } });
        seed(t);
        const names = { accounts: Array.from({ length: ACCOUNTS }, (_, i) => `a${i}`), groups: Array.from({ length: GROUPS }, (_, i) => `g${i}`) };
        const counter = { n: 0 };
        let host: Host | undefined;
        ops.forEach((op, index) => {
          if (index === Math.min(listAt, ops.length - 1)) host = new Host(t!.dir);
          try {
            apply(t!, host, op, names, counter);
          } catch (err) {
            if (!(err instanceof WardError)) throw err; // refused writes (duplicates, absent entries) are part of the game
          }
        });
        host!.catchUp();
        const fresh = fullListing(t.dir);
        expect(byUuid(host!.accounts.values())).toEqual(fresh.accounts);
        expect(byUuid(host!.groups.values())).toEqual(fresh.groups);
      }),
      { numRuns: 100 },
    );
  });
});

/**
 * The property issue 9 asks for: whatever happens in the directory, and whenever the host is
 * away (daemon stopped, frozen with SIGSTOP, its stream cut by an IdP restart, a resync asked
 * for), the host's cache ends up equal to a fresh full listing of the IdP.
 *
 * fast-check draws short sequences of directory changes (through the real wardd API: persons,
 * POSIX attributes, renames, locks, SSH keys, groups, nesting, deletions) interleaved with host
 * disruptions; after each sequence the host is brought back and the cache file's rows must
 * become exactly the IdP's `unix_account_list` / `unix_group_list`. One IdP and one host serve
 * every run (state carries over, as on a real host), and runs are kept few and short for CI.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WardError, type UnixAccount, type UnixGroup } from '@ward/proto';
import { checkAccount, checkGroup, type Checked } from '../idp/sanitize.js';
import { privateGroupOf } from '../resolver/render.js';
import { startIdp, startUnixd, testSshKey, waitFor, waitForLive, type DaemonHandle, type Idp } from '../test-support/harness.js';

let idp: Idp;
let d: DaemonHandle;
let frozen = false;

const USERS = ['pu0', 'pu1', 'pu2', 'pu3'];
const GROUPS = ['pg0', 'pg1'];
const user = fc.constantFrom(...USERS);
const group = fc.constantFrom(...GROUPS);

type Cmd =
  | { op: 'createUser' | 'deleteUser' | 'lock' | 'unlock' | 'addKey' | 'deleteKeys'; name: string }
  | { op: 'shell'; name: string; shell: string }
  | { op: 'rename'; name: string; to: string }
  | { op: 'createGroup' | 'deleteGroup'; name: string }
  | { op: 'addMember' | 'removeMember'; name: string; member: string }
  | { op: 'stopHost' | 'startHost' | 'freezeHost' | 'thawHost' | 'restartIdp' | 'invalidate' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constantFrom('createUser', 'deleteUser', 'lock', 'unlock', 'addKey', 'deleteKeys' as const), name: user }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('shell' as const), name: user, shell: fc.constantFrom('/bin/sh', '/bin/bash') }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('rename' as const), name: user, to: user }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constantFrom('createGroup', 'deleteGroup' as const), name: group }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constantFrom('addMember', 'removeMember' as const), name: group, member: fc.constantFrom(...USERS, ...GROUPS) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constantFrom('stopHost', 'startHost', 'freezeHost', 'thawHost', 'invalidate' as const) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('restartIdp' as const) }), weight: 1 },
);

/** Applies one command; directory errors (already exists, not found) are part of the game. */
async function run(c: Cmd): Promise<void> {
  const a = idp.admin;
  try {
    switch (c.op) {
      case 'createUser':
        await a.call('person_create', { body: { name: c.name, displayname: c.name } });
        await a.call('person_posix_set', { params: { id: c.name }, body: {} });
        return;
      case 'deleteUser': return void (await a.call('person_delete', { params: { id: c.name } }));
      case 'lock': return void (await a.call('person_update', { params: { id: c.name }, body: { locked: true } }));
      case 'unlock': return void (await a.call('person_update', { params: { id: c.name }, body: { locked: false } }));
      case 'addKey': return void (await a.call('person_ssh_add', { params: { id: c.name }, body: { tag: `t${Date.now()}`, key: testSshKey() } }));
      case 'deleteKeys': {
        const keys = await a.call<Array<{ tag: string }>>('person_ssh_list', { params: { id: c.name } });
        for (const k of keys) await a.call('person_ssh_delete', { params: { id: c.name, tag: k.tag } });
        return;
      }
      case 'shell': return void (await a.call('person_posix_set', { params: { id: c.name }, body: { shell: c.shell } }));
      case 'rename': return void (await a.call('person_update', { params: { id: c.name }, body: { name: c.to } }));
      case 'createGroup':
        await a.call('group_create', { body: { name: c.name } });
        await a.call('group_posix_set', { params: { id: c.name }, body: {} });
        return;
      case 'deleteGroup': return void (await a.call('group_delete', { params: { id: c.name } }));
      case 'addMember': return void (await a.call('group_members_add', { params: { id: c.name }, body: { members: [c.member] } }));
      case 'removeMember': return void (await a.call('group_members_remove', { params: { id: c.name }, body: { members: [c.member] } }));
      case 'stopHost': return void (await thaw().then(() => d.stop()));
      case 'startHost': return void (d.pid() === undefined && (await d.start()));
      case 'freezeHost': {
        const pid = d.pid();
        if (pid !== undefined && !frozen) {
          process.kill(pid, 'SIGSTOP');
          frozen = true;
        }
        return;
      }
      case 'thawHost': return thaw();
      case 'restartIdp': return void (await idp.server.restart());
      case 'invalidate': return void (d.pid() !== undefined && !frozen && (await d.call('CACHE_INVALIDATE', {}, true)));
    }
  } catch (e) {
    if (!(e instanceof WardError) || e.code === 'unavailable' || e.code === 'internal') throw e;
  }
}

async function thaw(): Promise<void> {
  const pid = d.pid();
  if (frozen && pid !== undefined) process.kill(pid, 'SIGCONT');
  frozen = false;
}

/** An entry with its lists in a canonical order (the host need not keep the IdP's order). */
function canonical(e: UnixAccount | UnixGroup): unknown {
  if ('members' in e) return { ...e, members: [...e.members].sort() };
  return { ...e, sshkeys: [...e.sshkeys].sort(), groups: [...e.groups].sort((x, y) => x.name.localeCompare(y.name)) };
}

function rows(table: 'account' | 'grp'): unknown[] {
  const db = new Database(d.cacheDb, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT data FROM ${table} ORDER BY uuid`).all() as Array<{ data: string }>)
      .map((r) => canonical(JSON.parse(r.data) as UnixAccount | UnixGroup));
  } finally {
    db.close();
  }
}

/** The host's cache and a full listing of the IdP now, each as canonical JSON lines. */
async function both(): Promise<{ host: string[]; idp: string[] }> {
  const byUuid = (x: { uuid: string }, y: { uuid: string }) => (x.uuid < y.uuid ? -1 : 1);
  // A fresh listing as this host would store it: through its own checks (idp/sanitize.ts).
  const accepted = <T>(c: Checked<T>): T[] => (c.ok ? [c.value] : []);
  const accounts = (await idp.admin.call<unknown[]>('unix_account_list')).flatMap((a) => accepted(checkAccount(a))).sort(byUuid);
  // The legacy listing includes each account's personal group; sync leaves those to the host,
  // which derives them (render.ts privateGroupOf): compare them as derived from the host's rows.
  const personal = new Set(accounts.map((a) => a.uuid));
  const groups = (await idp.admin.call<unknown[]>('unix_group_list')).flatMap((g) => accepted(checkGroup(g))).sort(byUuid);
  const hostAccounts = rows('account') as UnixAccount[];
  const derived = hostAccounts.flatMap((a) => privateGroupOf(a) ?? []).filter((g) => groups.some((x) => x.uuid === g.uuid));
  return {
    host: [...hostAccounts, ...rows('grp'), ...derived].map((r) => JSON.stringify(canonical(r as UnixAccount))),
    idp: [...accounts, ...groups.filter((g) => !personal.has(g.uuid)), ...groups.filter((g) => personal.has(g.uuid))]
      .map((r) => JSON.stringify(canonical(r))),
  };
}

/** Whether the host's cache holds exactly what a full listing of the IdP gives now. */
async function hostEqualsListing(): Promise<boolean> {
  const { host, idp: listing } = await both();
  return JSON.stringify(host) === JSON.stringify(listing);
}

/** What differs, for the failure message. */
async function difference(): Promise<string> {
  const { host, idp: listing } = await both();
  const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  return `only on the host:\n  ${only(host, listing).join('\n  ')}\nonly at the IdP:\n  ${only(listing, host).join('\n  ')}`;
}

beforeAll(async () => {
  idp = await startIdp({ process: true });
  d = await startUnixd(idp.server);
  await waitForLive(d);
}, 120_000);

afterAll(async () => {
  await thaw();
  await d?.close();
  await idp?.close();
});

test('random directory changes with the host away at random points: the host cache always equals a fresh full listing', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 10 }), async (cmds) => {
      for (const c of cmds) await run(c);
      await thaw();
      if (d.pid() === undefined) await d.start();
      try {
        await waitFor(hostEqualsListing, 'the host cache to equal a full listing', 20_000);
      } catch (e) {
        const log = d.output().split('\n').filter((l) => !l.includes('request STATUS')).slice(-15).join('\n');
        throw new Error(`${(e as Error).message}\n${await difference()}\nthe daemon's log ends:\n${log}`);
      }
      return true;
    }),
    { numRuns: 12, endOnFailure: true },
  );
  expect(await hostEqualsListing()).toBe(true);
}, 300_000);

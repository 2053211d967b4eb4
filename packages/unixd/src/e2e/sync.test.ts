/**
 * Incremental sync against a real wardd (child process) and the real ward-unixd: the first
 * listing, changes pushed to a connected host without `cache-invalidate` (a deleted SSH key, a
 * locked account), a host that slept through changes (stopped, or frozen with SIGSTOP) catching
 * up from its stored cursor without listing again, a cursor the IdP does not know (resync), and
 * the IdP going away and coming back. The 5 s bound is the one issue 9 sets for a connected host.
 */
import Database from 'better-sqlite3';
import { chownSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { STATUS } from '@ward/proto';
import { backoffMs, OFFLINE_RETRY_MS, RETRY_BASE_MS } from '../resolver/sync.js';
import {
  makeGroup, makeUser, NOBODY, NOGROUP, startIdp, startUnixd, testSshKey, waitFor, waitForLive, type DaemonHandle, type Idp,
} from '../test-support/harness.js';

let idp: Idp;
let d: DaemonHandle;

const keysOf = async (name: string) => (await d.call('SSH_KEYS', { name })).msg['keys'] as string[] | undefined;
const listings = () => d.output().match(/listed the directory/g)?.length ?? 0;

beforeAll(async () => {
  idp = await startIdp({ process: true });
  await makeUser(idp.admin, 'alice', { keys: [testSshKey(), testSshKey()] });
  await makeUser(idp.admin, 'bob');
  await makeGroup(idp.admin, 'devs', ['alice', 'bob']);
  d = await startUnixd(idp.server, { config: { allowed_login_groups: ['devs'] } });
  await waitForLive(d);
}, 120_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

/** STATUS's counts are recounted at most once a second: wait for them. */
const counted = (users: number) => waitFor(async () => (await d.call('STATUS')).msg['users'] === users, `${users} users counted`);

test('the first sync lists every account and group, then follows the change log', async () => {
  await counted(2);
  const s = (await d.call('STATUS')).msg;
  expect(s).toMatchObject({ online: 1, users: 2, groups: 1, sync_state: 'live' });
  expect(s['last_change_age']).not.toBe(0xffffffff);
  expect((await d.call('GR_BY_NAME', { name: 'devs' })).msg['entry']).toMatchObject({ members: ['alice', 'bob'] });
  expect((await d.call('GR_BY_NAME', { name: 'alice' })).msg['entry']).toMatchObject({ members: ['alice'] }); // private group, derived
  expect(listings()).toBe(1);
});

test('a deleted SSH key is refused on a connected host within 5 s, without cache-invalidate', async () => {
  expect(await keysOf('alice')).toHaveLength(2);
  await idp.admin.call('person_ssh_delete', { params: { id: 'alice', tag: 'k0' } });
  await waitFor(async () => (await keysOf('alice'))?.length === 1, 'the deleted key to be gone', 5000);
});

test('a locked account is refused on a connected host within 5 s, and a new user appears', async () => {
  expect((await d.call('PAM_ACCOUNT', { name: 'bob' }, true)).status).toBe(STATUS.OK);
  await idp.admin.call('person_update', { params: { id: 'bob' }, body: { locked: true } });
  await makeUser(idp.admin, 'carol');
  await waitFor(async () => (await d.call('PAM_ACCOUNT', { name: 'bob' }, true)).status === STATUS.DENIED, 'bob refused', 5000);
  await waitFor(async () => (await d.call('PW_BY_NAME', { name: 'carol' })).status === STATUS.OK, 'carol', 5000);
  await idp.admin.call('person_update', { params: { id: 'bob' }, body: { locked: false } });
  await waitFor(async () => (await d.call('PAM_ACCOUNT', { name: 'bob' }, true)).status === STATUS.OK, 'bob unlocked', 5000);
});

test('a host that slept through changes (stopped) catches up from its cursor, without listing again', async () => {
  expect(await d.stop()).toBe(0);
  await idp.admin.call('person_delete', { params: { id: 'carol' } });
  await makeUser(idp.admin, 'dave', { keys: [testSshKey()] });
  await idp.admin.call('group_members_remove', { params: { id: 'devs' }, body: { members: ['bob'] } });
  await idp.admin.call('person_ssh_delete', { params: { id: 'alice', tag: 'k1' } });
  const before = listings();
  await d.start();
  await waitFor(async () => (await d.call('PW_BY_NAME', { name: 'dave' })).status === STATUS.OK, 'dave');
  await waitFor(async () => (await d.call('PW_BY_NAME', { name: 'carol' })).status === STATUS.NOT_FOUND, 'carol gone');
  await waitFor(async () => (await keysOf('alice'))?.length === 0, 'alice without keys');
  expect((await d.call('GR_BY_NAME', { name: 'devs' })).msg['entry']).toMatchObject({ members: ['alice'] });
  await counted(3);
  expect(listings()).toBe(before);
}, 60_000);

test('a host frozen with SIGSTOP catches up after SIGCONT', async () => {
  const pid = d.pid()!;
  process.kill(pid, 'SIGSTOP');
  try {
    await makeUser(idp.admin, 'erin');
    await idp.admin.call('group_members_add', { params: { id: 'devs' }, body: { members: ['bob'] } });
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await waitFor(async () => (await d.call('PW_BY_NAME', { name: 'erin' })).status === STATUS.OK, 'erin', 5000);
  await waitFor(async () => {
    const g = (await d.call('GR_BY_NAME', { name: 'devs' })).msg['entry'] as { members: string[] } | undefined;
    return g?.members.includes('bob');
  }, 'bob back in devs', 5000);
}, 30_000);

test('a cursor the IdP does not know makes the host list everything again', async () => {
  expect(await d.stop()).toBe(0);
  const db = new Database(d.cacheDb);
  db.prepare("UPDATE meta SET value = 'not-a-cursor-of-this-idp' WHERE key = 'cursor'").run();
  db.close();
  // Opened as root: give every file of the cache back to the daemon's user.
  for (const f of [d.cacheDb, `${d.cacheDb}-wal`, `${d.cacheDb}-shm`]) if (existsSync(f)) chownSync(f, NOBODY, NOGROUP);
  await makeUser(idp.admin, 'frank');
  const before = listings();
  await d.start();
  await waitFor(() => listings() === before + 1, 'a second listing');
  await waitForLive(d);
  expect(d.output()).toMatch(/does not know this host's cursor/);
  expect((await d.call('PW_BY_NAME', { name: 'frank' })).status).toBe(STATUS.OK);
  await counted(5);
}, 60_000);

test('cache-invalidate lists everything again in the background; lookups keep answering', async () => {
  const before = listings();
  expect((await d.call('CACHE_INVALIDATE', {}, true)).status).toBe(STATUS.OK);
  expect((await d.call('PW_BY_NAME', { name: 'alice' })).status).toBe(STATUS.OK);
  await waitFor(() => listings() === before + 1, 'the listing after invalidate');
  await waitForLive(d);
}, 30_000);

test('the IdP going away and coming back: offline meanwhile, then changes made after its return arrive', async () => {
  await idp.server.stop();
  await waitFor(async () => (await d.call('STATUS')).msg['online'] === 0, 'offline');
  expect((await d.call('PW_BY_NAME', { name: 'alice' })).status).toBe(STATUS.OK); // the cache serves
  await idp.server.start();
  await waitFor(async () => (await d.call('STATUS')).msg['sync_state'] === 'live', 'live again', 30_000);
  await makeUser(idp.admin, 'gina');
  await waitFor(async () => (await d.call('PW_BY_NAME', { name: 'gina' })).status === STATUS.OK, 'gina', 5000);
}, 90_000);

test('reconnect delays: exponential, full jitter, never above OFFLINE_RETRY_MS', () => {
  expect(backoffMs(1, () => 0)).toBe(0);
  expect(backoffMs(1, () => 0.999)).toBeLessThan(2 * RETRY_BASE_MS);
  expect(backoffMs(3, () => 0.999)).toBeGreaterThan(backoffMs(2, () => 0.999));
  for (const failures of [5, 10, 100, 10_000]) expect(backoffMs(failures, () => 0.999999)).toBeLessThan(OFFLINE_RETRY_MS);
  // Spread: 1,000 hosts failing together pick delays across the whole window, not one moment.
  const delays = Array.from({ length: 1000 }, () => backoffMs(10));
  expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(OFFLINE_RETRY_MS / 2);
});

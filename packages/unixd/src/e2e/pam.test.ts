/**
 * The daemon's PAM ops against `wardd` as a child process: password checks online, then offline
 * (IdP hung, then stopped) against the cached hash of the last good password; a password the IdP
 * stops accepting stops working offline too; the account check by nested group membership and
 * lock; the session of an unknown user and password-change answers. Passwords never reach the
 * log or the cache file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { STATUS } from '@ward/proto';
import { makeGroup, makeUser, startIdp, startUnixd, cachedHashNames, waitFor, waitForRefresh, type DaemonHandle, type Idp } from '../test-support/harness.js';

const ALICE_PW = 'alice unix password 1';
const ALICE_PW2 = 'alice unix password 2';
const BOB_PW = 'bob unix password 1';
let idp: Idp;
let d: DaemonHandle;

const auth = (name: string, password: string) => d.call('PAM_AUTH', { name, password }, true);
const account = (name: string) => d.call('PAM_ACCOUNT', { name }, true);

beforeAll(async () => {
  idp = await startIdp({ process: true });
  await makeUser(idp.admin, 'alice', { password: ALICE_PW });
  await makeUser(idp.admin, 'bob', { password: BOB_PW });
  await makeUser(idp.admin, 'carol', { password: 'carol unix password' });
  await makeGroup(idp.admin, 'devs', ['alice', 'carol']);
  await makeGroup(idp.admin, 'staff', ['devs']);
  await idp.admin.call('person_update', { params: { id: 'carol' }, body: { locked: true } });
  d = await startUnixd(idp.server, { config: { allowed_login_groups: ['staff'], idp_timeout_ms: 1000 } });
  await waitForRefresh(d, 3);
}, 120_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

test('account: allowed through a nested group; refused outside it or when locked, with a message for the user', async () => {
  expect((await account('alice')).status).toBe(STATUS.OK);
  expect(await account('bob')).toMatchObject({ status: STATUS.DENIED, message: 'bob is not a member of a group allowed to log in on this host' });
  expect(await account('carol')).toMatchObject({ status: STATUS.DENIED, message: 'the account carol is locked' });
  expect((await account('zed')).status).toBe(STATUS.NOT_FOUND);
});

test('session of an unknown user, and password change', async () => {
  // Sessions of known users create their home through ward-unixd-tasks: home-session.test.ts.
  expect((await d.call('PAM_SESSION', { name: 'zed' }, true)).status).toBe(STATUS.NOT_FOUND);
  const r = await d.call('PAM_CHAUTHTOK', { name: 'alice', old_password: ALICE_PW, new_password: 'x'.repeat(12) }, true);
  expect(r).toMatchObject({ status: STATUS.DENIED, message: expect.stringMatching(/change your password with the IdP/) });
});

test('auth online: the right password is accepted, a wrong one or an unknown user refused', async () => {
  expect((await auth('alice', ALICE_PW)).status).toBe(STATUS.OK);
  expect((await auth('alice', 'wrong password')).status).toBe(STATUS.AUTH_FAILED);
  expect((await auth(`alice@${idp.domain}`, ALICE_PW)).status).toBe(STATUS.OK);
  expect((await auth('zed', 'whatever pw')).status).toBe(STATUS.NOT_FOUND);
  expect((await auth('alice', '')).status).toBe(STATUS.AUTH_FAILED);
});

test('auth with the IdP hung: the cached last good password works, a wrong one does not', async () => {
  process.kill(idp.server.pid, 'SIGSTOP');
  try {
    expect((await auth('alice', ALICE_PW)).status).toBe(STATUS.OK);
    expect((await auth('alice', 'wrong password')).status).toBe(STATUS.AUTH_FAILED);
    expect((await auth('bob', BOB_PW)).status).toBe(STATUS.UNAVAILABLE);
    expect((await account('alice')).status).toBe(STATUS.OK);
  } finally {
    process.kill(idp.server.pid, 'SIGCONT');
  }
  await waitFor(async () => {
    await d.call('CACHE_INVALIDATE', {}, true);
    return (await d.call('STATUS')).msg['online'] === 1;
  }, 'back online', 30_000);
}, 60_000);


test('a password the IdP no longer accepts is dropped from the offline cache', async () => {
  expect(cachedHashNames(d)).toContain('alice');
  await idp.admin.call('person_unix_password_set', { params: { id: 'alice' }, body: { password: ALICE_PW2 } });
  expect((await auth('alice', ALICE_PW)).status).toBe(STATUS.AUTH_FAILED);
  // Gone by the time the refusal is answered: sync brought the new password_changed_at (which
  // drops it, password-change.test.ts), or the IdP's refusal of the cached password did.
  expect(cachedHashNames(d)).not.toContain('alice');
  expect((await auth('alice', ALICE_PW2)).status).toBe(STATUS.OK);
  expect((await auth('bob', BOB_PW)).status).toBe(STATUS.OK);
});

test('auth with the IdP stopped: the new password works offline, the old one does not', async () => {
  await idp.server.stop();
  expect((await auth('alice', ALICE_PW2)).status).toBe(STATUS.OK);
  expect((await auth('alice', ALICE_PW)).status).toBe(STATUS.AUTH_FAILED);
  expect((await auth('bob', BOB_PW)).status).toBe(STATUS.OK);
  expect((await auth('bob', ALICE_PW2)).status).toBe(STATUS.AUTH_FAILED);
  expect((await account('bob')).status).toBe(STATUS.DENIED);
  expect(d.output()).toMatch(/PAM auth "alice": OK - authenticated offline from the cached password/);
}, 30_000);

test('no password ever reaches the log or the cache file in clear', () => {
  const cache = [d.cacheDb, `${d.cacheDb}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f).toString('latin1')).join('');
  expect(cache).toContain('$argon2id$');
  for (const pw of [ALICE_PW, ALICE_PW2, BOB_PW, 'wrong password']) {
    expect(d.output()).not.toContain(pw);
    expect(cache).not.toContain(pw);
  }
  expect(d.output()).toMatch(/PAM_AUTH name="alice" password=<redacted>/);
});

/**
 * The real daemon (as `nobody`) against a real IdP: users and groups by name, SPN and number,
 * nested groups, initgroups, SSH keys, enumeration pages, local /etc precedence, name_format,
 * and who may ask what on which socket.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ENUM_PAGE, STATUS } from '@ward/proto';
import {
  BASE_GROUP, BASE_PASSWD, DAEMON_BIN, makeGroup, makeUser, startIdp, startUnixd, testSshKey, waitFor, waitForRefresh,
  type DaemonHandle, type Idp,
} from '../test-support/harness.js';

const MANY = ENUM_PAGE + 20;
let idp: Idp;
let d: DaemonHandle;
const uid: Record<string, number> = {};
const gid: Record<string, number> = {};
let aliceKey: string;

beforeAll(async () => {
  idp = await startIdp();
  aliceKey = testSshKey('ed25519', 'alice@laptop');
  for (const name of ['alice', 'bob', 'carol', 'dave']) {
    uid[name] = (await makeUser(idp.admin, name, name === 'alice' ? { keys: [aliceKey] } : {})).uid;
  }
  gid['devs'] = (await makeGroup(idp.admin, 'devs', ['alice']))!;
  gid['staff'] = (await makeGroup(idp.admin, 'staff', ['devs', 'bob']))!;
  gid['ops'] = (await makeGroup(idp.admin, 'ops', ['alice']))!;
  gid['qa'] = (await makeGroup(idp.admin, 'qa', ['alice']))!;
  await makeGroup(idp.admin, 'notposix', ['alice'], false);
  for (let i = 0; i < MANY; i++) await makeUser(idp.admin, `user${String(i).padStart(3, '0')}`);
  d = await startUnixd(idp.server, {
    // carol clashes by name, dave by uid; ops by group name, qa by gid.
    passwd: `${BASE_PASSWD}carol:x:1500:1500:local carol:/home/carol:/bin/sh\nlocaldave:x:${uid['dave']}:100::/home/ld:/bin/sh\n`,
    group: `${BASE_GROUP}ops:x:1600:\nlocalqa:x:${gid['qa']}:\n`,
  });
  await waitForRefresh(d, 4 + MANY);
}, 120_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

describe('users', () => {
  test('by name, by SPN and by uid, as a passwd entry', async () => {
    const expected = { name: 'alice', uid: uid['alice'], gid: uid['alice'], gecos: 'alice Example', dir: '/home/alice', shell: '/bin/bash' };
    expect((await d.call('PW_BY_NAME', { name: 'alice' })).msg['entry']).toEqual(expected);
    expect((await d.call('PW_BY_NAME', { name: `alice@${idp.domain}` })).msg['entry']).toEqual(expected);
    expect((await d.call('PW_BY_UID', { uid: uid['alice']! })).msg['entry']).toEqual(expected);
  });

  test('unknown, foreign-domain and malformed names are not found', async () => {
    for (const name of ['zed', 'alice@other.test', 'Alice', '', '../etc/passwd', 'a b']) {
      expect((await d.call('PW_BY_NAME', { name })).status, name).toBe(STATUS.NOT_FOUND);
    }
    expect((await d.call('PW_BY_UID', { uid: 0 })).status).toBe(STATUS.NOT_FOUND);
    expect((await d.call('PW_BY_UID', { uid: 4_000_000_000 })).status).toBe(STATUS.NOT_FOUND);
  });

  test('a user created after the last refresh resolves on its first lookup', async () => {
    const { uid: eveUid } = await makeUser(idp.admin, 'eve');
    const r = await d.call('PW_BY_NAME', { name: 'eve' });
    expect(r.status).toBe(STATUS.OK);
    expect((r.msg['entry'] as { uid: number }).uid).toBe(eveUid);
  });

  test('SSH keys: the directory key for alice, none for bob, not found for strangers', async () => {
    const keys = (await d.call('SSH_KEYS', { name: 'alice' })).msg['keys'] as string[];
    expect(keys.map((k) => k.split(' ').slice(0, 2).join(' '))).toEqual([aliceKey.split(' ').slice(0, 2).join(' ')]);
    expect(await d.call('SSH_KEYS', { name: 'bob' })).toMatchObject({ status: STATUS.OK, msg: { keys: [] } });
    expect((await d.call('SSH_KEYS', { name: 'zed' })).status).toBe(STATUS.NOT_FOUND);
  });
});

describe('groups', () => {
  test('by name, SPN and gid, with members through nested groups', async () => {
    expect((await d.call('GR_BY_NAME', { name: 'devs' })).msg['entry']).toEqual({ name: 'devs', gid: gid['devs'], members: ['alice'] });
    const staff = { name: 'staff', gid: gid['staff'], members: ['alice', 'bob'] };
    expect((await d.call('GR_BY_NAME', { name: `staff@${idp.domain}` })).msg['entry']).toEqual(staff);
    expect((await d.call('GR_BY_GID', { gid: gid['staff']! })).msg['entry']).toEqual(staff);
  });

  test("a user's own primary group resolves by name and gid", async () => {
    const own = { name: 'bob', gid: uid['bob'], members: ['bob'] };
    expect((await d.call('GR_BY_NAME', { name: 'bob' })).msg['entry']).toEqual(own);
    expect((await d.call('GR_BY_GID', { gid: uid['bob']! })).msg['entry']).toEqual(own);
  });

  test('initgroups: own group, direct and nested groups, minus groups shadowed locally', async () => {
    const gids = (await d.call('INITGROUPS', { name: 'alice' })).msg['gids'] as number[];
    expect(gids[0]).toBe(uid['alice']);
    expect(new Set(gids)).toEqual(new Set([uid['alice'], gid['devs'], gid['staff']]));
    expect((await d.call('INITGROUPS', { name: 'zed' })).status).toBe(STATUS.NOT_FOUND);
  });
});

describe('local users and groups win', () => {
  test('a directory user with a local name or uid is hidden everywhere', async () => {
    for (const [op, msg] of [
      ['PW_BY_NAME', { name: 'carol' }], ['PW_BY_NAME', { name: `carol@${idp.domain}` }], ['PW_BY_UID', { uid: uid['carol']! }],
      ['SSH_KEYS', { name: 'carol' }], ['INITGROUPS', { name: 'carol' }], ['PW_BY_NAME', { name: 'dave' }],
      ['PW_BY_UID', { uid: uid['dave']! }], ['GR_BY_NAME', { name: 'ops' }], ['GR_BY_GID', { gid: gid['qa']! }],
    ] as const) {
      expect((await d.call(op, msg)).status, `${op} ${JSON.stringify(msg)}`).toBe(STATUS.NOT_FOUND);
    }
    expect(d.output()).toMatch(/directory user carol@ward\.test is hidden: a local user has the same name carol/);
    expect(d.output()).toMatch(new RegExp(`directory user dave@ward\\.test is hidden: a local user has the same uid ${uid['dave']}`));
    expect(d.output().match(/directory user carol@ward\.test is hidden/g)).toHaveLength(1);
  });

  test('a change to the local files takes effect without a restart', async () => {
    appendFileSync(d.passwdFile, `bob:x:1700:1700::/home/bob:/bin/sh\n`);
    await waitFor(async () => (await d.call('PW_BY_NAME', { name: 'bob' })).status === STATUS.NOT_FOUND, 'bob hidden');
    // "bob" in a directory group now names the local bob, who must not gain that group.
    expect((await d.call('GR_BY_NAME', { name: 'staff' })).msg['entry']).toMatchObject({ members: ['alice'] });
    const page = (await d.call('GR_ENUM', { offset: 0 })).msg['entries'] as Array<{ name: string; members: string[] }>;
    expect(page.find((g) => g.name === 'staff')?.members).toEqual(['alice']);
    writeFileSync(d.passwdFile, readFileSync(d.passwdFile, 'utf8').replace(/^bob:.*\n/m, ''));
    await waitFor(async () => (await d.call('PW_BY_NAME', { name: 'bob' })).status === STATUS.OK, 'bob visible again');
  });
});

describe('enumeration', () => {
  test('passwd pages are stable, sorted by uid, complete, and leave hidden users out', async () => {
    const pages: Array<Array<{ name: string; uid: number }>> = [];
    for (let offset = 0; ; offset += ENUM_PAGE) {
      const page = (await d.call('PW_ENUM', { offset })).msg['entries'] as Array<{ name: string; uid: number }>;
      expect(page.length).toBeLessThanOrEqual(ENUM_PAGE);
      pages.push(page);
      if (page.length < ENUM_PAGE) break;
    }
    expect(pages.length).toBeGreaterThan(1);
    const all = pages.flat();
    const names = all.map((e) => e.name);
    expect(names).toContain('alice');
    expect(names).toContain(`user${String(MANY - 1).padStart(3, '0')}`);
    expect(names).not.toContain('carol');
    expect(names).not.toContain('dave');
    expect(new Set(names).size).toBe(names.length);
    expect(all.map((e) => e.uid)).toEqual([...all.map((e) => e.uid)].sort((a, b) => a - b));
    const again = (await d.call('PW_ENUM', { offset: ENUM_PAGE })).msg['entries'];
    expect(again).toEqual(pages[1]);
    expect((await d.call('PW_ENUM', { offset: 1_000_000 })).msg['entries']).toEqual([]);
  });

  test('group pages hold real and private groups, not shadowed or non-POSIX ones', async () => {
    const page = (await d.call('GR_ENUM', { offset: 0 })).msg['entries'] as Array<{ name: string; members: string[] }>;
    const names = page.map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['alice', 'devs', 'staff']));
    expect(names).not.toContain('ops');
    expect(names).not.toContain('qa');
    expect(names).not.toContain('notposix');
    expect(page.find((g) => g.name === 'staff')?.members).toEqual(['alice', 'bob']);
  });
});

describe('sockets', () => {
  test('the public socket is 0666, the privileged one 0600', () => {
    expect(statSync(d.socket).mode & 0o777).toBe(0o666);
    expect(statSync(d.priv).mode & 0o777).toBe(0o600);
  });

  test('privileged ops are refused on the public socket and served on the privileged one', async () => {
    for (const [op, msg] of [
      ['PAM_AUTH', { name: 'alice', password: 'x' }], ['PAM_ACCOUNT', { name: 'alice' }], ['PAM_SESSION', { name: 'alice' }],
      ['PAM_CHAUTHTOK', { name: 'alice', old_password: 'a', new_password: 'b' }], ['CACHE_CLEAR', {}], ['CACHE_INVALIDATE', {}],
    ] as const) {
      expect((await d.call(op, msg)).status, op).toBe(STATUS.FORBIDDEN);
    }
    expect((await d.call('PW_BY_NAME', { name: 'alice' }, true)).status).toBe(STATUS.OK);
    expect(d.output()).not.toMatch(/password="x"/);
  });

  test('STATUS reports the IdP, online, and the cache size', async () => {
    const s = (await d.call('STATUS')).msg;
    expect(s).toMatchObject({ online: 1, idp_url: idp.server.url });
    expect(s['users']).toBeGreaterThanOrEqual(4 + MANY);
    expect(s['last_refresh_age']).toBeLessThan(300);
  });
});

describe('name_format = "spn"', () => {
  test('names and members come out as SPNs; both forms still resolve', async () => {
    // Its sockets go in a folder the daemon must create: reachable by every user despite umask 077.
    const run = `${d.dir}/spn-run/sub`;
    const spnd = await startUnixd(idp.server, { config: { name_format: 'spn', socket: `${run}/s`, priv_socket: `${run}/p` } });
    try {
      expect(statSync(run).mode & 0o777).toBe(0o755);
      expect(statSync(`${d.dir}/spn-run`).mode & 0o777).toBe(0o755);
      const dom = idp.domain;
      expect((await spnd.call('PW_BY_NAME', { name: 'alice' })).msg['entry']).toMatchObject({ name: `alice@${dom}` });
      expect((await spnd.call('PW_BY_NAME', { name: `alice@${dom}` })).msg['entry']).toMatchObject({ name: `alice@${dom}` });
      expect((await spnd.call('GR_BY_NAME', { name: 'staff' })).msg['entry']).toEqual({
        name: `staff@${dom}`, gid: gid['staff'], members: [`alice@${dom}`, `bob@${dom}`],
      });
    } finally {
      await spnd.close();
    }
  });
});

test('ward-unixd refuses to run as root; --check validates a configuration without serving', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [DAEMON_BIN, ...args], { encoding: 'utf8', timeout: 10_000 });
  const r = run('-c', d.configPath);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/must not run as root/);
  expect(run('--check', '-c', d.configPath)).toMatchObject({ status: 0, stdout: `${d.configPath}: OK\n` });
  const bad = `${d.dir}/bad.toml`;
  writeFileSync(bad, 'idp_url = "https://idm.example.com"\nhome_by = "guess"\n');
  const refused = run('--check', '-c', bad);
  expect(refused.status).toBe(78);
  expect(refused.stderr).toMatch(/key "home_by" must be one of "uuid", "name" \(got "guess"\)/);
});

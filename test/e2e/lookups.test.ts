/**
 * Issue 3 §7 end to end: users, groups and SSH keys that exist only in the IdP resolve on a host
 * and log in over ssh, and keep doing so while the IdP is down or hung.
 *
 * Everything is real: `wardd` as a child process, `ward-unixd` as `nobody` on its default
 * sockets, libnss_ward.so.2 loaded by glibc for getent/id/sshd, `kanidm-ssh-authorizedkeys` run
 * by sshd (`UsePAM no`) as its AuthorizedKeysCommand, the OpenSSH client with ssh-keygen keys.
 * All of it inside one private mount namespace (hostenv.ts); the last test checks that the
 * machine's own files did not change.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, expect, test } from 'vitest';
import { OPS, REQUEST_MAX, STATUS, decodeResponse, encodeRequest } from '@ward/proto';
import { FrameReader, frame } from '@ward/proto/node';
import { makeGroup, makeUser, startIdp, type Idp } from '../../packages/unixd/src/test-support/harness.js';
import { KEYCMD } from '../native/helpers.js';
import { HostEnv, ROOT, hostFingerprint, requireHost, setUpSuite, type RunResult } from './hostenv.js';
import { makeSshKey, ssh, startSshd, type Sshd, type SshKey } from './sshd.js';
import { startUnixd, waitFor, type Unixd } from './unixd.js';

let before: Record<string, string>;
let idp: Idp | undefined;
let env: HostEnv | undefined;
let unixd: Unixd | undefined;
let sshd: Sshd | undefined;
const keys: Record<string, SshKey> = {};
const uid: Record<string, number> = {};
const gid: Record<string, number> = {};
/** What a user saw while the IdP was up: the same must be seen while it is down. */
const online: Record<string, string> = {};

setUpSuite(async () => {
  requireHost({ files: [KEYCMD] });
  before = hostFingerprint();
  idp = await startIdp({ process: true });
  env = await HostEnv.create();
  for (const name of ['alice', 'bob', 'carol']) {
    keys[name] = makeSshKey(env.dir, name);
    uid[name] = (await makeUser(idp.admin, name, { keys: [keys[name]!.publicKey] })).uid;
  }
  gid['devs'] = (await makeGroup(idp.admin, 'devs', ['alice']))!;
  gid['eng'] = (await makeGroup(idp.admin, 'eng', ['devs', 'bob']))!;
  // Debian has a local group named staff: the directory's must stay hidden behind it.
  gid['staff'] = (await makeGroup(idp.admin, 'staff', ['alice']))!;
  unixd = await startUnixd(env, idp.server);
  await unixd.waitForRefresh(3);
  sshd = await startSshd(env, { usePam: false });
}, 120_000);

afterAll(async () => {
  if (idp?.server.running) process.kill(idp.server.pid, 'SIGCONT');
  await sshd?.stop().catch(() => {});
  await unixd?.close().catch(() => {});
  await env?.close();
  await idp?.close();
}, 60_000);

const sh = (cmd: string[]) => env!.run(cmd);
const loginAs = (user: string, key = keys[user]!) => ssh(env!, sshd!, user, key, 'id');

/** The groups `id` prints, as names (order is the NSS module's business). */
function groupNames(idOutput: string): string[] {
  const m = /groups=(\S+)/.exec(idOutput);
  return (m?.[1] ?? '').split(',').map((g) => /\((.*)\)/.exec(g)?.[1] ?? g).sort();
}

function explain(r: RunResult): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nsshd log:\n${sshd?.log().slice(-3000)}\nward-unixd:\n${unixd?.output().slice(-3000)}`;
}

test('getent passwd alice: a user that exists only in the IdP resolves, by name and by uid', async () => {
  const line = `alice:*:${uid['alice']}:${uid['alice']}:alice Example:/home/alice:/bin/bash\n`;
  const byName = await sh(['getent', 'passwd', 'alice']);
  expect(byName.code, explain(byName)).toBe(0);
  expect(byName.stdout).toBe(line);
  expect((await sh(['getent', 'passwd', String(uid['alice'])])).stdout).toBe(line);
  online['passwd'] = byName.stdout;
});

test('getent group devs and eng: directory groups with their members, nested ones included', async () => {
  const devs = await sh(['getent', 'group', 'devs']);
  expect(devs.code, explain(devs)).toBe(0);
  expect(devs.stdout).toBe(`devs:x:${gid['devs']}:alice\n`);
  const eng = await sh(['getent', 'group', String(gid['eng'])]);
  expect(eng.stdout).toMatch(new RegExp(`^eng:x:${gid['eng']}:`));
  expect(eng.stdout.trim().split(':')[3]!.split(',').sort()).toEqual(['alice', 'bob']);
  online['group'] = devs.stdout;
});

test('id alice: membership of devs and, through devs nested in eng, of eng', async () => {
  const r = await sh(['id', 'alice']);
  expect(r.code, explain(r)).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^uid=${uid['alice']}\\(alice\\) gid=${uid['alice']}\\(alice\\) `));
  expect(groupNames(r.stdout)).toEqual(['alice', 'devs', 'eng']);
  online['id'] = r.stdout;
});

test('a local group wins over a directory group of the same name (staff)', async () => {
  const local = spawnSync('getent', ['group', 'staff'], { encoding: 'utf8' }).stdout;
  expect(local).toMatch(/^staff:x:\d+:/);
  expect((await sh(['getent', 'group', 'staff'])).stdout).toBe(local);
  expect((await sh(['getent', 'group', String(gid['staff'])])).code).toBe(2);
  expect((await sh(['id', '-G', 'alice'])).stdout).not.toContain(String(gid['staff']));
});

test('ssh alice@127.0.0.1 id: sshd takes the key from the directory, the session has alice\'s groups', async () => {
  const r = await loginAs('alice');
  expect(r.code, explain(r)).toBe(0);
  expect(r.stdout).toBe(online['id']);
  expect(sshd!.log()).toMatch(/Accepted publickey for alice from 127\.0\.0\.1/);
  // Another user's key is not alice's: the command printed only hers.
  const wrong = await loginAs('alice', keys['bob']);
  expect(wrong.code).toBe(255);
  expect(wrong.stderr).toMatch(/Permission denied \(publickey\)/);
  online['ssh'] = r.stdout;
});

/** getent, id and ssh show exactly what they showed online; an unknown name is not found within 1 s. */
async function sameAsOnline(unknown: string): Promise<void> {
  expect((await sh(['getent', 'passwd', 'alice'])).stdout).toBe(online['passwd']);
  expect((await sh(['getent', 'group', 'devs'])).stdout).toBe(online['group']);
  expect((await sh(['id', 'alice'])).stdout).toBe(online['id']);
  const login = await loginAs('alice');
  expect(login.code, explain(login)).toBe(0);
  expect(login.stdout).toBe(online['ssh']);
  await unknownIsNotFound(unknown);
}

/** `getent passwd NAME` for a name nobody has: "not found" (exit 2) within 1 s, asked twice (then remembered). */
async function unknownIsNotFound(name: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const miss = await sh(['getent', 'passwd', name]);
    expect(miss.code, explain(miss)).toBe(2); // getent: "key not found"
    expect(miss.stdout).toBe('');
    if (process.env.E2E_DEBUG) console.log(name, Math.round(miss.ms));
    expect(miss.ms, `getent passwd ${name} took ${Math.round(miss.ms)} ms`).toBeLessThan(1000);
  }
}

async function waitOnline(): Promise<void> {
  await waitFor(async () => {
    await unixd!.cli(['cache-invalidate']);
    return (await unixd!.call('STATUS')).msg['online'] === 1;
  }, 'ward-unixd to be back online', 30_000, 500);
}

test('wardd hung (SIGSTOP, its port accepts but never answers): lookups and ssh login from the cache', async () => {
  process.kill(idp!.server.pid, 'SIGSTOP');
  try {
    // First, while ward-unixd still believes the IdP is up: an unknown name asks it, and must not wait for it.
    await unknownIsNotFound('unknownuser');
    // Every entry stale: each lookup now also starts a refresh against the hung IdP.
    expect((await unixd!.cli(['cache-invalidate'])).code).toBe(0);
    await sameAsOnline('unknownuser1');
    await waitFor(async () => (await unixd!.call('STATUS')).msg['online'] === 0, 'ward-unixd to notice the IdP is gone');
    const status = await unixd!.cli(['status']);
    expect(status.stdout).toMatch(/offline \(serving from the cache\)/);
    await sameAsOnline('unknownuser2');
  } finally {
    process.kill(idp!.server.pid, 'SIGCONT');
  }
  await waitOnline();
}, 90_000);

test('wardd stopped: lookups and ssh login from the cache, also after ward-unixd restarts', async () => {
  await idp!.server.stop();
  try {
    expect((await unixd!.cli(['cache-invalidate'])).code).toBe(0);
    await sameAsOnline('unknownuser3');
    // The cache is on disk: a daemon started while the IdP is down still knows alice.
    await unixd!.stop();
    await unixd!.start();
    await sameAsOnline('unknownuser4');
  } finally {
    await idp!.server.start();
  }
  await waitOnline();
}, 90_000);

test('ward-unixd stopped: getent answers "not found" at once and local users still resolve', async () => {
  await unixd!.stop();
  try {
    const miss = await sh(['getent', 'passwd', 'alice']);
    expect(miss.code).toBe(2);
    expect(miss.ms, `getent passwd alice took ${Math.round(miss.ms)} ms`).toBeLessThan(1000);
    expect((await sh(['getent', 'passwd', 'root'])).stdout).toMatch(/^root:x:0:0:/);
    expect((await sh(['getent', 'group', 'root'])).stdout).toMatch(/^root:x:0:/);
    expect((await sh(['id', 'root'])).stdout).toMatch(/^uid=0\(root\) gid=0\(root\) groups=0\(root\)/);
    const login = await loginAs('alice');
    expect(login.code).toBe(255);
  } finally {
    await unixd!.start();
  }
  expect((await sh(['getent', 'passwd', 'alice'])).stdout).toBe(online['passwd']);
}, 60_000);

test('ward-unixd hung (SIGSTOP): cached users still resolve from the NSS map, other names give up within about a second, local users unaffected', async () => {
  // The daemon (restarted by the test before) publishes its map within moments: wait until the
  // map alone answers (a socket path that does not exist leaves the module nothing else).
  const mapOnly = { WARD_UNIXD_SOCKET: '/run/ward-unixd/no-such-socket', WARD_UNIXD_MAP: '/run/ward-unixd/nss.map' };
  await waitFor(async () => (await env!.run(['getent', 'passwd', 'alice'], { env: mapOnly })).stdout === online['passwd'], 'the NSS map to hold alice');
  unixd!.proc!.pause();
  try {
    // nss.map beside the socket holds alice: no socket round trip, so no wait on the hung daemon.
    expect((await sh(['getent', 'passwd', 'alice'])).stdout).toBe(online['passwd']);
    const miss = await sh(['getent', 'passwd', 'unknownuser5']);
    expect(miss.code).toBe(2);
    expect(miss.ms, `getent passwd unknownuser5 took ${Math.round(miss.ms)} ms`).toBeLessThan(2000);
    expect((await sh(['getent', 'passwd', 'root'])).stdout).toMatch(/^root:x:0:0:/);
  } finally {
    unixd!.proc!.resume();
  }
  expect((await sh(['getent', 'passwd', 'alice'])).stdout).toBe(online['passwd']);
}, 60_000);

test('an SSH key deleted in the IdP stops working after `ward-unix cache-invalidate`', async () => {
  expect((await loginAs('bob')).code).toBe(0);
  await idp!.admin.call('person_ssh_delete', { params: { id: 'bob', tag: 'k0' } });
  const inv = await unixd!.cli(['cache-invalidate']);
  expect(inv.code, explain(inv)).toBe(0);
  expect(inv.stdout).toMatch(/cache invalidated/);
  const refused = await waitFor(async () => {
    const r = await loginAs('bob');
    return r.code !== 0 ? r : undefined;
  }, 'bob\'s deleted key to be refused', 20_000, 250);
  expect(refused.stderr).toMatch(/Permission denied \(publickey\)/);
  // bob himself is still there, and alice's key still works.
  expect((await sh(['getent', 'passwd', 'bob'])).code).toBe(0);
  expect((await loginAs('alice')).code).toBe(0);
}, 60_000);

test('an SSH key deleted in the IdP is refused over ssh within 5 s, without cache-invalidate (sync pushes it)', async () => {
  expect((await loginAs('carol')).code).toBe(0);
  await idp!.admin.call('person_ssh_delete', { params: { id: 'carol', tag: 'k0' } });
  // Nobody runs any command on the host: the change reaches it through the sync stream.
  const refused = await waitFor(async () => {
    const r = await loginAs('carol');
    return r.code !== 0 ? r : undefined;
  }, 'carol\'s deleted key to be refused', 5000, 100);
  expect(refused.stderr).toMatch(/Permission denied \(publickey\)/);
  expect((await loginAs('alice')).code).toBe(0);
}, 60_000);

/** Raw bytes to /run/ward-unixd/sock from inside the namespace, as the unprivileged `nobody`. */
async function sendRaw(bytes: Buffer): Promise<{ closed: boolean; answers: Array<{ status: number; message: string }> }> {
  const r = await env!.run([process.execPath, `${ROOT}/test/e2e/tools/send-raw.mjs`, '/run/ward-unixd/sock', '8000'], {
    as: 'nobody', input: bytes,
  });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { closed: boolean; error: string; received: string };
  expect(out.error).toBe('');
  const reader = new FrameReader(1 << 20);
  const answers = reader.push(Buffer.from(out.received, 'hex')).map((f) => {
    const status = f.readUInt32BE(0);
    return { status, message: status === STATUS.OK ? '' : decodeResponse('STATUS', f).message };
  });
  return { closed: out.closed, answers };
}

const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

test.each([
  ['malformed: an unknown op', frame(u32(999)), /unknown op/],
  ['malformed: a name that is not UTF-8', frame(Buffer.concat([u32(OPS.PW_BY_NAME.code), u32(2), Buffer.from([0xc3, 0x28])])), /UTF-8/],
  ['truncated: a frame cut after 7 bytes', frame(encodeRequest('PW_BY_NAME', { name: 'alice' })).subarray(0, 7), /truncated/],
  ['truncated: a string longer than its frame', frame(Buffer.concat([u32(OPS.PW_BY_NAME.code), u32(100), Buffer.from('abc')])), /truncated/],
  ['oversized: a frame just above the request limit', Buffer.concat([u32(REQUEST_MAX + 1), Buffer.alloc(REQUEST_MAX + 1, 0x61)]), /exceeds/],
  ['oversized: 1 MiB announced as 4 GiB', Buffer.concat([u32(0xffffffff), Buffer.alloc(1 << 20, 0x61)]), /exceeds/],
])('%s is refused on the socket, and the daemon keeps serving', async (_what, bytes, message) => {
  const pid = unixd!.proc!.pid;
  const r = await sendRaw(bytes);
  expect(r.closed).toBe(true);
  expect(r.answers).toHaveLength(1);
  expect(r.answers[0]!.status).toBe(STATUS.BAD_REQUEST);
  expect(r.answers[0]!.message).toMatch(message);
  expect(unixd!.proc!.pid).toBe(pid);
  expect(unixd!.proc!.running).toBe(true);
  expect((await sh(['getent', 'passwd', 'alice'])).stdout).toBe(online['passwd']);
  expect((await sh(['id', 'alice'])).stdout).toBe(online['id']);
});

test('the machine itself is untouched: its nsswitch.conf, pam.d, sshd_config, /run and libraries', () => {
  expect(hostFingerprint()).toEqual(before);
  // Outside the namespace, nothing resolves through ward.
  expect(spawnSync('getent', ['passwd', 'alice']).status).toBe(2);
});

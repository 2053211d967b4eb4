/**
 * Issue 4 §6 end to end: logins on a host through PAM. sshd runs with `UsePAM yes` and a
 * service stack with pam_ward.so for auth, account and session, loaded by libpam from the
 * system's security folder. Shown as a user sees it: alice (allowed through a nested
 * group) logs in with her directory key and lands in a home directory that ward-unixd-tasks made
 * for her (owner alice, mode 0700, /etc/skel copied); dave, outside `allowed_login_groups`, is
 * refused with the reason in sshd's log; pamtester's password checks online, then from the
 * cached last good password with `wardd` stopped, and under pam/README.md's Debian layout
 * (pam_unix, then pam_ward); and with `wardd` hung a cached user's login completes within 2 s.
 *
 * Real programs throughout (wardd child, ward-unixd as nobody, ward-unixd-tasks as root, sshd,
 * ssh, pamtester) inside one private mount namespace (hostenv.ts), whose pam.d and /home are
 * private copies; the last test checks the machine's own files did not change.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { makeGroup, makeUser, startIdp, type Idp } from '../../packages/unixd/src/test-support/harness.js';
import { BUILD_LIB, KEYCMD, ROOT } from '../native/helpers.js';
import { HostEnv, hostFingerprint, requireHost, setUpSuite, type NsProcess, type RunResult } from './hostenv.js';
import { makeSshKey, ssh, startSshd, type Sshd, type SshKey } from './sshd.js';
import { TASKS_BIN, startTasks, startUnixd, waitFor, type Unixd } from './unixd.js';

const PAM_MODULE = path.join(BUILD_LIB, 'security/pam_ward.so');
/**
 * /etc/pam.d/sshd inside the namespace: one service file. Local accounts go through pam_unix,
 * directory accounts through pam_ward. In `account`, pam_ward comes first and a directory user
 * it accepts skips pam_unix, as deploy/install-host.sh arranges common-account (pam/README.md's
 * order, pam_unix first, is the `ward-debian` service below).
 */
const SSHD_PAM = [
  '# /etc/pam.d/sshd of the logins end-to-end suite',
  'auth     sufficient  pam_unix.so nodelay',
  'auth     required    pam_ward.so use_first_pass',
  'account  [success=done new_authtok_reqd=done user_unknown=ignore default=bad]  pam_ward.so',
  'account  required    pam_unix.so',
  'session  [default=bad success=ok user_unknown=ignore]  pam_ward.so',
  'session  required    pam_unix.so',
  '',
].join('\n');
/**
 * The Debian layout an administrator copies from pam/README.md (common-auth and common-account:
 * pam_unix's block as pam-auth-update writes it, then pam_ward), read from that file and
 * installed as one service, `ward-debian`: the documentation is what is tested.
 */
function readmeDebianStack(): string {
  const readme = readFileSync(path.join(ROOT, 'pam/README.md'), 'utf8');
  const block = readme.split('### Debian and Ubuntu')[1]?.split('```')[1] ?? '';
  const lines = block.split('\n').filter((l) => /^(auth|account)\s/.test(l));
  if (!lines.some((l) => l.startsWith('account')) || !lines.some((l) => l.includes('pam_ward.so'))) {
    throw new Error('pam/README.md has no Debian auth/account block with pam_ward.so under "### Debian and Ubuntu"');
  }
  return `# pam/README.md's Debian layout (common-auth, common-account)\n${lines.join('\n')}\n`;
}
const PASSWORD = { alice: 'correct-horse-battery-staple-7', wrong: 'incorrect-horse-battery-staple-7' };

let before: Record<string, string>;
let idp: Idp | undefined;
let env: HostEnv | undefined;
let unixd: Unixd | undefined;
let tasks: NsProcess | undefined;
let sshd: Sshd | undefined;
const keys: Record<string, SshKey> = {};
const uid: Record<string, number> = {};

setUpSuite(async () => {
  requireHost({ programs: ['pamtester'], files: [KEYCMD, PAM_MODULE, TASKS_BIN] });
  before = hostFingerprint();
  idp = await startIdp({ process: true });
  env = await HostEnv.create({ pamServices: { sshd: SSHD_PAM, 'ward-debian': readmeDebianStack() }, syslog: true });
  for (const name of ['alice', 'dave']) {
    keys[name] = makeSshKey(env.dir, name);
    const spec = { keys: [keys[name]!.publicKey], ...(name === 'alice' ? { password: PASSWORD.alice } : {}) };
    uid[name] = (await makeUser(idp.admin, name, spec)).uid;
  }
  await makeGroup(idp.admin, 'devs', ['alice']);
  await makeGroup(idp.admin, 'eng', ['devs']);
  // eng holds alice only through devs: nested membership is what lets her in.
  unixd = await startUnixd(env, idp.server, { allowed_login_groups: ['eng'] });
  await unixd.waitForRefresh(2);
  tasks = await startTasks(env, unixd);
  sshd = await startSshd(env, { usePam: true });
}, 120_000);

afterAll(async () => {
  if (idp?.server.running) process.kill(idp.server.pid, 'SIGCONT');
  await sshd?.stop().catch(() => {});
  await tasks?.stop().catch(() => {});
  await unixd?.close().catch(() => {});
  await env?.close();
  await idp?.close();
}, 60_000);

const sh = (cmd: string[]) => env!.run(cmd);

function explain(r: RunResult): string {
  return [
    `exit ${r.code}`, `stdout: ${r.stdout}`, `stderr: ${r.stderr}`,
    `sshd log:\n${sshd?.log().slice(-3000)}`, `ward-unixd:\n${unixd?.output().slice(-3000)}`, `ward-unixd-tasks:\n${tasks?.output().slice(-2000)}`,
  ].join('\n');
}

/** `pamtester sshd USER authenticate`, the password typed on stdin. */
const pamAuth = (user: string, password: string) => env!.run(['pamtester', 'sshd', user, 'authenticate'], { input: `${password}\n` });

test('ssh alice@127.0.0.1 id: PAM lets her in and her home directory is created, hers, mode 0700', async () => {
  expect((await sh(['test', '-e', '/home/alice'])).code).toBe(1);
  const r = await ssh(env!, sshd!, 'alice', keys['alice']!, 'id; pwd');
  expect(r.code, explain(r)).toBe(0);
  const [idLine, pwd] = r.stdout.trim().split('\n');
  expect(idLine).toMatch(new RegExp(`^uid=${uid['alice']}\\(alice\\) gid=${uid['alice']}\\(alice\\) groups=.*\\(devs\\).*\\(eng\\)`));
  expect(pwd).toBe('/home/alice');
  const st = await sh(['stat', '-c', '%u %g %a %F', '/home/alice']);
  expect(st.stdout.trim()).toBe(`${uid['alice']} ${uid['alice']} 700 directory`);
  // The skeleton came along, owned by alice too.
  const skel = readdirSync('/etc/skel');
  if (skel.length) {
    const listed = await sh(['ls', '-A', '/home/alice']);
    expect(listed.stdout.trim().split('\n').sort()).toEqual(expect.arrayContaining(skel));
    const owners = await sh(['stat', '-c', '%u', ...skel.map((f) => `/home/alice/${f}`)]);
    expect(new Set(owners.stdout.trim().split('\n'))).toEqual(new Set([String(uid['alice'])]));
  }
  expect(sshd!.log()).toMatch(/Accepted publickey for alice from 127\.0\.0\.1/);
  // A second login finds the home as it left it.
  const again = await ssh(env!, sshd!, 'alice', keys['alice']!, 'pwd');
  expect(again.stdout.trim()).toBe('/home/alice');
}, 60_000);

test('dave, outside allowed_login_groups, is refused by sshd with the reason in its log', async () => {
  expect((await sh(['getent', 'passwd', 'dave'])).code).toBe(0); // dave resolves: lookups are not logins
  const r = await ssh(env!, sshd!, 'dave', keys['dave']!, 'id');
  expect(r.code, explain(r)).toBe(255);
  expect(r.stdout).toBe('');
  await waitFor(() => /Access denied for user dave by PAM account configuration/.test(sshd!.log()), 'sshd to log the refusal', 5000);
  // The reason, in the system log (auth.log on a real host), from the PAM module inside sshd.
  await waitFor(() => env!.syslog!.lines.some((l) => /pam_ward\(sshd:account\).*dave is not a member of a group allowed to log in/.test(l)),
    `pam_ward's refusal in the system log (have: ${env!.syslog!.lines.join(' | ')})`, 5000);
  expect((await sh(['test', '-e', '/home/dave'])).code).toBe(1);
}, 30_000);

test('pamtester, IdP online: the right password is accepted, a wrong one refused', async () => {
  const ok = await pamAuth('alice', PASSWORD.alice);
  expect(ok.code, explain(ok)).toBe(0);
  expect(ok.stdout + ok.stderr).toMatch(/successfully authenticated/);
  const bad = await pamAuth('alice', PASSWORD.wrong);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/Authentication failure/);
}, 30_000);

test("pam/README.md's Debian layout: pam_unix lets directory users through to pam_ward, which decides", async () => {
  // alice, allowed: pam_unix must not refuse her account for lack of a shadow entry.
  const alice = await env!.run(['pamtester', 'ward-debian', 'alice', 'authenticate', 'acct_mgmt'], { input: `${PASSWORD.alice}\n` });
  expect(alice.code, explain(alice)).toBe(0);
  expect(alice.stdout + alice.stderr).toMatch(/successfully authenticated[\s\S]*account management done/);
  // dave, outside allowed_login_groups: past pam_unix, refused by pam_ward.
  const dave = await env!.run(['pamtester', 'ward-debian', 'dave', 'acct_mgmt']);
  expect(dave.code).not.toBe(0);
  expect(dave.stderr).toMatch(/Permission denied/);
  // root: pam_unix passes, pam_ward ignores a local account.
  const root = await env!.run(['pamtester', 'ward-debian', 'root', 'acct_mgmt']);
  expect(root.code, explain(root)).toBe(0);
}, 30_000);

test('pamtester, wardd stopped: the last good password still works from the cache, a wrong one is refused', async () => {
  await idp!.server.stop();
  try {
    const ok = await pamAuth('alice', PASSWORD.alice);
    expect(ok.code, explain(ok)).toBe(0);
    expect(ok.stdout + ok.stderr).toMatch(/successfully authenticated/);
    expect(unixd!.output()).toMatch(/authenticated offline/);
    const bad = await pamAuth('alice', PASSWORD.wrong);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Authentication failure/);
    // And the right one again: a wrong guess offline does not lock the cached password out.
    expect((await pamAuth('alice', PASSWORD.alice)).code).toBe(0);
  } finally {
    await idp!.server.start();
  }
  await waitFor(async () => {
    await unixd!.cli(['cache-invalidate']);
    return (await unixd!.call('STATUS')).msg['online'] === 1;
  }, 'ward-unixd to be back online', 30_000, 500);
}, 60_000);

test('no log anywhere holds a password: sshd, syslog, ward-unixd, ward-unixd-tasks', () => {
  const logs = [sshd!.log(), env!.syslog!.lines.join('\n'), unixd!.output(), tasks!.output()].join('\n');
  expect(logs).toMatch(/PAM auth "alice"/); // the checks above were logged...
  for (const pw of Object.values(PASSWORD)) expect(logs).not.toContain(pw); // ...without the passwords
});

test('wardd hung (SIGSTOP): a cached user\'s ssh login completes within 2 s', async () => {
  process.kill(idp!.server.pid, 'SIGSTOP');
  try {
    // What sshd asks on every key login (AuthorizedKeysCommandUser nobody's groups): a local
    // name, answered without the IdP, even before ward-unixd has noticed the IdP is hung.
    const nobody = await sh(['getent', 'initgroups', 'nobody']);
    expect(nobody.code, explain(nobody)).toBe(0);
    expect(nobody.ms, `getent initgroups nobody took ${Math.round(nobody.ms)} ms`).toBeLessThan(100);
    // The first login right away, while ward-unixd still believes the IdP is up; then with
    // every entry stale (each lookup also starts a refresh against the hung IdP).
    for (const invalidate of [false, true]) {
      if (invalidate) expect((await unixd!.cli(['cache-invalidate'])).code).toBe(0);
      const r = await ssh(env!, sshd!, 'alice', keys['alice']!, 'pwd');
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout.trim()).toBe('/home/alice');
      expect(r.ms, `ssh login took ${Math.round(r.ms)} ms\n${explain(r)}`).toBeLessThan(2000);
    }
  } finally {
    process.kill(idp!.server.pid, 'SIGCONT');
  }
}, 60_000);

test('the machine itself is untouched: its nsswitch.conf, pam.d, sshd_config, /run, /home and libraries', () => {
  expect(hostFingerprint()).toEqual(before);
  expect(spawnSync('getent', ['passwd', 'alice']).status).toBe(2);
});

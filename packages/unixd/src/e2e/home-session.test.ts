/**
 * PAM_SESSION end to end: the real ward-unixd (as nobody) asks the real ward-unixd-tasks (as
 * root) for the home directory, over the tasks socket in the daemon's nobody-owned run folder,
 * against a real wardd. The home appears with the user as owner, mode 0700 and the skeleton; a
 * second session finds it; a path held by someone else is refused with a message for the user;
 * with the tasks daemon down or hung the session fails with a clear error, within the PAM
 * module's deadline, and nothing hangs.
 */
import { chownSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'smol-toml';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { STATUS } from '@ward/proto';
import { makeGroup, makeUser, startIdp, startUnixd, waitFor, waitForRefresh, type DaemonHandle, type Idp } from '../test-support/harness.js';
import { homeTree, startTasks, type HomeTree, type TasksHandle } from '../test-support/tasks.js';

/** The PAM module's deadline for a session answer (PW_TIMEOUT_SLOW_MS in pam/pam_ward.h). */
const PAM_SESSION_DEADLINE_MS = 3000;

let idp: Idp;
let home: HomeTree;
let d: DaemonHandle;
let tasks: TasksHandle;
const uids: Record<string, number> = {};

const session = (name: string) => d.call('PAM_SESSION', { name }, true);
const tasksSocket = () => path.join(d.dir, 'run', 'tasks.sock');

/** Log lines arrive through a pipe, a moment after the answer. */
function logged(output: () => string, line: RegExp): Promise<unknown> {
  return waitFor(() => line.test(output()), `a log line matching ${line}`, 5000);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

beforeAll(async () => {
  idp = await startIdp();
  for (const name of ['alice', 'carol', 'dave', 'erin']) uids[name] = (await makeUser(idp.admin, name)).uid;
  await makeGroup(idp.admin, 'devs', ['alice', 'carol', 'dave', 'erin']);
  home = homeTree();
  d = await startUnixd(idp.server, { config: { home_prefix: `${home.prefix}/`, allowed_login_groups: ['devs'] } });
  tasks = await startTasks(d.configPath, home.skel);
  await waitForRefresh(d, 4);
}, 120_000);

afterAll(async () => {
  await tasks?.stop();
  await d?.close();
  await idp?.close();
  home?.cleanup();
});

test('the tasks socket is handed to the daemon\'s user, as the run folder says', () => {
  const st = lstatSync(tasksSocket());
  expect([st.isSocket(), st.mode & 0o777, st.uid]).toEqual([true, 0o600, statSync(path.dirname(tasksSocket())).uid]);
});

test('the first session creates the home: the user\'s, mode 0700, with the skeleton', async () => {
  const uid = uids['alice']!;
  const r = await session('alice');
  expect(r).toEqual({ status: STATUS.OK, msg: { message: `created ${home.prefix}/alice for alice (uid ${uid})` }, message: '' });
  const st = lstatSync(path.join(home.prefix, 'alice'));
  expect([st.isDirectory(), st.uid, st.gid, st.mode & 0o7777]).toEqual([true, uid, uid, 0o700]);
  for (const [rel, text] of Object.entries(home.skelFiles)) {
    const file = path.join(home.prefix, 'alice', rel);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(lstatSync(file).uid).toBe(uid);
  }
  await logged(d.output, /PAM session "alice": OK - created .*alice/);
  await logged(tasks.output, /tasks: created .*alice for alice/);
});

test('the next session finds the home and changes nothing in it', async () => {
  const uid = uids['alice']!;
  const mine = path.join(home.prefix, 'alice', 'notes.txt');
  writeFileSync(mine, 'my notes\n');
  chownSync(mine, uid, uid);
  const r = await session('alice');
  expect([r.status, r.msg['message']]).toEqual([STATUS.OK, `found ${home.prefix}/alice for alice (uid ${uid})`]);
  expect(readFileSync(mine, 'utf8')).toBe('my notes\n');
  expect(lstatSync(path.join(home.prefix, 'alice')).mode & 0o7777).toBe(0o700);
});

test('a home path held by someone else is refused, and the user is told why', async () => {
  mkdirSync(path.join(home.prefix, 'carol'), 0o755); // root's
  const r = await session('carol');
  expect(r.status).toBe(STATUS.DENIED);
  expect(r.message).toBe(
    `your home directory ${home.prefix}/carol cannot be created: ${home.prefix}/carol exists and belongs to uid 0, not ${uids['carol']}; ask an administrator`,
  );
  expect(lstatSync(path.join(home.prefix, 'carol')).uid).toBe(0);
  await logged(d.output, /PAM session "carol": DENIED - your home directory/);
});

test('tasks daemon down: the session fails at once with a clear error, and the log says why', async () => {
  await tasks.stop();
  try {
    const { value: r, ms } = await timed(() => session('dave'));
    expect(r).toMatchObject({
      status: STATUS.ERROR,
      message: `home directory ${home.prefix}/dave not created: ward-unixd-tasks is not running (nothing listens on ${tasksSocket()})`,
    });
    expect(ms).toBeLessThan(PAM_SESSION_DEADLINE_MS);
    await logged(d.output, /PAM session "dave": ERROR - home directory .*dave not created: ward-unixd-tasks is not running/);
    // Lookups and the other PAM steps do not depend on it.
    expect((await d.call('PAM_ACCOUNT', { name: 'dave' }, true)).status).toBe(STATUS.OK);
  } finally {
    await tasks.start();
  }
  expect((await session('dave')).msg['message']).toBe(`created ${home.prefix}/dave for dave (uid ${uids['dave']})`);
});

test('tasks daemon hung: the session fails within the PAM deadline; the home is made once it resumes', async () => {
  const pid = tasks.proc!.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    const { value: r, ms } = await timed(() => session('erin'));
    expect(r.status).toBe(STATUS.ERROR);
    expect(r.message).toMatch(/^home directory .*erin not created: cannot ask ward-unixd-tasks on .*: no answer from .* within 2000 ms$/);
    expect(ms).toBeLessThan(PAM_SESSION_DEADLINE_MS);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  // The request was already in the socket: the resumed daemon finishes it; the next login finds it.
  await waitFor(() => lstatSync(path.join(home.prefix, 'erin'), { throwIfNoEntry: false }), 'erin\'s home after SIGCONT');
  expect((await session('erin')).msg['message']).toBe(`found ${home.prefix}/erin for erin (uid ${uids['erin']})`);
});

test('home_by = "uuid" with a name alias: the real home by uuid, a symlink by name, passwd shows the alias', async () => {
  await tasks.stop();
  await d.stop();
  const config = parse(readFileSync(d.configPath, 'utf8'));
  writeFileSync(d.configPath, stringify({ ...config, home_by: 'uuid', home_alias: 'name' }));
  await d.start();
  await tasks.start();
  const account = await idp.admin.call<{ uuid: string }>('unix_account_get', { params: { id: 'carol' } });
  const uid = uids['carol']!;
  rmdirSync(path.join(home.prefix, 'carol')); // the administrator clears the path refused above

  const r = await session('carol');
  expect(r.msg['message']).toBe(`created ${home.prefix}/${account.uuid} for carol (uid ${uid}), alias ${home.prefix}/carol -> ${home.prefix}/${account.uuid}`);
  const real = lstatSync(path.join(home.prefix, account.uuid));
  expect([real.isDirectory(), real.uid, real.mode & 0o7777]).toEqual([true, uid, 0o700]);
  expect(readlinkSync(path.join(home.prefix, 'carol'))).toBe(`${home.prefix}/${account.uuid}`);
  const pw = await d.call('PW_BY_NAME', { name: 'carol' });
  expect((pw.msg['entry'] as { dir: string }).dir).toBe(`${home.prefix}/carol`);
});

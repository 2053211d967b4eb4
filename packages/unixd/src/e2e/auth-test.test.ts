/**
 * `ward-unix auth-test --name NAME` as an administrator runs it against the real daemon and a
 * real wardd: the password from standard input or from a no-echo prompt on a terminal, PAM_AUTH
 * then PAM_ACCOUNT on the privileged socket, each step's outcome printed, exit 0 only when both
 * pass; the password never shows on the terminal, in the output or in the daemon's log.
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CLI_BIN, makeGroup, makeUser, startIdp, startUnixd, waitForRefresh, type DaemonHandle, type Idp } from '../test-support/harness.js';

const ALICE_PW = 'alice unix password 1';
const BOB_PW = 'bob unix password 1';
/** An unprivileged user that is neither root nor the daemon's user. */
const STRANGER = 65533;
let idp: Idp;
let d: DaemonHandle;

function authTest(name: string, input: string, opts: { uid?: number; json?: boolean; config?: string } = {}) {
  const args = [CLI_BIN, '-c', opts.config ?? d.configPath, ...(opts.json ? ['-o', 'json'] : []), 'auth-test', '--name', name];
  const r = spawnSync(process.execPath, args, {
    input, encoding: 'utf8', timeout: 20_000, ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs auth-test on a pseudo-terminal (util-linux `script`), typing `password` at the prompt. */
function onTerminal(name: string, password: string): Promise<{ code: number | null; transcript: string }> {
  const command = [process.execPath, CLI_BIN, '-c', d.configPath, 'auth-test', '--name', name].map((w) => `'${w}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { PATH: process.env['PATH'], TERM: 'dumb' } });
    let transcript = '';
    let typed = false;
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      transcript += t;
      if (!typed && transcript.includes(`Password for ${name}: `)) {
        typed = true;
        child.stdin.write(`${password}\r`);
      }
    });
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no password prompt; terminal so far: ${JSON.stringify(transcript)}`));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, transcript });
    });
  });
}

beforeAll(async () => {
  idp = await startIdp({ process: true }); // spawnSync below blocks this process: the IdP must not live in it
  await makeUser(idp.admin, 'alice', { password: ALICE_PW });
  await makeUser(idp.admin, 'bob', { password: BOB_PW });
  await makeGroup(idp.admin, 'devs', ['alice']);
  d = await startUnixd(idp.server, { config: { allowed_login_groups: ['devs'] } });
  await waitForRefresh(d, 2);
}, 120_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

test('the right password of an allowed user: both steps pass, exit 0', () => {
  expect(authTest('alice', `${ALICE_PW}\n`)).toEqual({
    code: 0,
    out: 'auth:     OK - authenticated by the IdP\naccount:  OK\nresult:   alice may log in on this host\n',
    err: '',
  });
  expect(authTest(`alice@${idp.domain}`, ALICE_PW).code).toBe(0);
});

test('a wrong password fails auth, and the account step is not run, as in PAM', () => {
  expect(authTest('alice', 'not the password\n')).toEqual({
    code: 3,
    out: 'auth:     AUTH_FAILED - authentication failed\naccount:  not checked (PAM stops after a failed auth)\nresult:   alice may not log in on this host\n',
    err: '',
  });
});

test('a user outside the allowed groups passes auth and is refused by account, with the message PAM shows', () => {
  const r = authTest('bob', `${BOB_PW}\n`);
  expect(r.code).toBe(3);
  expect(r.out).toBe(
    'auth:     OK - authenticated by the IdP\naccount:  DENIED - bob is not a member of a group allowed to log in on this host\nresult:   bob may not log in on this host\n',
  );
});

test('an unknown user, and JSON output', () => {
  expect(authTest('zed', 'whatever password\n')).toMatchObject({ code: 3, out: expect.stringContaining('auth:     NOT_FOUND - unknown user zed\n') });
  const json = JSON.parse(authTest('bob', `${BOB_PW}\n`, { json: true }).out);
  expect(json).toEqual({
    ok: false,
    name: 'bob',
    auth: { status: 'OK', message: 'authenticated by the IdP' },
    account: { status: 'DENIED', message: 'bob is not a member of a group allowed to log in on this host' },
  });
});

test('on a terminal: a prompt without echo; the password never shows', async () => {
  const r = await onTerminal('alice', ALICE_PW);
  expect(r.code).toBe(0);
  expect(r.transcript).toContain('Password for alice: ');
  expect(r.transcript).toContain('result:   alice may log in on this host');
  expect(r.transcript).not.toContain(ALICE_PW);
});

test('refusals before any password is read: not root, daemon down, bad name, no input', () => {
  const stranger = authTest('alice', `${ALICE_PW}\n`, { uid: STRANGER });
  expect(stranger.code).toBe(5);
  expect(stranger.err).toMatch(/^ward-unix: permission denied on .*priv\.sock: this command needs root\n$/);
  expect(stranger.out).toBe('');

  const cfg = `${d.dir}/down.toml`;
  spawnSync('sh', ['-c', `sed 's#/run/#/nothing-here/#' '${d.configPath}' > '${cfg}'`]);
  const down = authTest('alice', `${ALICE_PW}\n`, { config: cfg });
  expect(down.code).toBe(1);
  expect(down.err).toMatch(/ward-unixd is not running \(nothing listens on .*nothing-here\/priv\.sock\)/);

  expect(authTest('Not/A/Name', `${ALICE_PW}\n`)).toMatchObject({ code: 2, err: 'ward-unix: "Not/A/Name" is not a user name (name or name@domain)\n' });
  expect(authTest('alice', '')).toMatchObject({ code: 2, err: 'ward-unix: no password for alice given (empty input)\n' });
  expect(spawnSync(process.execPath, [CLI_BIN, 'auth-test'], { encoding: 'utf8' }).status).toBe(2);
});

test('no password reaches the daemon\'s log', () => {
  for (const pw of [ALICE_PW, BOB_PW, 'not the password']) expect(d.output()).not.toContain(pw);
  expect(d.output()).toMatch(/PAM_AUTH name="alice" password=<redacted>/);
});

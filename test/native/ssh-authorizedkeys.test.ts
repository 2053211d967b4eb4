/**
 * kanidm-ssh-authorizedkeys / ward-ssh-authorizedkeys, the AuthorizedKeysCommand, run as sshd
 * would run it (one argument, the user name) against the fake daemon. What sshd sees: keys one
 * per line and exit 0; nothing on stdout and a non-zero exit for an unknown user, an invalid
 * name, or a daemon that is down, wedged or talking garbage; never half a list, never a line
 * carrying sshd options, never a key split across lines.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeResponse, STATUS } from '@ward/proto';
import { DOMAIN, FakeDaemon, directoryHandler, type User } from './fake-daemon.js';
import { ALICE_KEY, ALICE_KEY2, GROUPS, USERS } from './fixture.js';
import { KEYCMD, KEYCMD_ALIAS, run, tempDir } from './helpers.js';

// sysexits.h
const EX_USAGE = 64;
const EX_NOUSER = 67;
const EX_UNAVAILABLE = 69;
const EX_SOFTWARE = 70;
const EX_PROTOCOL = 76;

const ED_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBKDKx0HQnBgjZnCbKHqmUL7uFd1BCDsqF4zDu27g8bW';
const keysUser = (name: string, uid: number, keys: string[]): User => ({
  name, uid, gid: uid, gecos: name, dir: `/home/${name}`, shell: '/bin/sh', keys, gids: [uid],
});
const EXTRA_USERS: User[] = [
  keysUser('nokeys', 70500, []),
  keysUser('messy', 70501, [
    `${ED_KEY.slice(0, 40)}\r\n${ED_KEY.slice(40)} split`, // CR/LF inside: joined back, one line
    `command="/bin/sh -c evil" ${ED_KEY} forced`, // sshd options: never printed
    `environment="LD_PRELOAD=/tmp/x.so" ${ED_KEY}`,
    'from="10.0.0.0/8" ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ',
    'not a key at all',
    '',
    `${ED_KEY} good-one`,
  ]),
  keysUser('onlybad', 70502, ['command="x" ssh-ed25519 AAAA']),
];

describe('the SSH key command', () => {
  let scratch: ReturnType<typeof tempDir>;
  let daemon: FakeDaemon;
  const normal = directoryHandler([...USERS, ...EXTRA_USERS], GROUPS);

  beforeAll(async () => {
    scratch = tempDir('ward-keys-');
    daemon = await FakeDaemon.start(join(scratch.dir, 'sock'), normal);
  });
  afterEach(() => {
    daemon.handler = normal;
  });
  afterAll(async () => {
    await daemon?.close();
    scratch?.cleanup();
  });

  const keys = (args: string[], env: NodeJS.ProcessEnv = { WARD_UNIXD_SOCKET: daemon.path }, cmd = KEYCMD) =>
    run(cmd, args, { env });

  it('is installed under both names, one program', () => {
    const a = statSync(KEYCMD);
    const b = statSync(KEYCMD_ALIAS);
    expect(b.ino).toBe(a.ino);
    expect(a.mode & 0o777).toBe(0o755);
  });

  it('prints each key of a user on its own line and exits 0, under either name and for name@domain', async () => {
    for (const [cmd, name] of [[KEYCMD, 'alice'], [KEYCMD_ALIAS, 'alice'], [KEYCMD, `alice@${DOMAIN}`]] as const) {
      const r = await keys([name], undefined, cmd);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${ALICE_KEY}\n${ALICE_KEY2}\n`);
      expect(r.stderr).toBe('');
    }
    expect(daemon.asked('SSH_KEYS')).toContainEqual({ name: 'alice' });
  });

  it('joins a key split by CR/LF and never prints a line with sshd options', async () => {
    const r = await keys(['messy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${ED_KEY} split\n${ED_KEY} good-one\n`);
    expect(r.stderr).toContain('skipped 5 entries');
    const bad = await keys(['onlybad']);
    expect(bad.code).toBe(0);
    expect(bad.stdout).toBe('');
  });

  it('a known user without keys: nothing printed, exit 0', async () => {
    const r = await keys(['nokeys']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/has no SSH keys/);
  });

  it('an unknown user: nothing printed, exit 67, one line on stderr', async () => {
    const r = await keys(['mallory']);
    expect(r.code).toBe(EX_NOUSER);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses bad arguments and invalid names without asking the daemon', async () => {
    const before = daemon.connections;
    for (const args of [[], ['a', 'b'], ['-h'], ['--socket', 'rel/sock', 'alice'], ['Alice'], [''], ['a'.repeat(65)],
      ['a/b'], ['a..b'], ['alice@'], ['a@b@c.com'], ['alice\nroot'], ['--socket']]) {
      const r = await keys(args);
      expect(r.code, JSON.stringify(args)).toBe(EX_USAGE);
      expect(r.stdout).toBe('');
    }
    expect(daemon.connections).toBe(before);
  });

  it('--socket PATH picks the socket (sshd starts the command with an empty environment)', async () => {
    const r = await keys(['--socket', daemon.path, 'alice'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${ALICE_KEY}\n${ALICE_KEY2}\n`);
  });

  it('daemon down: nothing printed, exit 69 within 1 s', async () => {
    const r = await keys(['alice'], { WARD_UNIXD_SOCKET: join(scratch.dir, 'nothing-here') });
    expect(r.code).toBe(EX_UNAVAILABLE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/not running/);
    expect(r.ms).toBeLessThan(1000);
  });

  it('daemon wedged: nothing printed, exit 69 within 1.5 s', async () => {
    daemon.handler = () => ({ kind: 'hang' });
    const r = await keys(['alice']);
    expect(r.code).toBe(EX_UNAVAILABLE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/did not answer in time/);
    expect(r.ms).toBeLessThan(1500);
  });

  it('keys unknown offline (daemon says UNAVAILABLE): exit 69, the message made safe for a terminal', async () => {
    daemon.handler = () => ({ kind: 'frame', payload: encodeResponse('SSH_KEYS', STATUS.UNAVAILABLE, 'IdP down\x1b[2J') });
    const r = await keys(['alice']);
    expect(r.code).toBe(EX_UNAVAILABLE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('IdP down?[2J');
    daemon.handler = () => ({ kind: 'frame', payload: encodeResponse('SSH_KEYS', STATUS.ERROR, 'boom') });
    expect((await keys(['alice'])).code).toBe(EX_SOFTWARE);
  });

  it('a malformed answer prints nothing, not even the keys before the damage', async () => {
    const good = Buffer.from(encodeResponse('SSH_KEYS', STATUS.OK, { keys: [ALICE_KEY, ALICE_KEY2] }));
    for (const payload of [good.subarray(0, good.length - 3), Buffer.concat([good, Buffer.from([1])])]) {
      daemon.handler = () => ({ kind: 'frame', payload });
      const r = await keys(['alice']);
      expect(r.code).toBe(EX_PROTOCOL);
      expect(r.stdout).toBe('');
    }
    daemon.handler = () => ({ kind: 'raw', bytes: Buffer.from([0xff, 0xff, 0xff, 0xff]), close: true });
    const r = await keys(['alice']);
    expect(r.code).toBe(EX_PROTOCOL);
    expect(r.stdout).toBe('');
  });

  it('refuses inside ward-unixd (_WARD_LOOPS=NO) without connecting', async () => {
    const before = daemon.connections;
    const r = await keys(['alice'], { WARD_UNIXD_SOCKET: daemon.path, _WARD_LOOPS: 'NO' });
    expect(r.code).toBe(EX_UNAVAILABLE);
    expect(r.stdout).toBe('');
    expect(daemon.connections).toBe(before);
  });
});

/**
 * libnss_ward.so.2 in real glibc programs (getent, id) and in a C probe, against a fake daemon
 * built from the real codec (see fake-daemon.ts). Each command runs in a private mount
 * namespace with `passwd: files ward` / `group: files ward` and the built module overlaid into
 * the system library folder; the socket path comes from WARD_UNIXD_SOCKET.
 * Covered: lookups by name, name@domain, uid and gid; files first; paged enumeration with an
 * entry that overflows glibc's first buffer; initgroups and `id`; ERANGE at every buffer size;
 * NULL buffers; rereading after ERANGE; threads and fork; no descriptor leaks; the loop guard;
 * only _nss_ward_* exported.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMAIN, FakeDaemon, directoryHandler } from './fake-daemon.js';
import { GROUPS, LONG_MEMBERS, USERS, WIDE_GECOS, groupLine, passwdLine } from './fixture.js';
import {
  NSS_MODULE, compileTestProgram, namespaceUnavailable, runWithModule, tempDir, writeNsswitch,
} from './helpers.js';

describe('libnss_ward.so.2 symbols', () => {
  it('exports only _nss_ward_* and carries its soname', () => {
    const symbols = execFileSync('nm', ['-D', '--defined-only', NSS_MODULE], { encoding: 'utf8' })
      .trim().split('\n').map((l) => l.trim().split(/\s+/).pop()!);
    expect(symbols.length).toBeGreaterThan(0);
    expect(symbols.filter((s) => !s.startsWith('_nss_ward_'))).toEqual([]);
    expect(symbols.sort()).toEqual([
      '_nss_ward_endgrent', '_nss_ward_endpwent', '_nss_ward_getgrent_r', '_nss_ward_getgrgid_r',
      '_nss_ward_getgrnam_r', '_nss_ward_getpwent_r', '_nss_ward_getpwnam_r', '_nss_ward_getpwuid_r',
      '_nss_ward_initgroups_dyn', '_nss_ward_setgrent', '_nss_ward_setpwent',
    ]);
    expect(execFileSync('readelf', ['-d', NSS_MODULE], { encoding: 'utf8' })).toContain('[libnss_ward.so.2]');
  });
});

const skipReason = namespaceUnavailable();
if (skipReason) console.warn(`skipped: no environment for NSS tests (${skipReason})`);

describe.skipIf(skipReason !== undefined)('libnss_ward through glibc', () => {
  let scratch: ReturnType<typeof tempDir>;
  let daemon: FakeDaemon;
  let nsswitch: string;
  let probe: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    scratch = tempDir('ward-nss-');
    nsswitch = writeNsswitch(scratch.dir);
    probe = compileTestProgram(scratch.dir, 'nss_probe', [], ['-pthread', '-ldl']);
    daemon = await FakeDaemon.start(join(scratch.dir, 'sock'), directoryHandler(USERS, GROUPS));
    env = { WARD_UNIXD_SOCKET: daemon.path };
  });
  afterAll(async () => {
    await daemon?.close();
    scratch?.cleanup();
  });

  const sh = (...cmd: string[]) => runWithModule(nsswitch, cmd, env);
  const alice = USERS[0]!;

  it('resolves a directory user by name, by name@domain and by uid', async () => {
    for (const key of ['alice', `alice@${DOMAIN}`, '70001']) {
      const r = await sh('getent', 'passwd', key);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${passwdLine(alice)}\n`);
    }
  });

  it('resolves groups by name and gid, members included', async () => {
    const devs = GROUPS.find((g) => g.name === 'devs')!;
    for (const key of ['devs', '70100']) {
      const r = await sh('getent', 'group', key);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${groupLine(devs)}\n`);
    }
    const big = await sh('getent', 'group', 'big');
    expect(big.stdout).toBe(`${groupLine(GROUPS.find((g) => g.name === 'big')!)}\n`);
  });

  it('leaves local accounts to files and never asks about names the directory cannot hold', async () => {
    const before = daemon.requests.length;
    const root = await sh('getent', 'passwd', 'root');
    expect(root.stdout).toMatch(/^root:x:0:0:/);
    const invalid = await sh('getent', 'passwd', 'Alice', 'a..b', 'x:y');
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toBe('');
    expect(daemon.requests.length).toBe(before); // root came from files; the rest were refused locally
    const unknown = await sh('getent', 'passwd', 'nosuchuser');
    expect(unknown.code).toBe(2);
    expect(daemon.asked('PW_BY_NAME')).toContainEqual({ name: 'nosuchuser' });
  });

  it('gives id and initgroups every group, nested ones included, each once', async () => {
    const id = await sh('id', 'alice');
    expect(id.code, id.stderr).toBe(0);
    expect(id.stdout).toBe('uid=70001(alice) gid=70001(alice) groups=70001(alice),70100(devs),70200(ops),70300(big)\n');
    const init = await sh('getent', 'initgroups', 'alice');
    expect(init.code, init.stderr).toBe(0);
    // getent initgroups passes no primary gid (-1), so the user's own group is listed too.
    expect(init.stdout.trim().split(/\s+/).slice(1).sort()).toEqual(['70001', '70100', '70200', '70300']);
    const list = await sh(probe, 'grouplist', 'alice', '70001');
    expect(list.stdout).toBe('count=4 gids=70001,70100,70200,70300\n');
  });

  it('enumerates every entry once, in pages, across glibc ERANGE retries', async () => {
    const offsetsBefore = daemon.asked('PW_ENUM').length;
    const pw = await sh('getent', 'passwd');
    expect(pw.code, pw.stderr).toBe(0);
    const lines = pw.stdout.split('\n');
    const ward = lines.filter((l) => /^[^:]+:\*:7\d{4}:/.test(l));
    expect(ward).toEqual(USERS.map(passwdLine)); // `wide` (3000-byte gecos) included, nothing twice
    expect(lines[0]).toMatch(/^root:/); // files first
    expect(daemon.asked('PW_ENUM').slice(offsetsBefore)).toEqual([0, 256, 512, 603].map((offset) => ({ offset })));

    const gr = await sh('getent', 'group');
    expect(gr.code, gr.stderr).toBe(0);
    expect(gr.stdout.split('\n').filter((l) => /^[^:]+:x:7\d{4}:/.test(l))).toEqual(GROUPS.map(groupLine));
  });

  it('answers ERANGE for every buffer too small, then exactly fits, never writing past the buffer', async () => {
    const wide = USERS.find((u) => u.name === 'wide')!;
    const r = await sh(probe, 'pwnam', 'wide', '1');
    expect(r.code, r.stderr).toBe(0);
    const need = [wide.name, 'x', WIDE_GECOS, wide.dir, wide.shell].reduce((n, s) => n + s.length + 1, 0);
    expect(r.stdout).toBe(`min=${need}\nentry=${passwdLine(wide)}\n`);

    const g = await sh(probe, 'grnam', 'wideg', '1');
    expect(g.code, g.stderr).toBe(0);
    // gr_mem (5 members + NULL, 8 bytes each), then name, "x" and the members, each with a NUL.
    const gneed = 6 * 8 + ['wideg', 'x', ...LONG_MEMBERS].reduce((n, s) => n + s.length + 1, 0);
    expect(g.stdout).toBe(`min=${gneed}\nentry=wideg:x:70400 members=5 first=${LONG_MEMBERS[0]} last=${LONG_MEMBERS[4]}\n`);

    const big = await sh(probe, 'grgid', '70300', '1021');
    expect(big.code, big.stderr).toBe(0);
    expect(big.stdout).toMatch(/entry=big:x:70300 members=2001 first=m0000 last=alice\n$/);
    const uid = await sh(probe, 'pwuid', '70003', '61');
    expect(uid.code, uid.stderr).toBe(0);
    expect(uid.stdout).toContain(`entry=${passwdLine(wide)}`);
  });

  it('answers glibc\'s ERANGE retries of one lookup from one daemon answer, and asks anew otherwise', async () => {
    const asks = (name: string) => daemon.asked('GR_BY_NAME').filter((m) => m.name === name).length;
    const big0 = asks('big');
    const devs0 = asks('devs');
    const r = await sh(probe, 'retry', 'big', 'devs');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('retry=ok\n');
    // The whole growing-buffer chain (hundreds of ERANGE calls for 2001 members): one request.
    // Then each fresh lookup asks: too small (1), after another key (1), too small again (1)
    // and the same key after the 1 s window (1).
    expect(asks('devs') - devs0).toBe(1);
    expect(asks('big') - big0).toBe(5);
  });

  it('keeps the module contract when called directly: NULL buffers, rereads, initgroups growth, no leaks', async () => {
    const r = await sh(probe, 'direct', 'alice', '70001');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe([
      'buffers=ok',
      `pwent=${USERS.length} first=alice last=user599`,
      `grent=${GROUPS.length}`,
      'initgroups_all=4',
      'initgroups_limit=ok',
      'fds=ok',
      '',
    ].join('\n'));
    expect(daemon.asked('PW_BY_NAME')).not.toContainEqual({ name: 'Not-A-Name' });
  });

  it('is safe across threads and fork', async () => {
    const r = await sh(probe, 'threads', 'alice', '70001', '150');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('threads bad=0\n');
  });

  it('refuses at once inside ward-unixd (_WARD_LOOPS=NO), without connecting', async () => {
    const before = daemon.connections;
    const r = await runWithModule(nsswitch, ['getent', 'passwd', 'alice'], { ...env, _WARD_LOOPS: 'NO' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(daemon.connections).toBe(before);
  });
});

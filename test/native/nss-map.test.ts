/**
 * The memory-mapped NSS file end to end: the real ward-unixd (as nobody, with a real IdP) writes
 * nss.map beside its socket, and getent/id resolve through the built libnss_ward.so.2 in a
 * private mount namespace. Shown here, by what a user sees:
 *   - answers from the map are exactly the socket's (compared with the map switched off), with
 *     local users and groups winning (a local name or number hides the directory entry; local
 *     member names are dropped; initgroups leaves shadowed groups out);
 *   - they keep coming while ward-unixd is SIGSTOPped (so they come from the map);
 *   - a stale heartbeat, a replaced flag, a truncated or damaged file, or a file with the wrong
 *     owner or mode is not used: with the daemon stopped those lookups fail, with it running
 *     they are answered correctly through the socket;
 *   - a change to the host's /etc/group reaches the map.
 */
import { chmodSync, chownSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAP_FLAG_REPLACED, decodeMapHeader, mapHeaderOffset, type UnixAccount, type UnixGroup } from '@ward/proto';
import { CacheStore } from '../../packages/unixd/src/cache/store.js';
import { Logger } from '../../packages/unixd/src/log.js';
import {
  BASE_GROUP, BASE_PASSWD, NOBODY, NOGROUP, startUnixd, waitFor, type DaemonHandle,
} from '../../packages/unixd/src/test-support/harness.js';
import { compileTestProgram, namespaceUnavailable, runWithModule, tempDir, writeNsswitch } from './helpers.js';

const D = 'ward.test';
const uid = { alice: 71001, bob: 71002, carol: 71003, dave: 71004 } as const;
const gid = { devs: 71100, eng: 71101, ops: 71102, shadowed: 71103 } as const;

function account(name: keyof typeof uid, groups: Array<keyof typeof gid>): UnixAccount {
  return {
    uuid: `00000000-0000-4000-8000-0000000${uid[name]}`, name, spn: `${name}@${D}`, displayname: `${name} Example`,
    uidnumber: uid[name], gidnumber: uid[name], shell: '/bin/bash', sshkeys: [], locked: false, expire_at: null,
    groups: [{ name, spn: `${name}@${D}`, gidnumber: uid[name] }, ...groups.map((g) => ({ name: g, spn: `${g}@${D}`, gidnumber: gid[g] }))],
  };
}

function group(name: keyof typeof gid, members: string[]): UnixGroup {
  return { uuid: `00000000-0000-4000-9000-0000000${gid[name]}`, name, spn: `${name}@${D}`, gidnumber: gid[name], members };
}

/** The directory as the daemon's cache holds it (the IdP is unreachable: it serves the cache). */
function fillCache(file: string): void {
  const store = CacheStore.open(file, new Logger('error', { write: () => true }));
  store.putAccount(account('alice', ['devs', 'eng', 'ops', 'shadowed']), Date.now());
  store.putAccount(account('bob', ['eng']), Date.now());
  store.putAccount(account('carol', ['devs', 'eng']), Date.now());
  store.putAccount(account('dave', ['devs', 'eng']), Date.now());
  store.putGroup(group('devs', ['alice', 'carol', 'dave']), Date.now());
  store.putGroup(group('eng', ['alice', 'bob', 'carol', 'dave']), Date.now());
  store.putGroup(group('ops', ['alice']), Date.now());
  store.putGroup(group('shadowed', ['alice']), Date.now());
  store.close();
  chownSync(file, NOBODY, NOGROUP);
}

const skipReason = namespaceUnavailable();
if (skipReason) console.warn(`skipped: no environment for NSS tests (${skipReason})`);

describe.skipIf(skipReason !== undefined)('the mapped NSS file through glibc', () => {
  let daemon: DaemonHandle;
  let scratch: ReturnType<typeof tempDir>;
  let nsswitch: string;
  let mapFile: string;
  let probe: string;

  beforeAll(async () => {
    scratch = tempDir('ward-nss-map-');
    nsswitch = writeNsswitch(scratch.dir);
    probe = compileTestProgram(scratch.dir, 'nss_probe', [], ['-pthread', '-ldl']);
    // Local wins: a local `carol` (by name), a local user with dave's uid, a local group with
    // ops' gid and one named like `shadowed`.
    daemon = await startUnixd({ url: 'https://127.0.0.1:9', caPath: '/etc/ssl/certs/ca-certificates.crt' }, {
      passwd: `${BASE_PASSWD}carol:x:5001:5001::/home/carol:/bin/sh\nlocaldave:x:${uid.dave}:5002::/:/bin/sh\n`,
      group: `${BASE_GROUP}localops:x:${gid.ops}:\nshadowed:x:5003:\n`,
    });
    await daemon.stop();
    fillCache(daemon.cacheDb);
    await daemon.start();
    mapFile = path.join(path.dirname(daemon.socket), 'nss.map');
    await waitFor(() => { try { return header().pw_count === 2; } catch { return false; } }, 'the map with every visible user');
  }, 120_000);

  afterAll(async () => {
    const pid = daemon?.pid();
    if (pid) process.kill(pid, 'SIGCONT');
    await daemon?.close();
    scratch?.cleanup();
  }, 60_000);

  const header = () => decodeMapHeader(readFileSync(mapFile));
  const withMap = (...cmd: string[]) => runWithModule(nsswitch, cmd, { WARD_UNIXD_SOCKET: daemon.socket });
  const socketOnly = (...cmd: string[]) =>
    runWithModule(nsswitch, cmd, { WARD_UNIXD_SOCKET: daemon.socket, WARD_UNIXD_MAP: path.join(scratch.dir, 'none') });
  const pause = () => process.kill(daemon.pid()!, 'SIGSTOP');
  const resume = () => process.kill(daemon.pid()!, 'SIGCONT');
  const d = () => D;

  /** Every question a user might ask, by each key form. */
  const questions = (): string[][] => [
    ...['alice', `alice@${d()}`, 'bob', String(uid.bob), 'carol', `carol@${d()}`, 'dave', String(uid.dave)]
      .map((k) => ['getent', 'passwd', k]),
    ...['devs', `eng@${d()}`, String(gid.eng), 'ops', String(gid.ops), 'shadowed', 'alice', String(uid.alice)]
      .map((k) => ['getent', 'group', k]),
    ['id', 'alice'], ['id', `bob@${d()}`], ['id', 'carol'],
    ['getent', 'passwd'], ['getent', 'group'],
  ];

  it('answers exactly what the socket answers, local entries winning', async () => {
    for (const q of questions()) {
      const [a, b] = [await withMap(...q), await socketOnly(...q)];
      expect({ q, out: a.stdout, code: a.code }).toEqual({ q, out: b.stdout, code: b.code });
    }
    const devs = await withMap('getent', 'group', 'devs');
    expect(devs.stdout).toBe(`devs:x:${gid.devs}:alice,dave\n`); // local carol is not listed
    expect((await withMap('getent', 'passwd', 'carol')).stdout).not.toContain('@'); // the local one or none
    const id = await withMap('id', 'alice');
    expect(id.stdout).toContain(`groups=${uid.alice}(alice)`);
    expect(id.stdout).toContain(`(devs)`);
    expect(id.stdout).not.toContain(`${gid.ops}`);
    expect(id.stdout).not.toContain('shadowed');
  }, 120_000);

  it('keeps answering from the map while ward-unixd is stopped', async () => {
    const want = await socketOnly('getent', 'passwd', 'alice');
    const wantGroup = await socketOnly('getent', 'group', 'devs');
    const wantId = await socketOnly('id', 'alice');
    const wantAll = await socketOnly('getent', 'passwd');
    pause();
    try {
      expect((await withMap('getent', 'passwd', 'alice')).stdout).toBe(want.stdout);
      expect((await withMap('getent', 'passwd', String(uid.alice))).stdout).toBe(want.stdout);
      expect((await withMap('getent', 'group', 'devs')).stdout).toBe(wantGroup.stdout);
      expect((await withMap('getent', 'group', String(gid.devs))).stdout).toBe(wantGroup.stdout);
      expect((await withMap('id', 'alice')).stdout).toBe(wantId.stdout);
      expect((await withMap('getent', 'passwd')).stdout).toBe(wantAll.stdout);
      // Not in the map (hidden by a local entry): the socket is asked, and it is stopped.
      expect((await withMap('getent', 'passwd', 'dave')).code).toBe(2);
    } finally {
      resume();
    }
  }, 120_000);

  it('keeps the buffer rule, threads and fork on the map path', async () => {
    pause();
    try {
      for (const args of [['pwnam', 'alice', '1'], ['pwuid', String(uid.alice), '7'], ['grnam', 'eng', '1'], ['grgid', String(gid.devs), '3']]) {
        const r = await withMap(probe, ...args);
        expect({ args, code: r.code, err: r.stderr }).toEqual({ args, code: 0, err: '' });
      }
      const direct = await withMap(probe, 'direct', 'alice', String(uid.alice));
      expect(direct.stderr).toBe('');
      expect(direct.stdout.split('\n')).toEqual(expect.arrayContaining([
        'buffers=ok', 'initgroups_limit=ok', 'fds=ok', 'initgroups_all=3',
      ]));
      const threads = await withMap(probe, 'threads', 'alice', String(uid.alice), '300');
      expect(threads.stdout, threads.stderr).toBe('threads bad=0\n');
    } finally {
      resume();
    }
  }, 120_000);

  it('answers right while the file is replaced under running threads', async () => {
    // About 6 s of lookups (1 ms apart per thread) across 4 replacements (at most one a second).
    const running = withMap(probe, 'threads', 'alice', String(uid.alice), '5000', '1000');
    const base = `${BASE_GROUP}localops:x:${gid.ops}:\nshadowed:x:5003:\n`;
    for (let i = 0; i < 4; i++) {
      const before = header().generation!;
      writeFileSync(daemon.groupFile, `${base}extra${i}:x:${6000 + i}:\n`);
      await waitFor(() => header().generation! > before, `map generation ${i}`);
    }
    writeFileSync(daemon.groupFile, base);
    const r = await running;
    expect(r.stdout, r.stderr).toBe('threads bad=0\n');
  }, 120_000);

  /** Puts `bytes` at the map's path (by rename, as the daemon does), owned and moded as given. */
  const install = (bytes: Buffer, owner = NOBODY, mode = 0o644) => {
    const tmp = `${mapFile}.test`;
    writeFileSync(tmp, bytes);
    chownSync(tmp, owner, NOGROUP);
    chmodSync(tmp, mode);
    renameSync(tmp, mapFile);
  };
  const withHeader = (bytes: Buffer, field: string, value: number) => {
    const b = Buffer.from(bytes);
    if (field === 'heartbeat') b.writeBigUInt64LE(BigInt(value), mapHeaderOffset(field));
    else b.writeUInt32LE(value, mapHeaderOffset(field));
    return b;
  };

  it('ignores a stale, replaced, damaged or unsafe file and falls back to the socket', async () => {
    const good = readFileSync(mapFile);
    const want = (await socketOnly('getent', 'passwd', 'alice')).stdout;
    expect(want).toContain('alice:');
    const truncated = good.subarray(0, Math.floor(good.length / 2));
    const badRecord = Buffer.from(good);
    badRecord.writeUInt32BE(0xfffffff0, good.indexOf('alice Example') - 4); // alice's gecos length
    const cases: Array<[string, () => void]> = [
      ['a stale heartbeat', () => install(withHeader(good, 'heartbeat', Math.floor(Date.now() / 1000) - 3600))],
      ['a heartbeat from the future', () => install(withHeader(good, 'heartbeat', Math.floor(Date.now() / 1000) + 3600))],
      ['the replaced flag', () => install(withHeader(good, 'flags', MAP_FLAG_REPLACED))],
      ['a truncated file', () => install(truncated)],
      ['a damaged record', () => install(badRecord)],
      ['another version', () => install(withHeader(good, 'version', 99))],
      ['a world-writable file', () => install(good, NOBODY, 0o666)],
      ['a file of another owner', () => install(good, 4242, 0o644)],
    ];
    for (const [what, put] of cases) {
      pause();
      try {
        // A copy with a fresh heartbeat is served while the daemon is stopped: the control.
        install(withHeader(good, 'heartbeat', Math.floor(Date.now() / 1000)));
        expect((await withMap('getent', 'passwd', 'alice')).stdout, `control before ${what}`).toBe(want);
        put();
        const r = await withMap('getent', 'passwd', 'alice');
        expect({ what, code: r.code, out: r.stdout }).toEqual({ what, code: 2, out: '' });
      } finally {
        resume();
      }
      const r = await withMap('getent', 'passwd', 'alice');
      expect({ what, out: r.stdout }).toEqual({ what, out: want });
    }
    install(good);
  }, 120_000);

  it('rewrites the map when the host\'s group file changes', async () => {
    const before = header().generation!;
    writeFileSync(daemon.groupFile, `${BASE_GROUP}localops:x:${gid.ops}:\nshadowed:x:5003:\nlocaldevs:x:${gid.devs}:\n`);
    await waitFor(() => header().generation! > before, 'a new map after /etc/group changed');
    pause();
    try {
      // devs is hidden now: not in the map, and the stopped socket cannot answer.
      expect((await withMap('getent', 'group', 'devs')).code).toBe(2);
      expect((await withMap('getent', 'group', 'eng')).code).toBe(0);
    } finally {
      resume();
    }
    expect((await withMap('getent', 'group', 'devs')).code).toBe(2);
  }, 120_000);
});

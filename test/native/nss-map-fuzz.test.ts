/**
 * Fuzzes the NSS module's map reader (nss/nss_map.c) with test/native/c/map_fuzz.c, built with
 * AddressSanitizer and UBSan: 1,000,000 mutated inputs (two processes of 500,000, one per core),
 * seeded with maps the real writer produced. Any sanitizer report aborts the process and fails
 * the test; the counts show the mutations reached past the header checks into lookups.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnixAccount, UnixGroup } from '@ward/proto';
import { writeTestMap } from '../../packages/unixd/src/test-support/map.js';
import { CLIENT_SOURCES, PROTO_C, ROOT, run, tempDir } from './helpers.js';

const INPUTS_PER_RUN = 500_000;
const RUNS = 2;

function account(name: string, uid: number, groups: Array<[string, number]>): UnixAccount {
  return {
    uuid: `00000000-0000-4000-8000-${String(uid).padStart(12, '0')}`, name, spn: `${name}@fuzz.test`,
    displayname: `${name} Ünïcode`, uidnumber: uid, gidnumber: uid, shell: '/bin/sh', sshkeys: [], locked: false,
    expire_at: null, groups: [[name, uid] as [string, number], ...groups].map(([n, g]) => ({ name: n, spn: `${n}@fuzz.test`, gidnumber: g })),
  };
}

function group(name: string, gid: number, members: string[]): UnixGroup {
  return { uuid: `00000000-0000-4000-9000-${String(gid).padStart(12, '0')}`, name, spn: `${name}@fuzz.test`, gidnumber: gid, members };
}

describe('the NSS map reader under fuzzing', () => {
  let scratch: ReturnType<typeof tempDir>;
  let fuzzer: string;
  const seeds: string[] = [];

  beforeAll(async () => {
    scratch = tempDir('ward-map-fuzz-');
    const users = Array.from({ length: 24 }, (_, i) => account(`u${i}`, 90000 + i, [['all', 91000], ['odd', 91001]]));
    const groups = [group('all', 91000, users.map((u) => u.name)), group('odd', 91001, ['u1', 'u3', 'u5'])];
    seeds.push(await writeTestMap(join(scratch.dir, 'short'), { accounts: users, groups }));
    seeds.push(await writeTestMap(join(scratch.dir, 'spn'), {
      accounts: users.slice(0, 8), groups, config: 'name_format = "spn"\n',
      passwd: 'root:x:0:0::/root:/bin/sh\nu2:x:1000:1000::/:/bin/sh\n', group: 'root:x:0:\nodd:x:1001:\n',
    }));
    fuzzer = join(scratch.dir, 'map_fuzz');
    execFileSync('gcc', [
      '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O2', '-g', '-D_GNU_SOURCE', '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all', '-I', PROTO_C, '-o', fuzzer, join(ROOT, 'test/native/c/map_fuzz.c'),
      join(ROOT, 'nss/nss_map.c'), CLIENT_SOURCES.find((f) => f.endsWith('ward_wire.c'))!,
    ], { stdio: 'pipe' });
  }, 60_000);

  afterAll(() => scratch?.cleanup());

  it(`survives ${RUNS * INPUTS_PER_RUN} mutated maps without a sanitizer report`, async () => {
    const results = await Promise.all(Array.from({ length: RUNS }, (_, i) =>
      run(fuzzer, [String(INPUTS_PER_RUN), String(1000 + i), ...seeds], { limitMs: 170_000 })));
    let inputs = 0;
    for (const r of results) {
      expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
      const m = /^inputs=(\d+) accepted=(\d+) found=(\d+)$/m.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      inputs += Number(m![1]);
      // Most inputs keep a consistent header and reach the tables and records.
      expect(Number(m![2])).toBeGreaterThan(INPUTS_PER_RUN / 4);
      expect(Number(m![3])).toBeGreaterThan(INPUTS_PER_RUN);
    }
    expect(inputs).toBeGreaterThanOrEqual(1_000_000);
  }, 180_000);
});

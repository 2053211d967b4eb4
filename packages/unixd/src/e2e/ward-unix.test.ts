/**
 * `ward-unix` as an administrator runs it: status (text and JSON) for anyone, cache-clear and
 * cache-invalidate for root only, and clear errors when the daemon is down or the config is bad.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CLI_BIN, makeUser, startIdp, startUnixd, waitFor, waitForLive, waitForRefresh, type DaemonHandle, type Idp } from '../test-support/harness.js';

let idp: Idp;
let d: DaemonHandle;
/** An unprivileged user that is neither root nor the daemon's user. */
const STRANGER = 65533;

function wardUnix(args: string[], uid?: number) {
  const r = spawnSync(process.execPath, [CLI_BIN, '-c', d.configPath, ...args], {
    encoding: 'utf8', timeout: 20_000, ...(uid !== undefined ? { uid, gid: uid } : {}),
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  idp = await startIdp();
  await makeUser(idp.admin, 'alice');
  await makeUser(idp.admin, 'bob');
  d = await startUnixd(idp.server);
  await waitForRefresh(d, 2);
  await waitForLive(d);
}, 120_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

test('status, for any user, as text and as JSON', () => {
  const text = wardUnix(['status'], STRANGER);
  expect(text.code).toBe(0);
  expect(text.out).toContain(`IdP:           ${idp.server.url}`);
  expect(text.out).toMatch(/State: +online/);
  expect(text.out).toMatch(/Cached users: +2\n/);
  expect(text.out).toMatch(/Sync: +live\n/);
  expect(text.out).toMatch(/Known current: +\d+ s ago/);
  expect(text.out).toMatch(/Last change: +\d+ s ago/);
  const json = JSON.parse(wardUnix(['-o', 'json', 'status']).out);
  expect(json).toMatchObject({ online: true, idp_url: idp.server.url, users: 2, sync: 'live' });
  expect(typeof json.last_refresh_age_seconds).toBe('number');
  expect(typeof json.last_change_age_seconds).toBe('number');
});

test('cache-clear and cache-invalidate: root only', async () => {
  const refused = wardUnix(['cache-clear'], STRANGER);
  expect(refused.code).toBe(5);
  expect(refused.err).toMatch(/permission denied on .*priv\.sock: this command needs root/);
  expect(JSON.parse(wardUnix(['-o', 'json', 'cache-invalidate'], STRANGER).out)).toMatchObject({ ok: false, error: 'forbidden', exit_code: 5 });

  expect(wardUnix(['cache-invalidate'])).toMatchObject({ code: 0, out: 'cache invalidated; listing the directory again\n' });
  expect(wardUnix(['cache-clear'])).toMatchObject({ code: 0, out: 'cache cleared; listing the directory again\n' });
  await waitFor(() => JSON.parse(wardUnix(['-o', 'json', 'status']).out).users === 2, 'the cache to fill again');
});

test('errors: daemon not running, bad configuration, unknown command', () => {
  const cfg = path.join(d.dir, 'other.toml');
  writeFileSync(cfg, `idp_url = "${idp.server.url}"\nsocket = "${d.dir}/nothing.sock"\n`);
  const down = spawnSync(process.execPath, [CLI_BIN, '-c', cfg, 'status'], { encoding: 'utf8' });
  expect(down.status).toBe(1);
  expect(down.stderr).toMatch(/ward-unixd is not running \(nothing listens on .*nothing\.sock\)/);

  writeFileSync(cfg, `idp_url = "${idp.server.url}"\ncache_ttl = "soon"\n`);
  const bad = spawnSync(process.execPath, [CLI_BIN, '-c', cfg, 'status'], { encoding: 'utf8' });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/key "cache_ttl" must be an integer/);

  expect(wardUnix(['frobnicate']).code).toBe(2);
});

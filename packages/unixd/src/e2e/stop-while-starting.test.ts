/**
 * `ward-unixd` stopped the moment it starts serving: a service manager may send SIGTERM at any
 * time after the start, and the daemon must then stop cleanly (exit 0) and remove both sockets,
 * never die of the signal's default action with its sockets left behind. The signal goes out
 * when the first socket file appears, so it lands inside the start, not after it.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sigtermWhenFileAppears } from '@ward/server/testing';
import { DAEMON_BIN, NOBODY, NOGROUP, startIdp, startUnixd, type DaemonHandle, type Idp } from '../test-support/harness.js';

let idp: Idp;
let d: DaemonHandle;

beforeAll(async () => {
  idp = await startIdp();
  d = await startUnixd(idp.server);
  expect(await d.stop()).toBe(0);
}, 60_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

test('a SIGTERM while it starts stops it cleanly and removes both sockets', async () => {
  const r = await sigtermWhenFileAppears([process.execPath, DAEMON_BIN, '-c', d.configPath], d.socket, { uid: NOBODY, gid: NOGROUP, cwd: d.dir });
  expect({ sent: r.sent, code: r.code, signal: r.signal }, r.stderr).toEqual({ sent: true, code: 0, signal: null });
  expect(fs.existsSync(d.socket)).toBe(false);
  expect(fs.existsSync(d.priv)).toBe(false);
});

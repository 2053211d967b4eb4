/**
 * A test process that dies without cleaning up (SIGKILL: no exit handler runs, as when vitest
 * is killed on a timeout or a developer presses Ctrl-\ twice) must not leave the IdP it started
 * running: a leftover `wardd` keeps its port, its temp folder and its CPU, and a later run's
 * SIGSTOP/SIGCONT tests could hit the wrong process. `@ward/server/testing` starts the child
 * through `setpriv --pdeathsig KILL`, so the kernel kills it with its parent.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { waitFor } from '../test-support/harness.js';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A process counts as gone once it no longer exists or is a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The test process: starts wardd as a child, prints its pid and folder, then idles. */
const SCRIPT = `
import { startTestServer } from '@ward/server/testing';
const s = await startTestServer({ process: true });
process.stdout.write(JSON.stringify({ pid: s.pid, dir: s.dir }) + '\\n');
setInterval(() => {}, 1 << 30);
`;

test('a SIGKILLed test process takes the wardd it started ({ process: true }) with it', async () => {
  const parent = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: PKG, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  parent.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  parent.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise((resolve) => parent.once('exit', resolve));
  let wardd: { pid: number; dir: string } | undefined;
  try {
    wardd = await waitFor(() => (out.includes('\n') ? (JSON.parse(out.split('\n')[0]!) as { pid: number; dir: string }) : undefined),
      `the test process to start wardd (output: ${out})`, 30_000);
    expect(alive(wardd.pid)).toBe(true);
    parent.kill('SIGKILL');
    await exited;
    await waitFor(() => !alive(wardd!.pid), `wardd (pid ${wardd.pid}) to die with its parent`, 5000);
  } finally {
    parent.kill('SIGKILL');
    // Before the fix the orphan lives on: stop it here (it is ours), so a failure leaves nothing.
    if (wardd && alive(wardd.pid)) process.kill(wardd.pid, 'SIGKILL');
    if (wardd) rmSync(wardd.dir, { recursive: true, force: true });
  }
}, 60_000);

/**
 * `npm run demo` for real (node deploy/demo.mjs on the built tree, a throwaway WARD_DEMO_DIR and a
 * free port): it prints the demo user's passwd line as the NSS module resolves it and the SSH key
 * the key command serves, from a real ward-unixd running as nobody; Ctrl-C (SIGINT) then stops
 * wardd and ward-unixd, and nothing is left running. The machine's own /etc is not touched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEMO = path.join(ROOT, 'deploy/demo.mjs');
/** First start makes a CA, an IdP database and a host cache: generous, it is a safety net. */
const START_LIMIT_MS = 90_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Direct children of `pid` (ps --ppid), with their command lines. */
function childrenOf(pid: number): Array<{ pid: number; args: string }> {
  const r = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const m = /^\s*(\d+)\s+(.*)$/.exec(l)!;
    return { pid: Number(m[1]), args: m[2]! };
  });
}

/** Running (a zombie waiting for its new parent to reap it has exited: not running). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const nsswitchBefore = fs.readFileSync('/etc/nsswitch.conf');
let dir: string;
let demo: ChildProcess;
let out = '';
let exited: Promise<number | null>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ward-demo-test-'));
  const port = await freePort();
  demo = spawn(process.execPath, [DEMO], {
    cwd: ROOT,
    env: { ...process.env, WARD_DEMO_DIR: dir, WARD_DEMO_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  demo.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  exited = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Stop with Ctrl-C" within ${START_LIMIT_MS} ms:\n${out}`)), START_LIMIT_MS);
    const poll = setInterval(() => {
      if (out.includes('Stop with Ctrl-C')) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      } else if (demo.exitCode !== null) {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${demo.exitCode}:\n${out}`));
      }
    }, 100);
  });
}, START_LIMIT_MS + 10_000);

afterAll(async () => {
  if (demo && demo.exitCode === null) {
    for (const c of childrenOf(demo.pid!)) process.kill(c.pid, 'SIGKILL');
    demo.kill('SIGKILL');
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('shows the demo user through the real NSS module and its SSH key from the key command', () => {
    const publicKey = fs.readFileSync(path.join(dir, 'demo_ed25519.pub'), 'utf8').trim();
    const uid = /The demo person "demo" \(uid (\d+)\)/.exec(out)?.[1];
    expect(uid, out).toBeDefined();
    if (process.getuid?.() === 0) {
      expect(out).toMatch(/\$ \S+\/with-ward-nss getent passwd demo\n/);
      expect(out).toContain(`\n    demo:*:${uid}:${uid}:Demo User:/home/demo:/bin/bash\n`);
      expect(out).toMatch(new RegExp(`\\n    uid=${uid}\\(demo\\) gid=${uid}\\(demo\\) groups=.*\\(demo_devs\\),.*\\(demo_staff\\)\\n`));
    } else {
      expect(out).toMatch(/getent through the NSS module is not shown: it needs root/);
      expect(out).toMatch(/State: +online/);
    }
    expect(out).toContain(`kanidm-ssh-authorizedkeys --socket ${dir}/unixd/run/sock demo\n`);
    expect(out).toContain(`\n    ${publicKey}\n`);
    expect(publicKey).toMatch(/^ssh-ed25519 \S+ demo@ward-demo$/);
    expect(out).toContain('    auth:     OK - authenticated by the IdP\n    account:  OK\n');
  });

  it('changes nothing outside its folder: nsswitch.conf is untouched', () => {
    expect(fs.readFileSync('/etc/nsswitch.conf').equals(nsswitchBefore)).toBe(true);
  });

  it('stops wardd and ward-unixd on Ctrl-C and leaves nothing running', async () => {
    const kids = childrenOf(demo.pid!);
    expect(kids.map((k) => k.args).join('\n')).toMatch(/wardd\.js server[\s\S]*ward-unixd\.js -c /);
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    const deadline = Date.now() + 10_000;
    while (kids.some((k) => alive(k.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(kids.filter((k) => alive(k.pid))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'unixd/run/sock'))).toBe(false);
  }, 20_000);
});

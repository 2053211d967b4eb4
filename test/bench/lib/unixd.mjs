/**
 * A real `ward-unixd` for the host benchmark, run as it runs on a host: the built daemon
 * (packages/unixd/dist) as the unprivileged `nobody` user (it refuses root), with its own
 * nobody-owned folder for unixd.toml, the CA, the SQLite cache and the two sockets, and the
 * machine's own /etc/passwd and /etc/group as its local files (the production default).
 *
 * packages/unixd/src/test-support/harness.ts does the same for the vitest suites; it is
 * TypeScript that is not compiled into dist/, and the benchmarks run on plain node, so this is
 * the small launcher they need. The daemon's log goes to a file (not a pipe that a busy
 * benchmark might leave unread).
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.mjs';
import { sleep } from './stats.mjs';

const { callSocket } = await import(pathToFileURL(path.join(ROOT, 'packages/proto/dist/node/index.js')).href);
const { decodeMapHeader, MAP_FILE_NAME, MAP_FLAG_REPLACED, MAP_HEADER_SIZE } = await import(pathToFileURL(path.join(ROOT, 'packages/proto/dist/index.js')).href);

const NOBODY = 65534;
const NOGROUP = 65534;
const DAEMON = path.join(ROOT, 'packages/unixd/dist/bin/ward-unixd.js');
const TASKS = path.join(ROOT, 'packages/unixd/dist/bin/ward-unixd-tasks.js');
/** STATUS's last_refresh_age while the cache was never filled. */
const NEVER = 0xffffffff;

/** Daemons still running when the benchmark exits (a failed run) are killed with it. */
const children = new Set();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * The Environment= lines of a shipped systemd unit (systemd/NAME), so the daemons run here as
 * installed (ward-unixd's V8 semi-space and malloc arena limits change its RSS).
 */
export function unitEnvironment(unit) {
  const text = readFileSync(path.join(ROOT, 'systemd', unit), 'utf8');
  return Object.fromEntries([...text.matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

function tomlString(s) {
  return JSON.stringify(s);
}

/**
 * Starts ward-unixd against the IdP at idp.url; resolves a handle (the daemon is answering).
 * `beforeStart(handle)` runs after the configuration is written and before the daemon is spawned.
 */
export async function startUnixd(idp, { beforeStart } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ward-bench-unixd-'));
  chownSync(dir, NOBODY, NOGROUP);
  chmodSync(dir, 0o755);
  const run = path.join(dir, 'run');
  mkdirSync(run);
  chownSync(run, NOBODY, NOGROUP);
  const ca = path.join(dir, 'ca.pem');
  copyFileSync(idp.caPath, ca);
  chmodSync(ca, 0o644);
  const socket = path.join(run, 'sock');
  const priv = path.join(run, 'priv.sock');
  const configPath = path.join(dir, 'unixd.toml');
  const logPath = path.join(dir, 'unixd.log');
  const config = {
    idp_url: idp.url,
    ca_path: ca,
    socket,
    priv_socket: priv,
    tasks_socket: path.join(run, 'tasks.sock'),
    cache_db: path.join(dir, 'cache.db'),
    log_level: 'info',
  };
  writeFileSync(configPath, Object.entries(config).map(([k, v]) => `${k} = ${tomlString(v)}`).join('\n') + '\n');
  chmodSync(configPath, 0o644);

  let child;
  let tasks;
  let exited = Promise.resolve(null);
  const h = {
    dir,
    socket,
    priv,
    configPath,
    get pid() {
      return child?.pid;
    },
    log: () => readFileSync(logPath, 'utf8'),
    call: (op, msg = {}, privileged = false) => callSocket(privileged ? priv : socket, op, msg, { timeoutMs: 5000 }),
    async start() {
      const fd = openSync(logPath, 'a');
      // WARD_UNIXD_NODE_ARGS: node flags for the daemon to compare (V8 heap flags, --trace-gc).
      const nodeArgs = process.env.WARD_UNIXD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
      child = spawn(process.execPath, [...nodeArgs, DAEMON, '-c', configPath], {
        uid: NOBODY,
        gid: NOGROUP,
        cwd: dir,
        env: { ...process.env, ...unitEnvironment('ward-unixd.service') },
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      const c = child;
      children.add(c);
      exited = new Promise((resolve) => c.once('exit', (code) => {
        children.delete(c);
        resolve(code);
      }));
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (c.exitCode !== null) throw new Error(`ward-unixd exited with ${c.exitCode}: ${h.log()}`);
        try {
          if ((await callSocket(socket, 'STATUS', {}, { timeoutMs: 1000 })).status === 0) return;
        } catch {
          /* not listening yet */
        }
        if (Date.now() > deadline) throw new Error(`ward-unixd did not answer within 20 s: ${h.log()}`);
        await sleep(20);
      }
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    /**
     * Waits until a complete listing with at least `users` users is stored and the daemon is
     * online. A STATUS call that times out (a daemon busy syncing) is a finding the probe
     * reports, not a reason to stop waiting.
     */
    async waitForRefresh(users, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let s;
        try {
          s = (await h.call('STATUS')).msg;
        } catch (e) {
          s = { error: e.message };
        }
        // last_refresh_age is set once a complete listing is stored (STATUS's sync_state stays
        // 'listing' until the first long poll after it returns, up to a minute later).
        if (s.online === 1 && s.users >= users && s.last_refresh_age !== NEVER) return s;
        if (Date.now() > deadline) {
          const tail = h.log().trim().split('\n').slice(-8).join('\n    ');
          throw new Error(`ward-unixd made no complete refresh within ${timeoutMs / 1000} s (status ${JSON.stringify(s)}); its log ends:\n    ${tail}`);
        }
        await sleep(100);
      }
    },
    /**
     * Waits until the NSS map beside the socket is current and lists at least `users` users, so
     * lookups measured next are the mapped path the daemon serves in steady state.
     */
    async waitForMap(users, timeoutMs = 120_000) {
      const file = path.join(path.dirname(socket), MAP_FILE_NAME);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const h = decodeMapHeader(readFileSync(file).subarray(0, MAP_HEADER_SIZE));
          if ((h.flags & MAP_FLAG_REPLACED) === 0 && h.pw_count >= users) return h;
        } catch {
          /* not written yet, or replaced while read */
        }
        if (Date.now() > deadline) throw new Error(`the NSS map did not list ${users} users within ${timeoutMs / 1000} s`);
        await sleep(100);
      }
    },
    /** Starts ward-unixd-tasks (as root, the same configuration); resolves its pid once it listens. */
    async startTasks() {
      const fd = openSync(path.join(dir, 'tasks.log'), 'a');
      const t = spawn(process.execPath, [TASKS, '-c', configPath], {
        cwd: dir,
        env: { ...process.env, ...unitEnvironment('ward-unixd-tasks.service') },
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      children.add(t);
      t.once('exit', () => children.delete(t));
      tasks = t;
      for (let i = 0; !existsSync(config.tasks_socket); i++) {
        if (t.exitCode !== null || i > 400) throw new Error(`ward-unixd-tasks did not listen: ${readFileSync(path.join(dir, 'tasks.log'), 'utf8')}`);
        await sleep(25);
      }
      return t.pid;
    },
    get tasksPid() {
      return tasks?.pid;
    },
    async close() {
      if (tasks && tasks.exitCode === null) {
        tasks.kill('SIGTERM');
        await new Promise((r) => (tasks.exitCode !== null ? r() : tasks.once('exit', r)));
      }
      await h.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await beforeStart?.(h);
  await h.start();
  return h;
}

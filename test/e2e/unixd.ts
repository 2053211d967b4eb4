/**
 * The real host daemons inside a HostEnv namespace: `ward-unixd` (built dist/, as `nobody`, as in
 * production) listening on the compiled-in default sockets /run/ward-unixd/sock and priv.sock,
 * `ward-unixd-tasks` (root) on /run/ward-unixd/tasks.sock, and `ward-unix` run as root the way an
 * administrator would. The daemon's config, CA copy and cache live in a folder `nobody` owns,
 * outside the namespace, so the cache survives restarts of the daemon as on a real host.
 */
import { copyFileSync, chmodSync, rmSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'smol-toml';
import { STATUS, type Msg } from '@ward/proto';
import { callSocket } from '@ward/proto/node';
import { ROOT, nobodyDir, writeNobodyFile, type HostEnv, type NsProcess, type RunResult } from './hostenv.js';

const BIN = path.join(ROOT, 'packages/unixd/dist/bin');
export const UNIXD_BIN = path.join(BIN, 'ward-unixd.js');
export const UNIX_CLI_BIN = path.join(BIN, 'ward-unix.js');
export const TASKS_BIN = path.join(BIN, 'ward-unixd-tasks.js');
/** The defaults compiled into the daemon and the C clients (docs/unixd-config.md). */
export const SOCKET = '/run/ward-unixd/sock';
export const PRIV_SOCKET = '/run/ward-unixd/priv.sock';

export interface Unixd {
  configPath: string;
  /** The running daemon (undefined while stopped). */
  readonly proc: NsProcess | undefined;
  /** Everything the daemon printed, over all its runs. */
  output(): string;
  start(): Promise<void>;
  /** SIGTERM and wait (the sockets go away, the cache stays). */
  stop(): Promise<void>;
  /** Stops, rewrites the config with `changes` merged in, starts again (same cache). */
  reconfigure(changes: Record<string, unknown>): Promise<void>;
  /** One request on the daemon's socket from this process (through /proc/<holder>/root). */
  call(op: string, msg?: Msg, priv?: boolean): ReturnType<typeof callSocket>;
  /** `ward-unix -c CONFIG ARGS...` inside the namespace, as root. */
  cli(args: string[]): Promise<RunResult>;
  /** Waits until a complete listing with at least `users` users is cached. */
  waitForRefresh(users: number, timeoutMs?: number): Promise<void>;
  /** Stops the daemon and removes its folder. */
  close(): Promise<void>;
}

export async function startUnixd(env: HostEnv, idp: { url: string; caPath: string }, config: Record<string, unknown> = {}): Promise<Unixd> {
  const dir = nobodyDir('ward-e2e-unixd-');
  const ca = path.join(dir, 'ca.pem');
  copyFileSync(idp.caPath, ca);
  chmodSync(ca, 0o644);
  const configPath = path.join(dir, 'unixd.toml');
  // socket, priv_socket and tasks_socket stay at their defaults on purpose.
  let settings: Record<string, unknown> = {
    idp_url: idp.url,
    ca_path: ca,
    cache_db: path.join(dir, 'cache.db'),
    log_level: 'debug',
    ...config,
  };
  writeNobodyFile(configPath, stringify(settings), 0o644);

  let proc: NsProcess | undefined;
  let past = '';
  const handle: Unixd = {
    configPath,
    get proc() {
      return proc;
    },
    output: () => past + (proc?.output() ?? ''),
    call: (op, msg = {}, priv = false) => callSocket(env.inside(priv ? PRIV_SOCKET : SOCKET), op, msg, { timeoutMs: 5000 }),
    cli: (args) => env.run([process.execPath, UNIX_CLI_BIN, '-c', configPath, ...args]),
    async start() {
      if (proc?.running) throw new Error('ward-unixd is already running');
      if (proc) past += proc.output();
      const p = env.spawn('ward-unixd', [process.execPath, UNIXD_BIN, '-c', configPath], { as: 'nobody' });
      proc = p;
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (!p.running) throw new Error(`ward-unixd exited before answering: ${p.output()}`);
        try {
          if ((await handle.call('STATUS', {}, false)).status === STATUS.OK) return;
        } catch {
          /* not listening yet */
        }
        if (Date.now() > deadline) throw new Error(`ward-unixd did not answer on ${SOCKET} within 20 s: ${p.output()}`);
        await sleep(50);
      }
    },
    async stop() {
      await proc?.stop();
    },
    async reconfigure(changes) {
      await handle.stop();
      settings = { ...settings, ...changes };
      writeNobodyFile(configPath, stringify(settings), 0o644);
      await handle.start();
    },
    async waitForRefresh(users, timeoutMs = 20_000) {
      await waitFor(async () => {
        const r = await handle.call('STATUS');
        return r.status === STATUS.OK && (r.msg['users'] as number) >= users && r.msg['last_refresh_age'] !== 0xffffffff;
      }, `ward-unixd to cache ${users} users`, timeoutMs);
    },
    async close() {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

/** `ward-unixd-tasks -c CONFIG` (root) inside the namespace, up once its socket accepts. */
export async function startTasks(env: HostEnv, unixd: Pick<Unixd, 'configPath'>): Promise<NsProcess> {
  const p = env.spawn('ward-unixd-tasks', [process.execPath, TASKS_BIN, '-c', unixd.configPath]);
  await waitFor(async () => {
    if (!p.running) throw new Error(`ward-unixd-tasks exited: ${p.output()}`);
    const r = await env.run(['test', '-S', '/run/ward-unixd/tasks.sock']);
    return r.code === 0;
  }, `ward-unixd-tasks to listen (${p.output()})`, 20_000);
  return p;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value; throws with the last result after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await sleep(everyMs);
  }
}

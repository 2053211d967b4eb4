/**
 * Test harness for the daemon: a real IdP (`@ward/server/testing`), data provisioned through
 * WardClient as idm_admin, and the real `ward-unixd` (built dist/) running as a child process
 * under the unprivileged `nobody` user, as in production (it refuses root). Each daemon gets its
 * own folder, owned by nobody, holding its config, CA copy, cache and sockets, and its own
 * passwd/group files so tests never depend on the machine's /etc.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'smol-toml';
import { WardClient } from '@ward/client';
import type { Msg } from '@ward/proto';
import { callSocket } from '@ward/proto/node';
import { adminToken, diesWithParent, startTestServer, testSshKey, type TestServer } from '@ward/server/testing';

export const NOBODY = 65534;
export const NOGROUP = 65534;
const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DAEMON_BIN = path.join(PKG, 'dist/bin/ward-unixd.js');
export const CLI_BIN = path.join(PKG, 'dist/bin/ward-unix.js');

/**
 * Daemons still running when the test process exits (a failed test) are killed with it; they
 * are started through diesWithParent, so a SIGKILLed test process takes them along too.
 */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export const BASE_PASSWD = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
export const BASE_GROUP = 'root:x:0:\nnogroup:x:65534:\n';

export interface Idp {
  server: TestServer;
  admin: WardClient;
  domain: string;
  close(): Promise<void>;
}

export async function startIdp(opts: { process?: boolean; config?: Record<string, string | number> } = {}): Promise<Idp> {
  const server = await startTestServer({ process: opts.process ?? false, ...(opts.config ? { config: opts.config } : {}) });
  const admin = new WardClient({ url: server.url, caPath: server.caPath, token: await adminToken(server) });
  return {
    server,
    admin,
    domain: server.domain,
    async close() {
      admin.close();
      await server.close();
    },
  };
}

export interface UserSpec {
  password?: string;
  keys?: string[];
}

/** A POSIX person with an optional unix password and SSH keys; returns its uid and keys. */
export async function makeUser(admin: WardClient, name: string, spec: UserSpec = {}): Promise<{ uid: number; keys: string[] }> {
  await admin.call('person_create', { body: { name, displayname: `${name} Example` } });
  const acct = await admin.call<{ posix: { uidnumber: number } }>('person_posix_set', { params: { id: name }, body: {} });
  if (spec.password) await admin.call('person_unix_password_set', { params: { id: name }, body: { password: spec.password } });
  const keys = spec.keys ?? [];
  for (const [i, key] of keys.entries()) await admin.call('person_ssh_add', { params: { id: name }, body: { tag: `k${i}`, key } });
  return { uid: acct.posix.uidnumber, keys };
}

/** A group (POSIX unless `posix: false`) with direct members (accounts or groups). */
export async function makeGroup(admin: WardClient, name: string, members: string[], posix = true): Promise<number | null> {
  await admin.call('group_create', { body: { name } });
  const g = posix ? await admin.call<{ gidnumber: number }>('group_posix_set', { params: { id: name }, body: {} }) : null;
  if (members.length) await admin.call('group_members_add', { params: { id: name }, body: { members } });
  return g?.gidnumber ?? null;
}

export { testSshKey };

export interface DaemonOptions {
  /** More unixd.toml keys. */
  config?: Record<string, unknown>;
  passwd?: string;
  group?: string;
}

export interface DaemonHandle {
  dir: string;
  socket: string;
  priv: string;
  configPath: string;
  cacheDb: string;
  passwdFile: string;
  groupFile: string;
  output(): string;
  /** The running daemon's process id (to SIGSTOP it), undefined when stopped. */
  pid(): number | undefined;
  /** One request on the public socket, or the privileged one with `priv`. */
  call(op: string, msg?: Msg, priv?: boolean): ReturnType<typeof callSocket>;
  /** Starts the daemon again with the same folder (cache kept) after stop(). */
  start(): Promise<void>;
  /** SIGTERM and wait; resolves to the exit code. */
  stop(): Promise<number | null>;
  close(): Promise<void>;
}

/** A folder the `nobody` user owns, for one daemon. */
export function nobodyDir(prefix = 'ward-unixd-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chownSync(dir, NOBODY, NOGROUP);
  chmodSync(dir, 0o755);
  return dir;
}

function writeOwned(file: string, text: string, mode = 0o644): void {
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
  chownSync(file, NOBODY, NOGROUP);
}

export async function startUnixd(idp: Pick<TestServer, 'url' | 'caPath'>, opts: DaemonOptions = {}): Promise<DaemonHandle> {
  const dir = nobodyDir();
  const run = path.join(dir, 'run');
  mkdirSync(run);
  chownSync(run, NOBODY, NOGROUP);
  const ca = path.join(dir, 'ca.pem');
  copyFileSync(idp.caPath, ca);
  chmodSync(ca, 0o644);
  const passwdFile = path.join(dir, 'passwd');
  const groupFile = path.join(dir, 'group');
  writeOwned(passwdFile, opts.passwd ?? BASE_PASSWD);
  writeOwned(groupFile, opts.group ?? BASE_GROUP);
  const h = {
    dir,
    socket: path.join(run, 'sock'),
    priv: path.join(run, 'priv.sock'),
    configPath: path.join(dir, 'unixd.toml'),
    cacheDb: path.join(dir, 'cache.db'),
    passwdFile,
    groupFile,
  };
  const config = {
    idp_url: idp.url,
    ca_path: ca,
    socket: h.socket,
    priv_socket: h.priv,
    tasks_socket: path.join(run, 'tasks.sock'),
    cache_db: h.cacheDb,
    local_passwd_file: passwdFile,
    local_group_file: groupFile,
    log_level: 'debug',
    ...opts.config,
  };
  writeOwned(h.configPath, stringify(config));
  h.socket = config.socket as string;
  h.priv = config.priv_socket as string;

  let child: ChildProcess | undefined;
  let out = '';
  let exited: Promise<number | null> = Promise.resolve(null);
  const handle: DaemonHandle = {
    ...h,
    output: () => out,
    pid: () => (child && child.exitCode === null ? child.pid : undefined),
    call: (op, msg = {}, priv = false) => callSocket(priv ? h.priv : h.socket, op, msg, { timeoutMs: 5000 }),
    async start() {
      const [cmd, ...args] = diesWithParent([process.execPath, DAEMON_BIN, '-c', h.configPath]);
      child = spawn(cmd!, args, {
        uid: NOBODY,
        gid: NOGROUP,
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const c = child;
      children.add(c);
      c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      c.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      exited = new Promise((resolve) => c.once('exit', (code) => {
        children.delete(c);
        resolve(code);
      }));
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (c.exitCode !== null) throw new Error(`ward-unixd exited with ${c.exitCode}: ${out}`);
        try {
          const r = await callSocket(h.socket, 'STATUS', {}, { timeoutMs: 1000 });
          if (r.status === 0) return;
        } catch {
          /* not up yet */
        }
        if (Date.now() > deadline) throw new Error(`ward-unixd did not come up: ${out}`);
        await sleep(50);
      }
    },
    async stop() {
      if (!child || child.exitCode !== null) return child?.exitCode ?? null;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async close() {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value (or `timeoutMs` passes, then throws). */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await sleep(100);
  }
}

/** Waits until the daemon follows the IdP's change log (a complete listing stored, the stream live). */
export async function waitForLive(d: DaemonHandle, timeoutMs = 15_000): Promise<void> {
  try {
    await waitFor(async () => (await d.call('STATUS')).msg['sync_state'] === 'live', 'the sync stream to be live', timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}; the daemon's log ends:\n${d.output().split('\n').filter((l) => !l.includes('request STATUS')).slice(-12).join('\n')}`);
  }
}

/** Waits until the daemon has stored a complete listing from the IdP. */
export async function waitForRefresh(d: DaemonHandle, users: number): Promise<void> {
  await waitFor(async () => {
    const r = await d.call('STATUS');
    return r.status === 0 && (r.msg['users'] as number) >= users && r.msg['last_refresh_age'] !== 0xffffffff;
  }, `a refresh with ${users} users`);
}

/** Names of the accounts whose offline password hash the daemon's cache holds (read-only). */
export function cachedHashNames(d: Pick<DaemonHandle, 'cacheDb'>): string[] {
  const db = new Database(d.cacheDb, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT a.name FROM password p JOIN account a USING (uuid) ORDER BY a.name').pluck().all() as string[];
  } finally {
    db.close();
  }
}

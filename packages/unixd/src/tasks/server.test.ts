/**
 * The real `ward-unixd-tasks` process (built dist/), started as root with a config file in a
 * throwaway directory: who may connect to its socket, a home made through the socket, the one
 * operation it serves, garbage closing only that connection, and a clean stop.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REQUEST_MAX, STATUS } from '@ward/proto';
import { callSocket, frame } from '@ward/proto/node';
import { sigtermWhenFileAppears } from '@ward/server/testing';

const BIN = fileURLToPath(new URL('../../dist/bin/ward-unixd-tasks.js', import.meta.url));
/** The owner given to the socket's directory: the socket must be handed to this uid. */
const DAEMON_UID = 70500;

let tmp: string;
let sock: string;
let prefix: string;
let configFile: string;
let child: ChildProcess | undefined;
let stderr = '';

function writeConfig(extra = ''): void {
  fs.writeFileSync(
    configFile,
    [
      'idp_url = "https://idm.example.com"',
      `tasks_socket = "${sock}"`,
      `home_prefix = "${prefix}/"`,
      `local_passwd_file = "${path.join(tmp, 'passwd')}"`,
      extra,
    ].join('\n'),
  );
}

/** Starts the daemon and resolves once its socket answers (or rejects when it exits first). */
function start(args: string[] = []): Promise<void> {
  stderr = '';
  const proc = spawn(process.execPath, [BIN, '-c', configFile, '--skel', path.join(tmp, 'skel'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  child = proc;
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let exited = false;
    proc.once('exit', (code) => {
      exited = true;
      reject(new Error(`exited with ${code}: ${stderr}`));
    });
    const poll = () => {
      if (stderr.includes('listening on')) resolve();
      else if (!exited) setTimeout(poll, 20);
    };
    poll();
  });
}

function stop(): Promise<number | null> {
  const proc = child;
  child = undefined;
  if (!proc || proc.exitCode !== null) return Promise.resolve(proc?.exitCode ?? null);
  return new Promise((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
}

function homeCreate(name: string, uid: number, aliases: string[] = []) {
  return callSocket(sock, 'HOME_CREATE', { name, uid, gid: uid, dir: `${prefix}/${name}`, aliases });
}

/** Sends raw bytes; resolves with what came back before the daemon closed the connection. */
function sendRaw(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    const got: Buffer[] = [];
    c.on('connect', () => c.write(bytes));
    c.on('data', (d) => got.push(d));
    c.on('close', () => resolve(Buffer.concat(got)));
    c.on('error', reject);
  });
}

/** Connects to the socket as another uid (setpriv, no login needed); returns the error code or 'connected'. */
function connectAs(uid: number): string {
  const script = `require('net').createConnection(${JSON.stringify(sock)}).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`;
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8' });
  return r.stdout.trim();
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ward-tasksd-'));
  fs.chmodSync(tmp, 0o755);
  prefix = path.join(tmp, 'home');
  fs.mkdirSync(prefix, 0o755);
  fs.mkdirSync(path.join(tmp, 'skel'));
  fs.writeFileSync(path.join(tmp, 'skel', '.profile'), '# profile\n', { mode: 0o644 });
  fs.writeFileSync(path.join(tmp, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  const run = path.join(tmp, 'run');
  fs.mkdirSync(run, 0o755);
  fs.chownSync(run, DAEMON_UID, DAEMON_UID);
  sock = path.join(run, 'tasks.sock');
  configFile = path.join(tmp, 'unixd.toml');
  writeConfig();
});

afterEach(async () => {
  await stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('ward-unixd-tasks', () => {
  it('serves its socket to root and the socket directory\'s owner only, mode 0600', async () => {
    await start();
    const st = fs.lstatSync(sock);
    expect([st.isSocket(), st.mode & 0o777, st.uid, st.gid]).toEqual([true, 0o600, DAEMON_UID, DAEMON_UID]);
    expect(connectAs(DAEMON_UID)).toBe('connected');
    expect(connectAs(65534)).toBe('EACCES');
    expect(connectAs(70001)).toBe('EACCES');
  });

  it('creates a home through the socket, with the skeleton, and finds it the second time', async () => {
    await start();
    const first = await homeCreate('alice', 70001);
    expect(first).toEqual({ status: STATUS.OK, msg: { message: `created ${prefix}/alice for alice (uid 70001)` }, message: '' });
    const st = fs.lstatSync(path.join(prefix, 'alice'));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([70001, 70001, 0o700]);
    expect(fs.readFileSync(path.join(prefix, 'alice', '.profile'), 'utf8')).toBe('# profile\n');
    const second = await homeCreate('alice', 70001);
    expect(second.msg['message']).toBe(`found ${prefix}/alice for alice (uid 70001)`);
    expect(stderr).toMatch(/created .*alice/);
  });

  it('answers a refusal with its status and message, and logs it', async () => {
    await start();
    fs.mkdirSync(path.join(prefix, 'bob'));
    const r = await homeCreate('bob', 70002);
    expect([r.status, r.message]).toEqual([STATUS.DENIED, `${prefix}/bob exists and belongs to uid 0, not 70002`]);
    const bad = await callSocket(sock, 'HOME_CREATE', { name: 'eve', uid: 0, gid: 0, dir: '/etc', aliases: [] });
    expect(bad.status).toBe(STATUS.BAD_REQUEST);
    expect(stderr).toMatch(/refused: .*belongs to uid 0/);
  });

  it('serves HOME_CREATE only', async () => {
    await start();
    const r = await callSocket(sock, 'PW_BY_NAME', { name: 'alice' });
    expect([r.status, r.message]).toEqual([STATUS.FORBIDDEN, 'the tasks socket serves HOME_CREATE only']);
  });

  it('closes a connection that sends garbage, and keeps serving others', async () => {
    await start();
    const oversized = Buffer.alloc(4);
    oversized.writeUInt32BE(REQUEST_MAX + 1);
    expect((await sendRaw(oversized)).length).toBe(0);
    expect((await sendRaw(frame(Buffer.from('not a request at all')))).length).toBe(0);
    // A HOME_CREATE cut short inside its fields.
    const truncated = Buffer.alloc(8);
    truncated.writeUInt32BE(100, 0);
    truncated.writeUInt32BE(50, 4);
    expect((await sendRaw(frame(truncated))).length).toBe(0);
    expect(stderr).toMatch(/closed a connection that sent garbage/);
    expect((await homeCreate('carol', 70003)).status).toBe(STATUS.OK);
  });

  it('replaces a stale socket but never another file, and refuses a second instance', async () => {
    const stale = net.createServer().listen(sock);
    await new Promise((r) => stale.once('listening', r));
    await expect(start()).rejects.toThrow(/another process already serves/);
    await new Promise((r) => stale.close(r));

    fs.writeFileSync(sock, 'not a socket');
    await expect(start()).rejects.toThrow(/exists and is not a socket; refusing to replace it/);
    fs.unlinkSync(sock);

    // A process killed outright leaves its socket file behind, with nobody listening.
    const dead = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(dead.signal).toBe('SIGKILL');
    expect(fs.lstatSync(sock).isSocket()).toBe(true);
    await start();
    expect((await homeCreate('dave', 70004)).status).toBe(STATUS.OK);
  });

  it('stops cleanly on SIGTERM and removes its socket', async () => {
    await start();
    expect(await stop()).toBe(0);
    expect(fs.existsSync(sock)).toBe(false);
  });

  it('stops cleanly on a SIGTERM that arrives while it starts', async () => {
    // The socket file appears before the daemon says it listens: a daemon that installs its
    // handler late dies of the signal's default action there and leaves the socket behind.
    const r = await sigtermWhenFileAppears([process.execPath, BIN, '-c', configFile, '--skel', path.join(tmp, 'skel')], sock);
    expect({ sent: r.sent, code: r.code, signal: r.signal }, r.stderr).toEqual({ sent: true, code: 0, signal: null });
    expect(fs.existsSync(sock)).toBe(false);
  });

  it('refuses to start as another user than root, or with a bad configuration', () => {
    // CAP_DAC_READ_SEARCH only so that nobody can read the checkout wherever it lives.
    const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search',
      process.execPath, BIN, '-c', configFile], { encoding: 'utf8' });
    expect(asNobody.status).toBe(1);
    expect(asNobody.stderr).toBe('ward-unixd-tasks: must run as root: it creates home directories and gives them to their users\n');
    writeConfig('home_by = "email"');
    const bad = spawnSync(process.execPath, [BIN, '-c', configFile], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/home_by/);
  });

  it('refuses a socket directory that others may write to', async () => {
    fs.chmodSync(path.dirname(sock), 0o777);
    await expect(start()).rejects.toThrow(/is writable by group or others/);
  });
});

/**
 * The tasks socket: the only way into ward-unixd-tasks. One operation is served, HOME_CREATE,
 * in the host protocol's framing (proto's FrameReader and codec).
 *
 * Who may connect: Node cannot read a peer's credentials, so the socket's file mode is the
 * gate. It is created under umask 077 (never connectable by others, not even for an instant),
 * then set to mode 0600 and given to the owner of the directory it lives in. Under systemd that
 * directory is ward-unixd's RuntimeDirectory (/run/ward-unixd), owned by the daemon's user, so
 * exactly two parties can connect: root and ward-unixd. No key names that user: the directory
 * already does, and the directory must not be writable by group or others (checked at start).
 *
 * Bounds: requests above REQUEST_MAX bytes, undecodable payloads and idle connections
 * (SERVER_IDLE_MS) close that connection and nothing else; at most MAX_CONNECTIONS at once.
 * Requests are handled one at a time (the work is synchronous), so two sessions of one user
 * cannot race to create the same home.
 */
import fs from 'node:fs';
import net from 'node:net';
import {
  decodeRequest, encodeResponse, redactForLog, REQUEST_MAX, SERVER_IDLE_MS, STATUS, TASK_OPS,
  type DecodedRequest, type StatusCode,
} from '@ward/proto';
import { FrameReader, frame } from '@ward/proto/node';
import type { Logger } from '../log.js';
import { createHome } from './home.js';
import { TaskRefusal } from './refusal.js';
import { planHome } from './request.js';
import { checkSocketDir, lstatOrNull } from './safe-path.js';
import type { TasksSettings } from './settings.js';

const MAX_CONNECTIONS = 16;
const SOCKET_MODE = 0o600;

export interface TasksServer {
  readonly path: string;
  close(): Promise<void>;
}

/** One request in, one response out (a status and a message). Never throws. */
export function handleRequest(req: DecodedRequest, settings: TasksSettings, log: Logger): Uint8Array {
  const what = redactForLog(req.op, req.msg);
  if (req.op !== 'HOME_CREATE') {
    log.warn(`tasks: refused ${req.op}: not an operation of the tasks socket`);
    return encodeResponse(req.op, STATUS.FORBIDDEN, 'the tasks socket serves HOME_CREATE only');
  }
  let status: StatusCode;
  let message: string;
  try {
    const result = createHome(planHome(req.msg, settings), settings);
    for (const skipped of result.skel?.skipped ?? []) log.warn(`tasks: skeleton entry ${skipped} is not a file, directory or symlink; skipped`);
    // Every session of an existing user lands here: only a creation is worth an info line.
    if (result.created || result.aliasesCreated.length) log.info(`tasks: ${result.message}`);
    else log.debug(`tasks: ${result.message}`);
    return encodeResponse(req.op, STATUS.OK, { message: result.message });
  } catch (e) {
    if (e instanceof TaskRefusal) {
      status = e.status;
      message = e.message;
      log.warn(`tasks: ${what}: refused: ${message}`);
    } else {
      status = STATUS.ERROR;
      message = `home directory not created: ${(e as Error).message}`;
      log.error(`tasks: ${what}: ${message}`);
    }
  }
  return encodeResponse(req.op, status, message);
}

function serveConnection(sock: net.Socket, settings: TasksSettings, log: Logger): void {
  const reader = new FrameReader(REQUEST_MAX);
  sock.setTimeout(SERVER_IDLE_MS, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = reader.push(chunk);
      for (const payload of frames) {
        const req = decodeRequest(payload);
        sock.write(frame(handleRequest(req, settings, log)));
      }
    } catch (e) {
      log.warn(`tasks: closed a connection that sent garbage: ${(e as Error).message}`);
      sock.destroy();
    }
  });
}

/** Is something already answering on `p`? */
function listening(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(p);
    probe.on('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
}

/** Removes a stale socket of an earlier run; refuses to replace anything else. */
async function clearSocketPath(p: string): Promise<void> {
  const st = lstatOrNull(p);
  if (!st) return;
  if (!st.isSocket()) throw new Error(`${p} exists and is not a socket; refusing to replace it`);
  if (await listening(p)) throw new Error(`another process already serves ${p}`);
  fs.unlinkSync(p);
}

export async function startTasksServer(settings: TasksSettings, log: Logger): Promise<TasksServer> {
  const p = settings.tasksSocket;
  const dir = checkSocketDir(p);
  await clearSocketPath(p);
  // The socket file is created with the process umask: 077 keeps it closed to everyone but root
  // from the moment it exists until it is handed to the directory's owner below.
  process.umask(0o077);
  const server = net.createServer((sock) => serveConnection(sock, settings, log));
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(p, SOCKET_MODE);
  fs.chownSync(p, dir.uid, dir.gid);
  const ino = fs.lstatSync(p).ino;
  server.on('error', (e) => log.error(`tasks: socket error: ${e.message}`));
  log.info(`tasks: listening on ${p} (mode 0600, uid ${dir.uid}); serving ${Object.keys(TASK_OPS).join(', ')}`);

  const open = new Set<net.Socket>();
  server.on('connection', (sock) => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
  });
  return {
    path: p,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const sock of open) sock.destroy();
        // Remove the socket only if it is still ours (a newer instance may have replaced it).
        if (lstatOrNull(p)?.ino === ino) fs.unlinkSync(p);
      }),
  };
}

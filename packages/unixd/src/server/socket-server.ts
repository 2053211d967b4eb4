/**
 * One Unix socket of the daemon (`node:net`), speaking proto's framing. Who may connect is
 * decided by the socket file's mode (Node cannot read peer credentials): the public socket is
 * 0666 and refuses privileged ops with FORBIDDEN; the privileged one is 0600.
 *
 * Every connection is bounded: frames above REQUEST_MAX, undecodable payloads, unknown ops and
 * ops of another socket (the tasks ops) get one BAD_REQUEST answer and the connection is closed;
 * a connection idle for SERVER_IDLE_MS is closed; at most MAX_QUEUED requests wait on one
 * connection and at most MAX_CONNECTIONS connections are open. None of this affects any other
 * connection. Requests are answered in order, each within SERVER_IDLE_MS.
 */
import net from 'node:net';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import {
  OPS, REQUEST_MAX, RESPONSE_MAX, SERVER_IDLE_MS, STATUS, decodeRequest, encodeError, encodeResponse, redactForLog,
  type Msg, type StatusCode,
} from '@ward/proto';
import { FrameReader, frame } from '@ward/proto/node';
import type { Logger } from '../log.js';

export const MAX_CONNECTIONS = 512;
/** Pipelined requests waiting on one connection; C clients send one at a time. */
const MAX_QUEUED = 16;
const TRUNCATED = Symbol('truncated frame');

export interface Reply {
  status: StatusCode;
  /** The response fields when OK. */
  msg?: Msg;
  /** The message when not OK. */
  message?: string;
}

export type Handler = (op: string, msg: Msg) => Promise<Reply>;

export interface Endpoint {
  path: string;
  mode: number;
  privileged: boolean;
}

export class SocketServer {
  private readonly server: net.Server;
  private readonly conns = new Set<net.Socket>();
  private ino: number | undefined;

  constructor(
    readonly endpoint: Endpoint,
    private readonly handler: Handler,
    private readonly log: Logger,
  ) {
    this.server = net.createServer({ allowHalfOpen: true }, (sock) => this.accept(sock));
    this.server.maxConnections = MAX_CONNECTIONS;
  }

  async listen(): Promise<void> {
    await prepareSocketPath(this.endpoint.path);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.endpoint.path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    chmodSync(this.endpoint.path, this.endpoint.mode);
    this.ino = lstatSync(this.endpoint.path).ino;
    this.server.on('error', (e) => this.log.error(`socket ${this.endpoint.path}: ${e.message}`));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.conns) c.destroy();
    await closed;
    // Remove the file only if it is still ours (a new daemon may have taken the path over).
    try {
      if (this.ino !== undefined && lstatSync(this.endpoint.path).ino === this.ino) unlinkSync(this.endpoint.path);
    } catch {
      /* already gone */
    }
  }

  private accept(sock: net.Socket): void {
    this.conns.add(sock);
    const reader = new FrameReader(REQUEST_MAX);
    // Frames to answer in order; TRUNCATED stands for a frame the client never finished.
    const queue: Array<Buffer | typeof TRUNCATED> = [];
    let busy = false;
    let ended = false;
    let dead = false;

    const finish = () => {
      if (dead) return;
      dead = true;
      sock.end();
    };
    const refuse = (why: string) => {
      this.log.debug(`socket ${this.endpoint.path}: closing a connection: ${why}`);
      queue.length = 0;
      if (!dead && sock.writable) sock.write(frame(encodeError(STATUS.BAD_REQUEST, why)));
      finish();
    };
    const pump = async () => {
      if (busy) return;
      busy = true;
      while (queue.length && !dead) {
        const item = queue.shift()!;
        if (item === TRUNCATED) {
          refuse('truncated frame');
          break;
        }
        const out = await this.answer(item);
        if (dead) break;
        sock.write(out.bytes);
        if (out.close) finish();
      }
      busy = false;
      if (ended) finish();
    };

    sock.setTimeout(SERVER_IDLE_MS, () => {
      this.log.debug(`socket ${this.endpoint.path}: closing an idle connection`);
      sock.destroy();
    });
    sock.on('data', (chunk: Buffer) => {
      if (dead || ended) return;
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        return refuse((e as Error).message);
      }
      if (queue.length + frames.length > MAX_QUEUED) return refuse(`more than ${MAX_QUEUED} requests queued`);
      queue.push(...frames);
      void pump();
    });
    sock.on('end', () => {
      ended = true;
      // A half-sent frame will never complete: answer it (after what came before) instead of
      // leaving the client waiting.
      if (reader.pending > 0) queue.push(TRUNCATED);
      void pump();
    });
    sock.on('error', (e) => this.log.debug(`socket ${this.endpoint.path}: connection error: ${e.message}`));
    sock.on('close', () => {
      dead = true;
      this.conns.delete(sock);
    });
  }

  /** Decodes one request and produces the bytes of its answer; `close` after garbage. */
  private async answer(payload: Buffer): Promise<{ bytes: Buffer; close: boolean }> {
    let op: string;
    let msg: Msg;
    try {
      const req = decodeRequest(payload);
      op = req.op;
      msg = req.msg;
    } catch (e) {
      return { bytes: frame(encodeError(STATUS.BAD_REQUEST, (e as Error).message)), close: true };
    }
    const def = (OPS as Record<string, { privileged: boolean }>)[op];
    if (!def) return { bytes: frame(encodeError(STATUS.BAD_REQUEST, `${op} is not served on this socket`)), close: true };
    if (this.log.enabled('debug')) this.log.debug(`request ${redactForLog(op, msg)}`);
    if (def.privileged && !this.endpoint.privileged) {
      return { bytes: frame(encodeResponse(op, STATUS.FORBIDDEN, `${op} is only served on the privileged socket`)), close: false };
    }
    let reply: Reply;
    try {
      reply = await withDeadline(this.handler(op, msg), SERVER_IDLE_MS);
    } catch (e) {
      this.log.error(`${op} failed: ${(e as Error).message}`);
      reply = { status: STATUS.ERROR, message: 'internal error in ward-unixd' };
    }
    try {
      const bytes = encodeResponse(op, reply.status, reply.status === STATUS.OK ? (reply.msg ?? {}) : (reply.message ?? ''));
      if (bytes.length > RESPONSE_MAX) {
        this.log.warn(`${op}: the answer (${bytes.length} bytes) exceeds the protocol limit of ${RESPONSE_MAX}`);
        return { bytes: frame(encodeResponse(op, STATUS.ERROR, 'answer too large')), close: false };
      }
      return { bytes: frame(bytes), close: false };
    } catch (e) {
      this.log.error(`${op}: cannot encode the answer: ${(e as Error).message}`);
      return { bytes: frame(encodeResponse(op, STATUS.ERROR, 'internal error in ward-unixd')), close: false };
    }
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * Makes the socket path usable: creates the directory, removes a stale socket left by a crash,
 * and refuses to take over a live daemon's socket or to delete anything that is not a socket.
 */
async function prepareSocketPath(file: string): Promise<void> {
  const dir = path.dirname(file);
  // Directories we create must let every user reach the public socket, whatever the umask.
  const first = mkdirSync(dir, { recursive: true });
  if (first) for (let d = dir; d.length >= first.length; d = path.dirname(d)) chmodSync(d, 0o755);
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${file} exists and is not a socket; refusing to replace it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.createConnection(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`another daemon is already listening on ${file}`);
  unlinkSync(file);
}

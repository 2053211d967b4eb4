/**
 * A stand-in for ward-unixd on a Unix socket, built from the real codec and FrameReader, for the
 * native tests only. It exists to drive the C side through cases the real daemon never
 * produces (garbage, oversized or truncated frames, a daemon that hangs, entries that would
 * corrupt /etc/passwd text) and to count what the C clients ask. Normal answers come from a
 * small in-memory directory that answers like the daemon: by short name or name@domain, pages
 * of ENUM_PAGE entries by offset, nested groups already resolved into INITGROUPS gids.
 */
import net from 'node:net';
import {
  decodeRequest, encodeError, encodeResponse, ENUM_PAGE, REQUEST_MAX, STATUS,
  type DecodedRequest, type Msg,
} from '@ward/proto';
import { FrameReader, frame } from '@ward/proto/node';

export type Reply =
  | { kind: 'frame'; payload: Uint8Array } // a well-framed payload (maybe a malformed one)
  | { kind: 'raw'; bytes: Buffer; close: boolean } // bytes written as they are
  | { kind: 'hang' } // read the request, never answer
  | { kind: 'close' }; // hang up without answering

export type Handler = (req: DecodedRequest) => Reply;

export class FakeDaemon {
  readonly requests: DecodedRequest[] = [];
  connections = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly path: string, public handler: Handler, private readonly server: net.Server) {}

  static async start(path: string, handler: Handler): Promise<FakeDaemon> {
    const server = net.createServer();
    const daemon = new FakeDaemon(path, handler, server);
    server.on('connection', (sock) => daemon.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return daemon;
  }

  private serve(sock: net.Socket): void {
    this.connections++;
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    const reader = new FrameReader(REQUEST_MAX);
    sock.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
        for (const f of frames) {
          const req = decodeRequest(f);
          this.requests.push(req);
          this.answer(sock, this.handler(req));
        }
      } catch {
        sock.end(frame(encodeError(STATUS.BAD_REQUEST, 'malformed request')));
      }
    });
  }

  private answer(sock: net.Socket, reply: Reply): void {
    if (reply.kind === 'frame') sock.write(frame(reply.payload));
    else if (reply.kind === 'raw') {
      if (reply.close) sock.end(reply.bytes);
      else sock.write(reply.bytes);
    } else if (reply.kind === 'close') sock.destroy();
  }

  /** Requests of one op seen so far, e.g. to prove a lookup never reached the daemon. */
  asked(op: string): Msg[] {
    return this.requests.filter((r) => r.op === op).map((r) => r.msg);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface User {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  dir: string;
  shell: string;
  keys: string[];
  /** Every gid the user is in, nested memberships included, as the daemon resolves them. */
  gids: number[];
}
export interface Group {
  name: string;
  gid: number;
  members: string[];
}

export const DOMAIN = 'example.com';

/** Answers like ward-unixd from fixed users and groups. */
export function directoryHandler(users: User[], groups: Group[]): Handler {
  const short = (n: string) => (n.endsWith(`@${DOMAIN}`) ? n.slice(0, -DOMAIN.length - 1) : n);
  const ok = (op: string, msg: Msg): Reply => ({ kind: 'frame', payload: encodeResponse(op, STATUS.OK, msg) });
  const notFound = (op: string): Reply => ({ kind: 'frame', payload: encodeResponse(op, STATUS.NOT_FOUND, 'no such entry') });
  const pw = (u: User): Msg => ({ name: u.name, uid: u.uid, gid: u.gid, gecos: u.gecos, dir: u.dir, shell: u.shell });
  const gr = (g: Group): Msg => ({ name: g.name, gid: g.gid, members: g.members });
  return ({ op, msg }) => {
    const name = typeof msg.name === 'string' ? short(msg.name) : undefined;
    const user = name !== undefined ? users.find((u) => u.name === name) : users.find((u) => u.uid === msg.uid);
    const group = name !== undefined ? groups.find((g) => g.name === name) : groups.find((g) => g.gid === msg.gid);
    const offset = typeof msg.offset === 'number' ? msg.offset : 0;
    switch (op) {
      case 'PW_BY_NAME':
      case 'PW_BY_UID':
        return user ? ok(op, { entry: pw(user) }) : notFound(op);
      case 'GR_BY_NAME':
      case 'GR_BY_GID':
        return group ? ok(op, { entry: gr(group) }) : notFound(op);
      case 'PW_ENUM':
        return ok(op, { entries: users.slice(offset, offset + ENUM_PAGE).map(pw) });
      case 'GR_ENUM':
        return ok(op, { entries: groups.slice(offset, offset + ENUM_PAGE).map(gr) });
      case 'INITGROUPS':
        return user ? ok(op, { gids: user.gids }) : notFound(op);
      case 'SSH_KEYS':
        return user ? ok(op, { keys: user.keys }) : notFound(op);
      default:
        return { kind: 'frame', payload: encodeResponse(op, STATUS.FORBIDDEN, 'not on this socket') };
    }
  };
}

/** Hand-made wire fields, for answers the real codec refuses to produce (malformed on purpose). */
export const rawU32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
export const rawStr = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([rawU32(b.length), b]);
};

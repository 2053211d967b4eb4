/**
 * The length-prefixed framing over `node:net`, for the daemon and for TypeScript clients (the
 * `ward-unix` tool, tests). A frame is a 4-byte big-endian length, then that many bytes.
 */
import net from 'node:net';
import {
  decodeResponse, encodeRequest, ProtocolError, type DecodedResponse, type Msg,
} from '../socket/codec.js';

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

/**
 * Splits a byte stream into frames. A declared length above `max` is a protocol error at once:
 * the reader never buffers more than one bounded frame.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly max: number) {}

  /** Feed bytes; returns the complete frames now available. Throws ProtocolError on an oversized frame. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buf.length < 4) break;
      const len = this.buf.readUInt32BE(0);
      if (len > this.max) throw new ProtocolError(`frame of ${len} bytes exceeds ${this.max}`);
      if (this.buf.length < 4 + len) break;
      frames.push(this.buf.subarray(4, 4 + len));
      this.buf = this.buf.subarray(4 + len);
    }
    return frames;
  }

  get pending(): number {
    return this.buf.length;
  }
}

export interface CallOptions {
  timeoutMs?: number;
  maxResponse?: number;
}

/** One request, one response, over a fresh connection to a Unix socket. */
export function callSocket(path: string, op: string, msg: Msg = {}, opts: CallOptions = {}): Promise<DecodedResponse> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const reader = new FrameReader(opts.maxResponse ?? 1024 * 1024);
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (err: Error | null, value?: DecodedResponse) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    sock.on('connect', () => sock.write(frame(encodeRequest(op, msg))));
    sock.on('data', (chunk) => {
      try {
        const frames = reader.push(chunk);
        if (frames.length) done(null, decodeResponse(op, frames[0]!));
      } catch (e) {
        done(e as Error);
      }
    });
    sock.on('error', (e) => done(e));
    sock.on('end', () => done(new Error(`connection to ${path} closed without an answer`)));
  });
}

/**
 * Encoder and decoder for the host socket protocol (see schema.ts). Pure: no Node APIs beyond
 * TextEncoder/TextDecoder, so every side of the protocol shares it. Decoding is strict: a
 * truncated field, a length over its bound, invalid UTF-8, a NUL inside a string or bytes left
 * over are errors, never guesses.
 */
import {
  LIST_MAX, OPS, RECORDS, SECRET_FIELDS as SECRET_FIELD_NAMES, STATUS, STR_MAX, TASK_OPS,
  type FieldType, type Fields, type OpDef, type RecordName,
} from './schema.js';

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export type Value = number | string | string[] | number[] | Msg | Msg[];
export interface Msg { [field: string]: Value }

const utf8 = new TextEncoder();
// ignoreBOM: a string that starts with U+FEFF must round-trip unchanged (the C side keeps it too).
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Writer {
  private chunks: Uint8Array[] = [];
  size = 0;
  u32(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new ProtocolError(`not a u32: ${n}`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    this.push(b);
  }
  str(s: string): void {
    if (typeof s !== 'string') throw new ProtocolError('not a string');
    const b = utf8.encode(s);
    if (b.length > STR_MAX) throw new ProtocolError('string too long');
    if (b.includes(0)) throw new ProtocolError('string contains NUL');
    this.u32(b.length);
    this.push(b);
  }
  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

class Reader {
  private at = 0;
  private view: DataView;
  constructor(private buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u32(): number {
    if (this.at + 4 > this.buf.length) throw new ProtocolError('truncated message');
    const n = this.view.getUint32(this.at);
    this.at += 4;
    return n;
  }
  str(): string {
    const len = this.u32();
    if (len > STR_MAX) throw new ProtocolError('string too long');
    if (this.at + len > this.buf.length) throw new ProtocolError('truncated message');
    const bytes = this.buf.subarray(this.at, this.at + len);
    this.at += len;
    if (bytes.includes(0)) throw new ProtocolError('string contains NUL');
    try {
      return utf8Strict.decode(bytes);
    } catch {
      throw new ProtocolError('string is not UTF-8');
    }
  }
  count(): number {
    const n = this.u32();
    if (n > LIST_MAX) throw new ProtocolError('list too long');
    // Every item takes at least 4 bytes: refuse counts the rest of the buffer cannot hold.
    if (n * 4 > this.buf.length - this.at) throw new ProtocolError('truncated message');
    return n;
  }
  end(): void {
    if (this.at !== this.buf.length) throw new ProtocolError('trailing bytes after message');
  }
}

function isRecord(t: FieldType): t is RecordName {
  return Object.prototype.hasOwnProperty.call(RECORDS, t);
}

function writeField(w: Writer, type: FieldType, v: Value | undefined, name: string): void {
  if (v === undefined) throw new ProtocolError(`missing field ${name}`);
  if (type === 'u32') return w.u32(v as number);
  if (type === 'str') return w.str(v as string);
  if (type === 'strs' || type === 'u32s' || type.endsWith('[]')) {
    if (!Array.isArray(v)) throw new ProtocolError(`field ${name} must be a list`);
    if (v.length > LIST_MAX) throw new ProtocolError(`field ${name} too long`);
    w.u32(v.length);
    const item = type === 'strs' ? 'str' : type === 'u32s' ? 'u32' : (type.slice(0, -2) as RecordName);
    for (const x of v) writeField(w, item, x as Value, name);
    return;
  }
  if (isRecord(type)) return writeFields(w, RECORDS[type], v as Msg);
  throw new ProtocolError(`unknown field type ${type}`);
}

function writeFields(w: Writer, fields: Fields, msg: Msg): void {
  if (typeof msg !== 'object' || msg === null) throw new ProtocolError('record must be an object');
  for (const [name, type] of fields) writeField(w, type, msg[name], name);
}

function readField(r: Reader, type: FieldType): Value {
  if (type === 'u32') return r.u32();
  if (type === 'str') return r.str();
  if (type === 'strs') return Array.from({ length: r.count() }, () => r.str());
  if (type === 'u32s') return Array.from({ length: r.count() }, () => r.u32());
  if (type.endsWith('[]')) {
    const rec = RECORDS[type.slice(0, -2) as RecordName];
    return Array.from({ length: r.count() }, () => readFields(r, rec));
  }
  if (isRecord(type)) return readFields(r, RECORDS[type]);
  throw new ProtocolError(`unknown field type ${type}`);
}

function readFields(r: Reader, fields: Fields): Msg {
  const out: Msg = {};
  for (const [name, type] of fields) out[name] = readField(r, type);
  return out;
}

/** Fields in wire order, without framing: the memory-mapped NSS file stores its records this way (map/format.ts). */
export function encodeFields(fields: Fields, msg: Msg): Uint8Array {
  const w = new Writer();
  writeFields(w, fields, msg);
  return w.bytes();
}

/** The inverse of encodeFields; every byte must be used. */
export function decodeFields(fields: Fields, bytes: Uint8Array): Msg {
  const r = new Reader(bytes);
  const msg = readFields(r, fields);
  r.end();
  return msg;
}

const ALL_OPS: Record<string, OpDef> = { ...OPS, ...TASK_OPS };
const OPS_BY_CODE = new Map<number, [string, OpDef]>(Object.entries(ALL_OPS).map(([k, v]) => [v.code, [k, v]]));

export function opByCode(code: number): [string, OpDef] | undefined {
  return OPS_BY_CODE.get(code);
}

export function encodeRequest(op: string, msg: Msg = {}): Uint8Array {
  const def = ALL_OPS[op];
  if (!def) throw new ProtocolError(`unknown op ${op}`);
  const w = new Writer();
  w.u32(def.code);
  writeFields(w, def.request, msg);
  return w.bytes();
}

export interface DecodedRequest { op: string; def: OpDef; msg: Msg }

export function decodeRequest(payload: Uint8Array): DecodedRequest {
  const r = new Reader(payload);
  const code = r.u32();
  const found = OPS_BY_CODE.get(code);
  if (!found) throw new ProtocolError(`unknown op code ${code}`);
  const [op, def] = found;
  const msg = readFields(r, def.request);
  r.end();
  return { op, def, msg };
}

export type StatusCode = (typeof STATUS)[keyof typeof STATUS];

export function encodeResponse(op: string, status: StatusCode, msg: Msg | string = {}): Uint8Array {
  const def = ALL_OPS[op];
  if (!def) throw new ProtocolError(`unknown op ${op}`);
  const w = new Writer();
  w.u32(status);
  if (status === STATUS.OK) writeFields(w, def.response, msg as Msg);
  else w.str(typeof msg === 'string' ? msg : '');
  return w.bytes();
}

/** An error response that needs no op (garbage that could not be decoded). */
export function encodeError(status: StatusCode, message: string): Uint8Array {
  const w = new Writer();
  w.u32(status);
  w.str(message);
  return w.bytes();
}

export interface DecodedResponse { status: number; msg: Msg; message: string }

export function decodeResponse(op: string, payload: Uint8Array): DecodedResponse {
  const def = ALL_OPS[op];
  if (!def) throw new ProtocolError(`unknown op ${op}`);
  const r = new Reader(payload);
  const status = r.u32();
  if (status === STATUS.OK) {
    const msg = readFields(r, def.response);
    r.end();
    return { status, msg, message: '' };
  }
  const message = r.str();
  r.end();
  return { status, msg: {}, message };
}

/** A request rendered for a log line: secrets replaced, whatever the op. */
export function redactForLog(op: string, msg: Msg): string {
  const parts = Object.entries(msg).map(([k, v]) =>
    SECRET_FIELD_NAMES.has(k) ? `${k}=<redacted>` : `${k}=${JSON.stringify(v)}`,
  );
  return `${op}${parts.length ? ' ' + parts.join(' ') : ''}`;
}

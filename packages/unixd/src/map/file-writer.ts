/**
 * Writes one memory-mapped NSS file (layout: packages/proto/src/map/format.ts) without holding it
 * in memory: records are streamed through a bounded buffer into a temporary file beside the
 * target, and only (hash, offset) pairs are kept for the tables. `finish()` appends the tables
 * and the enumeration order, writes the header last and renames the file into place, so a
 * reader opening the path sees either the old file or the complete new one.
 */
import { closeSync, fchmodSync, fstatSync, openSync, renameSync, unlinkSync, writeSync, constants as C } from 'node:fs';
import {
  MAP_FLAG_REPLACED, MAP_HEADER_SIZE, MAP_MAGIC, MAP_SIZE_MAX, MAP_VERSION, buildMapTable, encodeMapHeader,
  encodeMapRecordInto, mapHashName, mapRecordBound, mapHashNumber, mapHeaderOffset, toLittleEndian, type MapHeader,
} from '@ward/proto';
import type { Msg } from '@ward/proto';

const FLUSH_AT = 256 * 1024;

export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A growable list of u32 pairs (hash, offset) or single u32s, in a typed array. */
class U32List {
  data = new Uint32Array(1024);
  length = 0;
  push(a: number, b?: number): void {
    const need = this.length + (b === undefined ? 1 : 2);
    if (need > this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = a;
    if (b !== undefined) this.data[this.length++] = b;
  }
}

export type MapKind = 'passwd' | 'group';

export class MapFileBuilder {
  private readonly fd: number;
  private readonly tmp: string;
  private buf = Buffer.allocUnsafe(FLUSH_AT * 2);
  private used = 0;
  /** File offset of the next record. */
  private at = MAP_HEADER_SIZE;
  private readonly names = { passwd: new U32List(), group: new U32List() };
  private readonly numbers = { passwd: new U32List(), group: new U32List() };
  /** Enumeration order: pairs of (number, record offset). */
  private readonly order = { passwd: new U32List(), group: new U32List() };
  private count = { passwd: 0, group: 0 };

  constructor(readonly path: string) {
    this.tmp = `${path}.tmp-${process.pid}`;
    try {
      unlinkSync(this.tmp);
    } catch {
      // not there: the usual case
    }
    this.fd = openSync(this.tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
    // The daemon's umask is 077; every local user's NSS module must read this file.
    fchmodSync(this.fd, 0o644);
    this.buf.fill(0, 0, MAP_HEADER_SIZE);
    writeSync(this.fd, this.buf, 0, MAP_HEADER_SIZE, 0);
  }

  /**
   * Appends one record and returns its offset. `names` go into the kind's name table (in this
   * order, after every earlier key); `num`, when given, into its number table; `enumerate` puts
   * it in the getpwent/getgrent order under `sortKey`.
   */
  add(kind: MapKind, msg: Msg, names: string[], num: number | undefined, enumerate: boolean, sortKey: number): number {
    const bound = 4 + mapRecordBound(kind, msg);
    if (this.used + bound > this.buf.length) this.flush();
    if (bound > this.buf.length) this.buf = Buffer.allocUnsafe(bound * 2);
    const len = encodeMapRecordInto(kind, msg, this.buf, this.used + 4);
    const need = 4 + len;
    const off = this.at;
    if (off + need > MAP_SIZE_MAX) throw new Error(`the NSS map would exceed ${MAP_SIZE_MAX} bytes`);
    this.buf.writeUInt32LE(len, this.used);
    this.used += need;
    this.at += need;
    this.count[kind]++;
    for (const n of names) this.names[kind].push(mapHashName(n), off);
    if (num !== undefined) this.numbers[kind].push(mapHashNumber(num), off);
    if (enumerate) this.order[kind].push(sortKey, off);
    return off;
  }

  /**
   * Writes tables, order and header; renames over `path`. Returns the header written. Each
   * table is one synchronous step; the event loop gets a turn between steps.
   */
  async finish(generation: number, heartbeat: () => number): Promise<MapHeader> {
    this.flush();
    const h: MapHeader = {
      magic: MAP_MAGIC, version: MAP_VERSION, flags: 0, header_size: MAP_HEADER_SIZE, generation,
      records_off: MAP_HEADER_SIZE, records_len: this.at - MAP_HEADER_SIZE,
      pw_count: this.order.passwd.length / 2, gr_count: this.order.group.length / 2,
    };
    const table = async (field: string, list: U32List) => {
      await yieldToLoop();
      const t = buildMapTable(list.data, list.length / 2);
      h[`${field}_off`] = this.append(t.bytes);
      h[`${field}_slots`] = t.slots;
    };
    await table('pw_name', this.names.passwd);
    await table('pw_uid', this.numbers.passwd);
    await table('gr_name', this.names.group);
    await table('gr_gid', this.numbers.group);
    await yieldToLoop();
    h['pw_order_off'] = this.append(sortedOffsets(this.order.passwd));
    await yieldToLoop();
    h['gr_order_off'] = this.append(sortedOffsets(this.order.group));
    h['file_size'] = this.at;
    // Taken last: a slow generation still publishes a fresh heartbeat.
    h['heartbeat'] = heartbeat();
    writeSync(this.fd, encodeMapHeader(h), 0, MAP_HEADER_SIZE, 0);
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
    return h;
  }

  /** Drops the temporary file (a failed generation). */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed by finish()
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      // already renamed or gone
    }
  }

  /** Writes bytes at the next 4-byte boundary (tables are read as u32 words). */
  private append(bytes: Uint8Array): number {
    const pad = (4 - (this.at % 4)) % 4;
    if (pad) writeSync(this.fd, new Uint8Array(pad), 0, pad, this.at);
    this.at += pad;
    const off = this.at;
    if (off + bytes.length > MAP_SIZE_MAX) throw new Error(`the NSS map would exceed ${MAP_SIZE_MAX} bytes`);
    writeSync(this.fd, bytes, 0, bytes.length, off);
    this.at += bytes.length;
    return off;
  }

  private flush(): void {
    if (this.used === 0) return;
    const start = this.at - this.used;
    writeSync(this.fd, this.buf, 0, this.used, start);
    this.used = 0;
  }
}

/** Record offsets ordered by (number, insertion): a stable sort of the (number, offset) pairs. */
function sortedOffsets(list: U32List): Uint8Array {
  const n = list.length / 2;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const d = list.data;
  idx.sort((x, y) => d[2 * x]! - d[2 * y]! || x - y);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = d[2 * idx[i]! + 1]!;
  return toLittleEndian(new Uint8Array(out.buffer));
}

/** Sets MAP_FLAG_REPLACED in a published file through its open descriptor (readers remap). */
export function markReplaced(fd: number): void {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(MAP_FLAG_REPLACED);
  writeSync(fd, b, 0, 4, mapHeaderOffset('flags'));
}

/** Rewrites the heartbeat (seconds since the epoch) in place: 8 aligned bytes. */
export function writeHeartbeat(fd: number, seconds: number): void {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(seconds));
  writeSync(fd, b, 0, 8, mapHeaderOffset('heartbeat'));
}

/** Opens a file this daemon published (or a previous run did), for marks in place; undefined if none. */
export function openPublished(path: string): number | undefined {
  try {
    const fd = openSync(path, C.O_RDWR | C.O_NOFOLLOW);
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      return undefined;
    }
    return fd;
  } catch {
    return undefined;
  }
}

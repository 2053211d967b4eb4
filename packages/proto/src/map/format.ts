/**
 * The memory-mapped NSS file, written down once: ward-unixd writes it (packages/unixd/src/map),
 * libnss_ward.so.2 maps it and answers getpwnam/getpwuid/getgrnam/getgrgid/initgroups and
 * enumeration from it without a socket round trip (nss/nss_map.c). `npm run gen:c-header -w
 * @ward/proto` renders `packages/proto/c/ward_map.h` from this file; a test fails on drift.
 *
 * Layout (every integer of the header, the tables and the record frames is LITTLE-endian):
 *
 *   header     MAP_HEADER_SIZE bytes at offset 0, fields at the offsets of MAP_HEADER
 *   records    from records_off, records_len bytes: each record is `u32 payload length` then the
 *              payload. Payloads are the socket protocol's field encoding (big-endian, see
 *              socket/schema.ts) of MAP_RECORDS: the C side decodes them with the same bounded,
 *              UTF-8-checking decoder it uses for socket answers, so one checked path reads both.
 *   tables     four open-addressing hash tables (passwd by name, passwd by uid, group by name,
 *              group by gid): `slots` entries (a power of two, at most half full) of
 *              `u32 hash, u32 record offset` (offset 0 = empty slot). A key is looked for from
 *              slot `hash & (slots - 1)` onward, at most MAP_PROBE_MAX slots; the writer grows
 *              a table until no key needs more. Name tables hold both names of an entry (the
 *              one passwd/group shows and the alternate one: SPN or short name); when two
 *              entries share a key, the one inserted first (reached first) is the answer.
 *   order      pw_count then gr_count u32 record offsets: the enumeration order (by number).
 *
 * Updates: the writer builds a new file beside the old one, renames it over, then sets
 * MAP_FLAG_REPLACED in the old file through its still-open descriptor, so a reader holding the
 * old mapping sees the flag and maps the new file. Nothing in a published file changes except
 * `flags` (set once) and `heartbeat` (rewritten every MAP_HEARTBEAT_SECONDS, 8 aligned bytes).
 * A reader trusts a file only while its heartbeat is within MAP_STALE_SECONDS of the reader's
 * clock: a daemon that died or hung stops refreshing it, and lookups go back to the socket.
 */
import { ProtocolError, type Msg } from '../socket/codec.js';
import { LIST_MAX, RECORDS, STR_MAX, type Fields } from '../socket/schema.js';

export const MAP_MAGIC = 0x50414d57; // "WMAP" as little-endian bytes
export const MAP_VERSION = 1;
export const MAP_HEADER_SIZE = 128;
/** The writer set this in a file it replaced (or invalidated): map the path again. */
export const MAP_FLAG_REPLACED = 1;
export const MAP_HEARTBEAT_SECONDS = 10;
export const MAP_STALE_SECONDS = 30;
/** Longest probe sequence a reader follows in a hash table. */
export const MAP_PROBE_MAX = 32;
/** A reader refuses a bigger file (100,000 users make about 40 MiB). */
export const MAP_SIZE_MAX = 1024 * 1024 * 1024;
/** Largest record payload (one group of LIST_MAX long member names still fits). */
export const MAP_RECORD_MAX = 16 * 1024 * 1024;
/** The file's name in the folder of the public socket, where ward-unixd (config key nss_map
 * unset) and the NSS module both look for it. */
export const MAP_FILE_NAME = 'nss.map';
/** Beside the default socket /run/ward-unixd/sock. */
export const MAP_DEFAULT_PATH = '/run/ward-unixd/nss.map';
/** Environment override the NSS module reads with secure_getenv(); when unset and the socket
 * is overridden (WARD_UNIXD_SOCKET), the module looks beside that socket. */
export const MAP_PATH_ENV = 'WARD_UNIXD_MAP';

type HeaderType = 'u32' | 'u64';
/** Header fields: name, type, byte offset. */
export const MAP_HEADER: ReadonlyArray<readonly [string, HeaderType, number]> = [
  ['magic', 'u32', 0],
  ['version', 'u32', 4],
  ['flags', 'u32', 8],
  ['header_size', 'u32', 12],
  ['generation', 'u64', 16],
  ['heartbeat', 'u64', 24], // seconds since the epoch (CLOCK_REALTIME)
  ['file_size', 'u64', 32],
  ['records_off', 'u32', 40],
  ['records_len', 'u32', 44],
  ['pw_count', 'u32', 48],
  ['gr_count', 'u32', 52],
  ['pw_name_off', 'u32', 56],
  ['pw_name_slots', 'u32', 60],
  ['pw_uid_off', 'u32', 64],
  ['pw_uid_slots', 'u32', 68],
  ['gr_name_off', 'u32', 72],
  ['gr_name_slots', 'u32', 76],
  ['gr_gid_off', 'u32', 80],
  ['gr_gid_slots', 'u32', 84],
  ['pw_order_off', 'u32', 88],
  ['gr_order_off', 'u32', 92],
] as const;

export type MapHeader = Record<string, number>;

/**
 * Record payloads: the socket's passwd and group records followed by what only the map needs.
 * passwd: `alt` is the other name of the account (SPN when passwd shows short names, short name
 * when it shows SPNs); `gids` is its initgroups answer (local-wins filtered, primary first).
 */
export const MAP_RECORDS = {
  passwd: [...RECORDS.passwd, ['alt', 'str'], ['gids', 'u32s']],
  group: [...RECORDS.group, ['alt', 'str']],
} as const satisfies Record<string, Fields>;

const utf8 = new TextEncoder();

/**
 * Record payloads, byte for byte what encodeFields(MAP_RECORDS[kind], msg) gives (a test checks
 * it), written straight into the caller's buffer: the writer encodes 100,000s of records per
 * file, and the generic socket encoder allocates per field.
 *
 * mapRecordBound() is an upper bound of the payload's size (UTF-8 takes at most 3 bytes per
 * UTF-16 code unit); encodeMapRecordInto() writes it at `at` and returns the bytes written.
 */
export function mapRecordBound(kind: keyof typeof MAP_RECORDS, msg: Msg): number {
  let bound = 0;
  for (const [name, type] of MAP_RECORDS[kind]) {
    const v = msg[name];
    if (v === undefined) throw new ProtocolError(`missing field ${name}`);
    if (type === 'str') bound += 4 + 3 * String(v).length;
    else if (type === 'u32') bound += 4;
    else if (!Array.isArray(v)) throw new ProtocolError(`field ${name} must be a list`);
    else bound += 4 + (type === 'strs' ? (v as string[]).reduce((n, x) => n + 4 + 3 * String(x).length, 0) : 4 * v.length);
  }
  return bound;
}

export function encodeMapRecordInto(kind: keyof typeof MAP_RECORDS, msg: Msg, out: Uint8Array, start: number): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = start;
  const u32 = (n: number) => {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new ProtocolError(`not a u32: ${n}`);
    view.setUint32(at, n);
    at += 4;
  };
  const str = (s: string) => {
    if (typeof s !== 'string') throw new ProtocolError('not a string');
    if (s.includes('\0')) throw new ProtocolError('string contains NUL');
    const n = utf8.encodeInto(s, out.subarray(at + 4)).written;
    if (n > STR_MAX) throw new ProtocolError('string too long');
    view.setUint32(at, n);
    at += 4 + n;
  };
  for (const [name, type] of MAP_RECORDS[kind]) {
    const v = msg[name];
    if (type === 'u32') u32(v as number);
    else if (type === 'str') str(v as string);
    else {
      const list = v as Array<string | number>;
      if (list.length > LIST_MAX) throw new ProtocolError(`field ${name} too long`);
      u32(list.length);
      for (const x of list) if (type === 'strs') str(x as string); else u32(x as number);
    }
  }
  return at - start;
}

export function encodeMapRecord(kind: keyof typeof MAP_RECORDS, msg: Msg): Uint8Array {
  const out = new Uint8Array(mapRecordBound(kind, msg));
  return out.subarray(0, encodeMapRecordInto(kind, msg, out, 0));
}

/** FNV-1a, 32 bits, over the key's bytes: names as UTF-8, numbers as 4 little-endian bytes. */
export function mapHash(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

export function mapHashName(name: string): number {
  // ASCII (every POSIX name and DNS domain): the char codes are the UTF-8 bytes; no allocation.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) return mapHash(utf8.encode(name));
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

export function mapHashNumber(n: number): number {
  let h = 0x811c9dc5;
  for (let shift = 0; shift < 32; shift += 8) h = Math.imul(h ^ ((n >>> shift) & 0xff), 0x01000193);
  return h >>> 0;
}

/**
 * Lays out a hash table for `count` (hash, offset) pairs, in insertion order: at least twice as
 * many slots as keys, doubled until no key sits more than MAP_PROBE_MAX - 1 slots past its home.
 * More than MAP_PROBE_MAX keys with one hash (duplicates, or crafted collisions) can never fit:
 * past 8 times the needed size the table stops growing and leaves such keys out (`dropped`).
 * A key left out is a miss, answered by the socket; since equal keys share a probe window, a
 * later key is never reachable where an earlier one with the same hash was left out.
 */
export function buildMapTable(pairs: Uint32Array, count: number): { slots: number; bytes: Uint8Array; dropped: number } {
  let slots = 16;
  while (slots < count * 2) slots *= 2;
  const cap = slots * 8;
  for (;;) {
    const table = new Uint32Array(slots * 2);
    const dropped = fillTable(table, slots, pairs, count, slots >= cap);
    if (dropped >= 0) return { slots, bytes: toLittleEndian(new Uint8Array(table.buffer)), dropped };
    slots *= 2;
  }
}

/** Fills the table; -1 when a key does not fit (unless `lenient`: then the number left out). */
function fillTable(table: Uint32Array, slots: number, pairs: Uint32Array, count: number, lenient: boolean): number {
  const mask = slots - 1;
  let dropped = 0;
  next: for (let i = 0; i < count; i++) {
    const hash = pairs[2 * i]!;
    let at = hash & mask;
    for (let probes = 1; table[2 * at + 1] !== 0; probes++) {
      if (probes >= MAP_PROBE_MAX) {
        if (!lenient) return -1;
        dropped++;
        continue next;
      }
      at = (at + 1) & mask;
    }
    table[2 * at] = hash;
    table[2 * at + 1] = pairs[2 * i + 1]!;
  }
  return dropped;
}

const HOST_IS_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Typed arrays use the host's byte order; the file is little-endian everywhere. */
export function toLittleEndian(words: Uint8Array): Uint8Array {
  if (HOST_IS_LE) return words;
  const out = new Uint8Array(words.length);
  for (let i = 0; i < words.length; i += 4) {
    out[i] = words[i + 3]!;
    out[i + 1] = words[i + 2]!;
    out[i + 2] = words[i + 1]!;
    out[i + 3] = words[i]!;
  }
  return out;
}

/** The header as bytes. */
export function encodeMapHeader(h: MapHeader): Uint8Array {
  const b = new Uint8Array(MAP_HEADER_SIZE);
  const v = new DataView(b.buffer);
  for (const [name, type, off] of MAP_HEADER) {
    const n = h[name] ?? 0;
    if (type === 'u32') v.setUint32(off, n, true);
    else v.setBigUint64(off, BigInt(n), true);
  }
  return b;
}

export function decodeMapHeader(b: Uint8Array): MapHeader {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const h: MapHeader = {};
  for (const [name, type, off] of MAP_HEADER) h[name] = type === 'u32' ? v.getUint32(off, true) : Number(v.getBigUint64(off, true));
  return h;
}

/** Byte offset of a header field, for writes in place (flags, heartbeat). */
export function mapHeaderOffset(name: string): number {
  const f = MAP_HEADER.find(([n]) => n === name);
  if (!f) throw new Error(`no header field ${name}`);
  return f[2];
}

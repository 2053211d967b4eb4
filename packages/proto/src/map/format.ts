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
import { encodeFields, type Msg } from '../socket/codec.js';
import { RECORDS, type Fields } from '../socket/schema.js';

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

export function encodeMapRecord(kind: keyof typeof MAP_RECORDS, msg: Msg): Uint8Array {
  return encodeFields(MAP_RECORDS[kind], msg);
}

/** FNV-1a, 32 bits, over the key's bytes: names as UTF-8, numbers as 4 little-endian bytes. */
export function mapHash(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

const utf8 = new TextEncoder();
export function mapHashName(name: string): number {
  return mapHash(utf8.encode(name));
}

export function mapHashNumber(n: number): number {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return mapHash(b);
}

/**
 * Lays out a hash table for `count` (hash, offset) pairs, in insertion order: at least twice as
 * many slots as keys, doubled until no key sits more than MAP_PROBE_MAX - 1 slots past its home.
 */
export function buildMapTable(pairs: Uint32Array, count: number): { slots: number; bytes: Uint8Array } {
  let slots = 16;
  while (slots < count * 2) slots *= 2;
  for (;;) {
    const table = new Uint32Array(slots * 2);
    if (fillTable(table, slots, pairs, count)) {
      const bytes = new Uint8Array(table.buffer);
      return { slots, bytes: toLittleEndian(bytes) };
    }
    slots *= 2;
  }
}

function fillTable(table: Uint32Array, slots: number, pairs: Uint32Array, count: number): boolean {
  const mask = slots - 1;
  for (let i = 0; i < count; i++) {
    const hash = pairs[2 * i]!;
    let at = hash & mask;
    let probes = 0;
    while (table[2 * at + 1] !== 0) {
      if (++probes >= MAP_PROBE_MAX) return false;
      at = (at + 1) & mask;
    }
    table[2 * at] = hash;
    table[2 * at + 1] = pairs[2 * i + 1]!;
  }
  return true;
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

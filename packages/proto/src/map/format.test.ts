/** The map format's own pieces: record encoding, hashing, table layout, header round trip. */
import { describe, expect, it } from 'vitest';
import { encodeFields } from '../socket/codec.js';
import {
  MAP_HEADER, MAP_HEADER_SIZE, MAP_PROBE_MAX, MAP_RECORDS, buildMapTable, decodeMapHeader, encodeMapHeader,
  encodeMapRecord, mapHash, mapHashName, mapHashNumber,
} from './format.js';

describe('the NSS map format', () => {
  it('encodes records exactly as the socket codec encodes the same fields', () => {
    const pw = { name: 'alice', uid: 70001, gid: 70001, gecos: 'Älice € 𝄞', dir: '/home/alice', shell: '/bin/sh', alt: 'alice@x.test', gids: [70001, 5, 0xffffffff] };
    const gr = { name: 'devs', gid: 7, members: ['alice', 'bob', ''], alt: 'devs@x.test' };
    expect(encodeMapRecord('passwd', pw)).toEqual(encodeFields(MAP_RECORDS.passwd, pw));
    expect(encodeMapRecord('group', gr)).toEqual(encodeFields(MAP_RECORDS.group, gr));
    expect(() => encodeMapRecord('group', { ...gr, name: 'a\0b' })).toThrow(/NUL/);
    expect(() => encodeMapRecord('group', { ...gr, gid: -1 })).toThrow(/u32/);
    expect(() => encodeMapRecord('group', { name: 'x', gid: 1, alt: 'y' })).toThrow(/missing field members/);
  });

  it('hashes names by their UTF-8 bytes and numbers by their little-endian bytes (FNV-1a)', () => {
    expect(mapHash(new Uint8Array())).toBe(0x811c9dc5);
    expect(mapHashName('a')).toBe(0xe40c292c); // the published FNV-1a 32 test vector
    for (const name of ['alice', 'alice@example.com', 'Ünïcode', '𝄞x']) {
      expect(mapHashName(name)).toBe(mapHash(new TextEncoder().encode(name)));
    }
    expect(mapHashNumber(0x01020304)).toBe(mapHash(new Uint8Array([4, 3, 2, 1])));
  });

  it('lays tables out at most half full, every key within MAP_PROBE_MAX slots of its home', () => {
    const n = 5000;
    const pairs = new Uint32Array(2 * n);
    // Many keys share a few home slots: the table must grow until probes are short.
    for (let i = 0; i < n; i++) [pairs[2 * i], pairs[2 * i + 1]] = [i % 97 === 0 ? 7 : mapHashNumber(i), 1000 + i];
    const { slots, bytes, dropped } = buildMapTable(pairs, n);
    expect(slots).toBeGreaterThanOrEqual(2 * n);
    // 52 keys share hash 7: MAP_PROBE_MAX of them fit (the first ones), the rest are left out.
    const colliding = Array.from({ length: n }, (_, i) => i).filter((i) => i % 97 === 0);
    expect(dropped).toBe(colliding.length - MAP_PROBE_MAX);
    const words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const found = new Set<number>();
    for (let i = 0; i < n; i++) {
      const hash = pairs[2 * i]!;
      for (let p = 0; p < MAP_PROBE_MAX; p++) {
        const at = ((hash & (slots - 1)) + p) & (slots - 1);
        if (words.getUint32(8 * at + 4, true) === 1000 + i) {
          expect(words.getUint32(8 * at, true)).toBe(hash);
          found.add(i);
          break;
        }
      }
    }
    expect(found.size).toBe(n - dropped);
    expect(colliding.filter((i) => found.has(i))).toEqual(colliding.slice(0, MAP_PROBE_MAX));
  });

  it('round-trips the header, every field at its documented offset', () => {
    const h = Object.fromEntries(MAP_HEADER.map(([name], i) => [name, i === 5 ? 2 ** 40 + i : 1000 + i]));
    const bytes = encodeMapHeader(h);
    expect(bytes.length).toBe(MAP_HEADER_SIZE);
    expect(decodeMapHeader(bytes)).toEqual(h);
    expect(new DataView(bytes.buffer).getUint32(0, true)).toBe(h['magic']);
  });
});

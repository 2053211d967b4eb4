/**
 * Renders `ward_map.h` from format.ts, as socket/c-header.ts does for the socket protocol, so
 * the NSS module and ward-unixd share one definition of the mapped file. A test compares the
 * committed header with this output.
 */
import * as F from './format.js';

export function renderMapCHeader(): string {
  const out: string[] = [];
  out.push('/* GENERATED from packages/proto/src/map/format.ts by `npm run gen:c-header -w @ward/proto`.');
  out.push(' * Do not edit: change format.ts and regenerate; a test fails when the two differ.');
  out.push(' *');
  out.push(' * The memory-mapped NSS file (layout, update and staleness rules: see format.ts). Header,');
  out.push(' * tables and record frames are little-endian; record payloads use the socket encoding of');
  out.push(' * ward_proto.h (big-endian), so ward_get_passwd()/ward_get_group() decode them. */');
  out.push('#ifndef WARD_MAP_H');
  out.push('#define WARD_MAP_H');
  out.push('');
  out.push(`#define WARD_MAP_MAGIC 0x${F.MAP_MAGIC.toString(16)}u`);
  out.push(`#define WARD_MAP_VERSION ${F.MAP_VERSION}u`);
  out.push(`#define WARD_MAP_HEADER_SIZE ${F.MAP_HEADER_SIZE}u`);
  out.push(`#define WARD_MAP_FLAG_REPLACED ${F.MAP_FLAG_REPLACED}u`);
  out.push(`#define WARD_MAP_HEARTBEAT_SECONDS ${F.MAP_HEARTBEAT_SECONDS}`);
  out.push(`#define WARD_MAP_STALE_SECONDS ${F.MAP_STALE_SECONDS}`);
  out.push(`#define WARD_MAP_PROBE_MAX ${F.MAP_PROBE_MAX}u`);
  out.push(`#define WARD_MAP_SIZE_MAX ${F.MAP_SIZE_MAX}u`);
  out.push(`#define WARD_MAP_RECORD_MAX ${F.MAP_RECORD_MAX}u`);
  out.push(`#define WARD_MAP_DEFAULT "${F.MAP_DEFAULT_PATH}"`);
  out.push(`#define WARD_MAP_FILE_NAME "${F.MAP_FILE_NAME}"`);
  out.push(`#define WARD_MAP_ENV "${F.MAP_PATH_ENV}"`);
  out.push('/* Hash: FNV-1a 32 over the key (names as UTF-8, numbers as 4 little-endian bytes). */');
  out.push('#define WARD_MAP_FNV_BASIS 0x811c9dc5u');
  out.push('#define WARD_MAP_FNV_PRIME 0x01000193u');
  out.push('');
  out.push('/* Header fields: byte offsets (u32 fields are 4 bytes, u64 fields 8) */');
  for (const [name, type, off] of F.MAP_HEADER) {
    out.push(`#define WARD_MAP_H_${name.toUpperCase()} ${off}u /* ${type} */`);
  }
  out.push('');
  out.push('/* Record payloads, fields in order */');
  for (const [name, fields] of Object.entries(F.MAP_RECORDS)) {
    out.push(`/* ${name}: ${fields.map(([n, t]) => `${n}:${t}`).join(', ')} */`);
    out.push(`#define WARD_MAP_RECORD_${name.toUpperCase()}_SIG "${fields.map(([, t]) => t).join(',')}"`);
  }
  out.push('');
  out.push('#endif /* WARD_MAP_H */');
  return out.join('\n') + '\n';
}

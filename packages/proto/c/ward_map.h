/* GENERATED from packages/proto/src/map/format.ts by `npm run gen:c-header -w @ward/proto`.
 * Do not edit: change format.ts and regenerate; a test fails when the two differ.
 *
 * The memory-mapped NSS file (layout, update and staleness rules: see format.ts). Header,
 * tables and record frames are little-endian; record payloads use the socket encoding of
 * ward_proto.h (big-endian), so ward_get_passwd()/ward_get_group() decode them. */
#ifndef WARD_MAP_H
#define WARD_MAP_H

#define WARD_MAP_MAGIC 0x50414d57u
#define WARD_MAP_VERSION 1u
#define WARD_MAP_HEADER_SIZE 128u
#define WARD_MAP_FLAG_REPLACED 1u
#define WARD_MAP_HEARTBEAT_SECONDS 10
#define WARD_MAP_STALE_SECONDS 30
#define WARD_MAP_PROBE_MAX 32u
#define WARD_MAP_SIZE_MAX 1073741824u
#define WARD_MAP_RECORD_MAX 16777216u
#define WARD_MAP_DEFAULT "/run/ward-unixd/nss.map"
#define WARD_MAP_FILE_NAME "nss.map"
#define WARD_MAP_ENV "WARD_UNIXD_MAP"
/* Hash: FNV-1a 32 over the key (names as UTF-8, numbers as 4 little-endian bytes). */
#define WARD_MAP_FNV_BASIS 0x811c9dc5u
#define WARD_MAP_FNV_PRIME 0x01000193u

/* Header fields: byte offsets (u32 fields are 4 bytes, u64 fields 8) */
#define WARD_MAP_H_MAGIC 0u /* u32 */
#define WARD_MAP_H_VERSION 4u /* u32 */
#define WARD_MAP_H_FLAGS 8u /* u32 */
#define WARD_MAP_H_HEADER_SIZE 12u /* u32 */
#define WARD_MAP_H_GENERATION 16u /* u64 */
#define WARD_MAP_H_HEARTBEAT 24u /* u64 */
#define WARD_MAP_H_FILE_SIZE 32u /* u64 */
#define WARD_MAP_H_RECORDS_OFF 40u /* u32 */
#define WARD_MAP_H_RECORDS_LEN 44u /* u32 */
#define WARD_MAP_H_PW_COUNT 48u /* u32 */
#define WARD_MAP_H_GR_COUNT 52u /* u32 */
#define WARD_MAP_H_PW_NAME_OFF 56u /* u32 */
#define WARD_MAP_H_PW_NAME_SLOTS 60u /* u32 */
#define WARD_MAP_H_PW_UID_OFF 64u /* u32 */
#define WARD_MAP_H_PW_UID_SLOTS 68u /* u32 */
#define WARD_MAP_H_GR_NAME_OFF 72u /* u32 */
#define WARD_MAP_H_GR_NAME_SLOTS 76u /* u32 */
#define WARD_MAP_H_GR_GID_OFF 80u /* u32 */
#define WARD_MAP_H_GR_GID_SLOTS 84u /* u32 */
#define WARD_MAP_H_PW_ORDER_OFF 88u /* u32 */
#define WARD_MAP_H_GR_ORDER_OFF 92u /* u32 */

/* Record payloads, fields in order */
/* passwd: name:str, uid:u32, gid:u32, gecos:str, dir:str, shell:str, alt:str, gids:u32s */
#define WARD_MAP_RECORD_PASSWD_SIG "str,u32,u32,str,str,str,str,u32s"
/* group: name:str, gid:u32, members:strs, alt:str */
#define WARD_MAP_RECORD_GROUP_SIG "str,u32,strs,str"

#endif /* WARD_MAP_H */

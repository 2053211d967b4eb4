/* nss_map.h: the memory-mapped NSS file written by ward-unixd (layout: ward_map.h, generated from
 * packages/proto/src/map/format.ts). Lookups found there never touch the socket; everything else
 * (a miss, a stale, replaced, unsafe or damaged file) goes to the socket as before.
 *
 * Two layers:
 *   nss_map.c       a VIEW over bytes: checks the header and every table range once, then
 *                   bounds-checks each record it reads. Pure (no I/O, no globals), so the fuzz
 *                   harness (test/native/c/map_fuzz.c) drives it on arbitrary bytes.
 *   nss_map_file.c  the process-wide mapping: finds and checks the file (owner, mode, folder),
 *                   maps it once, notices replacement (the flag word) and staleness (the
 *                   heartbeat), and remaps; pins views for readers without a lock on the hot path.
 *
 * Lookup results point into the mapping: use them before nss_map_release(). */
#ifndef NSS_MAP_H
#define NSS_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ward_client.h"
#include "ward_map.h"

struct nss_map_table {
    uint32_t off;   /* byte offset of slot 0 */
    uint32_t slots; /* a power of two */
};

struct nss_map_view {
    const uint8_t *base;
    size_t len;
    uint32_t rec_off, rec_end;
    uint32_t pw_count, gr_count;
    uint32_t pw_order, gr_order;
    struct nss_map_table pw_name, pw_uid, gr_name, gr_gid;
};

/* 0 when base[0..len) is a complete file of this format version whose tables all lie inside it;
 * -1 otherwise. Records are checked when read. */
int nss_map_view_init(struct nss_map_view *v, const uint8_t *base, size_t len);
/* The live header words: flags (replaced) and heartbeat. Atomic loads: the writer updates them in
 * place while readers look. */
uint32_t nss_map_view_flags(const struct nss_map_view *v);
uint64_t nss_map_view_heartbeat(const struct nss_map_view *v);

/* Lookups: 1 found (*pw / *gr filled; *rest, when not NULL, is positioned at the passwd record's
 * `alt` field), 0 not in the map, -1 the file is damaged (treat as not in the map). */
int nss_map_pw_by_name(const struct nss_map_view *v, const char *name, struct ward_passwd *pw, struct ward_cur *rest);
int nss_map_pw_by_uid(const struct nss_map_view *v, uint32_t uid, struct ward_passwd *pw, struct ward_cur *rest);
int nss_map_gr_by_name(const struct nss_map_view *v, const char *name, struct ward_group *gr);
int nss_map_gr_by_gid(const struct nss_map_view *v, uint32_t gid, struct ward_group *gr);
/* Enumeration: the index-th entry in getpwent/getgrent order; 0 past the end. */
int nss_map_pw_at(const struct nss_map_view *v, uint32_t index, struct ward_passwd *pw);
int nss_map_gr_at(const struct nss_map_view *v, uint32_t index, struct ward_group *gr);
/* The initgroups list after a passwd record's `alt`: reads the count and, when gids is not NULL,
 * up to `cap` gids. -1 when malformed. */
int nss_map_pw_gids(struct ward_cur rest, uint32_t *count, gid_t *gids, uint32_t cap);

/* ---- The process-wide mapping (nss_map_file.c) -------------------------------------------
 * nss_map_acquire() returns a pinned, valid and fresh view, or NULL (ask the socket). Every
 * non-NULL result must be given back with nss_map_release() by the same call that took it. */
const struct nss_map_view *nss_map_acquire(void);
void nss_map_release(const struct nss_map_view *v);

#endif /* NSS_MAP_H */

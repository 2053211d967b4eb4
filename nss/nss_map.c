/* nss_map.c: reading the memory-mapped NSS file as a bounded view (see nss_map.h). Nothing here
 * trusts the bytes: the header's ranges are checked once in nss_map_view_init(), every record
 * frame is checked against the records region when read, payloads go through the socket
 * protocol's bounded decoder, and a hash probe follows at most WARD_MAP_PROBE_MAX slots. */
#include <endian.h>
#include <string.h>

#include "nss_map.h"

static uint32_t le32_at(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static uint64_t le64_at(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

static uint32_t fnv_bytes(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * WARD_MAP_FNV_PRIME;
    return h;
}

static uint32_t hash_name(const char *name) { return fnv_bytes(WARD_MAP_FNV_BASIS, (const uint8_t *)name, strlen(name)); }

static uint32_t hash_number(uint32_t n) {
    uint8_t b[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    return fnv_bytes(WARD_MAP_FNV_BASIS, b, 4);
}

/* An array of `count` items of `size` bytes at `off` lies inside the file, after the header. */
static int range_ok(const struct nss_map_view *v, uint32_t off, uint64_t count, uint64_t size) {
    return off >= WARD_MAP_HEADER_SIZE && off % 4 == 0 && (uint64_t)off + count * size <= v->len;
}

static int table_init(const struct nss_map_view *v, const uint8_t *h, uint32_t off_field, struct nss_map_table *t) {
    t->off = le32_at(h + off_field);
    t->slots = le32_at(h + off_field + 4);
    if (t->slots == 0 || (t->slots & (t->slots - 1)) != 0) return -1;
    return range_ok(v, t->off, t->slots, 8) ? 0 : -1;
}

int nss_map_view_init(struct nss_map_view *v, const uint8_t *base, size_t len) {
    uint64_t rec_len;
    memset(v, 0, sizeof *v);
    if (base == NULL || len < WARD_MAP_HEADER_SIZE || len > WARD_MAP_SIZE_MAX) return -1;
    v->base = base;
    v->len = len;
    if (le32_at(base + WARD_MAP_H_MAGIC) != WARD_MAP_MAGIC || le32_at(base + WARD_MAP_H_VERSION) != WARD_MAP_VERSION ||
        le32_at(base + WARD_MAP_H_HEADER_SIZE) != WARD_MAP_HEADER_SIZE || le64_at(base + WARD_MAP_H_FILE_SIZE) != len)
        return -1;
    v->rec_off = le32_at(base + WARD_MAP_H_RECORDS_OFF);
    rec_len = le32_at(base + WARD_MAP_H_RECORDS_LEN);
    if (v->rec_off < WARD_MAP_HEADER_SIZE || v->rec_off + rec_len > len) return -1;
    v->rec_end = (uint32_t)(v->rec_off + rec_len);
    v->pw_count = le32_at(base + WARD_MAP_H_PW_COUNT);
    v->gr_count = le32_at(base + WARD_MAP_H_GR_COUNT);
    v->pw_order = le32_at(base + WARD_MAP_H_PW_ORDER_OFF);
    v->gr_order = le32_at(base + WARD_MAP_H_GR_ORDER_OFF);
    if (!range_ok(v, v->pw_order, v->pw_count, 4) || !range_ok(v, v->gr_order, v->gr_count, 4)) return -1;
    if (table_init(v, base, WARD_MAP_H_PW_NAME_OFF, &v->pw_name) || table_init(v, base, WARD_MAP_H_PW_UID_OFF, &v->pw_uid) ||
        table_init(v, base, WARD_MAP_H_GR_NAME_OFF, &v->gr_name) || table_init(v, base, WARD_MAP_H_GR_GID_OFF, &v->gr_gid))
        return -1;
    return 0;
}

uint32_t nss_map_view_flags(const struct nss_map_view *v) {
    /* Offset 8 of a page-aligned mapping: aligned for an atomic 4-byte load. */
    return le32toh(__atomic_load_n((const uint32_t *)(const void *)(v->base + WARD_MAP_H_FLAGS), __ATOMIC_ACQUIRE));
}

uint64_t nss_map_view_heartbeat(const struct nss_map_view *v) {
    return le64toh(__atomic_load_n((const uint64_t *)(const void *)(v->base + WARD_MAP_H_HEARTBEAT), __ATOMIC_ACQUIRE));
}

/* The payload of the record at `off`, or -1 when its frame leaves the records region. */
static int record_at(const struct nss_map_view *v, uint32_t off, struct ward_cur *cur) {
    uint32_t n;
    if (off < v->rec_off || off > v->rec_end || v->rec_end - off < 4) return -1;
    n = le32_at(v->base + off);
    if (n > WARD_MAP_RECORD_MAX || n > v->rec_end - off - 4) return -1;
    cur->p = v->base + off + 4;
    cur->left = n;
    return 0;
}

/* A whole passwd record: the socket fields, then alt and the gid list, nothing after. */
static int read_passwd(const struct nss_map_view *v, uint32_t off, struct ward_passwd *pw, struct ward_str *alt,
                       struct ward_cur *rest) {
    struct ward_cur cur;
    uint32_t count;
    if (record_at(v, off, &cur) != 0 || ward_get_passwd(&cur, pw) != 0) return -1;
    if (rest != NULL) *rest = cur;
    if (ward_get_str(&cur, alt) != 0 || ward_get_count(&cur, &count) != 0) return -1;
    if ((size_t)count * 4 != cur.left) return -1;
    return 0;
}

static int read_group(const struct nss_map_view *v, uint32_t off, struct ward_group *gr, struct ward_str *alt) {
    struct ward_cur cur;
    if (record_at(v, off, &cur) != 0 || ward_get_group(&cur, gr) != 0) return -1;
    if (ward_get_str(&cur, alt) != 0 || ward_get_end(&cur) != 0) return -1;
    return 0;
}

static int str_is(struct ward_str s, const char *key, size_t keylen) {
    return s.len == keylen && memcmp(s.p, key, keylen) == 0;
}

/* Probes table t for `hash`; calls match() on each candidate record: 1 found, 0 go on, -1 damaged. */
typedef int (*match_fn)(const struct nss_map_view *v, uint32_t off, const void *key, void *out, struct ward_cur *rest);

static int probe(const struct nss_map_view *v, const struct nss_map_table *t, uint32_t hash, match_fn match,
                 const void *key, void *out, struct ward_cur *rest) {
    uint32_t mask = t->slots - 1;
    uint32_t at = hash & mask;
    for (uint32_t i = 0; i < WARD_MAP_PROBE_MAX && i < t->slots; i++, at = (at + 1) & mask) {
        const uint8_t *slot = v->base + t->off + (size_t)at * 8;
        uint32_t off = le32_at(slot + 4);
        if (off == 0) return 0;
        if (le32_at(slot) == hash) {
            int rc = match(v, off, key, out, rest);
            if (rc != 0) return rc;
        }
    }
    return 0;
}

static int match_pw_name(const struct nss_map_view *v, uint32_t off, const void *key, void *out, struct ward_cur *rest) {
    struct ward_passwd *pw = out;
    struct ward_str alt;
    size_t n = strlen(key);
    if (read_passwd(v, off, pw, &alt, rest) != 0) return -1;
    return str_is(pw->name, key, n) || str_is(alt, key, n);
}

static int match_pw_uid(const struct nss_map_view *v, uint32_t off, const void *key, void *out, struct ward_cur *rest) {
    struct ward_passwd *pw = out;
    struct ward_str alt;
    if (read_passwd(v, off, pw, &alt, rest) != 0) return -1;
    return pw->uid == *(const uint32_t *)key;
}

static int match_gr_name(const struct nss_map_view *v, uint32_t off, const void *key, void *out, struct ward_cur *rest) {
    struct ward_group *gr = out;
    struct ward_str alt;
    size_t n = strlen(key);
    (void)rest;
    if (read_group(v, off, gr, &alt) != 0) return -1;
    return str_is(gr->name, key, n) || str_is(alt, key, n);
}

static int match_gr_gid(const struct nss_map_view *v, uint32_t off, const void *key, void *out, struct ward_cur *rest) {
    struct ward_group *gr = out;
    struct ward_str alt;
    (void)rest;
    if (read_group(v, off, gr, &alt) != 0) return -1;
    return gr->gid == *(const uint32_t *)key;
}

int nss_map_pw_by_name(const struct nss_map_view *v, const char *name, struct ward_passwd *pw, struct ward_cur *rest) {
    return probe(v, &v->pw_name, hash_name(name), match_pw_name, name, pw, rest);
}

int nss_map_pw_by_uid(const struct nss_map_view *v, uint32_t uid, struct ward_passwd *pw, struct ward_cur *rest) {
    return probe(v, &v->pw_uid, hash_number(uid), match_pw_uid, &uid, pw, rest);
}

int nss_map_gr_by_name(const struct nss_map_view *v, const char *name, struct ward_group *gr) {
    return probe(v, &v->gr_name, hash_name(name), match_gr_name, name, gr, NULL);
}

int nss_map_gr_by_gid(const struct nss_map_view *v, uint32_t gid, struct ward_group *gr) {
    return probe(v, &v->gr_gid, hash_number(gid), match_gr_gid, &gid, gr, NULL);
}

int nss_map_pw_at(const struct nss_map_view *v, uint32_t index, struct ward_passwd *pw) {
    struct ward_str alt;
    if (index >= v->pw_count) return 0;
    return read_passwd(v, le32_at(v->base + v->pw_order + (size_t)index * 4), pw, &alt, NULL) == 0 ? 1 : -1;
}

int nss_map_gr_at(const struct nss_map_view *v, uint32_t index, struct ward_group *gr) {
    struct ward_str alt;
    if (index >= v->gr_count) return 0;
    return read_group(v, le32_at(v->base + v->gr_order + (size_t)index * 4), gr, &alt) == 0 ? 1 : -1;
}

int nss_map_pw_gids(struct ward_cur rest, uint32_t *count, gid_t *gids, uint32_t cap) {
    struct ward_str alt;
    if (ward_get_str(&rest, &alt) != 0 || ward_get_count(&rest, count) != 0) return -1;
    for (uint32_t i = 0; gids != NULL && i < *count && i < cap; i++) {
        uint32_t g;
        if (ward_get_u32(&rest, &g) != 0) return -1;
        gids[i] = (gid_t)g;
    }
    return 0;
}

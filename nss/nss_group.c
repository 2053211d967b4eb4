/* nss_group.c: the group database of libnss_ward (getgrnam_r, getgrgid_r, getgrent_r).
 * Follows the buffer and status rule atop nss_ward.h. */
#include <errno.h>
#include <string.h>

#include "nss_map.h"
#include "nss_ward.h"

/* The group password field. SSSD and nss-pam-ldapd answer "*" here too; "x" is kept because
 * nothing reads it for a login (newgrp and sg refuse a non-member alike with "x" and "*": no
 * password can match either), unlike the passwd field (nss_passwd.c). */
static const struct ward_str GROUP_PASSWD_FIELD = {"x", 1};

/* Layout in the caller's buffer: the aligned gr_mem array first (members + NULL), then the
 * strings. A group with many members needs a big buffer; glibc grows it on ERANGE. */
static enum nss_status fill_group(const struct ward_group *v, struct group *gr, char *buffer, size_t buflen,
                                  int *errnop) {
    struct nss_buf b;
    struct group out;
    struct ward_cur members = v->members;

    if (v->gid == 0 || !nss_ward_field_ok(v->name, 1)) return nss_ward_notfound(errnop);
    for (uint32_t i = 0; i < v->nmembers; i++) {
        struct ward_str m;
        ward_get_str(&members, &m); /* cannot fail: checked by ward_get_group() */
        if (!nss_ward_field_ok(m, 1)) return nss_ward_notfound(errnop);
    }
    if (nss_buf_init(&b, buffer, buflen) != 0) return nss_ward_erange(errnop);

    out.gr_gid = v->gid;
    out.gr_mem = nss_buf_ptrs(&b, (size_t)v->nmembers + 1);
    out.gr_name = nss_buf_str(&b, v->name);
    out.gr_passwd = nss_buf_str(&b, GROUP_PASSWD_FIELD);
    if (!out.gr_mem || !out.gr_name || !out.gr_passwd) return nss_ward_erange(errnop);
    members = v->members;
    for (uint32_t i = 0; i < v->nmembers; i++) {
        struct ward_str m;
        ward_get_str(&members, &m);
        out.gr_mem[i] = nss_buf_str(&b, m);
        if (out.gr_mem[i] == NULL) return nss_ward_erange(errnop);
    }
    out.gr_mem[v->nmembers] = NULL;
    *gr = out;
    return NSS_STATUS_SUCCESS;
}

/* The answer from the mapped file: 1 with *st set when the map holds the entry, 0 when the
 * socket must be asked (no usable map, not in it, or damaged). */
static int from_map(const char *name, uint32_t gid, struct group *gr, char *buffer, size_t buflen, int *errnop,
                    enum nss_status *st) {
    struct ward_group v;
    const struct nss_map_view *m = nss_map_acquire();
    int found;
    if (m == NULL) return 0;
    found = name != NULL ? nss_map_gr_by_name(m, name, &v) : nss_map_gr_by_gid(m, gid, &v);
    if (found == 1) *st = fill_group(&v, gr, buffer, buflen, errnop);
    nss_map_release(m);
    return found == 1;
}

static enum nss_status lookup(const struct ward_req *req, const uint32_t *want_gid, struct group *gr, char *buffer,
                              size_t buflen, int *errnop) {
    struct ward_resp resp;
    struct ward_group v;
    struct ward_cur at;
    int reused;
    enum nss_status st = nss_ward_ask_retry(req, &resp, &reused, errnop);

    if (st != NSS_STATUS_SUCCESS) return st;
    at = resp.body;
    if (ward_get_group(&at, &v) != 0 || ward_get_end(&at) != 0)
        st = nss_ward_unavail(errnop);
    else if (want_gid != NULL && v.gid != *want_gid)
        st = nss_ward_unavail(errnop);
    else
        st = fill_group(&v, gr, buffer, buflen, errnop);
    if (st == NSS_STATUS_TRYAGAIN && *errnop == ERANGE)
        nss_ward_keep_for_retry(req, &resp, reused); /* glibc asks again with a bigger buffer */
    else
        ward_resp_free(&resp);
    return st;
}

enum nss_status _nss_ward_getgrnam_r(const char *name, struct group *result, char *buffer, size_t buflen, int *errnop) {
    uint8_t buf[WARD_REQ_NAME_SIZE];
    struct ward_req req;
    enum nss_status st;

    if (buffer == NULL || buflen == 0) return nss_ward_erange(errnop);
    if (!ward_name_valid(name)) return nss_ward_notfound(errnop);
    if (from_map(name, 0, result, buffer, buflen, errnop, &st)) return st;
    ward_req_init(&req, buf, sizeof buf, WARD_OP_GR_BY_NAME);
    ward_req_str(&req, name);
    return lookup(&req, NULL, result, buffer, buflen, errnop);
}

enum nss_status _nss_ward_getgrgid_r(gid_t gid, struct group *result, char *buffer, size_t buflen, int *errnop) {
    uint8_t buf[16];
    struct ward_req req;
    uint32_t want = (uint32_t)gid;
    enum nss_status st;

    if (buffer == NULL || buflen == 0) return nss_ward_erange(errnop);
    if (gid == 0) return nss_ward_notfound(errnop);
    if (from_map(NULL, want, result, buffer, buflen, errnop, &st)) return st;
    ward_req_init(&req, buf, sizeof buf, WARD_OP_GR_BY_GID);
    ward_req_u32(&req, want);
    return lookup(&req, &want, result, buffer, buflen, errnop);
}

/* ---- Enumeration ----------------------------------------------------------------------- */

static __thread struct nss_ward_ent grent = {.op = WARD_OP_GR_ENUM};

static int check_group(struct ward_cur *cur) {
    struct ward_group v;
    return ward_get_group(cur, &v);
}

/* As in nss_passwd.c: between socket pages, entries come from the map when it can answer. */
static int ent_from_map(struct group *gr, char *buffer, size_t buflen, int *errnop, enum nss_status *st) {
    for (;;) {
        struct ward_group v;
        const struct nss_map_view *m;
        int found;
        if (grent.left != 0 || grent.done || (m = nss_map_acquire()) == NULL) return 0;
        found = nss_map_gr_at(m, grent.offset, &v);
        if (found == 1) *st = fill_group(&v, gr, buffer, buflen, errnop);
        nss_map_release(m);
        if (found < 0) return 0;
        if (found == 0) {
            grent.done = 1;
            *st = nss_ward_notfound(errnop);
            return 1;
        }
        if (*st == NSS_STATUS_TRYAGAIN) return 1;
        grent.offset++;
        if (*st == NSS_STATUS_SUCCESS) return 1;
    }
}

enum nss_status _nss_ward_setgrent(int stayopen) {
    (void)stayopen;
    nss_ward_ent_reset(&grent);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_ward_getgrent_r(struct group *result, char *buffer, size_t buflen, int *errnop) {
    if (buffer == NULL || buflen == 0) return nss_ward_erange(errnop);
    for (;;) {
        struct ward_group v;
        struct ward_cur at;
        enum nss_status st;
        if (ent_from_map(result, buffer, buflen, errnop, &st)) return st;
        st = nss_ward_ent_peek(&grent, check_group, errnop);
        if (st != NSS_STATUS_SUCCESS) return st;
        at = grent.next;
        ward_get_group(&at, &v);
        st = fill_group(&v, result, buffer, buflen, errnop);
        if (st == NSS_STATUS_TRYAGAIN) return st; /* reread this entry with a bigger buffer */
        nss_ward_ent_consume(&grent, &at);
        if (st == NSS_STATUS_SUCCESS) return st;
    }
}

enum nss_status _nss_ward_endgrent(void) {
    nss_ward_ent_reset(&grent);
    return NSS_STATUS_SUCCESS;
}

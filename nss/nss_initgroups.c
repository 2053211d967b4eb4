/* nss_initgroups.c: a user's supplementary groups for getgrouplist(3), initgroups(3) and `id`.
 *
 * glibc's contract for initgroups_dyn (the one nss_files follows): append gids to *groupsp from
 * index *start, growing the array with realloc() when *start reaches *size, never beyond
 * `limit` when limit > 0 (stop quietly there), and skip `group`, the primary gid glibc has
 * already placed. The mapped file's passwd record carries the user's whole gid list; otherwise
 * one INITGROUPS request returns it. Nested memberships are resolved by the daemon either way;
 * this file adds each distinct gid once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nss_map.h"
#include "nss_ward.h"

static int cmp_gid(const void *a, const void *b) {
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

static int already_listed(const gid_t *groups, long int n, gid_t gid) {
    for (long int i = 0; i < n; i++)
        if (groups[i] == gid) return 1;
    return 0;
}

/* Appends gid, growing the array per the contract. 1 added, 0 at the limit, -1 no memory. */
static int append_gid(gid_t gid, long int *start, long int *size, gid_t **groupsp, long int limit) {
    if (*start >= *size) {
        long int newsize = *size > 0 ? 2 * *size : 16;
        gid_t *grown;
        if (limit > 0 && *size >= limit) return 0;
        if (limit > 0 && newsize > limit) newsize = limit;
        grown = realloc(*groupsp, (size_t)newsize * sizeof(gid_t));
        if (grown == NULL) return -1;
        *groupsp = grown;
        *size = newsize;
    }
    (*groupsp)[(*start)++] = gid;
    return 1;
}

/* The user's gid list from the mapped file: 1 with the list in *gids and *count (or *st on failure), 0 when
 * the socket must be asked. */
static int map_gids(const char *user, gid_t **gids, uint32_t *count, enum nss_status *st, int *errnop) {
    struct ward_passwd v;
    struct ward_cur rest;
    const struct nss_map_view *m = nss_map_acquire();
    int answered = 0;
    if (m == NULL) return 0;
    if (nss_map_pw_by_name(m, user, &v, &rest) == 1 && nss_map_pw_gids(rest, count, NULL, 0) == 0) {
        answered = 1;
        *gids = malloc(((size_t)*count + 1) * sizeof(gid_t));
        if (*gids == NULL) {
            *errnop = ENOMEM;
            *st = NSS_STATUS_TRYAGAIN;
        } else {
            nss_map_pw_gids(rest, count, *gids, *count);
            *st = NSS_STATUS_SUCCESS;
        }
    }
    nss_map_release(m);
    return answered;
}

/* The user's gid list from ward-unixd (one INITGROUPS request), decoded and checked whole. */
static enum nss_status socket_gids(const char *user, gid_t **gids, uint32_t *count, int *errnop) {
    uint8_t buf[WARD_REQ_NAME_SIZE];
    struct ward_req req;
    struct ward_resp resp;
    struct ward_cur at;
    enum nss_status st;

    ward_req_init(&req, buf, sizeof buf, WARD_OP_INITGROUPS);
    ward_req_str(&req, user);
    st = nss_ward_ask(&req, &resp, errnop);
    if (st != NSS_STATUS_SUCCESS) return st;

    at = resp.body;
    if (ward_get_count(&at, count) != 0) {
        ward_resp_free(&resp);
        return nss_ward_unavail(errnop);
    }
    *gids = malloc(((size_t)*count + 1) * sizeof(gid_t));
    if (*gids == NULL) {
        ward_resp_free(&resp);
        *errnop = ENOMEM;
        return NSS_STATUS_TRYAGAIN;
    }
    for (uint32_t i = 0; i < *count; i++) {
        uint32_t g = 0;
        ward_get_u32(&at, &g); /* cannot fail: the count was checked against the bytes left */
        (*gids)[i] = (gid_t)g;
    }
    ward_resp_free(&resp);
    if (ward_get_end(&at) != 0) {
        free(*gids);
        return nss_ward_unavail(errnop);
    }
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_ward_initgroups_dyn(const char *user, gid_t group, long int *start, long int *size,
                                         gid_t **groupsp, long int limit, int *errnop) {
    uint32_t count;
    gid_t *gids;
    long int listed = *start; /* what glibc and earlier sources put there: checked for repeats */
    enum nss_status st;

    if (!ward_name_valid(user)) return nss_ward_notfound(errnop);
    if (!map_gids(user, &gids, &count, &st, errnop)) st = socket_gids(user, &gids, &count, errnop);
    if (st != NSS_STATUS_SUCCESS) return st;

    /* Sorted, each distinct gid is met once: no quadratic scan over what we add ourselves. */
    qsort(gids, count, sizeof(gid_t), cmp_gid);
    for (uint32_t i = 0; i < count; i++) {
        gid_t g = gids[i];
        int added;
        if (g == group || g == 0 || (i > 0 && gids[i - 1] == g) || already_listed(*groupsp, listed, g)) continue;
        added = append_gid(g, start, size, groupsp, limit);
        if (added == 0) break; /* the caller's limit: what fits is the answer */
        if (added < 0) {
            *errnop = ENOMEM;
            st = NSS_STATUS_TRYAGAIN;
            break;
        }
    }
    free(gids);
    return st;
}

/* nss_ward.h: what the files of libnss_ward share. The module only translates: each entry point
 * looks in the daemon's memory-mapped file (nss_map.h), else builds one request, asks ward-unixd
 * through the shared client (packages/proto/c), and maps the answer onto glibc's structures and
 * statuses. It never logs or keeps a connection, and caches nothing but the one answer an
 * ERANGE retry is about to ask for again (nss_retry.c).
 *
 * THE BUFFER RULE, followed by every *_r entry point (glibc "NSS Module Function Internals"):
 *   - A NULL or empty caller buffer is rejected with NSS_STATUS_TRYAGAIN and *errnop = ERANGE,
 *     before the daemon is asked.
 *   - Strings and the gr_mem array are written only through struct nss_buf, which never writes
 *     past the caller's buffer; gr_mem pointers are aligned for char *.
 *   - Too small -> NSS_STATUS_TRYAGAIN + ERANGE, and nothing the caller can see has changed;
 *     glibc retries with a bigger buffer. During enumeration the same entry is read again.
 *   - Daemon down, wedged or talking garbage -> NSS_STATUS_UNAVAIL + ENOENT within the client
 *     deadline (about a second), so nsswitch goes on to the next source.
 *   - Absent -> NSS_STATUS_NOTFOUND + ENOENT. An entry that would break the passwd/group text
 *     format (':' ',' or control characters in it) or alias root (uid/gid 0) is treated as
 *     absent: the daemon never sends one, and if it did, no caller should see it.
 *
 * Threads and fork: lookups use one connection each; the ERANGE retry answer is kept per thread
 * and dropped in a forked child. Enumeration keeps its cursor per thread (__thread), holding
 * only the current page; the page is freed once used up and at end*ent(). The one thing shared
 * between threads is the read-only mapping of the daemon's NSS file (nss_map.h), pinned
 * without locks. A lookup answered from that file follows the same buffer rule (the same
 * fill_* functions); a lookup it cannot answer goes to the daemon as described here. */
#ifndef NSS_WARD_H
#define NSS_WARD_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

#include "ward_client.h"

#define NSS_WARD_EXPORT __attribute__((visibility("default")))

/* ---- Status helpers (nss_common.c) ------------------------------------------------------ */
enum nss_status nss_ward_erange(int *errnop);
enum nss_status nss_ward_notfound(int *errnop);
enum nss_status nss_ward_unavail(int *errnop);

/* Sends req and takes the answer. NSS_STATUS_SUCCESS: the daemon said OK and resp->body holds
 * the fields (the caller frees resp). Anything else: resp is already freed and *errnop set. */
enum nss_status nss_ward_ask(const struct ward_req *req, struct ward_resp *resp, int *errnop);

/* ---- glibc's ERANGE retry (nss_retry.c) -------------------------------------------------
 * A by-name/by-number lookup asks through nss_ward_ask_retry(); when its answer did not fit the
 * caller's buffer it hands the response to nss_ward_keep_for_retry() instead of freeing it, and
 * the same request next on this thread (within a second, same process) is answered from it.
 * *reused says the response came from there (so its age is not reset). */
enum nss_status nss_ward_ask_retry(const struct ward_req *req, struct ward_resp *resp, int *reused, int *errnop);
/* Frees what this thread keeps; nss_ward_ask() calls it before every request. */
void nss_ward_retry_drop(void);
/* Takes resp over (it is zeroed); frees it when it cannot be kept. */
void nss_ward_keep_for_retry(const struct ward_req *req, struct ward_resp *resp, int reused);

/* 1 when s may appear in a passwd/group line: no ':' or control characters, no ',' when
 * is_name (names also appear in member lists), and not empty when is_name. */
int nss_ward_field_ok(struct ward_str s, int is_name);

/* ---- The bounded writer over the caller's buffer (nss_common.c) -------------------------- */
struct nss_buf {
    char *p;
    size_t left;
};

/* -1 when buffer is NULL or buflen is 0. */
int nss_buf_init(struct nss_buf *b, char *buffer, size_t buflen);
/* A NUL-terminated copy of s in the buffer, or NULL when it does not fit. */
char *nss_buf_str(struct nss_buf *b, struct ward_str s);
/* An aligned array of n pointers in the buffer, or NULL when it does not fit. */
char **nss_buf_ptrs(struct nss_buf *b, size_t n);

/* ---- Enumeration (nss_common.c) ---------------------------------------------------------
 * Pages of WARD_OP_PW_ENUM / WARD_OP_GR_ENUM, asked by offset. A page is checked whole when it
 * arrives (every record decodes, no bytes left over), so reading entries from it cannot fail.
 * The enumeration ends at the first empty page, whatever size the daemon chose for pages. */
struct nss_ward_ent {
    uint32_t op;
    uint32_t offset;       /* entries consumed so far; the next page starts here */
    struct ward_resp page; /* the current page, or empty */
    struct ward_cur next;  /* the next unread entry of the page */
    uint32_t left;         /* entries left in the page */
    int done;
};

typedef int (*nss_ward_record_fn)(struct ward_cur *cur);

void nss_ward_ent_reset(struct nss_ward_ent *e);
/* SUCCESS: e->next is at an entry. NOTFOUND: the enumeration is over. UNAVAIL: it failed (and
 * is over). */
enum nss_status nss_ward_ent_peek(struct nss_ward_ent *e, nss_ward_record_fn check, int *errnop);
/* Moves past the entry that ended at `after` (filled or skipped). */
void nss_ward_ent_consume(struct nss_ward_ent *e, const struct ward_cur *after);

/* ---- Entry points (nss_passwd.c, nss_group.c, nss_initgroups.c) ------------------------- */
NSS_WARD_EXPORT enum nss_status _nss_ward_getpwnam_r(const char *name, struct passwd *result, char *buffer,
                                                     size_t buflen, int *errnop);
NSS_WARD_EXPORT enum nss_status _nss_ward_getpwuid_r(uid_t uid, struct passwd *result, char *buffer, size_t buflen,
                                                     int *errnop);
NSS_WARD_EXPORT enum nss_status _nss_ward_setpwent(int stayopen);
NSS_WARD_EXPORT enum nss_status _nss_ward_getpwent_r(struct passwd *result, char *buffer, size_t buflen, int *errnop);
NSS_WARD_EXPORT enum nss_status _nss_ward_endpwent(void);

NSS_WARD_EXPORT enum nss_status _nss_ward_getgrnam_r(const char *name, struct group *result, char *buffer,
                                                     size_t buflen, int *errnop);
NSS_WARD_EXPORT enum nss_status _nss_ward_getgrgid_r(gid_t gid, struct group *result, char *buffer, size_t buflen,
                                                     int *errnop);
NSS_WARD_EXPORT enum nss_status _nss_ward_setgrent(int stayopen);
NSS_WARD_EXPORT enum nss_status _nss_ward_getgrent_r(struct group *result, char *buffer, size_t buflen, int *errnop);
NSS_WARD_EXPORT enum nss_status _nss_ward_endgrent(void);

NSS_WARD_EXPORT enum nss_status _nss_ward_initgroups_dyn(const char *user, gid_t group, long int *start, long int *size,
                                                         gid_t **groupsp, long int limit, int *errnop);

#endif /* NSS_WARD_H */

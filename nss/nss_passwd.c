/* nss_passwd.c: the passwd database of libnss_ward (getpwnam_r, getpwuid_r, getpwent_r).
 * Follows the buffer and status rule atop nss_ward.h. */
#include <errno.h>
#include <string.h>

#include "nss_map.h"
#include "nss_ward.h"

/* The password field of every entry: "*", as SSSD and nss-pam-ldapd answer. The hash never
 * leaves the IdP and no shadow entry exists; "x" would claim one, and pam_unix's account check
 * then refuses the user because it cannot find it. "*" matches no password, and unlike a
 * leading "!" it does not read as a locked account to sshd. */
static const struct ward_str PASSWD_FIELD = {"*", 1};

/* Copies one decoded record into *pw through the caller's buffer. */
static enum nss_status fill_passwd(const struct ward_passwd *v, struct passwd *pw, char *buffer, size_t buflen,
                                   int *errnop) {
    struct nss_buf b;
    struct passwd out;

    if (v->uid == 0 || v->gid == 0) return nss_ward_notfound(errnop);
    if (!nss_ward_field_ok(v->name, 1) || !nss_ward_field_ok(v->gecos, 0) || !nss_ward_field_ok(v->dir, 0) ||
        !nss_ward_field_ok(v->shell, 0))
        return nss_ward_notfound(errnop);
    if (nss_buf_init(&b, buffer, buflen) != 0) return nss_ward_erange(errnop);

    out.pw_uid = v->uid;
    out.pw_gid = v->gid;
    out.pw_name = nss_buf_str(&b, v->name);
    out.pw_passwd = nss_buf_str(&b, PASSWD_FIELD);
    out.pw_gecos = nss_buf_str(&b, v->gecos);
    out.pw_dir = nss_buf_str(&b, v->dir);
    out.pw_shell = nss_buf_str(&b, v->shell);
    if (!out.pw_name || !out.pw_passwd || !out.pw_gecos || !out.pw_dir || !out.pw_shell) return nss_ward_erange(errnop);
    /* *pw changes only on success. */
    *pw = out;
    return NSS_STATUS_SUCCESS;
}

/* The answer from the mapped file: 1 with *st set when the map holds the entry, 0 when the
 * socket must be asked (no usable map, not in it, or damaged). */
static int from_map(const char *name, uint32_t uid, struct passwd *pw, char *buffer, size_t buflen, int *errnop,
                    enum nss_status *st) {
    struct ward_passwd v;
    const struct nss_map_view *m = nss_map_acquire();
    int found;
    if (m == NULL) return 0;
    found = name != NULL ? nss_map_pw_by_name(m, name, &v, NULL) : nss_map_pw_by_uid(m, uid, &v, NULL);
    if (found == 1) *st = fill_passwd(&v, pw, buffer, buflen, errnop);
    nss_map_release(m);
    return found == 1;
}

/* One by-name or by-uid lookup. want_uid, when not NULL, must match the answer. */
static enum nss_status lookup(const struct ward_req *req, const uint32_t *want_uid, struct passwd *pw, char *buffer,
                              size_t buflen, int *errnop) {
    struct ward_resp resp;
    struct ward_passwd v;
    struct ward_cur at;
    int reused;
    enum nss_status st = nss_ward_ask_retry(req, &resp, &reused, errnop);

    if (st != NSS_STATUS_SUCCESS) return st;
    at = resp.body;
    if (ward_get_passwd(&at, &v) != 0 || ward_get_end(&at) != 0)
        st = nss_ward_unavail(errnop);
    else if (want_uid != NULL && v.uid != *want_uid)
        st = nss_ward_unavail(errnop);
    else
        st = fill_passwd(&v, pw, buffer, buflen, errnop);
    if (st == NSS_STATUS_TRYAGAIN && *errnop == ERANGE)
        nss_ward_keep_for_retry(req, &resp, reused); /* glibc asks again with a bigger buffer */
    else
        ward_resp_free(&resp);
    return st;
}

enum nss_status _nss_ward_getpwnam_r(const char *name, struct passwd *result, char *buffer, size_t buflen,
                                     int *errnop) {
    uint8_t buf[WARD_REQ_NAME_SIZE];
    struct ward_req req;
    enum nss_status st;

    if (buffer == NULL || buflen == 0) return nss_ward_erange(errnop);
    /* A name the directory cannot hold is not asked for (and never reaches the socket). */
    if (!ward_name_valid(name)) return nss_ward_notfound(errnop);
    if (from_map(name, 0, result, buffer, buflen, errnop, &st)) return st;
    ward_req_init(&req, buf, sizeof buf, WARD_OP_PW_BY_NAME);
    ward_req_str(&req, name);
    return lookup(&req, NULL, result, buffer, buflen, errnop);
}

enum nss_status _nss_ward_getpwuid_r(uid_t uid, struct passwd *result, char *buffer, size_t buflen, int *errnop) {
    uint8_t buf[16];
    struct ward_req req;
    uint32_t want = (uint32_t)uid;
    enum nss_status st;

    if (buffer == NULL || buflen == 0) return nss_ward_erange(errnop);
    if (uid == 0) return nss_ward_notfound(errnop);
    if (from_map(NULL, want, result, buffer, buflen, errnop, &st)) return st;
    ward_req_init(&req, buf, sizeof buf, WARD_OP_PW_BY_UID);
    ward_req_u32(&req, want);
    return lookup(&req, &want, result, buffer, buflen, errnop);
}

/* ---- Enumeration ----------------------------------------------------------------------- */

static __thread struct nss_ward_ent pwent = {.op = WARD_OP_PW_ENUM};

static int check_passwd(struct ward_cur *cur) {
    struct ward_passwd v;
    return ward_get_passwd(cur, &v);
}

/* Between socket pages, the entry at pwent.offset comes from the map when it can: both list
 * the same entries in the same order, so an enumeration may switch source at any entry.
 * 1: answered (*st); 0: ask the socket. */
static int ent_from_map(struct passwd *pw, char *buffer, size_t buflen, int *errnop, enum nss_status *st) {
    for (;;) {
        struct ward_passwd v;
        const struct nss_map_view *m;
        int found;
        if (pwent.left != 0 || pwent.done || (m = nss_map_acquire()) == NULL) return 0;
        found = nss_map_pw_at(m, pwent.offset, &v);
        if (found == 1) *st = fill_passwd(&v, pw, buffer, buflen, errnop);
        nss_map_release(m);
        if (found < 0) return 0;
        if (found == 0) {
            pwent.done = 1;
            *st = nss_ward_notfound(errnop);
            return 1;
        }
        if (*st == NSS_STATUS_TRYAGAIN) return 1; /* reread this entry with a bigger buffer */
        pwent.offset++;
        if (*st == NSS_STATUS_SUCCESS) return 1;
        /* refused by fill_passwd: skipped, as on the socket path */
    }
}

enum nss_status _nss_ward_setpwent(int stayopen) {
    (void)stayopen; /* there is no connection to keep open: each page is its own request */
    nss_ward_ent_reset(&pwent);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_ward_getpwent_r(struct passwd *result, char *buffer, size_t buflen, int *errnop) {
    if (buffer == NULL || buflen == 0) return nss_ward_erange(errnop);
    for (;;) {
        struct ward_passwd v;
        struct ward_cur at;
        enum nss_status st;
        if (ent_from_map(result, buffer, buflen, errnop, &st)) return st;
        st = nss_ward_ent_peek(&pwent, check_passwd, errnop);
        if (st != NSS_STATUS_SUCCESS) return st;
        at = pwent.next;
        ward_get_passwd(&at, &v); /* cannot fail: the page was checked when it arrived */
        st = fill_passwd(&v, result, buffer, buflen, errnop);
        /* Too small: stay on this entry, so the retry with a bigger buffer reads it again. */
        if (st == NSS_STATUS_TRYAGAIN) return st;
        nss_ward_ent_consume(&pwent, &at);
        if (st == NSS_STATUS_SUCCESS) return st;
        /* An entry refused by fill_passwd is skipped, not the end of the enumeration. */
    }
}

enum nss_status _nss_ward_endpwent(void) {
    nss_ward_ent_reset(&pwent);
    return NSS_STATUS_SUCCESS;
}

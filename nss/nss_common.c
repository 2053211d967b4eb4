/* nss_common.c: status mapping, the bounded buffer writer and paged enumeration, shared by the
 * passwd, group and initgroups entry points. The buffer and status rule is written once, atop
 * nss_ward.h. */
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "nss_ward.h"

enum nss_status nss_ward_erange(int *errnop) {
    *errnop = ERANGE;
    return NSS_STATUS_TRYAGAIN;
}

enum nss_status nss_ward_notfound(int *errnop) {
    *errnop = ENOENT;
    return NSS_STATUS_NOTFOUND;
}

enum nss_status nss_ward_unavail(int *errnop) {
    *errnop = ENOENT;
    return NSS_STATUS_UNAVAIL;
}

enum nss_status nss_ward_ask(const struct ward_req *req, struct ward_resp *resp, int *errnop) {
    enum ward_rc rc;
    uint32_t status;

    /* Any request to the daemon ends an ERANGE retry chain on this thread. */
    nss_ward_retry_drop();
    rc = ward_call(WARD_SOCKET_PUBLIC, NULL, req, 0, resp);

    /* Inside ward-unixd itself: answer "not here" at once, as SSSD does for _SSS_LOOPS. */
    if (rc == WARD_RC_LOOP) return nss_ward_notfound(errnop);
    if (rc == WARD_RC_NOMEM) {
        /* TRYAGAIN with an errno other than ERANGE makes glibc report the error rather than
         * retry with a bigger buffer, which would not help. */
        *errnop = ENOMEM;
        return NSS_STATUS_TRYAGAIN;
    }
    if (rc != WARD_RC_OK) return nss_ward_unavail(errnop);

    status = resp->status;
    if (status == WARD_STATUS_OK) return NSS_STATUS_SUCCESS;
    ward_resp_free(resp);
    if (status == WARD_STATUS_NOT_FOUND) return nss_ward_notfound(errnop);
    /* UNAVAILABLE (nothing cached, IdP unreachable), BAD_REQUEST, ERROR, anything unknown. */
    return nss_ward_unavail(errnop);
}

int nss_ward_field_ok(struct ward_str s, int is_name) {
    if (is_name && s.len == 0) return 0;
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 0x20 || c == 0x7f || c == ':') return 0;
        if (is_name && c == ',') return 0;
    }
    return 1;
}

int nss_buf_init(struct nss_buf *b, char *buffer, size_t buflen) {
    if (buffer == NULL || buflen == 0) return -1;
    b->p = buffer;
    b->left = buflen;
    return 0;
}

char *nss_buf_str(struct nss_buf *b, struct ward_str s) {
    char *out = b->p;
    if (ward_str_copy(s, out, b->left) != 0) return NULL;
    b->p += (size_t)s.len + 1;
    b->left -= (size_t)s.len + 1;
    return out;
}

char **nss_buf_ptrs(struct nss_buf *b, size_t n) {
    uintptr_t at = (uintptr_t)b->p;
    size_t pad = (alignof(char *) - at % alignof(char *)) % alignof(char *);
    char **out;
    /* n is at most WARD_LIST_MAX + 1, so n * sizeof(char *) cannot overflow. */
    if (pad > b->left || n * sizeof(char *) > b->left - pad) return NULL;
    out = (char **)(void *)(b->p + pad);
    b->p += pad + n * sizeof(char *);
    b->left -= pad + n * sizeof(char *);
    return out;
}

void nss_ward_ent_reset(struct nss_ward_ent *e) {
    ward_resp_free(&e->page);
    e->offset = 0;
    e->next.p = NULL;
    e->next.left = 0;
    e->left = 0;
    e->done = 0;
}

/* Asks for the page at e->offset and checks it whole before any entry is handed out. */
static enum nss_status fetch_page(struct nss_ward_ent *e, nss_ward_record_fn check, int *errnop) {
    uint8_t buf[16];
    struct ward_req req;
    struct ward_cur at;
    uint32_t count;
    enum nss_status st;

    ward_resp_free(&e->page);
    ward_req_init(&req, buf, sizeof buf, e->op);
    ward_req_u32(&req, e->offset);
    st = nss_ward_ask(&req, &e->page, errnop);
    if (st != NSS_STATUS_SUCCESS) return st;

    at = e->page.body;
    if (ward_get_count(&at, &count) != 0) goto malformed;
    e->next = at;
    for (uint32_t i = 0; i < count; i++)
        if (check(&at) != 0) goto malformed;
    if (ward_get_end(&at) != 0) goto malformed;
    e->left = count;
    return NSS_STATUS_SUCCESS;

malformed:
    ward_resp_free(&e->page);
    return nss_ward_unavail(errnop);
}

enum nss_status nss_ward_ent_peek(struct nss_ward_ent *e, nss_ward_record_fn check, int *errnop) {
    if (e->done) return nss_ward_notfound(errnop);
    if (e->left == 0) {
        enum nss_status st = fetch_page(e, check, errnop);
        if (st == NSS_STATUS_TRYAGAIN) return st; /* out of memory: the caller may call again */
        if (st != NSS_STATUS_SUCCESS || e->left == 0) {
            ward_resp_free(&e->page);
            e->done = 1;
            return st == NSS_STATUS_SUCCESS ? nss_ward_notfound(errnop) : st;
        }
    }
    return NSS_STATUS_SUCCESS;
}

void nss_ward_ent_consume(struct nss_ward_ent *e, const struct ward_cur *after) {
    e->next = *after;
    e->left--;
    e->offset++;
    /* Hold no memory between pages: a thread that never calls end*ent() leaks nothing once
     * its page is used up. */
    if (e->left == 0) ward_resp_free(&e->page);
}

/* ward_wire.c: request encoding and the bounded response cursor (see ward_client.h).
 *
 * Decoding is as strict as the TypeScript codec (packages/proto/src/socket/codec.ts): a
 * truncated field, a count or length over its bound, invalid UTF-8, a NUL inside a string or
 * bytes left over are errors, never guesses. test/native/proto-roundtrip.test.ts feeds both
 * sides the same frames, valid and mangled, and requires the same verdict. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ward_client.h"

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* ---- Requests ---------------------------------------------------------------------------- */

static void req_put(struct ward_req *req, const void *bytes, size_t n) {
    if (req->invalid) return;
    if (n > req->cap - req->len) {
        req->invalid = 1;
        return;
    }
    memcpy(req->buf + req->len, bytes, n);
    req->len += n;
    /* Keep the frame's length prefix current, so the buffer is always a complete frame. */
    put_be32(req->buf, (uint32_t)(req->len - 4));
}

void ward_req_init(struct ward_req *req, uint8_t *buf, size_t cap, uint32_t op) {
    req->buf = buf;
    req->cap = buf ? cap : 0;
    req->len = 0;
    req->invalid = 0;
    if (req->cap < 8) {
        req->invalid = 1;
        return;
    }
    req->len = 4;
    ward_req_u32(req, op);
}

void ward_req_u32(struct ward_req *req, uint32_t value) {
    uint8_t be[4];
    put_be32(be, value);
    req_put(req, be, sizeof be);
}

void ward_req_str(struct ward_req *req, const char *s) {
    size_t n;
    if (s == NULL) {
        req->invalid = 1;
        return;
    }
    /* strnlen bounds the scan: a string over the protocol limit is refused, not measured. */
    n = strnlen(s, (size_t)WARD_STR_MAX + 1);
    if (n > WARD_STR_MAX) {
        req->invalid = 1;
        return;
    }
    ward_req_u32(req, (uint32_t)n);
    req_put(req, s, n);
}

void ward_req_wipe(struct ward_req *req) {
    if (req->buf != NULL && req->cap > 0) explicit_bzero(req->buf, req->cap);
    req->len = 0;
    req->invalid = 1;
}

/* ---- Responses --------------------------------------------------------------------------- */

void ward_resp_free(struct ward_resp *resp) {
    free(resp->data);
    memset(resp, 0, sizeof *resp);
}

int ward_get_u32(struct ward_cur *cur, uint32_t *value) {
    if (cur->left < 4) return -EPROTO;
    *value = get_be32(cur->p);
    cur->p += 4;
    cur->left -= 4;
    return 0;
}

/* Strict UTF-8 as WHATWG's fatal decoder reads it: no overlong forms, no surrogates, nothing
 * above U+10FFFF. NUL is refused too: C strings cannot carry it. */
static int utf8_valid(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t more;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c == 0) return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        if (n - i - 1 < more) return 0;
        if (p[i + 1] < lo || p[i + 1] > hi) return 0;
        for (size_t k = 2; k <= more; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return 0;
        i += more + 1;
    }
    return 1;
}

int ward_get_str(struct ward_cur *cur, struct ward_str *s) {
    uint32_t len;
    struct ward_cur at = *cur;
    if (ward_get_u32(&at, &len) != 0) return -EPROTO;
    if (len > WARD_STR_MAX || len > at.left) return -EPROTO;
    if (!utf8_valid(at.p, len)) return -EPROTO;
    s->p = (const char *)at.p;
    s->len = len;
    at.p += len;
    at.left -= len;
    *cur = at;
    return 0;
}

int ward_get_count(struct ward_cur *cur, uint32_t *count) {
    uint32_t n;
    struct ward_cur at = *cur;
    if (ward_get_u32(&at, &n) != 0) return -EPROTO;
    /* Every item takes at least 4 bytes: a count the rest cannot hold is refused up front, so
     * a caller may size arrays from it without trusting the sender. */
    if (n > WARD_LIST_MAX || (size_t)n * 4 > at.left) return -EPROTO;
    *count = n;
    *cur = at;
    return 0;
}

int ward_get_end(const struct ward_cur *cur) { return cur->left == 0 ? 0 : -EPROTO; }

int ward_str_copy(struct ward_str s, char *dst, size_t cap) {
    if (dst == NULL || cap == 0 || (size_t)s.len >= cap) return -ERANGE;
    memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
    return 0;
}

int ward_get_str_into(struct ward_cur *cur, char *dst, size_t cap) {
    struct ward_str s;
    struct ward_cur at = *cur;
    int rc = ward_get_str(&at, &s);
    if (rc != 0) return rc;
    rc = ward_str_copy(s, dst, cap);
    if (rc != 0) return rc;
    *cur = at;
    return 0;
}

/* Records: a failed read leaves the cursor where it was. */

int ward_get_passwd(struct ward_cur *cur, struct ward_passwd *pw) {
    struct ward_cur at = *cur;
    if (ward_get_str(&at, &pw->name) || ward_get_u32(&at, &pw->uid) || ward_get_u32(&at, &pw->gid) ||
        ward_get_str(&at, &pw->gecos) || ward_get_str(&at, &pw->dir) || ward_get_str(&at, &pw->shell))
        return -EPROTO;
    *cur = at;
    return 0;
}

int ward_get_group(struct ward_cur *cur, struct ward_group *gr) {
    struct ward_cur at = *cur;
    struct ward_str member;
    if (ward_get_str(&at, &gr->name) || ward_get_u32(&at, &gr->gid) || ward_get_count(&at, &gr->nmembers))
        return -EPROTO;
    gr->members = at;
    for (uint32_t i = 0; i < gr->nmembers; i++)
        if (ward_get_str(&at, &member) != 0) return -EPROTO;
    /* The members cursor ends where the record ends. */
    gr->members.left -= at.left;
    *cur = at;
    return 0;
}

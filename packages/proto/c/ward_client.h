/* ward_client.h: the one C client of the ward-unixd host socket, shared by libnss_ward, the SSH
 * key command and the PAM module. It speaks the protocol of ward_proto.h (generated from
 * packages/proto/src/socket/schema.ts) and nothing else.
 *
 * Three parts, one per file:
 *   ward_client.c  transport: connect, send one request, read one bounded response, close.
 *   ward_wire.c    encoding of requests and a bounded decoding cursor for responses.
 *   ward_name.c    the account/group name rule (mirrors packages/proto/src/names.ts).
 *
 * Thread and fork safety: there is no global mutable state. Every ward_call() opens its own
 * close-on-exec connection and closes it before returning, so threads never share a socket and
 * a forked child never inherits one. Settings come only from secure_getenv(), so a setuid or
 * setgid program cannot be pointed at another socket.
 *
 * Time: one ward_call() never takes longer than its timeout (WARD_CLIENT_TIMEOUT_MS by default),
 * measured once on CLOCK_MONOTONIC for connect, send and receive together. A daemon that is not
 * running fails in microseconds (ENOENT or ECONNREFUSED); one that accepts but never answers
 * fails at the deadline.
 *
 * Memory: a response is read into one malloc'ed buffer of exactly its declared length, refused
 * above WARD_RESPONSE_MAX before anything is allocated. Decoding never copies out of that buffer
 * except into buffers the caller sized. */
#ifndef WARD_CLIENT_H
#define WARD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ward_proto.h"

#define WARD_SOCKET_DEFAULT "/run/ward-unixd/sock"
#define WARD_PRIV_SOCKET_DEFAULT "/run/ward-unixd/priv.sock"
/* Path overrides, read with secure_getenv() (ignored in setuid/setgid programs). */
#define WARD_SOCKET_ENV "WARD_UNIXD_SOCKET"
#define WARD_PRIV_SOCKET_ENV "WARD_UNIXD_PRIV_SOCKET"
/* ward-unixd sets _WARD_LOOPS=NO in its own environment: every call then refuses at once, so
 * the daemon can never resolve a name through its own NSS module and wait on itself. */
#define WARD_LOOPS_ENV "_WARD_LOOPS"

/* Names: a short name of at most 64 characters (NAME_MAX_LENGTH in names.ts), optionally
 * followed by "@" and a DNS domain of at most 253 characters. */
#define WARD_NAME_MAX 64
#define WARD_DOMAIN_MAX 253
#define WARD_SPN_MAX (WARD_NAME_MAX + 1 + WARD_DOMAIN_MAX)

enum ward_socket {
    WARD_SOCKET_PUBLIC,     /* name, group and key lookups; open to every local user */
    WARD_SOCKET_PRIVILEGED, /* PAM and cache administration; root only */
};

/* Outcome of one call. Only WARD_RC_OK carries a response; its status is in the response. */
enum ward_rc {
    WARD_RC_OK = 0,
    WARD_RC_LOOP,     /* refused: running inside ward-unixd (_WARD_LOOPS=NO) */
    WARD_RC_UNAVAIL,  /* no daemon: socket missing, refused, not permitted */
    WARD_RC_TIMEOUT,  /* the daemon did not answer before the deadline */
    WARD_RC_PROTOCOL, /* the answer was oversized, cut short or closed early */
    WARD_RC_NOMEM,    /* malloc failed */
    WARD_RC_INVALID,  /* the request is invalid (too long, unusable socket path) */
};

/* A short English reason, for the one line a command prints on stderr. */
const char *ward_rc_str(enum ward_rc rc);

/* ---- Requests (ward_wire.c) ----------------------------------------------------------------
 * A request is encoded in place into a caller buffer, framing included. Writers never fail
 * individually: an overflow or a bad string marks the request invalid and ward_call() refuses
 * it with WARD_RC_INVALID, so callers write all fields and check once. */
struct ward_req {
    uint8_t *buf;
    size_t cap;
    size_t len; /* bytes used, including the 4-byte length prefix */
    int invalid;
};

/* Room for a request holding one name: frame length, op, one str. */
#define WARD_REQ_NAME_SIZE (4 + 4 + 4 + WARD_SPN_MAX)

void ward_req_init(struct ward_req *req, uint8_t *buf, size_t cap, uint32_t op);
void ward_req_u32(struct ward_req *req, uint32_t value);
/* A NUL-terminated string; longer than WARD_STR_MAX bytes marks the request invalid. */
void ward_req_str(struct ward_req *req, const char *s);
/* Overwrites the whole buffer (requests may hold passwords); leaves the request invalid. */
void ward_req_wipe(struct ward_req *req);

/* ---- Responses and the decoding cursor (ward_wire.c) ---------------------------------------
 * Decoders return 0, or -EPROTO when the bytes do not hold what the protocol says (truncated,
 * a count or length over its bound, invalid UTF-8, a NUL inside a string), or -ERANGE when a
 * caller buffer is too small. A cursor never reads outside its bytes. */
struct ward_cur {
    const uint8_t *p;
    size_t left;
};

/* A string inside a response: validated UTF-8 without NUL, NOT NUL-terminated. */
struct ward_str {
    const char *p;
    uint32_t len;
};

struct ward_resp {
    uint8_t *data; /* the payload (status included), malloc'ed; NULL when empty */
    size_t len;
    uint32_t status;      /* WARD_STATUS_* */
    struct ward_cur body; /* the bytes after the status */
};

void ward_resp_free(struct ward_resp *resp);

int ward_get_u32(struct ward_cur *cur, uint32_t *value);
int ward_get_str(struct ward_cur *cur, struct ward_str *s);
/* A list count: at most WARD_LIST_MAX and no more items than the remaining bytes can hold. */
int ward_get_count(struct ward_cur *cur, uint32_t *count);
/* 0 when every byte was consumed: trailing bytes are a protocol error. */
int ward_get_end(const struct ward_cur *cur);
/* Copies a str into dst with a NUL; -ERANGE when dst (cap bytes) is too small. */
int ward_str_copy(struct ward_str s, char *dst, size_t cap);
/* ward_get_str + ward_str_copy: the message of a non-OK response, a PAM text. */
int ward_get_str_into(struct ward_cur *cur, char *dst, size_t cap);

/* Records, fields in wire order (WARD_RECORD_*_SIG). */
struct ward_passwd {
    struct ward_str name;
    uint32_t uid;
    uint32_t gid;
    struct ward_str gecos;
    struct ward_str dir;
    struct ward_str shell;
};

struct ward_group {
    struct ward_str name;
    uint32_t gid;
    uint32_t nmembers;
    /* Positioned at the first member; read them with ward_get_str(). ward_get_group() has
     * already checked every one, so those reads cannot fail. */
    struct ward_cur members;
};

int ward_get_passwd(struct ward_cur *cur, struct ward_passwd *pw);
int ward_get_group(struct ward_cur *cur, struct ward_group *gr);

/* ---- Transport (ward_client.c) ------------------------------------------------------------
 * Sends req and reads one response. socket_path overrides the socket (NULL: the environment
 * override for `which`, else its default). timeout_ms <= 0 means WARD_CLIENT_TIMEOUT_MS. On
 * WARD_RC_OK the caller owns resp and frees it with ward_resp_free(); on anything else resp is
 * left empty. A broken pipe before the request is fully sent (a restarted daemon) is retried
 * once on a new connection, within the same deadline. */
enum ward_rc ward_call(enum ward_socket which, const char *socket_path, const struct ward_req *req, int timeout_ms,
                       struct ward_resp *resp);

/* ---- Names (ward_name.c) ------------------------------------------------------------------ */
/* 1 when name is a valid short name or name@domain (see packages/proto/src/names.ts). */
int ward_name_valid(const char *name);

#endif /* WARD_CLIENT_H */

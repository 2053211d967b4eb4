/* pam_ward.h: what the files of pam_ward.so share. The module only translates: each PAM call
 * becomes at most one request on ward-unixd's root-only socket (through the shared client in
 * packages/proto/c), and the answer becomes a PAM return code, a syslog line and, when the
 * daemon refuses with a reason, a message the user sees. It keeps no state between calls.
 *
 * THE RULES every entry point follows (pam_ward.c):
 *   - Who is asked about: a name that passes the directory name rule (ward_name_valid) and is
 *     not a local /etc/passwd account. Anyone else is "not ours" at once, without a round trip:
 *     PAM_USER_UNKNOWN, or PAM_IGNORE with ignore_unknown_user. Local accounts (root above all)
 *     therefore never depend on the daemon being up.
 *   - Fail closed: a daemon that is down or wedged gives PAM_AUTHINFO_UNAVAIL (PAM_IGNORE only
 *     with ignore_authinfo_unavail); a malformed or unexpected answer is a refusal, never a
 *     success and never ignorable.
 *   - Secrets: a password is read from PAM's items (pam_get_authtok), copied only into the
 *     request buffer, and that buffer is wiped (explicit_bzero) before pw_ask() returns. Nothing
 *     that held a password is ever logged; debug lines name the operation and the user only.
 *   - Text from the daemon reaches the terminal and syslog only through pw_sanitize().
 *
 * Deadlines: one request never takes longer than its deadline, connect to answer. Lookups the
 * daemon answers from its cache (account, the password-change preliminary check) get the
 * protocol's client deadline; operations where the daemon legitimately does slow work (a
 * password check waits up to ward-unixd's idp_timeout_ms, 2 s by default, for the IdP before it
 * falls back to the cached hash; a session may create a home directory) get PW_TIMEOUT_SLOW_MS. */
#ifndef PAM_WARD_H
#define PAM_WARD_H

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#include "ward_client.h"

#define PW_EXPORT __attribute__((visibility("default")))

/* Deadlines of one request, in milliseconds (see the header comment). */
#define PW_TIMEOUT_QUICK_MS WARD_CLIENT_TIMEOUT_MS
#define PW_TIMEOUT_SLOW_MS 3000

/* Where local accounts live; a name found here is never a directory user ("local wins"). */
#define PW_LOCAL_PASSWD "/etc/passwd"

/* Module options (README.md). Anything else in the module arguments is logged and ignored. */
enum pw_option {
    PW_OPT_USE_FIRST_PASS = 1u << 0, /* never prompt: only a password an earlier module set */
    PW_OPT_TRY_FIRST_PASS = 1u << 1, /* an earlier module's password, else prompt (the default) */
    PW_OPT_USE_AUTHTOK = 1u << 2,    /* password stack: the new password only from an earlier module */
    PW_OPT_IGNORE_UNKNOWN = 1u << 3, /* not a directory user -> PAM_IGNORE */
    PW_OPT_IGNORE_UNAVAIL = 1u << 4, /* daemon unreachable -> PAM_IGNORE */
    PW_OPT_DEBUG = 1u << 5,          /* LOG_DEBUG lines of what the module does */
};

/* One PAM call. */
struct pw_ctx {
    pam_handle_t *pamh;
    int flags;        /* the caller's PAM flags (PAM_SILENT...) */
    unsigned opts;    /* enum pw_option bits */
    const char *user; /* after pw_begin() succeeds: a valid, non-local directory name */
};

/* What the daemon's answer means, whatever the operation. */
enum pw_outcome {
    PW_OK,
    PW_NOT_FOUND,   /* not a directory user (the daemon also says so for local names) */
    PW_UNAVAIL,     /* daemon down, wedged or looping; or it said UNAVAILABLE */
    PW_DENIED,      /* refused by policy; the message is for the user */
    PW_AUTH_FAILED, /* wrong password */
    PW_REFUSED,     /* BAD_REQUEST, FORBIDDEN, ERROR, an unknown status, or a request too long */
    PW_BROKEN,      /* the answer does not follow the protocol */
    PW_NOMEM,
};

#define PW_MESSAGE_MAX 512

struct pw_answer {
    enum pw_outcome outcome;
    char message[PW_MESSAGE_MAX]; /* sanitized: the daemon's text, or why there is none */
};

/* What an OK answer carries, checked whole before PW_OK is believed. */
enum pw_body {
    PW_BODY_MESSAGE, /* PAM_* ops: one str */
    PW_BODY_PASSWD,  /* PW_BY_NAME: one passwd record */
};

/* ---- pam_common.c ------------------------------------------------------------------------ */
/* Parses the options, gets the user and decides whether the daemon is to be asked about them.
 * PAM_SUCCESS: ask (c->user is set). Anything else: return that code from the entry point. */
int pw_begin(struct pw_ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv);
/* PAM_USER_UNKNOWN, or PAM_IGNORE with ignore_unknown_user. */
int pw_unknown(const struct pw_ctx *c);
/* Logs why the daemon cannot be used; PAM_AUTHINFO_UNAVAIL, or PAM_IGNORE with
 * ignore_authinfo_unavail. */
int pw_unavail(const struct pw_ctx *c, const char *step, const struct pw_answer *a);
/* Shows prefix and text to the user as one PAM_ERROR_MSG, unless the caller passed PAM_SILENT. */
void pw_tell(const struct pw_ctx *c, const char *prefix, const char *text);
/* 1 when name is an account in PW_LOCAL_PASSWD. */
int pw_is_local_user(const char *name);
/* Copies at most cap-1 bytes of src[0..n) into dst with a NUL, each control character (C0, DEL,
 * and C1 as UTF-8) replaced by '?', cut at a character boundary; bytes >= 0x80 also become '?'
 * when ascii_only. Returns the length written. */
size_t pw_sanitize(const char *src, size_t n, char *dst, size_t cap, int ascii_only);

#define pw_debug(c, ...)                                                                                               \
    do {                                                                                                               \
        if ((c)->opts & PW_OPT_DEBUG) pam_syslog((c)->pamh, LOG_DEBUG, __VA_ARGS__);                                   \
    } while (0)

/* ---- pam_ask.c --------------------------------------------------------------------------- */
/* Sends op with the string fields (the user first, then any passwords) on the privileged socket
 * and classifies the answer into *a. The request buffer is wiped before this returns. */
void pw_ask(const struct pw_ctx *c, uint32_t op, const char *const *fields, size_t nfields, int timeout_ms,
            enum pw_body body, struct pw_answer *a);
/* The op's protocol name, for logs. */
const char *pw_op_name(uint32_t op);
/* A short name for an outcome, for logs. */
const char *pw_outcome_name(enum pw_outcome o);

/* ---- Entry points (pam_ward.c): the only exported symbols (exports.map). ------------------ */
PW_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv);
PW_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv);
PW_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv);
PW_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv);
PW_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv);
PW_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv);

#endif /* PAM_WARD_H */

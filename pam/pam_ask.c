/* pam_ask.c: one request to ward-unixd's privileged socket and what its answer means.
 *
 * The request is encoded into a buffer on this function's stack, sized for the largest request
 * the protocol allows; it may hold passwords, so it is wiped on every path before returning.
 * The answer is believed only when it is exactly what the protocol says (an OK carrying its
 * full body and nothing after it; any other status carrying one message): anything else is
 * PW_BROKEN, which every entry point treats as a refusal. */
#include <string.h>

#include "pam_ward.h"

const char *pw_op_name(uint32_t op) {
    switch (op) {
    case WARD_OP_PAM_AUTH:
        return "PAM_AUTH";
    case WARD_OP_PAM_ACCOUNT:
        return "PAM_ACCOUNT";
    case WARD_OP_PAM_SESSION:
        return "PAM_SESSION";
    case WARD_OP_PAM_CHAUTHTOK:
        return "PAM_CHAUTHTOK";
    case WARD_OP_PW_BY_NAME:
        return "PW_BY_NAME";
    }
    return "?";
}

const char *pw_outcome_name(enum pw_outcome o) {
    switch (o) {
    case PW_OK:
        return "OK";
    case PW_NOT_FOUND:
        return "NOT_FOUND";
    case PW_UNAVAIL:
        return "UNAVAILABLE";
    case PW_DENIED:
        return "DENIED";
    case PW_AUTH_FAILED:
        return "AUTH_FAILED";
    case PW_REFUSED:
        return "REFUSED";
    case PW_BROKEN:
        return "MALFORMED";
    case PW_NOMEM:
        return "NOMEM";
    }
    return "?";
}

static void set_message(struct pw_answer *a, const char *text) {
    pw_sanitize(text, strlen(text), a->message, sizeof a->message, 0);
}

static enum pw_outcome outcome_of_status(uint32_t status) {
    switch (status) {
    case WARD_STATUS_OK:
        return PW_OK;
    case WARD_STATUS_NOT_FOUND:
        return PW_NOT_FOUND;
    case WARD_STATUS_UNAVAILABLE:
        return PW_UNAVAIL;
    case WARD_STATUS_DENIED:
        return PW_DENIED;
    case WARD_STATUS_AUTH_FAILED:
        return PW_AUTH_FAILED;
    }
    return PW_REFUSED; /* BAD_REQUEST, FORBIDDEN, ERROR, and statuses this build does not know */
}

/* Reads the body of a complete response into *a. */
static void classify(const struct ward_resp *resp, enum pw_body body, struct pw_answer *a) {
    struct ward_cur cur = resp->body;
    struct ward_str text = {.p = "", .len = 0};
    int bad;

    a->outcome = outcome_of_status(resp->status);
    if (a->outcome == PW_OK && body == PW_BODY_PASSWD) {
        struct ward_passwd pw;
        bad = ward_get_passwd(&cur, &pw) != 0;
    } else {
        bad = ward_get_str(&cur, &text) != 0;
    }
    if (bad || ward_get_end(&cur) != 0) {
        a->outcome = PW_BROKEN;
        set_message(a, "ward-unixd sent a malformed answer");
        return;
    }
    pw_sanitize(text.p, text.len, a->message, sizeof a->message, 0);
    if (a->outcome == PW_REFUSED && a->message[0] == '\0') set_message(a, "ward-unixd refused the request");
}

void pw_ask(const struct pw_ctx *c, uint32_t op, const char *const *fields, size_t nfields, int timeout_ms,
            enum pw_body body, struct pw_answer *a) {
    uint8_t buf[4 + WARD_REQUEST_MAX];
    struct ward_req req;
    struct ward_resp resp;
    enum ward_rc rc;
    int too_long;

    ward_req_init(&req, buf, sizeof buf, op);
    for (size_t i = 0; i < nfields; i++)
        ward_req_str(&req, fields[i]);
    too_long = req.invalid;
    pw_debug(c, "asking ward-unixd: %s for %s", pw_op_name(op), c->user);
    rc = ward_call(WARD_SOCKET_PRIVILEGED, NULL, &req, timeout_ms, &resp);
    ward_req_wipe(&req); /* the whole buffer, used or not */

    a->message[0] = '\0';
    switch (rc) {
    case WARD_RC_OK:
        classify(&resp, body, a);
        ward_resp_free(&resp);
        break;
    case WARD_RC_LOOP:
    case WARD_RC_UNAVAIL:
    case WARD_RC_TIMEOUT:
        a->outcome = PW_UNAVAIL;
        set_message(a, ward_rc_str(rc));
        break;
    case WARD_RC_PROTOCOL:
        a->outcome = PW_BROKEN;
        set_message(a, ward_rc_str(rc));
        break;
    case WARD_RC_NOMEM:
        a->outcome = PW_NOMEM;
        set_message(a, ward_rc_str(rc));
        break;
    case WARD_RC_INVALID:
        /* Nothing was sent. Either a field (a password, in practice) is longer than a request
         * holds, or the socket path (WARD_UNIXD_PRIV_SOCKET) cannot be a socket address. */
        a->outcome = too_long ? PW_REFUSED : PW_UNAVAIL;
        set_message(a, too_long ? "the request is too long to send to ward-unixd"
                                : "the ward-unixd socket path is unusable");
        break;
    }
    pw_debug(c, "ward-unixd answered %s for %s: %s", pw_outcome_name(a->outcome), c->user,
             a->message[0] ? a->message : "(no message)");
}

/* ssh_authorizedkeys.c: `kanidm-ssh-authorizedkeys NAME` (also installed as
 * `ward-ssh-authorizedkeys`), the AuthorizedKeysCommand for sshd. It asks ward-unixd for NAME's
 * SSH public keys (served from the daemon's cache when the IdP is offline) and prints one per
 * line. Meant to run as `AuthorizedKeysCommandUser nobody`; it needs no privilege.
 *
 *   sshd_config:  AuthorizedKeysCommand /usr/sbin/kanidm-ssh-authorizedkeys %u
 *                 AuthorizedKeysCommandUser nobody
 *
 * Options: --socket PATH (before NAME) talks to another daemon socket; so does the environment
 * variable WARD_UNIXD_SOCKET. sshd starts the command with an empty environment, so a test
 * harness or a non-default install uses the option in sshd_config.
 *
 * Output is all or nothing: the whole answer is received and checked before a byte is printed,
 * so a failure never leaves sshd half a list. Each key is printed only if it looks like a key
 * ("<algorithm> <base64> [comment]"): a line carrying sshd options (command=, from=,
 * environment=) is never passed on, and CR, LF and other control characters inside a key are
 * dropped, so one entry can never become two lines.
 *
 * Exit status (sysexits.h): 0 the user is known (keys, if any, are on stdout); 64 usage or an
 * invalid name; 67 unknown user; 69 ward-unixd unavailable or the user's keys unknown offline;
 * 70 the daemon reported an error; 74 stdout could not be written; 76 a malformed answer.
 * Anything but 0 prints nothing on stdout and one line on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ward_client.h"

static const char *prog = "kanidm-ssh-authorizedkeys";

/* The one stderr line. detail may come from the daemon: control characters are masked so it
 * cannot rewrite a terminal or a log line. */
static int fail(int code, const char *what, const char *detail) {
    char safe[256];
    size_t n = 0;
    for (const char *p = detail; p != NULL && *p != '\0' && n + 1 < sizeof safe; p++)
        safe[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    safe[n] = '\0';
    fprintf(stderr, "%s: %s%s%s\n", prog, what, detail ? ": " : "", safe);
    return code;
}

static int usage(void) {
    fprintf(stderr, "usage: %s [--socket PATH] NAME\n", prog);
    return EX_USAGE;
}

static int is_alg_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '@' ||
           c == '.';
}

static int is_b64_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '=';
}

/* Copies s into dst without control characters (CR and LF above all): dst holds s.len + 1. */
static void strip_controls(struct ward_str s, char *dst) {
    size_t n = 0;
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c != 0x7f) dst[n++] = (char)c;
    }
    dst[n] = '\0';
}

/* 1 when line starts "<algorithm> <base64>", the algorithm one of ssh-*, ecdsa-sha2-*, sk-*. */
static int looks_like_key(const char *line) {
    const char *p = line;
    size_t alg = 0, b64 = 0;
    if (strncmp(p, "ssh-", 4) != 0 && strncmp(p, "ecdsa-sha2-", 11) != 0 && strncmp(p, "sk-", 3) != 0) return 0;
    while (is_alg_char(p[alg]))
        alg++;
    if (p[alg] != ' ') return 0;
    p += alg + 1;
    while (is_b64_char(p[b64]))
        b64++;
    return b64 >= 16 && (p[b64] == '\0' || p[b64] == ' ');
}

/* Prints every usable key; returns the exit code. keys is positioned at the strs count. */
static int print_keys(struct ward_cur keys, const char *name) {
    struct ward_cur at = keys;
    struct ward_str key;
    uint32_t count, printed = 0, skipped = 0;
    char *line;

    /* Check the whole answer first: nothing is printed from a malformed one. */
    if (ward_get_count(&at, &count) != 0) return fail(EX_PROTOCOL, ward_rc_str(WARD_RC_PROTOCOL), NULL);
    for (uint32_t i = 0; i < count; i++)
        if (ward_get_str(&at, &key) != 0) return fail(EX_PROTOCOL, ward_rc_str(WARD_RC_PROTOCOL), NULL);
    if (ward_get_end(&at) != 0) return fail(EX_PROTOCOL, ward_rc_str(WARD_RC_PROTOCOL), NULL);

    line = malloc(WARD_STR_MAX + 1);
    if (line == NULL) return fail(EX_OSERR, "out of memory", NULL);
    at = keys;
    ward_get_count(&at, &count);
    for (uint32_t i = 0; i < count; i++) {
        ward_get_str(&at, &key);
        strip_controls(key, line);
        if (!looks_like_key(line)) {
            skipped++;
            continue;
        }
        fputs(line, stdout);
        fputc('\n', stdout);
        printed++;
    }
    free(line);
    if (fflush(stdout) != 0 || ferror(stdout)) return fail(EX_IOERR, "cannot write to stdout", NULL);
    if (skipped > 0) fprintf(stderr, "%s: %s: skipped %u entries that are not public keys\n", prog, name, skipped);
    if (printed == 0) fprintf(stderr, "%s: %s has no SSH keys\n", prog, name);
    return EX_OK;
}

int main(int argc, char **argv) {
    const char *socket_path = NULL;
    const char *name;
    uint8_t buf[WARD_REQ_NAME_SIZE];
    struct ward_req req;
    struct ward_resp resp;
    enum ward_rc rc;
    char message[256];
    int code;

    if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
        const char *slash = strrchr(argv[0], '/');
        prog = slash ? slash + 1 : argv[0];
    }
    if (argc == 4 && strcmp(argv[1], "--socket") == 0) {
        socket_path = argv[2];
        if (socket_path[0] != '/') return fail(EX_USAGE, "--socket needs an absolute path", NULL);
        name = argv[3];
    } else if (argc == 2 && argv[1][0] != '-') {
        name = argv[1];
    } else {
        return usage();
    }
    if (!ward_name_valid(name)) return fail(EX_USAGE, "not a valid user name", NULL);

    ward_req_init(&req, buf, sizeof buf, WARD_OP_SSH_KEYS);
    ward_req_str(&req, name);
    rc = ward_call(WARD_SOCKET_PUBLIC, socket_path, &req, 0, &resp);
    if (rc == WARD_RC_PROTOCOL) return fail(EX_PROTOCOL, ward_rc_str(rc), NULL);
    if (rc != WARD_RC_OK) return fail(EX_UNAVAILABLE, ward_rc_str(rc), NULL);

    if (resp.status == WARD_STATUS_OK) {
        code = print_keys(resp.body, name);
        ward_resp_free(&resp);
        return code;
    }
    /* The daemon's message, if it sent a well-formed one, explains the refusal. */
    if (ward_get_str_into(&resp.body, message, sizeof message) != 0 || ward_get_end(&resp.body) != 0) message[0] = '\0';
    switch (resp.status) {
    case WARD_STATUS_NOT_FOUND:
        code = fail(EX_NOUSER, "no such user", name);
        break;
    case WARD_STATUS_UNAVAILABLE:
        code =
            fail(EX_UNAVAILABLE, "keys unavailable (IdP unreachable and nothing cached)", message[0] ? message : NULL);
        break;
    default:
        code = fail(EX_SOFTWARE, "ward-unixd refused the request", message[0] ? message : NULL);
        break;
    }
    ward_resp_free(&resp);
    return code;
}

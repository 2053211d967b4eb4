/* pam_common.c: what every entry point of pam_ward does before and around its one request:
 * options, "is this user ours?" (the name rule, then local accounts), the shared results for
 * "not ours" and "daemon unreachable", messages to the user, and the text sanitizer that stands
 * between the daemon (or a hostile user name) and a terminal or syslog. */
#include <stdio.h>
#include <string.h>

#include "pam_ward.h"

/* Long enough for any name worth showing in a log line; longer ones are cut. */
#define SHOWN_NAME_MAX 80

static const struct {
    const char *name;
    unsigned bit;
} OPTIONS[] = {
    {"use_first_pass", PW_OPT_USE_FIRST_PASS},
    {"try_first_pass", PW_OPT_TRY_FIRST_PASS},
    {"use_authtok", PW_OPT_USE_AUTHTOK},
    {"ignore_unknown_user", PW_OPT_IGNORE_UNKNOWN},
    {"ignore_authinfo_unavail", PW_OPT_IGNORE_UNAVAIL},
    {"debug", PW_OPT_DEBUG},
};

/* use_first_pass, try_first_pass and use_authtok are honoured by libpam's pam_get_authtok()
 * itself, which reads them from the module arguments; they are parsed here so that they count
 * as known and show in debug lines. */
static unsigned parse_options(pam_handle_t *pamh, int argc, const char **argv) {
    unsigned opts = 0;
    for (int i = 0; i < argc; i++) {
        size_t k;
        if (argv[i] == NULL) continue;
        for (k = 0; k < sizeof OPTIONS / sizeof OPTIONS[0]; k++) {
            if (strcmp(argv[i], OPTIONS[k].name) == 0) {
                opts |= OPTIONS[k].bit;
                break;
            }
        }
        if (k == sizeof OPTIONS / sizeof OPTIONS[0]) {
            char shown[SHOWN_NAME_MAX];
            pw_sanitize(argv[i], strlen(argv[i]), shown, sizeof shown, 1);
            pam_syslog(pamh, LOG_ERR, "unknown option \"%s\" ignored", shown);
        }
    }
    return opts;
}

int pw_unknown(const struct pw_ctx *c) { return c->opts & PW_OPT_IGNORE_UNKNOWN ? PAM_IGNORE : PAM_USER_UNKNOWN; }

int pw_unavail(const struct pw_ctx *c, const char *step, const struct pw_answer *a) {
    int ignore = (c->opts & PW_OPT_IGNORE_UNAVAIL) != 0;
    pam_syslog(c->pamh, LOG_ERR, "%s for %s: ward-unixd unavailable: %s%s", step, c->user, a->message,
               ignore ? " (ignored: ignore_authinfo_unavail)" : "");
    return ignore ? PAM_IGNORE : PAM_AUTHINFO_UNAVAIL;
}

void pw_tell(const struct pw_ctx *c, const char *prefix, const char *text) {
    if (c->flags & PAM_SILENT) return;
    pam_error(c->pamh, "%s%s", prefix, text);
}

int pw_begin(struct pw_ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv) {
    const char *user = NULL;
    int rc;

    c->pamh = pamh;
    c->flags = flags;
    c->opts = parse_options(pamh, argc, argv);
    c->user = NULL;

    rc = pam_get_user(pamh, &user, NULL);
    if (rc != PAM_SUCCESS) {
        pam_syslog(pamh, LOG_ERR, "cannot get the user name: %s", pam_strerror(pamh, rc));
        return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc;
    }
    if (user == NULL || user[0] == '\0') return pw_unknown(c);
    if (!ward_name_valid(user)) {
        if (c->opts & PW_OPT_DEBUG) {
            char shown[SHOWN_NAME_MAX];
            pw_sanitize(user, strlen(user), shown, sizeof shown, 1);
            pam_syslog(pamh, LOG_DEBUG, "\"%s\" is not a directory name; not asking ward-unixd", shown);
        }
        return pw_unknown(c);
    }
    /* The daemon would answer NOT_FOUND too (local accounts win), but deciding here keeps
     * root and every local account independent of the daemon being up. */
    if (pw_is_local_user(user)) {
        pw_debug(c, "%s is a local account (" PW_LOCAL_PASSWD "); not asking ward-unixd", user);
        return pw_unknown(c);
    }
    c->user = user;
    return PAM_SUCCESS;
}

/* Reads the file in fixed chunks, so no line length can make it allocate; only the text
 * before the first ':' of each line is compared. */
int pw_is_local_user(const char *name) {
    char chunk[512];
    size_t n = strlen(name);
    int at_line_start = 1;
    int found = 0;
    FILE *f = fopen(PW_LOCAL_PASSWD, "re");

    if (f == NULL) return 0;
    while (!found && fgets(chunk, sizeof chunk, f) != NULL) {
        size_t len = strlen(chunk);
        if (at_line_start && len > n && memcmp(chunk, name, n) == 0 && chunk[n] == ':') found = 1;
        at_line_start = len > 0 && chunk[len - 1] == '\n';
    }
    fclose(f);
    return found;
}

/* Length of the UTF-8 sequence starting with lead byte c (1 for anything unexpected: the
 * daemon's strings are validated UTF-8, user names may be any bytes). */
static size_t utf8_len(unsigned char c) {
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) return 3;
    if (c >= 0xF0 && c <= 0xF4) return 4;
    return 1;
}

size_t pw_sanitize(const char *src, size_t n, char *dst, size_t cap, int ascii_only) {
    size_t i = 0, o = 0;
    if (cap == 0) return 0;
    while (i < n) {
        unsigned char c = (unsigned char)src[i];
        size_t k = c < 0x80 ? 1 : utf8_len(c);
        int control = c < 0x20 || c == 0x7f || (c == 0xC2 && i + 1 < n && (unsigned char)src[i + 1] < 0xA0);
        int whole = k > 1 && k <= n - i;
        for (size_t j = 1; whole && j < k; j++)
            if (((unsigned char)src[i + j] & 0xC0) != 0x80) whole = 0;
        if (k > 1 && !whole) k = 1;

        if (control || (c >= 0x80 && (ascii_only || k == 1))) {
            /* One '?' for the whole character. */
            if (o + 1 >= cap) break;
            dst[o++] = '?';
        } else {
            if (o + k >= cap) break; /* never cut a character in two */
            memcpy(dst + o, src + i, k);
            o += k;
        }
        i += k;
    }
    dst[o] = '\0';
    return o;
}

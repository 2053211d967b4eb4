/* pam_ward.c: the PAM entry points of pam_ward.so. Each one runs pw_begin() (options; is the
 * user a directory user at all?), sends at most one request to ward-unixd and maps the answer
 * to a PAM code. The mapping, per stack (README.md has it as a table):
 *
 *   answer        auth                account            session           password
 *   OK            SUCCESS             SUCCESS            SUCCESS           SUCCESS
 *   NOT_FOUND     USER_UNKNOWN  (all stacks; PAM_IGNORE with ignore_unknown_user)
 *   unreachable   AUTHINFO_UNAVAIL    AUTHINFO_UNAVAIL   SESSION_ERR       AUTHINFO_UNAVAIL
 *                 (all stacks; PAM_IGNORE with ignore_authinfo_unavail)
 *   DENIED        AUTH_ERR            PERM_DENIED *      SESSION_ERR *     AUTHTOK_ERR *
 *   AUTH_FAILED   AUTH_ERR            SYSTEM_ERR         SESSION_ERR       AUTHTOK_ERR *
 *   other/broken  AUTH_ERR            SYSTEM_ERR         SESSION_ERR       AUTHTOK_ERR
 *   (* the daemon's message is shown to the user)
 *
 * auth never shows the daemon's reason: before the password is proven, "locked" or "not
 * allowed here" would tell anyone who types a name about that account. account, which runs
 * only after authentication (or a public-key login), shows it. */
#include <string.h>

#include "pam_ward.h"

static const char *or_default(const char *message, const char *fallback) {
    return message[0] != '\0' ? message : fallback;
}

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
    struct pw_ctx c;
    struct pw_answer a;
    const char *password = NULL;
    int rc = pw_begin(&c, pamh, flags, argc, argv);
    if (rc != PAM_SUCCESS) return rc;

    /* libpam returns a password an earlier module stored; otherwise it prompts, unless
     * use_first_pass is among our arguments. */
    rc = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
    if (rc != PAM_SUCCESS || password == NULL) {
        pam_syslog(pamh, LOG_NOTICE, "auth for %s: no password%s: %s", c.user,
                   c.opts & PW_OPT_USE_FIRST_PASS ? " from an earlier module (use_first_pass)" : "",
                   pam_strerror(pamh, rc == PAM_SUCCESS ? PAM_AUTH_ERR : rc));
        return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
    }
    if (password[0] == '\0') {
        pam_syslog(pamh, LOG_NOTICE, "authentication failure for %s: empty password (not sent)", c.user);
        return PAM_AUTH_ERR;
    }

    {
        const char *fields[] = {c.user, password};
        pw_ask(&c, WARD_OP_PAM_AUTH, fields, 2, PW_TIMEOUT_SLOW_MS, PW_BODY_MESSAGE, &a);
    }
    switch (a.outcome) {
    case PW_OK:
        pam_syslog(pamh, LOG_INFO, "authenticated %s: %s", c.user, or_default(a.message, "password accepted"));
        return PAM_SUCCESS;
    case PW_NOT_FOUND:
        return pw_unknown(&c);
    case PW_UNAVAIL:
        return pw_unavail(&c, "auth", &a);
    case PW_AUTH_FAILED:
    case PW_DENIED:
        pam_syslog(pamh, LOG_NOTICE, "authentication failure for %s: %s", c.user,
                   or_default(a.message, pw_outcome_name(a.outcome)));
        return PAM_AUTH_ERR;
    case PW_NOMEM:
        return PAM_BUF_ERR;
    case PW_REFUSED:
    case PW_BROKEN:
        break;
    }
    pam_syslog(pamh, LOG_ERR, "auth for %s failed closed: %s (%s)", c.user, a.message, pw_outcome_name(a.outcome));
    return PAM_AUTH_ERR;
}

/* No credentials to establish: group memberships come from NSS (initgroups). */
int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_SUCCESS;
}

int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
    struct pw_ctx c;
    struct pw_answer a;
    int rc = pw_begin(&c, pamh, flags, argc, argv);
    if (rc != PAM_SUCCESS) return rc;

    /* The daemon answers from its cache when the IdP is away: unreachable here means the daemon
     * itself is down, and the account cannot be vouched for. */
    pw_ask(&c, WARD_OP_PAM_ACCOUNT, &c.user, 1, PW_TIMEOUT_QUICK_MS, PW_BODY_MESSAGE, &a);
    switch (a.outcome) {
    case PW_OK:
        return PAM_SUCCESS;
    case PW_NOT_FOUND:
        return pw_unknown(&c);
    case PW_UNAVAIL:
        return pw_unavail(&c, "account", &a);
    case PW_DENIED: {
        const char *why = or_default(a.message, "access denied by the directory");
        pw_tell(&c, "", why);
        pam_syslog(pamh, LOG_NOTICE, "account %s refused: %s", c.user, why);
        return PAM_PERM_DENIED;
    }
    case PW_NOMEM:
        return PAM_BUF_ERR;
    case PW_AUTH_FAILED:
    case PW_REFUSED:
    case PW_BROKEN:
        break;
    }
    pam_syslog(pamh, LOG_ERR, "account for %s failed closed: %s (%s)", c.user, a.message, pw_outcome_name(a.outcome));
    return PAM_SYSTEM_ERR;
}

int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
    struct pw_ctx c;
    struct pw_answer a;
    int rc = pw_begin(&c, pamh, flags, argc, argv);
    if (rc != PAM_SUCCESS) return rc;

    /* The daemon has its root tasks daemon create the home directory; that may copy /etc/skel,
     * hence the longer deadline. */
    pw_ask(&c, WARD_OP_PAM_SESSION, &c.user, 1, PW_TIMEOUT_SLOW_MS, PW_BODY_MESSAGE, &a);
    switch (a.outcome) {
    case PW_OK:
        return PAM_SUCCESS;
    case PW_NOT_FOUND:
        return pw_unknown(&c);
    case PW_UNAVAIL:
        return pw_unavail(&c, "session", &a) == PAM_IGNORE ? PAM_IGNORE : PAM_SESSION_ERR;
    case PW_DENIED:
        pw_tell(&c, "", or_default(a.message, "the session was refused by the directory"));
        break;
    case PW_NOMEM:
        return PAM_BUF_ERR;
    case PW_AUTH_FAILED:
    case PW_REFUSED:
    case PW_BROKEN:
        break;
    }
    pam_syslog(pamh, LOG_ERR, "session for %s not opened: %s (%s)", c.user, a.message, pw_outcome_name(a.outcome));
    return PAM_SESSION_ERR;
}

int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_SUCCESS;
}

/* PAM_PRELIM_CHECK: is the daemon there and the user one of its own? No password is asked for
 * or sent in this pass. */
static int chauthtok_prelim(const struct pw_ctx *c) {
    struct pw_answer a;
    pw_ask(c, WARD_OP_PW_BY_NAME, &c->user, 1, PW_TIMEOUT_QUICK_MS, PW_BODY_PASSWD, &a);
    switch (a.outcome) {
    case PW_OK:
        return PAM_SUCCESS;
    case PW_NOT_FOUND:
        return pw_unknown(c);
    case PW_UNAVAIL:
        pw_tell(c, "The password cannot be changed now: ", a.message);
        return pw_unavail(c, "password", &a);
    case PW_NOMEM:
        return PAM_BUF_ERR;
    case PW_DENIED:
    case PW_AUTH_FAILED:
    case PW_REFUSED:
    case PW_BROKEN:
        break;
    }
    pam_syslog(c->pamh, LOG_ERR, "password for %s: preliminary check failed: %s (%s)", c->user, a.message,
               pw_outcome_name(a.outcome));
    return PAM_AUTHTOK_ERR;
}

static int chauthtok_update(const struct pw_ctx *c) {
    struct pw_answer a;
    const char *old = NULL, *new_password = NULL;
    int rc = pam_get_authtok(c->pamh, PAM_OLDAUTHTOK, &old, "Current password: ");
    if (rc != PAM_SUCCESS || old == NULL) {
        pam_syslog(c->pamh, LOG_NOTICE, "password for %s not changed: no current password: %s", c->user,
                   pam_strerror(c->pamh, rc == PAM_SUCCESS ? PAM_AUTHTOK_RECOVERY_ERR : rc));
        return PAM_AUTHTOK_RECOVERY_ERR;
    }
    /* Asks twice and compares, unless an earlier module already holds the new password. */
    rc = pam_get_authtok(c->pamh, PAM_AUTHTOK, &new_password, NULL);
    if (rc != PAM_SUCCESS || new_password == NULL) {
        pam_syslog(c->pamh, LOG_NOTICE, "password for %s not changed: no new password: %s", c->user,
                   pam_strerror(c->pamh, rc == PAM_SUCCESS ? PAM_AUTHTOK_ERR : rc));
        return rc == PAM_TRY_AGAIN ? PAM_TRY_AGAIN : PAM_AUTHTOK_ERR;
    }

    {
        const char *fields[] = {c->user, old, new_password};
        pw_ask(c, WARD_OP_PAM_CHAUTHTOK, fields, 3, PW_TIMEOUT_SLOW_MS, PW_BODY_MESSAGE, &a);
    }
    switch (a.outcome) {
    case PW_OK:
        pam_syslog(c->pamh, LOG_NOTICE, "password changed for %s", c->user);
        return PAM_SUCCESS;
    case PW_NOT_FOUND:
        return pw_unknown(c);
    case PW_UNAVAIL:
        pw_tell(c, "Password not changed: ", a.message);
        return pw_unavail(c, "password", &a);
    case PW_NOMEM:
        return PAM_BUF_ERR;
    case PW_DENIED:
    case PW_AUTH_FAILED:
    case PW_REFUSED: {
        const char *why = or_default(a.message, "the directory refused the new password");
        pw_tell(c, "Password not changed: ", why);
        pam_syslog(c->pamh, LOG_NOTICE, "password for %s not changed: %s (%s)", c->user, why,
                   pw_outcome_name(a.outcome));
        return PAM_AUTHTOK_ERR;
    }
    case PW_BROKEN:
        break;
    }
    pam_syslog(c->pamh, LOG_ERR, "password for %s not changed: %s", c->user, a.message);
    return PAM_AUTHTOK_ERR;
}

int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv) {
    struct pw_ctx c;
    int rc = pw_begin(&c, pamh, flags, argc, argv);
    if (rc != PAM_SUCCESS) return rc;
    if (flags & PAM_PRELIM_CHECK) return chauthtok_prelim(&c);
    if (flags & PAM_UPDATE_AUTHTOK) return chauthtok_update(&c);
    pam_syslog(pamh, LOG_ERR, "password for %s: called with neither PAM_PRELIM_CHECK nor PAM_UPDATE_AUTHTOK", c.user);
    return PAM_SERVICE_ERR;
}

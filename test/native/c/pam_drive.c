/* pam_drive.c: a PAM application whose conversation answers any hidden prompt with whatever it
 * read on stdin, whole (up to 64 KiB), for test/native/pam-module.test.ts. pamtester's
 * conversation (libpam_misc) cuts answers at 512 bytes; sshd's does not, so a password too
 * long for one ward-unixd request can reach pam_ward through sshd. Run inside the test's mount
 * namespace (the service is in its /etc/pam.d).
 *
 *   pam_drive SERVICE USER   -> prints "authenticate: <pam_strerror>" and exits 0 on success
 */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUT_MAX 65536

static char input[INPUT_MAX + 1];

static int answer(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
    struct pam_response *out = calloc((size_t)n, sizeof *out);
    (void)data;
    if (out == NULL) return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            out[i].resp = strdup(input);
            if (out[i].resp == NULL) return PAM_BUF_ERR;
        } else {
            fprintf(stderr, "%s\n", msg[i]->msg);
        }
    }
    *resp = out;
    return PAM_SUCCESS;
}

int main(int argc, char **argv) {
    struct pam_conv conv = {answer, NULL};
    pam_handle_t *pamh = NULL;
    size_t len;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: pam_drive SERVICE USER\n");
        return 2;
    }
    len = fread(input, 1, INPUT_MAX, stdin);
    while (len > 0 && input[len - 1] == '\n')
        len--;
    input[len] = '\0';

    rc = pam_start(argv[1], argv[2], &conv, &pamh);
    if (rc != PAM_SUCCESS) {
        fprintf(stderr, "pam_start: %s\n", pam_strerror(pamh, rc));
        return 2;
    }
    rc = pam_authenticate(pamh, 0);
    printf("authenticate: %s\n", pam_strerror(pamh, rc));
    pam_end(pamh, rc);
    return rc == PAM_SUCCESS ? 0 : 1;
}

/* ward_name.c: the name rule of packages/proto/src/names.ts, for the C clients.
 *
 * A name is a short name (a lower-case ASCII letter, then a-z 0-9 _ - ., at most 64 characters,
 * no "..") optionally followed by "@" and a lower-case DNS domain (isValidDomain). The clients
 * check it before asking the daemon, so a name the directory can never hold costs no round trip
 * and never reaches the socket or sshd's command line. test/native/proto-roundtrip.test.ts
 * checks this against the TypeScript rule on the same corpus. */
#include <string.h>

#include "ward_client.h"

static int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int short_name_valid(const char *s, size_t n) {
    if (n == 0 || n > WARD_NAME_MAX || !is_lower(s[0])) return 0;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!is_lower(c) && !is_digit(c) && c != '_' && c != '-' && c != '.') return 0;
        if (c == '.' && s[i - 1] == '.') return 0;
    }
    return 1;
}

/* Labels of 1-63 characters from a-z 0-9 -, neither starting nor ending with "-". */
static int domain_valid(const char *s, size_t n) {
    size_t label = 0;
    if (n == 0 || n > WARD_DOMAIN_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') return 0;
            label = 0;
            continue;
        }
        if (!is_lower(c) && !is_digit(c) && c != '-') return 0;
        if (c == '-' && label == 0) return 0;
        if (++label > 63) return 0;
    }
    return label > 0 && s[n - 1] != '-';
}

int ward_name_valid(const char *name) {
    size_t n;
    const char *at;
    if (name == NULL) return 0;
    n = strnlen(name, WARD_SPN_MAX + 1);
    if (n > WARD_SPN_MAX) return 0;
    at = memchr(name, '@', n);
    if (at == NULL) return short_name_valid(name, n);
    return short_name_valid(name, (size_t)(at - name)) && domain_valid(at + 1, n - (size_t)(at - name) - 1);
}

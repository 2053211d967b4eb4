/* nss_probe.c: drives libnss_ward where getent cannot, for test/native/nss-module.test.ts.
 * Run inside the test's mount namespace (nsswitch.conf says `files ward`, the module is in the
 * library path). Prints key=value lines the test asserts on; exits non-zero on a broken rule.
 *
 *   nss_probe pwnam NAME STEP | pwuid UID STEP | grnam NAME STEP | grgid GID STEP
 *       Calls the glibc *_r function with an empty buffer, then buffers of 1, 1+STEP, ... bytes,
 *       each followed by a canary. Every size below the first success must give ERANGE and no
 *       result; no call may touch the canary. Prints min=SIZE and the entry.
 *   nss_probe grouplist NAME GID
 *       getgrouplist with room for one group (must report the real count), then with room.
 *   nss_probe direct NAME PRIMARY_GID
 *       dlopen()s the module and calls its entry points directly: NULL/empty buffers, rereading
 *       an entry after ERANGE during enumeration, initgroups_dyn growth and limit, fd leaks.
 *   nss_probe retry NAME OTHER
 *       getgrnam_r(NAME) through buffers growing from 1 byte by 64 (glibc's ERANGE retry
 *       chain); then NAME in 4 KiB (too small, yet past nss_files' own ERANGE), OTHER, NAME; then
 *       NAME in 4 KiB, 1.2 s, NAME. The test counts what reached the daemon.
 *   nss_probe threads NAME UID ROUNDS [PAUSE_US]
 *       8 threads look NAME and UID up ROUNDS times each (pausing PAUSE_US between rounds, so a
 *       run can span seconds without burning CPU) while one forks a child that looks up too;
 *       every answer must be the right one.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CANARY 64
#define FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), exit(1))

static int canary_ok(const unsigned char *p) {
    for (int i = 0; i < CANARY; i++)
        if (p[i] != 0xA5) return 0;
    return 1;
}

/* One glibc lookup of the kind named by mode into a buffer of size bytes. */
static int lookup(const char *mode, const char *key, char *buf, size_t size, struct passwd *pw, struct group *gr,
                  void **res) {
    if (strcmp(mode, "pwnam") == 0) return getpwnam_r(key, pw, buf, size, (struct passwd **)res);
    if (strcmp(mode, "pwuid") == 0)
        return getpwuid_r((uid_t)strtoul(key, NULL, 10), pw, buf, size, (struct passwd **)res);
    if (strcmp(mode, "grnam") == 0) return getgrnam_r(key, gr, buf, size, (struct group **)res);
    return getgrgid_r((gid_t)strtoul(key, NULL, 10), gr, buf, size, (struct group **)res);
}

static int cmd_buffers(const char *mode, const char *key, size_t step) {
    struct passwd pw;
    struct group gr;
    void *res = (void *)1;
    char none[1];
    /* glibc declares the buffer nonnull; a NULL one is checked on the module directly. */
    int rc = lookup(mode, key, none, 0, &pw, &gr, &res);
    if (rc != ERANGE || res != NULL) FAIL("empty buffer: rc=%d", rc);
    for (size_t size = 1; size < (1u << 24); size += step) {
        unsigned char *buf = malloc(size + CANARY);
        memset(buf + size, 0xA5, CANARY);
        res = (void *)1;
        rc = lookup(mode, key, (char *)buf, size, &pw, &gr, &res);
        if (!canary_ok(buf + size)) FAIL("size %zu: wrote past the buffer", size);
        if (rc == ERANGE) {
            if (res != NULL) FAIL("size %zu: ERANGE with a result", size);
            free(buf);
            continue;
        }
        if (rc != 0 || res == NULL) FAIL("size %zu: rc=%d res=%p", size, rc, res);
        printf("min=%zu\n", size);
        if (mode[0] == 'p') {
            printf("entry=%s:%s:%u:%u:%s:%s:%s\n", pw.pw_name, pw.pw_passwd, pw.pw_uid, pw.pw_gid, pw.pw_gecos,
                   pw.pw_dir, pw.pw_shell);
        } else {
            size_t n = 0;
            if ((uintptr_t)gr.gr_mem % sizeof(char *) != 0) FAIL("gr_mem misaligned");
            while (gr.gr_mem[n])
                n++;
            printf("entry=%s:%s:%u members=%zu first=%s last=%s\n", gr.gr_name, gr.gr_passwd, gr.gr_gid, n,
                   n ? gr.gr_mem[0] : "", n ? gr.gr_mem[n - 1] : "");
        }
        free(buf);
        return 0;
    }
    FAIL("never succeeded");
}

static int cmp_gid(const void *a, const void *b) {
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

static int cmd_grouplist(const char *name, gid_t primary) {
    gid_t one[1];
    int n = 1, all;
    gid_t *groups;
    if (getgrouplist(name, primary, one, &n) != -1) FAIL("one slot did not report -1 (n=%d)", n);
    all = n;
    groups = calloc((size_t)all, sizeof(gid_t));
    if (getgrouplist(name, primary, groups, &n) != all) FAIL("second call returned another count");
    qsort(groups, (size_t)n, sizeof(gid_t), cmp_gid);
    printf("count=%d gids=", n);
    for (int i = 0; i < n; i++)
        printf("%s%u", i ? "," : "", groups[i]);
    printf("\n");
    free(groups);
    return 0;
}

static int count_fds(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

typedef enum nss_status (*getpwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getgrnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*getpwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getgrent_fn)(struct group *, char *, size_t, int *);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*initgroups_fn)(const char *, gid_t, long *, long *, gid_t **, long, int *);

static void *sym(void *h, const char *name) {
    void *f = dlsym(h, name);
    if (f == NULL) FAIL("missing %s", name);
    return f;
}

static int cmd_direct(const char *name, gid_t primary) {
    void *h = dlopen("libnss_ward.so.2", RTLD_NOW | RTLD_LOCAL);
    char small[8], big[1 << 16];
    struct passwd pw;
    struct group gr;
    int err = 0, fds = count_fds();
    enum nss_status st;
    long start, size;
    gid_t *groups;
    if (h == NULL) FAIL("dlopen: %s", dlerror());

    getpwnam_fn getpwnam = (getpwnam_fn)sym(h, "_nss_ward_getpwnam_r");
    getgrnam_fn getgrnam = (getgrnam_fn)sym(h, "_nss_ward_getgrnam_r");
    st = getpwnam(name, &pw, NULL, 100, &err);
    if (st != NSS_STATUS_TRYAGAIN || err != ERANGE) FAIL("getpwnam NULL buffer: st=%d err=%d", st, err);
    err = 0, st = getpwnam(name, &pw, big, 0, &err);
    if (st != NSS_STATUS_TRYAGAIN || err != ERANGE) FAIL("getpwnam empty buffer: st=%d err=%d", st, err);
    err = 0, st = getgrnam(name, &gr, NULL, 0, &err);
    if (st != NSS_STATUS_TRYAGAIN || err != ERANGE) FAIL("getgrnam NULL buffer: st=%d err=%d", st, err);
    err = 0, st = getpwnam("Not-A-Name", &pw, big, sizeof big, &err);
    if (st != NSS_STATUS_NOTFOUND || err != ENOENT) FAIL("invalid name: st=%d err=%d", st, err);
    printf("buffers=ok\n");

    /* Enumeration: every other call first fails with a tiny buffer; the retry must return the
     * entry that did not fit, so nothing is skipped or repeated. */
    setent_fn setpwent = (setent_fn)sym(h, "_nss_ward_setpwent");
    getpwent_fn getpwent = (getpwent_fn)sym(h, "_nss_ward_getpwent_r");
    endent_fn endpwent = (endent_fn)sym(h, "_nss_ward_endpwent");
    char first[256] = "", last[256] = "";
    int count = 0;
    setpwent(0);
    for (;;) {
        err = 0;
        st = getpwent(&pw, small, sizeof small, &err);
        if (st == NSS_STATUS_NOTFOUND) break;
        if (st != NSS_STATUS_TRYAGAIN || err != ERANGE) FAIL("getpwent small: st=%d err=%d", st, err);
        st = getpwent(&pw, big, sizeof big, &err);
        if (st != NSS_STATUS_SUCCESS) FAIL("getpwent big: st=%d", st);
        if (count++ == 0) snprintf(first, sizeof first, "%s", pw.pw_name);
        snprintf(last, sizeof last, "%s", pw.pw_name);
    }
    if (getpwent(&pw, big, sizeof big, &err) != NSS_STATUS_NOTFOUND) FAIL("enumeration restarted by itself");
    endpwent();
    printf("pwent=%d first=%s last=%s\n", count, first, last);

    setent_fn setgrent = (setent_fn)sym(h, "_nss_ward_setgrent");
    getgrent_fn getgrent = (getgrent_fn)sym(h, "_nss_ward_getgrent_r");
    endent_fn endgrent = (endent_fn)sym(h, "_nss_ward_endgrent");
    count = 0;
    setgrent(1);
    while ((st = getgrent(&gr, small, sizeof small, &err)) != NSS_STATUS_NOTFOUND) {
        if (st != NSS_STATUS_TRYAGAIN || err != ERANGE) FAIL("getgrent small: st=%d", st);
        if (getgrent(&gr, big, sizeof big, &err) != NSS_STATUS_SUCCESS) FAIL("getgrent big");
        count++;
    }
    endgrent();
    printf("grent=%d\n", count);

    /* initgroups_dyn: glibc's array holds the primary gid; the module grows it. */
    initgroups_fn initgroups = (initgroups_fn)sym(h, "_nss_ward_initgroups_dyn");
    groups = malloc(sizeof(gid_t));
    groups[0] = primary, start = 1, size = 1;
    st = initgroups(name, primary, &start, &size, &groups, -1, &err);
    if (st != NSS_STATUS_SUCCESS) FAIL("initgroups: st=%d", st);
    for (long i = 1; i < start; i++)
        if (groups[i] == primary) FAIL("initgroups repeated the primary gid");
    printf("initgroups_all=%ld\n", start);
    groups[0] = primary, start = 1, size = 1;
    st = initgroups(name, primary, &start, &size, &groups, 2, &err);
    if (st != NSS_STATUS_SUCCESS || start != 2 || size != 2) FAIL("initgroups limit: st=%d %ld/%ld", st, start, size);
    free(groups);
    printf("initgroups_limit=ok\n");

    if (count_fds() != fds) FAIL("leaked descriptors: %d before, %d after", fds, count_fds());
    printf("fds=ok\n");
    return 0;
}

static const char *t_name;
static uid_t t_uid;
static int t_rounds;
static useconds_t t_pause;

static void *worker(void *arg) {
    long id = (long)arg, bad = 0;
    char buf[4096];
    for (int i = 0; i < t_rounds; i++) {
        struct passwd pw, *res = NULL;
        if (getpwnam_r(t_name, &pw, buf, sizeof buf, &res) != 0 || res == NULL || pw.pw_uid != t_uid) bad++;
        if (getpwuid_r(t_uid, &pw, buf, sizeof buf, &res) != 0 || res == NULL || strcmp(pw.pw_name, t_name) != 0) bad++;
        if (id == 0 && i == t_rounds / 2) {
            pid_t pid = fork();
            int status = 0;
            if (pid == 0) {
                struct passwd cpw, *cres = NULL;
                char cbuf[4096];
                _exit(getpwnam_r(t_name, &cpw, cbuf, sizeof cbuf, &cres) == 0 && cres && cpw.pw_uid == t_uid ? 0 : 1);
            }
            if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) bad++;
        }
        if (t_pause) usleep(t_pause);
    }
    return (void *)bad;
}

static int cmd_threads(const char *name, const char *uid, const char *rounds, const char *pause) {
    pthread_t th[8];
    long bad = 0;
    t_name = name, t_uid = (uid_t)strtoul(uid, NULL, 10), t_rounds = atoi(rounds);
    t_pause = pause ? (useconds_t)strtoul(pause, NULL, 10) : 0;
    for (long i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (long)r;
    }
    printf("threads bad=%ld\n", bad);
    return bad == 0 ? 0 : 1;
}

static int grnam_size(const char *name, size_t size) {
    struct group gr;
    struct group *res = NULL;
    char *buf = malloc(size);
    int rc = getgrnam_r(name, &gr, buf, size, &res);
    if (rc == 0 && res == NULL) rc = ENOENT;
    free(buf);
    return rc;
}

static int cmd_retry(const char *name, const char *other) {
    size_t size = 1;
    int rc;
    while ((rc = grnam_size(name, size)) == ERANGE)
        size += 64;
    if (rc != 0) FAIL("chain: rc=%d", rc);
    if (grnam_size(name, 4096) != ERANGE) FAIL("small buffer did not give ERANGE");
    if (grnam_size(other, 1 << 20) != 0) FAIL("other key failed");
    if (grnam_size(name, 1 << 20) != 0) FAIL("after other key: failed");
    if (grnam_size(name, 4096) != ERANGE) FAIL("small buffer did not give ERANGE");
    usleep(1200 * 1000);
    if (grnam_size(name, 1 << 20) != 0) FAIL("after the window: failed");
    printf("retry=ok\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && (strcmp(argv[1], "pwnam") == 0 || strcmp(argv[1], "pwuid") == 0 || strcmp(argv[1], "grnam") == 0 ||
                      strcmp(argv[1], "grgid") == 0))
        return cmd_buffers(argv[1], argv[2], (size_t)atol(argv[3]));
    if (argc == 4 && strcmp(argv[1], "grouplist") == 0) return cmd_grouplist(argv[2], (gid_t)atol(argv[3]));
    if (argc == 4 && strcmp(argv[1], "direct") == 0) return cmd_direct(argv[2], (gid_t)atol(argv[3]));
    if (argc == 4 && strcmp(argv[1], "retry") == 0) return cmd_retry(argv[2], argv[3]);
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "threads") == 0)
        return cmd_threads(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
    fprintf(stderr, "usage: see the comment atop nss_probe.c\n");
    return 64;
}

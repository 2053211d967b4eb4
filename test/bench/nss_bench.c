/* nss_bench.c: latency of NSS lookups as a program sees them (glibc -> nsswitch.conf ->
 * libnss_ward.so.2 -> ward-unixd), and whole-process times of short commands. Built and run by
 * test/bench/host.mjs inside a private mount namespace whose nsswitch.conf says "files ward".
 *
 * The method follows the SSSD peer baseline (../shared/bench/peers/bench_getpwnam.c) so the
 * numbers compare: random picks from a working set, each call timed alone on CLOCK_MONOTONIC,
 * nearest-rank percentiles. The code is our own.
 *
 *   nss_bench lookup USERS GROUPS warm K W SEED
 *       For each op: look up every entry of a random working set of W users/groups once
 *       (untimed), then time K calls on random picks from it.
 *   nss_bench lookup USERS GROUPS cold K W SEED
 *       No warm-up. Op i times one call for each of W entries of its own slice of a shuffled list
 *       (users for user ops, groups for group ops), so every timed call is the first one for
 *       its entry since the daemon started or invalidated. K is ignored. glibc loads the module
 *       and reads nsswitch.conf first, with a name the module refuses without asking the daemon.
 *   nss_bench exec RUNS NAMES|- CMD ARG...
 *       Runs CMD RUNS times (fork + exec, output to /dev/null, wait). An ARG "{}" is replaced by
 *       line i of the file NAMES on run i. Prints whole-process times in milliseconds.
 *
 * USERS lines are "name uid gid", GROUPS lines "name gid". Output is one key=value line per op
 * (times in microseconds for lookups); host.mjs parses it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct entry {
    char name[72];
    uint32_t id;
    uint32_t gid;
};

struct list {
    struct entry *v;
    size_t n;
};

static void die(const char *what) {
    perror(what);
    exit(2);
}

static struct list read_list(const char *path, int columns) {
    struct list l = {0};
    size_t cap = 0;
    FILE *f = fopen(path, "r");
    if (!f) die(path);
    char line[256];
    while (fgets(line, sizeof line, f)) {
        struct entry e = {0};
        if (sscanf(line, "%71s %u %u", e.name, &e.id, &e.gid) < columns) continue;
        if (l.n == cap) {
            cap = cap ? cap * 2 : 1024;
            l.v = realloc(l.v, cap * sizeof *l.v);
            if (!l.v) die("realloc");
        }
        l.v[l.n++] = e;
    }
    fclose(f);
    return l;
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* xorshift64*: a small seeded generator, so runs are repeatable and independent of libc's rand(). */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
static size_t pick(size_t n) { return (size_t)(rng() % n); }

static void shuffle(struct entry *v, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = pick(i);
        struct entry t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples. */
static double pct(const double *sorted, size_t n, double q) {
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

enum op { PWNAM, PWUID, GRNAM, GRGID, GROUPLIST, PWFILES, NOPS };
static const char *const OP_NAMES[NOPS] = {"getpwnam", "getpwuid", "getgrnam", "getgrgid", "getgrouplist", "getpwnam_files"};
static int is_group_op(int op) { return op == GRNAM || op == GRGID; }

/* One call; 1 when the entry was found (for getgrouplist: primary plus at least one more group). */
static int call(int op, const struct entry *e) {
    static gid_t gids[4096];
    int ngids = 4096;
    switch (op) {
    case PWNAM: return getpwnam(e->name) != NULL;
    case PWUID: return getpwuid(e->id) != NULL;
    case GRNAM: return getgrnam(e->name) != NULL;
    case GRGID: return getgrgid(e->id) != NULL;
    case GROUPLIST: return getgrouplist(e->name, e->gid, gids, &ngids) > 1;
    case PWFILES: return getpwnam("root") != NULL;
    }
    return 0;
}

static void report(const char *op, const char *mode, double *lat, size_t n, int ok, double first) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += lat[i];
    qsort(lat, n, sizeof *lat, cmp_double);
    printf("op=%s mode=%s n=%zu ok=%d p50_us=%.2f p90_us=%.2f p99_us=%.2f mean_us=%.2f max_us=%.2f first_us=%.2f\n", op, mode, n,
           ok, pct(lat, n, 0.50), pct(lat, n, 0.90), pct(lat, n, 0.99), sum / (double)n, lat[n - 1], first);
    fflush(stdout);
}

static int lookup_main(int argc, char **argv) {
    if (argc != 8) return fprintf(stderr, "usage: nss_bench lookup USERS GROUPS warm|cold K W SEED\n"), 2;
    struct list users = read_list(argv[2], 3), groups = read_list(argv[3], 2);
    int cold = strcmp(argv[4], "cold") == 0;
    size_t k = (size_t)strtoul(argv[5], NULL, 10), w = (size_t)strtoul(argv[6], NULL, 10);
    rng_state ^= strtoull(argv[7], NULL, 10) * 0x9E3779B97F4A7C15ULL;
    if (users.n == 0 || groups.n == 0 || w == 0 || (!cold && k == 0)) return fprintf(stderr, "nss_bench: empty input\n"), 2;
    shuffle(users.v, users.n);
    shuffle(groups.v, groups.n);
    if (cold && (3 * w > users.n || 2 * w > groups.n)) return fprintf(stderr, "nss_bench: W too large for a cold run\n"), 2;
    size_t wu = w < users.n ? w : users.n, wg = w < groups.n ? w : groups.n;
    size_t cap = cold ? w : k;
    double *lat = malloc(cap * sizeof *lat);
    if (!lat) die("malloc");
    /* Cold slices: users 0..w-1 getpwnam, w..2w-1 getpwuid, 2w..3w-1 getgrouplist; groups 0..w-1 getgrnam, w..2w-1 getgrgid. */
    static const size_t cold_slice[NOPS] = {0, 1, 0, 1, 2, 0};
    if (cold) {
        /* Upper case is never a directory name: the module answers "not found" itself. */
        const struct entry prime = {.name = "WARD-BENCH-PRIME", .id = 0, .gid = 65534};
        for (int op = 0; op < NOPS; op++) call(op, &prime);
    }
    for (int op = 0; op < NOPS; op++) {
        const struct list *src = is_group_op(op) ? &groups : &users;
        size_t ws = is_group_op(op) ? wg : wu;
        int ok = 0;
        size_t n = 0;
        double first = 0;
        if (cold) {
            const struct entry *base = src->v + cold_slice[op] * w;
            for (; n < w; n++) {
                int64_t t0 = now_ns();
                ok += call(op, &base[n]);
                lat[n] = (double)(now_ns() - t0) / 1000.0;
                if (n == 0) first = lat[0];
            }
        } else {
            for (size_t i = 0; i < ws; i++) call(op, &src->v[i]);
            for (; n < k; n++) {
                const struct entry *e = &src->v[pick(ws)];
                int64_t t0 = now_ns();
                ok += call(op, e);
                lat[n] = (double)(now_ns() - t0) / 1000.0;
                if (n == 0) first = lat[0];
            }
        }
        report(OP_NAMES[op], cold ? "cold" : "warm", lat, n, ok, first);
    }
    free(lat);
    return 0;
}

static int exec_main(int argc, char **argv) {
    if (argc < 5) return fprintf(stderr, "usage: nss_bench exec RUNS NAMES|- CMD ARG...\n"), 2;
    size_t runs = (size_t)strtoul(argv[2], NULL, 10);
    struct list names = {0};
    if (strcmp(argv[3], "-") != 0) names = read_list(argv[3], 1);
    if (runs == 0 || (strcmp(argv[3], "-") != 0 && names.n < runs)) return fprintf(stderr, "nss_bench: not enough runs or names\n"), 2;
    char **cmd = &argv[4];
    int ncmd = argc - 4;
    int hole = -1;
    for (int i = 0; i < ncmd; i++) if (strcmp(cmd[i], "{}") == 0) hole = i;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    double *ms = malloc(runs * sizeof *ms);
    if (!ms) die("malloc");
    int ok = 0, last_rc = 0;
    double first = 0;
    for (size_t r = 0; r < runs; r++) {
        if (hole >= 0) cmd[hole] = names.v[r].name;
        pid_t pid;
        int64_t t0 = now_ns();
        int err = posix_spawnp(&pid, cmd[0], &fa, NULL, cmd, environ);
        if (err) {
            errno = err;
            die(cmd[0]);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) die("waitpid");
        ms[r] = (double)(now_ns() - t0) / 1e6;
        if (r == 0) first = ms[0];
        last_rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        ok += last_rc == 0;
    }
    qsort(ms, runs, sizeof *ms, cmp_double);
    printf("exec=%s runs=%zu ok=%d rc=%d median_ms=%.3f p90_ms=%.3f min_ms=%.3f max_ms=%.3f first_ms=%.3f\n", cmd[0], runs, ok,
           last_rc, pct(ms, runs, 0.5), pct(ms, runs, 0.9), ms[0], ms[runs - 1], first);
    posix_spawn_file_actions_destroy(&fa);
    free(ms);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "lookup") == 0) return lookup_main(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "exec") == 0) return exec_main(argc, argv);
    fprintf(stderr, "usage: nss_bench lookup|exec ...\n");
    return 2;
}

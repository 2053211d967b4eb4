/* nss_map_file.c: the one mapping of ward-unixd's NSS file per process (see nss_map.h).
 *
 * Where: $WARD_UNIXD_MAP, else nss.map beside $WARD_UNIXD_SOCKET, else WARD_MAP_DEFAULT (beside
 * the default socket), read with secure_getenv() like the socket path (ward_client.c), so a
 * setuid program always uses the default.
 *
 * Trust, checked each time the file is mapped: it is opened with O_NOFOLLOW (a symlink is
 * refused) and must be a regular file of a sane size, owned by root or by the owner of its
 * folder, writable by nobody else; the folder must be writable by nobody but its owner, and its
 * parent owned by root or that same owner and not writable by others unless sticky (/run, /tmp),
 * so nobody else can have put the folder there. Whoever passes this could also answer on the
 * socket in that folder: the map gives them no power they did not have. Only that owner could
 * truncate the file under a mapping (a SIGBUS for readers); ward-unixd never does: it replaces
 * files by rename and writes only the flag word and heartbeat in place.
 *
 * Concurrency: readers never lock. nss_map_acquire() counts the caller in `readers`, then loads
 * `current`; a remap publishes the new mapping first and unmaps the old one only once it has
 * seen `readers` at zero (until then it waits in `retired`). The remap itself runs under a
 * mutex; a thread that finds a remap in progress waits for it (an open, fstat and mmap) and
 * uses its result. After fork() the child resets the mutex and the count (pthread_atfork), so a lock or
 * a reader of a thread that no longer exists never blocks it; no lock is held across fork.
 *
 * Freshness: every acquire reads the flag word and the heartbeat in the mapping (no syscall;
 * the clock is the vDSO's coarse realtime clock). A replaced file is remapped at once; a stale
 * or missing one is retried at most once a second. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nss_map.h"

#define RETIRED_MAX 8

struct mapping {
    struct nss_map_view view; /* first: a view pointer is a mapping pointer */
    void *addr;
    size_t len;
};

static struct mapping *_Atomic current;
static _Atomic long readers;
static _Atomic long next_try; /* CLOCK_MONOTONIC_COARSE second before which no remap is tried */
static pthread_mutex_t remap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mapping *retired[RETIRED_MAX]; /* under remap_lock */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void after_fork_child(void) {
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&remap_lock, &fresh, sizeof fresh);
    readers = 0;
}

static void register_atfork(void) { pthread_atfork(NULL, NULL, after_fork_child); }

static long clock_seconds(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) return 0;
    return (long)ts.tv_sec;
}

/* Valid to answer from: not replaced, heartbeat within WARD_MAP_STALE_SECONDS either way. */
static int usable(const struct mapping *m) {
    long now = clock_seconds(CLOCK_REALTIME_COARSE);
    uint64_t beat = nss_map_view_heartbeat(&m->view);
    if (nss_map_view_flags(&m->view) & WARD_MAP_FLAG_REPLACED) return 0;
    if (now <= 0 || beat > (uint64_t)LONG_MAX) return 0;
    return labs(now - (long)beat) <= WARD_MAP_STALE_SECONDS;
}

static int map_path(char *out, size_t cap) {
    const char *p = secure_getenv(WARD_MAP_ENV);
    const char *sock;
    const char *slash;
    if (p != NULL && p[0] == '/') return snprintf(out, cap, "%s", p) < (int)cap ? 0 : -1;
    sock = secure_getenv(WARD_SOCKET_ENV);
    if (sock == NULL || sock[0] != '/') return snprintf(out, cap, "%s", WARD_MAP_DEFAULT) < (int)cap ? 0 : -1;
    slash = strrchr(sock, '/');
    return snprintf(out, cap, "%.*s/%s", (int)(slash - sock), sock, WARD_MAP_FILE_NAME) < (int)cap ? 0 : -1;
}

/* Cuts `path` (a copy in dir) back to its folder: "/a/b" -> "/a", "/a" -> "/". */
static int parent_of(char *dir) {
    char *slash = strrchr(dir, '/');
    if (slash == NULL) return -1;
    if (slash == dir) slash[1] = '\0';
    else *slash = '\0';
    return 0;
}

/* The ownership rules of the comment at the top, for a file owned by file_owner at `path`. */
static int placement_ok(const char *path, uid_t file_owner) {
    char dir[PATH_MAX];
    struct stat d, parent;
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir || parent_of(dir) != 0) return 0;
    if (stat(dir, &d) != 0 || !S_ISDIR(d.st_mode) || (d.st_mode & 022) != 0) return 0;
    if (file_owner != 0 && file_owner != d.st_uid) return 0;
    if (strcmp(dir, "/") == 0) return d.st_uid == 0;
    if (parent_of(dir) != 0 || stat(dir, &parent) != 0 || (parent.st_uid != 0 && parent.st_uid != d.st_uid)) return 0;
    return (parent.st_mode & 022) == 0 || (parent.st_mode & S_ISVTX) != 0;
}

static struct mapping *open_mapping(void) {
    char path[PATH_MAX];
    struct stat st;
    struct mapping *m;
    void *addr;
    int fd;

    if (map_path(path, sizeof path) != 0) return NULL;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 022) != 0 || st.st_size < WARD_MAP_HEADER_SIZE ||
        (uint64_t)st.st_size > WARD_MAP_SIZE_MAX || !placement_ok(path, st.st_uid)) {
        close(fd);
        return NULL;
    }
    addr = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (addr == MAP_FAILED) return NULL;
    m = calloc(1, sizeof *m);
    if (m == NULL || nss_map_view_init(&m->view, addr, (size_t)st.st_size) != 0 || !usable(m)) {
        free(m);
        munmap(addr, (size_t)st.st_size);
        return NULL;
    }
    m->addr = addr;
    m->len = (size_t)st.st_size;
    return m;
}

static void unmap(struct mapping *m) {
    munmap(m->addr, m->len);
    free(m);
}

/* Under remap_lock: unmaps what no reader can still hold; keeps `old` until then. */
static void retire(struct mapping *old) {
    int quiet = atomic_load(&readers) == 0;
    for (int i = 0; i < RETIRED_MAX; i++) {
        if (retired[i] != NULL && quiet) {
            unmap(retired[i]);
            retired[i] = NULL;
        }
        if (old != NULL && retired[i] == NULL && !quiet) {
            retired[i] = old;
            old = NULL;
        }
    }
    /* Quiet: nobody holds it. Busy with every slot taken: leave it mapped (a bounded leak of one
     * mapping, only when readers never pause across RETIRED_MAX replacements). */
    if (old != NULL && quiet) unmap(old);
}

static void remap(void) {
    long now = clock_seconds(CLOCK_MONOTONIC_COARSE);
    struct mapping *fresh;
    struct mapping *have;
    if (now < atomic_load(&next_try)) return;
    /* Wait for a remap in progress rather than skip to the socket: at a process's first lookup
     * every thread arrives here at once, and those that skipped would ask the socket (a hung
     * daemon's deadline). A remap is an open, fstat and mmap of a local file: short. */
    if (pthread_mutex_lock(&remap_lock) != 0) return;
    have = atomic_load(&current);
    if ((have != NULL && usable(have)) || now < atomic_load(&next_try)) {
        /* Another thread remapped (or just failed to) while this one waited. */
        pthread_mutex_unlock(&remap_lock);
        return;
    }
    fresh = open_mapping();
    if (fresh == NULL) {
        atomic_store(&next_try, now + 1);
    } else {
        retire(atomic_exchange(&current, fresh));
    }
    pthread_mutex_unlock(&remap_lock);
}

static const struct nss_map_view *pin(void) {
    struct mapping *m;
    atomic_fetch_add(&readers, 1);
    m = atomic_load(&current);
    if (m != NULL && usable(m)) return &m->view;
    atomic_fetch_sub(&readers, 1);
    return NULL;
}

const struct nss_map_view *nss_map_acquire(void) {
    const struct nss_map_view *v;
    const char *loops = secure_getenv(WARD_LOOPS_ENV);
    /* Inside ward-unixd itself: never answer (same rule as the socket client). */
    if (loops != NULL && strcmp(loops, "NO") == 0) return NULL;
    pthread_once(&atfork_once, register_atfork);
    v = pin();
    if (v != NULL) return v;
    remap();
    return pin();
}

void nss_map_release(const struct nss_map_view *v) {
    if (v != NULL) atomic_fetch_sub(&readers, 1);
}

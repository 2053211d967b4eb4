/* nss_retry.c: keeps, per thread, the last lookup answer that did not fit the caller's buffer,
 * so glibc's ERANGE retry (the same call again with a bigger buffer, several times for a big
 * group) is answered from those bytes instead of asking ward-unixd for the whole entry again.
 *
 * Bounds: one response per thread (at most WARD_RESPONSE_MAX, as received), reused only by the
 * very next lookup on that thread when it is the same request (op and key, byte for byte),
 * within RETRY_WINDOW_NS of the answer, in the same process (a forked child drops it). Any other
 * lookup frees it first. The holder is malloc'ed and hung on a pthread key whose destructor
 * frees it when the thread exits; nothing is shared between threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nss_ward.h"

/* glibc retries at once; a second is ample and keeps a changed entry from being served stale. */
#define RETRY_WINDOW_NS 1000000000LL

struct kept {
    uint8_t req[WARD_REQ_NAME_SIZE]; /* the request bytes: op and key */
    size_t req_len;
    pid_t pid;
    long long at_ns; /* CLOCK_MONOTONIC when the answer arrived */
    struct ward_resp resp;
};

static pthread_key_t kept_key;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;
static int kept_key_ok;

static void kept_destroy(void *p) {
    struct kept *k = p;
    ward_resp_free(&k->resp);
    free(k);
}

static void kept_init(void) {
    kept_key_ok = pthread_key_create(&kept_key, kept_destroy) == 0;
}

/* If the module is ever unloaded, no thread may later run a destructor that is gone. */
__attribute__((destructor)) static void kept_fini(void) {
    if (!kept_key_ok) return;
    void *mine = pthread_getspecific(kept_key);
    pthread_setspecific(kept_key, NULL);
    if (mine != NULL) kept_destroy(mine);
    pthread_key_delete(kept_key);
    kept_key_ok = 0;
}

static long long now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return -1;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct kept *kept_get(void) {
    if (pthread_once(&kept_once, kept_init) != 0 || !kept_key_ok) return NULL;
    return pthread_getspecific(kept_key);
}

void nss_ward_retry_drop(void) {
    struct kept *k = kept_get();
    if (k != NULL) ward_resp_free(&k->resp);
}

enum nss_status nss_ward_ask_retry(const struct ward_req *req, struct ward_resp *resp, int *reused, int *errnop) {
    struct kept *k = kept_get();

    *reused = 0;

    if (k != NULL && k->resp.data != NULL) {
        long long now = now_ns();
        int same = k->pid == getpid() && req->len == k->req_len && memcmp(req->buf, k->req, req->len) == 0 &&
                   now >= k->at_ns && now - k->at_ns < RETRY_WINDOW_NS;
        if (same) {
            *resp = k->resp; /* handed over: the caller frees it or keeps it again */
            memset(&k->resp, 0, sizeof k->resp);
            *reused = 1;
            return NSS_STATUS_SUCCESS;
        }
    }
    return nss_ward_ask(req, resp, errnop); /* which drops what is kept */
}

void nss_ward_keep_for_retry(const struct ward_req *req, struct ward_resp *resp, int reused) {
    struct kept *k = kept_get();
    long long now = now_ns();

    if (k == NULL && kept_key_ok) {
        k = calloc(1, sizeof *k);
        if (k != NULL && pthread_setspecific(kept_key, k) != 0) {
            free(k);
            k = NULL;
        }
    }
    if (k == NULL || now < 0 || req->len > sizeof k->req) {
        ward_resp_free(resp);
        return;
    }
    ward_resp_free(&k->resp);
    memcpy(k->req, req->buf, req->len);
    k->req_len = req->len;
    k->pid = getpid();
    /* The window runs from the daemon's answer, not from the last retry. */
    if (!reused) k->at_ns = now;
    k->resp = *resp;
    memset(resp, 0, sizeof *resp);
}

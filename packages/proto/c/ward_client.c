/* ward_client.c: the transport of the C socket client (see ward_client.h for the contract).
 *
 * One call = one connection: socket (non-blocking, close-on-exec), connect, send the request,
 * read a 4-byte big-endian length and then exactly that many bytes, close. Every wait is a
 * poll() against one deadline on CLOCK_MONOTONIC, so a wedged daemon costs at most the timeout
 * in total, never a timeout per step. Nothing here is shared between calls: no cached socket
 * (a socket shared across fork or threads returns one process's answer to another), no static
 * buffers. Signals: send() uses MSG_NOSIGNAL, so a daemon that hangs up cannot raise SIGPIPE in
 * the host process; EINTR restarts the wait with the time that is left. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ward_client.h"

/* While the daemon's listen backlog is full, connect() fails with EAGAIN at once; retry at this
 * interval (milliseconds) until the deadline rather than declaring a busy daemon absent. */
#define BACKLOG_RETRY_MS 5

const char *ward_rc_str(enum ward_rc rc) {
    switch (rc) {
    case WARD_RC_OK:
        return "ok";
    case WARD_RC_LOOP:
        return "refused inside ward-unixd (" WARD_LOOPS_ENV "=NO)";
    case WARD_RC_UNAVAIL:
        return "ward-unixd is not running (cannot connect to its socket)";
    case WARD_RC_TIMEOUT:
        return "ward-unixd did not answer in time";
    case WARD_RC_PROTOCOL:
        return "ward-unixd sent a malformed answer";
    case WARD_RC_NOMEM:
        return "out of memory";
    case WARD_RC_INVALID:
        return "invalid request";
    }
    return "unknown error";
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for `events` or the deadline passes. */
static enum ward_rc wait_fd(int fd, short events, int64_t deadline) {
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events, .revents = 0};
        int64_t left = deadline - now_ms();
        int n;
        if (left <= 0) return WARD_RC_TIMEOUT;
        n = poll(&pfd, 1, (int)left);
        if (n > 0) return WARD_RC_OK; /* readable, writable, or an error the next call reports */
        if (n == 0) return WARD_RC_TIMEOUT;
        if (errno != EINTR && errno != EAGAIN) return WARD_RC_UNAVAIL;
    }
}

static void sleep_ms(int64_t ms, int64_t deadline) {
    int64_t left = deadline - now_ms();
    if (ms > left) ms = left;
    if (ms > 0) poll(NULL, 0, (int)ms);
}

static const char *socket_path_for(enum ward_socket which, const char *override) {
    const char *env;
    if (override != NULL) return override;
    env = secure_getenv(which == WARD_SOCKET_PRIVILEGED ? WARD_PRIV_SOCKET_ENV : WARD_SOCKET_ENV);
    if (env != NULL && env[0] != '\0') return env;
    return which == WARD_SOCKET_PRIVILEGED ? WARD_PRIV_SOCKET_DEFAULT : WARD_SOCKET_DEFAULT;
}

/* A process that closed stdin/stdout/stderr would get our socket as fd 0-2, and its own later
 * writes to "stdout" would land in the daemon. Keep the socket at 3 or above. */
static int fd_above_stdio(int fd) {
    int moved;
    if (fd > 2) return fd;
    moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

static enum ward_rc open_connection(const char *path, int64_t deadline, int *fdp) {
    struct sockaddr_un addr;
    size_t plen = strnlen(path, sizeof addr.sun_path);
    int fd;

    if (plen == 0 || plen >= sizeof addr.sun_path) return WARD_RC_INVALID;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, plen);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return errno == ENOMEM || errno == ENOBUFS ? WARD_RC_NOMEM : WARD_RC_UNAVAIL;
    fd = fd_above_stdio(fd);
    if (fd < 0) return WARD_RC_UNAVAIL;

    for (;;) {
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) break;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) { /* backlog full: the daemon is busy or wedged */
            if (now_ms() >= deadline) {
                close(fd);
                return WARD_RC_TIMEOUT;
            }
            sleep_ms(BACKLOG_RETRY_MS, deadline);
            continue;
        }
        if (errno == EINPROGRESS) {
            int err = 0;
            socklen_t elen = sizeof err;
            enum ward_rc rc = wait_fd(fd, POLLOUT, deadline);
            if (rc == WARD_RC_OK && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) err = errno;
            if (rc == WARD_RC_OK && err != 0) rc = WARD_RC_UNAVAIL;
            if (rc != WARD_RC_OK) {
                close(fd);
                return rc;
            }
            break;
        }
        /* ENOENT, ECONNREFUSED, EACCES, ENOTDIR...: nobody to talk to. */
        close(fd);
        return WARD_RC_UNAVAIL;
    }
    *fdp = fd;
    return WARD_RC_OK;
}

/* WARD_RC_PROTOCOL here means "the peer hung up": the caller may retry on a new connection. */
static enum ward_rc send_all(int fd, const uint8_t *p, size_t n, int64_t deadline) {
    while (n > 0) {
        ssize_t w;
        enum ward_rc rc = wait_fd(fd, POLLOUT, deadline);
        if (rc != WARD_RC_OK) return rc;
        w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return errno == EPIPE || errno == ECONNRESET ? WARD_RC_PROTOCOL : WARD_RC_UNAVAIL;
        }
        p += w;
        n -= (size_t)w;
    }
    return WARD_RC_OK;
}

static enum ward_rc recv_exact(int fd, uint8_t *p, size_t n, int64_t deadline) {
    while (n > 0) {
        ssize_t r;
        enum ward_rc rc = wait_fd(fd, POLLIN, deadline);
        if (rc != WARD_RC_OK) return rc;
        r = recv(fd, p, n, MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return WARD_RC_PROTOCOL;
        }
        if (r == 0) return WARD_RC_PROTOCOL; /* closed before the whole frame arrived */
        p += r;
        n -= (size_t)r;
    }
    return WARD_RC_OK;
}

static enum ward_rc read_response(int fd, int64_t deadline, struct ward_resp *resp) {
    uint8_t head[4];
    uint32_t len;
    uint8_t *data;
    enum ward_rc rc = recv_exact(fd, head, sizeof head, deadline);
    if (rc != WARD_RC_OK) return rc;
    len = ((uint32_t)head[0] << 24) | ((uint32_t)head[1] << 16) | ((uint32_t)head[2] << 8) | head[3];
    /* The bound is checked before anything is allocated: a hostile length costs nothing. */
    if (len < 4 || len > WARD_RESPONSE_MAX) return WARD_RC_PROTOCOL;
    data = malloc(len);
    if (data == NULL) return WARD_RC_NOMEM;
    rc = recv_exact(fd, data, len, deadline);
    if (rc != WARD_RC_OK) {
        free(data);
        return rc;
    }
    resp->data = data;
    resp->len = len;
    resp->body.p = data;
    resp->body.left = len;
    ward_get_u32(&resp->body, &resp->status); /* cannot fail: len >= 4 */
    return WARD_RC_OK;
}

enum ward_rc ward_call(enum ward_socket which, const char *socket_path, const struct ward_req *req, int timeout_ms,
                       struct ward_resp *resp) {
    const char *loops = secure_getenv(WARD_LOOPS_ENV);
    const char *path = socket_path_for(which, socket_path);
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : WARD_CLIENT_TIMEOUT_MS);
    enum ward_rc rc = WARD_RC_UNAVAIL;

    memset(resp, 0, sizeof *resp);
    if (loops != NULL && strcmp(loops, "NO") == 0) return WARD_RC_LOOP;
    if (req == NULL || req->invalid || req->len < 8 || req->len - 4 > WARD_REQUEST_MAX) return WARD_RC_INVALID;

    for (int attempt = 0;; attempt++) {
        int fd = -1;
        rc = open_connection(path, deadline, &fd);
        if (rc != WARD_RC_OK) return rc;
        rc = send_all(fd, req->buf, req->len, deadline);
        if (rc == WARD_RC_PROTOCOL && attempt == 0) {
            /* Hung up before taking the request (a daemon restarting): it cannot have acted on
             * it, so one more connection is safe. */
            close(fd);
            continue;
        }
        if (rc == WARD_RC_OK) rc = read_response(fd, deadline, resp);
        close(fd);
        break;
    }
    return rc;
}

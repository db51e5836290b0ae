/* SPDX-License-Identifier: GPL-2.0-only */
/* The Unix socket sinks (sink_int.h): unix_dgram (one datagram a record), unix_stream
 * (records one after another, each ending in '\n') and syslog (RFC 3164 datagrams to
 * /dev/log or filename, as syslog(3) sends them, but to a socket the sink owns so that it
 * reconnects when the log daemon restarts and its path can be configured). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine/error.h"
#include "engine/output/sink_int.h"

enum unix_kind { K_DGRAM, K_STREAM, K_SYSLOG };

struct unix_t {
    enum unix_kind kind;
    int fd;
    struct sockaddr_un addr;
    unsigned timeout_ms;
    int pri; /* syslog: facility * 8 + severity */
    char ident[64];
    pid_t pid;
    /* unix_stream: bytes of the batch's first record already sent on this connection */
    size_t sent;
};

static const struct {
    const char *name;
    int code;
} facilities[] = {{"kern", 0},      {"user", 1},    {"mail", 2},    {"daemon", 3},  {"auth", 4},
                  {"syslog", 5},    {"lpr", 6},     {"news", 7},    {"uucp", 8},    {"cron", 9},
                  {"authpriv", 10}, {"ftp", 11},    {"local0", 16}, {"local1", 17}, {"local2", 18},
                  {"local3", 19},   {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23}},
  levels[] = {{"emerg", 0},    {"emergency", 0}, {"alert", 1}, {"crit", 2},
              {"critical", 2}, {"err", 3},       {"error", 3}, {"warning", 4},
              {"warn", 4},     {"notice", 5},    {"info", 6},  {"debug", 7}};

/* Suricata writes LOG_INFO and friends; both spellings are taken. */
static int lookup(const char *v, const void *table, size_t n)
{
    const struct {
        const char *name;
        int code;
    } *t = table;
    if (v && strncasecmp(v, "LOG_", 4) == 0)
        v += 4;
    for (size_t i = 0; v && i < n; i++)
        if (strcasecmp(v, t[i].name) == 0)
            return t[i].code;
    return -1;
}

static int unix_init(void **out, const struct sk_sink_params *p, enum unix_kind kind, char *err,
                     size_t errlen)
{
    const char *path = sk_sink_str(p, "filename");
    uint64_t timeout;
    int rc;
    if (kind == K_SYSLOG && !path)
        path = "/dev/log";
    if (!path) {
        snprintf(err, errlen, "filename: the socket's path is needed");
        return SK_E_INVAL;
    }
    if ((rc = sk_sink_u64(p, "timeout-ms", &timeout)) < 0)
        return rc;
    struct unix_t *t = calloc(1, sizeof(*t));
    if (!t)
        return SK_E_NOMEM;
    t->kind = kind;
    t->fd = -1;
    t->timeout_ms = timeout > 60000 ? 60000 : timeout < 1 ? 1 : (unsigned)timeout;
    t->addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(t->addr.sun_path)) {
        snprintf(err, errlen, "filename: '%s' is longer than a socket path can be", path);
        free(t);
        return SK_E_INVAL;
    }
    memcpy(t->addr.sun_path, path, strlen(path) + 1);
    if (kind == K_SYSLOG) {
        int fac = lookup(sk_sink_str(p, "facility"), facilities,
                         sizeof(facilities) / sizeof(facilities[0]));
        int lev = lookup(sk_sink_str(p, "level"), levels, sizeof(levels) / sizeof(levels[0]));
        if (fac < 0 || lev < 0) {
            snprintf(err, errlen, "%s: '%s' is not a syslog %s", fac < 0 ? "facility" : "level",
                     fac < 0 ? sk_sink_str(p, "facility") : sk_sink_str(p, "level"),
                     fac < 0 ? "facility (local0..local7, daemon, ...)"
                             : "level (info, notice, ...)");
            free(t);
            return SK_E_INVAL;
        }
        t->pri = fac * 8 + lev;
        const char *id = sk_sink_str(p, "identity");
        snprintf(t->ident, sizeof(t->ident), "%s", id ? id : "shrike");
        t->pid = getpid();
    }
    *out = t;
    return 0;
}

#define UNIX_INIT(fn, kind)                                                                        \
    static int fn(void **t, const struct sk_sink_params *p, struct sk_sinkq *q, char *err,         \
                  size_t errlen)                                                                   \
    {                                                                                              \
        (void)q;                                                                                   \
        return unix_init(t, p, kind, err, errlen);                                                 \
    }
UNIX_INIT(dgram_init, K_DGRAM)
UNIX_INIT(stream_init, K_STREAM)
UNIX_INIT(syslog_init, K_SYSLOG)

static int unix_connect(void *tp, char *err, size_t errlen)
{
    struct unix_t *t = tp;
    int type = t->kind == K_STREAM ? SOCK_STREAM : SOCK_DGRAM;
    t->fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (t->fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return SK_E_IO;
    }
    /* a reader that stops reading holds the sender thread this long, not forever */
    struct timeval tv = {(time_t)(t->timeout_ms / 1000), (long)(t->timeout_ms % 1000) * 1000};
    setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(t->fd, (struct sockaddr *)&t->addr, sizeof(t->addr)) < 0) {
        snprintf(err, errlen, "%s: %s", t->addr.sun_path, strerror(errno));
        close(t->fd);
        t->fd = -1;
        return SK_E_IO;
    }
    t->sent = 0;
    return 0;
}

static void unix_disconnect(void *tp)
{
    struct unix_t *t = tp;
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->sent = 0;
}

/* A datagram socket: each record one datagram. A record the socket cannot take whole
 * (EMSGSIZE) is dropped; a reader gone (ECONNREFUSED, ENOENT) or not reading
 * (EAGAIN past the timeout) is a broken connection. */
static int send_dgram(struct unix_t *t, const struct sk_sinkq_rec *r, size_t n, size_t *consumed,
                      size_t *written, size_t *dropped, char *err, size_t errlen)
{
    char head[128];
    for (size_t i = 0; i < n; i++) {
        struct iovec iov[2];
        int niov = 0;
        size_t len = r[i].len;
        if (t->kind == K_SYSLOG) {
            /* "<PRI>Mmm dd hh:mm:ss ident[pid]: " as syslog(3); no newline in a message */
            time_t now = time(NULL);
            struct tm tm;
            char ts[32];
            localtime_r(&now, &tm);
            strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
            int hl =
                snprintf(head, sizeof(head), "<%d>%s %s[%d]: ", t->pri, ts, t->ident, (int)t->pid);
            iov[niov++] = (struct iovec){head, (size_t)hl};
            if (len && r[i].buf[len - 1] == '\n')
                len--;
        }
        iov[niov++] = (struct iovec){r[i].buf, len};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
        ssize_t w;
        do
            w = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        if (w < 0 && (errno == EMSGSIZE || errno == ENOBUFS)) {
            (*consumed)++; /* never fits: dropped */
            (*dropped)++;
            continue;
        }
        if (w < 0) {
            snprintf(err, errlen, "%s: %s", t->addr.sun_path, strerror(errno));
            return SK_E_IO;
        }
        (*consumed)++;
        (*written)++;
    }
    return 0;
}

/* A stream: the records one after another. A record cut by a broken connection is sent
 * whole again on the next one (the reader sees the cut line end where the connection did). */
static int send_stream(struct unix_t *t, const struct sk_sinkq_rec *r, size_t n, size_t *consumed,
                       size_t *written, char *err, size_t errlen)
{
    struct iovec iov[64];
    size_t i = 0;
    while (i < n) {
        size_t k = 0, skip = t->sent;
        for (; k < 64 && i + k < n; k++)
            iov[k] = (struct iovec){r[i + k].buf, r[i + k].len};
        iov[0].iov_base = (char *)iov[0].iov_base + skip;
        iov[0].iov_len -= skip;
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = k};
        ssize_t w;
        do
            w = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        if (w <= 0) {
            snprintf(err, errlen, "%s: %s", t->addr.sun_path, w == 0 ? "closed" : strerror(errno));
            t->sent = 0;
            return SK_E_IO;
        }
        size_t done = (size_t)w;
        for (size_t j = 0; j < k && done; j++) {
            size_t left = iov[j].iov_len;
            if (done >= left) {
                done -= left;
                (*consumed)++;
                (*written)++;
                t->sent = 0;
                i++;
            } else {
                t->sent += done;
                done = 0;
            }
        }
    }
    return 0;
}

static int unix_send(void *tp, const struct sk_sinkq_rec *r, size_t n, size_t *consumed,
                     size_t *written, size_t *dropped, char *err, size_t errlen)
{
    struct unix_t *t = tp;
    if (t->kind == K_STREAM)
        return send_stream(t, r, n, consumed, written, err, errlen);
    return send_dgram(t, r, n, consumed, written, dropped, err, errlen);
}

static void unix_free(void *tp)
{
    unix_disconnect(tp);
    free(tp);
}

#define UNIX_TRANSPORT(var, ft, initfn)                                                            \
    const struct sk_transport_ops var = {                                                          \
        .filetype = ft,                                                                            \
        .init = initfn,                                                                            \
        .connect = unix_connect,                                                                   \
        .disconnect = unix_disconnect,                                                             \
        .send = unix_send,                                                                         \
        .free = unix_free,                                                                         \
    };
UNIX_TRANSPORT(sk_transport_unix_dgram, "unix_dgram", dgram_init)
UNIX_TRANSPORT(sk_transport_unix_stream, "unix_stream", stream_init)
UNIX_TRANSPORT(sk_transport_syslog, "syslog", syslog_init)

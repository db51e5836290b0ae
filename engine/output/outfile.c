/* SPDX-License-Identifier: GPL-2.0-only */
/* Log files and address formatting for the outputs (outfile.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.h"
#include "engine/log.h"
#include "engine/output/outfile.h"
#include "engine/output/sink.h"
#include "engine/output/stage.h"

#define POOL_MAX 16
#define BUF_SIZE (64 * 1024)

struct sk_outfile {
    pthread_mutex_t mu;
    int fd;
    bool seekable; /* a regular file: a cut record is truncated away */
    bool failing;  /* the last write failed; reported, not yet resumed */
    char *path;
    char *buf;
    size_t len;
    off_t off;      /* bytes in the file, all whole records (regular files) */
    uint64_t lost;  /* records dropped */
    unsigned users; /* pool users */
};

struct sk_outfile_pool {
    pthread_mutex_t mu;
    struct sk_outfile *v[POOL_MAX];
    uint64_t lost_closed[POOL_MAX]; /* what a closed file lost */
    size_t n;
    struct sk_sink_pool *sinks; /* the EVE sinks shared the same way (sink.h) */
};

/* The counter of a log file's lost records, by the output it belongs to. */
static const struct {
    const char *file, *counter;
} file_counters[] = {
    {"eve.json", "output.eve.errors"},
    {"fast.log", "output.fast.errors"},
    {"events.json", "output.events.errors"},
    {"smtp.log", "output.smtplog.errors"},
};

static const char *counter_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < sizeof(file_counters) / sizeof(file_counters[0]); i++)
        if (strcmp(base, file_counters[i].file) == 0)
            return file_counters[i].counter;
    return "output.errors";
}

int sk_outfile_pool_new(struct sk_outfile_pool **out)
{
    struct sk_outfile_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return SK_E_NOMEM;
    if (sk_sink_pool_new(&p->sinks) < 0) {
        free(p);
        return SK_E_NOMEM;
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        sk_sink_pool_free(p->sinks);
        free(p);
        return SK_E_NOMEM;
    }
    *out = p;
    return 0;
}

static void file_free(struct sk_outfile *f);

/* The records held in the buffer (a cut record's rest counts as one). */
static uint64_t pending(const struct sk_outfile *f)
{
    uint64_t n = 0;
    for (const char *p = f->buf, *end = f->buf + f->len; p < end; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    return n;
}
static int flush_locked(struct sk_outfile *f);
static int reopen_locked(struct sk_outfile *f);

void sk_outfile_pool_free(struct sk_outfile_pool *pool)
{
    if (!pool)
        return;
    /* a sink still open may write to a file of the pool as it closes */
    sk_sink_pool_free(pool->sinks);
    for (size_t i = 0; i < pool->n; i++)
        if (pool->v[i]->users)
            file_free(pool->v[i]);
    for (size_t i = 0; i < pool->n; i++) {
        free(pool->v[i]->path);
        free(pool->v[i]);
    }
    pthread_mutex_destroy(&pool->mu);
    free(pool);
}

void sk_outfile_pool_flush(struct sk_outfile_pool *pool)
{
    if (!pool)
        return;
    sk_sink_pool_flush(pool->sinks);
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++)
        if (pool->v[i]->users)
            sk_outfile_flush(pool->v[i]);
    pthread_mutex_unlock(&pool->mu);
}

struct sk_sink_pool *sk_outfile_pool_sinks(struct sk_outfile_pool *pool)
{
    return pool ? pool->sinks : NULL;
}

static uint64_t file_lost(struct sk_outfile_pool *pool, size_t i)
{
    struct sk_outfile *f = pool->v[i];
    if (!f->users)
        return pool->lost_closed[i];
    pthread_mutex_lock(&f->mu);
    /* records stuck behind a failing write are counted as lost already */
    uint64_t n = f->lost + (f->failing ? pending(f) : 0);
    pthread_mutex_unlock(&f->mu);
    return n;
}

void sk_outfile_pool_foreach(const struct sk_outfile_pool *cpool,
                             void (*fn)(void *ctx, const char *name, uint64_t errors), void *ctx)
{
    struct sk_outfile_pool *pool = (struct sk_outfile_pool *)cpool; /* the lock only */
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++)
        fn(ctx, counter_name(pool->v[i]->path), file_lost(pool, i));
    pthread_mutex_unlock(&pool->mu);
    sk_sink_pool_counters(pool->sinks, fn, ctx);
}

static int reopen_locked(struct sk_outfile *f)
{
    flush_locked(f);
    int fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        sk_error("cannot reopen '%s': %s", f->path, strerror(errno));
        return SK_E_IO;
    }
    struct stat st;
    if (f->fd >= 0)
        close(f->fd);
    f->fd = fd;
    f->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    f->off = f->seekable ? st.st_size : 0;
    return 0;
}

size_t sk_outfile_pool_reopen(struct sk_outfile_pool *pool)
{
    size_t failed = 0;
    if (!pool)
        return 0;
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++) {
        struct sk_outfile *f = pool->v[i];
        if (!f->users)
            continue;
        pthread_mutex_lock(&f->mu);
        failed += reopen_locked(f) < 0;
        pthread_mutex_unlock(&f->mu);
    }
    pthread_mutex_unlock(&pool->mu);
    /* the EVE sinks too: sockets and connections are made again (sink.h) */
    sk_sink_pool_reopen(pool->sinks);
    return failed;
}

uint64_t sk_outfile_pool_lost(const struct sk_outfile_pool *cpool)
{
    struct sk_outfile_pool *pool = (struct sk_outfile_pool *)cpool; /* the lock only */
    uint64_t n = 0;
    if (!pool)
        return 0;
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++)
        n += file_lost(pool, i);
    pthread_mutex_unlock(&pool->mu);
    return n + sk_sink_pool_lost(pool->sinks);
}

static int file_open(struct sk_outfile **out, const char *path);

int sk_outfile_open(struct sk_outfile **out, struct sk_outfile_pool *pool, const char *dir,
                    const char *name, bool *first)
{
    if (!dir || !name)
        return SK_E_INVAL;
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        sk_error("log path too long: '%s/%s'", dir, name);
        return SK_E_INVAL;
    }
    if (first)
        *first = true;
    if (!pool)
        return file_open(out, path);

    int rc = 0;
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++) {
        if (pool->v[i]->users && strcmp(pool->v[i]->path, path) == 0) {
            pool->v[i]->users++;
            *out = pool->v[i];
            if (first)
                *first = false;
            goto out_unlock;
        }
    }
    if (pool->n == POOL_MAX) {
        rc = SK_E_NOMEM;
        goto out_unlock;
    }
    if ((rc = file_open(&pool->v[pool->n], path)) < 0)
        goto out_unlock;
    pool->v[pool->n]->users = 1;
    *out = pool->v[pool->n++];
out_unlock:
    pthread_mutex_unlock(&pool->mu);
    return rc;
}

bool sk_outfile_is_last(struct sk_outfile *f, struct sk_outfile_pool *pool)
{
    if (!pool)
        return true;
    pthread_mutex_lock(&pool->mu);
    bool last = f->users <= 1;
    pthread_mutex_unlock(&pool->mu);
    return last;
}

/* Flushes and closes the descriptor and frees the buffer; the struct stays (its path and
 * counters). Reports what the close lost. */
static void file_free(struct sk_outfile *f)
{
    flush_locked(f);
    f->lost += pending(f);
    f->len = 0;
    if (f->fd >= 0 && close(f->fd) < 0 && !f->failing)
        sk_error("cannot write '%s': %s", f->path, strerror(errno));
    f->fd = -1;
    free(f->buf);
    f->buf = NULL;
    pthread_mutex_destroy(&f->mu);
}

void sk_outfile_close(struct sk_outfile *f, struct sk_outfile_pool *pool)
{
    if (!f)
        return;
    if (!pool) {
        file_free(f);
        free(f->path);
        free(f);
        return;
    }
    pthread_mutex_lock(&pool->mu);
    if (--f->users == 0) {
        file_free(f);
        for (size_t i = 0; i < pool->n; i++)
            if (pool->v[i] == f)
                pool->lost_closed[i] = f->lost;
    } else {
        sk_outfile_flush(f);
    }
    pthread_mutex_unlock(&pool->mu);
}

static int file_open(struct sk_outfile **out, const char *path)
{
    int rc = SK_E_NOMEM;
    struct sk_outfile *f = calloc(1, sizeof(*f));
    if (!f)
        return SK_E_NOMEM;
    f->fd = -1;
    if (!(f->path = strdup(path)) || !(f->buf = malloc(BUF_SIZE)))
        goto out_free;
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        sk_error("cannot open '%s': %s", path, strerror(errno));
        rc = SK_E_IO;
        goto out_free;
    }
    struct stat st;
    f->seekable = fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode);
    if (pthread_mutex_init(&f->mu, NULL) != 0)
        goto out_close;
    *out = f;
    return 0;
out_close:
    close(f->fd);
out_free:
    free(f->buf);
    free(f->path);
    free(f);
    return rc;
}

/* Writes data[0..n) and returns how many bytes of it are in the file for good. On a failure
 * (errno set) the file is left ending with a whole record: a regular file is truncated back
 * to the last '\n' written; for a pipe the cut record's rest is the caller's to retry. */
static size_t write_out(struct sk_outfile *f, const char *data, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(f->fd, data + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            break;
        }
        done += (size_t)w;
    }
    if (done == n || !f->seekable) {
        f->off += (off_t)done;
        return done;
    }
    int e = errno;
    size_t whole = done;
    while (whole > 0 && data[whole - 1] != '\n')
        whole--;
    if (whole < done && (ftruncate(f->fd, f->off + (off_t)whole) < 0 ||
                         lseek(f->fd, f->off + (off_t)whole, SEEK_SET) < 0))
        whole = done; /* cannot undo: the rest of the record is retried */
    f->off += (off_t)whole;
    errno = e;
    return whole;
}

static int flush_locked(struct sk_outfile *f)
{
    if (!f->len || f->fd < 0)
        return 0;
    size_t n = write_out(f, f->buf, f->len);
    int e = errno;
    memmove(f->buf, f->buf + n, f->len - n);
    f->len -= n;
    if (f->len) {
        if (!f->failing)
            sk_error("cannot write '%s': %s (records are dropped until it can be written)", f->path,
                     strerror(e));
        f->failing = true;
        return SK_E_IO;
    }
    if (f->failing)
        sk_warn("writing '%s' again (%" PRIu64 " records lost so far)", f->path, f->lost);
    f->failing = false;
    return 0;
}

void sk_outfile_reopen(struct sk_outfile *f)
{
    pthread_mutex_lock(&f->mu);
    reopen_locked(f);
    pthread_mutex_unlock(&f->mu);
}

/* ---- a thread's records kept back (sk_outfile_batch_set) ---- */

#define BATCH_FILES 8

struct batch_file {
    struct sk_outfile *f;
    char *buf; /* BUF_SIZE bytes */
    size_t len;
    uint64_t records;
};

struct sk_outfile_batch {
    struct batch_file v[BATCH_FILES];
    size_t n;
};

static _Thread_local struct sk_outfile_batch *batch;

/* Appends records to f under its lock; when the file cannot take them they are dropped and
 * counted as records lost. Records that fill half the buffer or more (a thread's batch) and
 * do not fit beside what it holds go out after it, directly, not copied into it first. */
static int write_whole(struct sk_outfile *f, const char *buf, size_t len, uint64_t records)
{
    int rc = 0;
    bool direct = false;
    pthread_mutex_lock(&f->mu);
    if (len > BUF_SIZE - f->len) {
        flush_locked(f);
        direct = len >= BUF_SIZE / 2 && f->fd >= 0;
    }
    if (len <= BUF_SIZE - f->len && !(direct && f->len == 0)) {
        memcpy(f->buf + f->len, buf, len);
        f->len += len;
    } else if (f->len == 0) {
        /* a record larger than the buffer, or a batch, goes out directly, whole or not at all */
        size_t n = write_out(f, buf, len);
        if (n < len && !f->seekable && n > 0) {
            /* a pipe took part of it: the rest waits in the buffer */
            size_t rest = len - n < BUF_SIZE ? len - n : BUF_SIZE;
            memcpy(f->buf, buf + n, rest);
            f->len = rest;
        } else if (n < len) {
            if (!f->failing)
                sk_error("cannot write '%s': %s (records are dropped until it can be written)",
                         f->path, strerror(errno));
            f->failing = true;
            f->lost += records;
            rc = SK_E_IO;
        }
    } else {
        f->lost += records;
        rc = SK_E_IO;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int batch_drain_file(struct batch_file *bf)
{
    int rc = 0;
    if (bf->len)
        rc = write_whole(bf->f, bf->buf, bf->len, bf->records);
    bf->len = 0;
    bf->records = 0;
    return rc;
}

static struct batch_file *batch_file_of(struct sk_outfile_batch *b, struct sk_outfile *f)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].f == f)
            return &b->v[i];
    if (b->n == BATCH_FILES)
        return NULL;
    struct batch_file *bf = &b->v[b->n];
    if (!(bf->buf = malloc(BUF_SIZE)))
        return NULL;
    bf->f = f;
    b->n++;
    return bf;
}

/* Keeps the records in the thread's batch: false when they go to the file now (after what
 * the batch kept of it, so a file's records keep their order). */
static bool batch_keep(struct sk_outfile_batch *b, struct sk_outfile *f, const char *buf,
                       size_t len)
{
    struct batch_file *bf = batch_file_of(b, f);
    if (!bf)
        return false;
    if (len > BUF_SIZE - bf->len)
        batch_drain_file(bf);
    if (len > BUF_SIZE)
        return false;
    memcpy(bf->buf + bf->len, buf, len);
    bf->len += len;
    bf->records++;
    return true;
}

int sk_outfile_batch_new(struct sk_outfile_batch **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : SK_E_NOMEM;
}

void sk_outfile_batch_set(struct sk_outfile_batch *b)
{
    batch = b;
}

void sk_outfile_batch_drain(struct sk_outfile_batch *b)
{
    for (size_t i = 0; b && i < b->n; i++)
        batch_drain_file(&b->v[i]);
}

void sk_outfile_batch_free(struct sk_outfile_batch *b)
{
    if (!b)
        return;
    sk_outfile_batch_drain(b);
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].buf);
    free(b);
}

int sk_outfile_flush(struct sk_outfile *f)
{
    if (sk__stage && sk__stage_file_flush(sk__stage, f))
        return 0;
    if (batch) {
        struct batch_file *bf = batch_file_of(batch, f);
        if (bf)
            batch_drain_file(bf);
    }
    pthread_mutex_lock(&f->mu);
    int rc = flush_locked(f);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int sk_outfile_write(struct sk_outfile *f, const char *buf, size_t len)
{
    if (!len)
        return 0;
    if (sk__stage && sk__stage_file_write(sk__stage, f, buf, len))
        return 0;
    if (batch && batch_keep(batch, f, buf, len))
        return 0;
    return write_whole(f, buf, len, 1);
}

void sk_addr_format(const struct sk_addr *a, bool expanded, char *out, size_t n)
{
    if (n == 0)
        return;
    out[0] = '\0';
    if (a->family == 4) {
        /* every record prints two addresses: no snprintf() for them */
        char buf[16];
        size_t o = 0;
        for (int i = 0; i < 4; i++) {
            unsigned v = a->bytes[i];
            if (i)
                buf[o++] = '.';
            if (v >= 100)
                buf[o++] = (char)('0' + v / 100);
            if (v >= 10)
                buf[o++] = (char)('0' + v / 10 % 10);
            buf[o++] = (char)('0' + v % 10);
        }
        buf[o] = '\0';
        if (o + 1 <= n)
            memcpy(out, buf, o + 1);
        return;
    }
    if (a->family != 6)
        return;
    if (!expanded) {
        if (!inet_ntop(AF_INET6, a->bytes, out, (socklen_t)n))
            out[0] = '\0';
        return;
    }
    static const char hex[] = "0123456789abcdef";
    char buf[40];
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i && i % 2 == 0)
            buf[o++] = ':';
        buf[o++] = hex[a->bytes[i] >> 4];
        buf[o++] = hex[a->bytes[i] & 15];
    }
    buf[o] = '\0';
    if (o + 1 <= n)
        memcpy(out, buf, o + 1);
}

const char *sk_ip_proto_name(uint8_t proto, char *buf, size_t n)
{
    switch (proto) {
    case 1:
        return "ICMP";
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 58:
        return "IPv6-ICMP";
    case 132:
        return "SCTP";
    default:
        snprintf(buf, n, "%u", proto);
        return buf;
    }
}

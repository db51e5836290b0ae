/* SPDX-License-Identifier: GPL-2.0-only */
/* The writer seam (sink.h): the sink pool, the regular file sink, and the network sinks'
 * sender thread around a transport (sink_int.h). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/log.h"
#include "engine/output/outfile.h"
#include "engine/output/sink_int.h"
#include "engine/output/stage.h"

#define MAX_COUNTERS 8

/* ---- configuration ---- */

static void key_of(const struct sk_sink_params *p, const char *key, char *buf, size_t n)
{
    snprintf(buf, n, "%s.%s", p->prefix, key);
}

const char *sk_sink_str(const struct sk_sink_params *p, const char *key)
{
    char k[256];
    if (!p->cfg)
        return NULL; /* no configuration (unit tests): every sink's default */
    key_of(p, key, k, sizeof(k));
    return sk_config_str(p->cfg, k);
}

#define SINK_GETTER(fn, type, getter)                                                              \
    int fn(const struct sk_sink_params *p, const char *key, type *out)                             \
    {                                                                                              \
        char k[256], err[512];                                                                     \
        key_of(p, key, k, sizeof(k));                                                              \
        int rc = getter(p->cfg, k, out, err, sizeof(err));                                         \
        if (rc < 0)                                                                                \
            sk_error("%s", err);                                                                   \
        return rc;                                                                                 \
    }
SINK_GETTER(sk_sink_u64, uint64_t, sk_config_u64)
SINK_GETTER(sk_sink_size, uint64_t, sk_config_size)
SINK_GETTER(sk_sink_bool, bool, sk_config_bool)

/* ---- the sink and its pool ---- */

struct sk_sink {
    const struct sk_sink_ops *ops;
    void *state;
    char *name;
    unsigned users;
    /* kept from the close on, for the counters and the exit status */
    size_t nfinal;
    char *final_names[MAX_COUNTERS];
    uint64_t final_values[MAX_COUNTERS];
    uint64_t final_lost;
};

#define SINK_POOL_MAX 16

struct sk_sink_pool {
    pthread_mutex_t mu;
    struct sk_sink *v[SINK_POOL_MAX];
    size_t n;
};

extern const struct sk_sink_ops sk_sink_regular, sk_sink_net;

static const struct sk_transport_ops *const transports[] = {
    &sk_transport_syslog, &sk_transport_unix_dgram, &sk_transport_unix_stream,
    &sk_transport_redis,  &sk_transport_kafka,
};

/* The transport of a network sink being opened: sk_sink_net.open reads it (one open at a
 * time: the pool lock, or a private sink's only caller). */
static _Thread_local const struct sk_transport_ops *opening_transport;

static int sink_new(struct sk_sink **out, const struct sk_sink_params *p)
{
    const char *ft = sk_sink_str(p, "filetype");
    const struct sk_sink_ops *ops = NULL;
    if (!ft || strcmp(ft, "regular") == 0 || strcmp(ft, "file") == 0)
        ops = &sk_sink_regular;
    for (size_t i = 0; !ops && i < sizeof(transports) / sizeof(transports[0]); i++) {
        if (strcmp(ft, transports[i]->filetype) == 0) {
            ops = &sk_sink_net;
            opening_transport = transports[i];
        }
    }
    if (!ops) {
        sk_error("%s.filetype: '%s' is not one of regular, syslog, unix_dgram, unix_stream, "
                 "redis, kafka",
                 p->prefix, ft);
        return SK_E_INVAL;
    }
    struct sk_sink *s = calloc(1, sizeof(*s));
    if (!s || !(s->name = strdup(p->name))) {
        free(s);
        return SK_E_NOMEM;
    }
    int rc = ops->open(&s->state, p);
    if (rc < 0) {
        free(s->name);
        free(s);
        return rc;
    }
    s->ops = ops;
    s->users = 1;
    *out = s;
    return 0;
}

static void snapshot(void *ctx, const char *name, uint64_t value)
{
    struct sk_sink *s = ctx;
    if (s->nfinal == MAX_COUNTERS)
        return;
    s->final_names[s->nfinal] = strdup(name);
    if (s->final_names[s->nfinal])
        s->final_values[s->nfinal++] = value;
}

static void add_dropped(void *ctx, const char *name, uint64_t value);

/* The last user is gone: the sink drains and closes; its final counters are kept, and what
 * it dropped is what the exit status calls lost. */
static void sink_last_close(struct sk_sink *s)
{
    s->ops->close(s->state, snapshot, s);
    s->state = NULL;
    for (size_t i = 0; i < s->nfinal; i++)
        add_dropped(&s->final_lost, s->final_names[i], s->final_values[i]);
}

static void sink_free(struct sk_sink *s)
{
    for (size_t i = 0; i < s->nfinal; i++)
        free(s->final_names[i]);
    free(s->name);
    free(s);
}

int sk_sink_pool_new(struct sk_sink_pool **out)
{
    struct sk_sink_pool *p = calloc(1, sizeof(*p));
    if (!p || pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return SK_E_NOMEM;
    }
    *out = p;
    return 0;
}

static struct sk_sink_pool *pool_of(struct sk_outfile_pool *files)
{
    return files ? sk_outfile_pool_sinks(files) : NULL;
}

int sk_sink_open(struct sk_sink **out, const struct sk_sink_params *p)
{
    struct sk_sink_pool *pool = pool_of(p->files);
    if (!pool)
        return sink_new(out, p);
    int rc = 0;
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++) {
        if (pool->v[i]->users && strcmp(pool->v[i]->name, p->name) == 0) {
            pool->v[i]->users++;
            *out = pool->v[i];
            goto out_unlock;
        }
    }
    if (pool->n == SINK_POOL_MAX) {
        sk_error("more than %d EVE sinks", SINK_POOL_MAX);
        rc = SK_E_LIMIT;
        goto out_unlock;
    }
    if ((rc = sink_new(out, p)) == 0)
        pool->v[pool->n++] = *out;
out_unlock:
    pthread_mutex_unlock(&pool->mu);
    return rc;
}

void sk_sink_close(struct sk_sink *s, struct sk_outfile_pool *files)
{
    if (!s)
        return;
    struct sk_sink_pool *pool = pool_of(files);
    if (!pool) {
        s->ops->close(s->state, NULL, NULL);
        sink_free(s);
        return;
    }
    pthread_mutex_lock(&pool->mu);
    bool last = --s->users == 0;
    pthread_mutex_unlock(&pool->mu);
    /* the pool keeps the entry (and its final counters) until sk_sink_pool_free() */
    if (last)
        sink_last_close(s);
}

int sk_sink_write(struct sk_sink *s, const char *rec, size_t len, const struct sk_sink_meta *m)
{
    if (sk__stage && sk__stage_sink_write(sk__stage, s, rec, len, m))
        return 0;
    return s->ops->write(s->state, rec, len, m);
}

void sk_sink_flush(struct sk_sink *s)
{
    if (sk__stage && sk__stage_sink_flush(sk__stage, s))
        return;
    s->ops->flush(s->state, 0);
}

void sk_sink_counters(struct sk_sink *s, sk_counter_fn fn, void *ctx)
{
    if (s->users && s->ops->counters)
        s->ops->counters(s->state, fn, ctx);
    for (size_t i = 0; !s->users && i < s->nfinal; i++)
        fn(ctx, s->final_names[i], s->final_values[i]);
}

const char *sk_sink_name(const struct sk_sink *s)
{
    return s->name;
}

void sk_sink_pool_flush(struct sk_sink_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i]->users)
            p->v[i]->ops->flush(p->v[i]->state, UINT64_MAX);
    pthread_mutex_unlock(&p->mu);
}

void sk_sink_pool_reopen(struct sk_sink_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i]->users && p->v[i]->ops->reopen)
            p->v[i]->ops->reopen(p->v[i]->state);
    pthread_mutex_unlock(&p->mu);
}

void sk_sink_pool_counters(struct sk_sink_pool *p, sk_counter_fn fn, void *ctx)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->n; i++)
        sk_sink_counters(p->v[i], fn, ctx);
    pthread_mutex_unlock(&p->mu);
}

static void add_dropped(void *ctx, const char *name, uint64_t value)
{
    size_t l = strlen(name);
    if (l > 8 && strcmp(name + l - 8, ".dropped") == 0)
        *(uint64_t *)ctx += value;
}

static uint64_t sink_lost(struct sk_sink *s)
{
    uint64_t n = 0;
    if (s->ops->counters)
        s->ops->counters(s->state, add_dropped, &n);
    return n;
}

uint64_t sk_sink_pool_lost(struct sk_sink_pool *p)
{
    uint64_t n = 0;
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->n; i++)
        n += p->v[i]->users ? sink_lost(p->v[i]) : p->v[i]->final_lost;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void sk_sink_pool_free(struct sk_sink_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        if (p->v[i]->users)
            p->v[i]->ops->close(p->v[i]->state, NULL, NULL);
        sink_free(p->v[i]);
    }
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* ---- filetype regular: a log file of the pool (outfile.h) ---- */

struct regular {
    struct sk_outfile *f;
    struct sk_outfile_pool *files;
};

static int regular_open(void **state, const struct sk_sink_params *p)
{
    struct regular *r = calloc(1, sizeof(*r));
    if (!r)
        return SK_E_NOMEM;
    const char *fn = sk_sink_str(p, "filename");
    int rc = sk_outfile_open(&r->f, p->files, p->log_dir, fn ? fn : "eve.json", NULL);
    if (rc < 0) {
        free(r);
        return rc;
    }
    r->files = p->files;
    *state = r;
    return 0;
}

static int regular_write(void *state, const char *rec, size_t len, const struct sk_sink_meta *m)
{
    struct regular *r = state;
    (void)m;
    return sk_outfile_write(r->f, rec, len);
}

static void regular_flush(void *state, uint64_t wait_us)
{
    struct regular *r = state;
    (void)wait_us;
    sk_outfile_flush(r->f);
}

static void regular_reopen(void *state)
{
    struct regular *r = state;
    if (!r->files) /* a pool's file is reopened by sk_outfile_pool_reopen() itself */
        sk_outfile_reopen(r->f);
}

static void regular_close(void *state, sk_counter_fn fn, void *ctx)
{
    struct regular *r = state;
    (void)fn;
    (void)ctx;
    if (!r)
        return;
    /* the file's own lost counter (output.eve.errors) is the pool's */
    sk_outfile_close(r->f, r->files);
    free(r);
}

const struct sk_sink_ops sk_sink_regular = {
    .filetype = "regular",
    .open = regular_open,
    .write = regular_write,
    .flush = regular_flush,
    .reopen = regular_reopen,
    .close = regular_close,
};

/* ---- the network sinks: a queue, a sender thread and a transport ---- */

enum { C_WRITTEN, C_QUEUED, C_DROPPED, C_RECONNECTS, C_N };

struct net {
    const struct sk_transport_ops *tops;
    void *t;
    struct sk_sinkq *q;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;   /* closing: drain until empty or the deadline, then end */
    atomic_bool reopen; /* reconnect now */
    atomic_uint_fast64_t deadline_us;
    atomic_uint_fast64_t drain_deadline_us; /* set by the first flush that waits */
    atomic_uint_fast64_t reconnects;
    bool connected, down_reported;
    unsigned backoff_ms, backoff_max_ms;
    uint64_t flush_timeout_us;
    size_t batch;
    char *name, *filetype;
    char *counter_names[C_N];
};

/* Sleeps ms, in short steps so that a close is not held up by a long backoff. */
static void nap(struct net *n, unsigned ms)
{
    uint64_t end = sk_sink_now_us() + (uint64_t)ms * 1000u;
    for (unsigned i = 0; i < 100000; i++) {
        uint64_t now = sk_sink_now_us();
        if (now >= end || (atomic_load(&n->stop) && now >= atomic_load(&n->deadline_us)))
            return;
        uint64_t step = end - now < 20000 ? end - now : 20000;
        struct timespec ts = {0, (long)step * 1000L};
        nanosleep(&ts, NULL);
    }
}

static bool net_done(struct net *n)
{
    if (!atomic_load(&n->stop))
        return false;
    if (sk_sink_now_us() >= atomic_load(&n->deadline_us))
        return true;
    struct sk_sinkq_stats st;
    sk_sinkq_stats(n->q, &st);
    return st.queued == 0 && (!n->tops->inflight || n->tops->inflight(n->t) == 0);
}

static void *net_thread(void *arg)
{
    struct net *n = arg;
    char err[256];
    while (!net_done(n)) {
        if (atomic_exchange(&n->reopen, false) && n->connected) {
            n->tops->disconnect(n->t);
            n->connected = false;
        }
        if (!n->connected) {
            err[0] = '\0';
            if (n->tops->connect(n->t, err, sizeof(err)) < 0) {
                if (!n->down_reported)
                    sk_warn("output %s (%s): cannot connect: %s (records wait in the queue, "
                            "retrying)",
                            n->name, n->filetype, err);
                n->down_reported = true;
                nap(n, n->backoff_ms);
                n->backoff_ms =
                    n->backoff_ms * 2 > n->backoff_max_ms ? n->backoff_max_ms : n->backoff_ms * 2;
                continue;
            }
            if (n->down_reported)
                sk_warn("output %s (%s): connected again", n->name, n->filetype);
            n->connected = true;
            n->down_reported = false;
            n->backoff_ms = 50;
        }
        const struct sk_sinkq_rec *recs;
        size_t k = sk_sinkq_peek(n->q, &recs, n->batch, 50);
        if (n->tops->idle)
            n->tops->idle(n->t);
        if (!k)
            continue;
        if (atomic_load(&n->reopen)) {
            /* asked to reconnect while waiting: these go on the new connection */
            continue;
        }
        size_t consumed = 0, written = 0, dropped = 0;
        err[0] = '\0';
        int rc = n->tops->send(n->t, recs, k, &consumed, &written, &dropped, err, sizeof(err));
        sk_sinkq_pop(n->q, consumed, written, dropped);
        if (rc < 0) {
            sk_warn("output %s (%s): connection lost: %s (reconnecting)", n->name, n->filetype,
                    err);
            n->tops->disconnect(n->t);
            n->connected = false;
            n->down_reported = true;
            atomic_fetch_add(&n->reconnects, 1);
        }
    }
    return NULL;
}

static void net_free(struct net *n)
{
    if (n->t)
        n->tops->free(n->t);
    sk_sinkq_free(n->q);
    for (size_t i = 0; i < C_N; i++)
        free(n->counter_names[i]);
    free(n->name);
    free(n->filetype);
    free(n);
}

static int net_open(void **state, const struct sk_sink_params *p)
{
    static const char *const suffix[C_N] = {"written", "queued", "dropped", "reconnects"};
    struct net *n = calloc(1, sizeof(*n));
    uint64_t max_rec, max_bytes, wait_ms, flush_s, backoff_max, batch;
    char err[256] = "";
    int rc;
    if (!n)
        return SK_E_NOMEM;
    n->tops = opening_transport;
    if ((rc = sk_sink_u64(p, "queue-max-records", &max_rec)) < 0 ||
        (rc = sk_sink_size(p, "queue-max-bytes", &max_bytes)) < 0 ||
        (rc = sk_sink_u64(p, "queue-wait-ms", &wait_ms)) < 0 ||
        (rc = sk_sink_u64(p, "flush-timeout", &flush_s)) < 0 ||
        (rc = sk_sink_u64(p, "reconnect-max-ms", &backoff_max)) < 0 ||
        (rc = sk_sink_u64(p, "batch-size", &batch)) < 0)
        goto out_free;
    rc = SK_E_NOMEM;
    if (!(n->name = strdup(p->name)) || !(n->filetype = strdup(n->tops->filetype)))
        goto out_free;
    for (size_t i = 0; i < C_N; i++) {
        size_t len = strlen(p->name) + strlen(suffix[i]) + 9;
        if (!(n->counter_names[i] = malloc(len)))
            goto out_free;
        snprintf(n->counter_names[i], len, "output.%s.%s", p->name, suffix[i]);
    }
    if (max_rec == 0 || max_rec > 100000000u || max_bytes == 0 || wait_ms > 60000 || batch == 0 ||
        batch > 100000) {
        sk_error("%s: queue-max-records (1 to 10^8), queue-max-bytes (not 0), queue-wait-ms "
                 "(at most 60000) or batch-size (1 to 100000) out of range",
                 p->prefix);
        rc = SK_E_INVAL;
        goto out_free;
    }
    if ((rc = sk_sinkq_new(&n->q, (size_t)max_rec, (size_t)max_bytes, (unsigned)wait_ms)) < 0)
        goto out_free;
    n->flush_timeout_us = flush_s * 1000000u;
    n->backoff_ms = 50;
    n->backoff_max_ms = backoff_max < 50       ? 50
                        : backoff_max > 600000 ? 600000
                                               : (unsigned)backoff_max;
    n->batch = (size_t)batch;
    if ((rc = n->tops->init(&n->t, p, n->q, err, sizeof(err))) < 0) {
        if (err[0])
            sk_error("%s: %s", p->prefix, err);
        goto out_free;
    }
    if (pthread_create(&n->thread, NULL, net_thread, n) != 0) {
        sk_error("output %s: cannot start its sender thread", p->name);
        rc = SK_E_IO;
        goto out_free;
    }
    n->thread_started = true;
    *state = n;
    return 0;
out_free:
    net_free(n);
    return rc;
}

static int net_write(void *state, const char *rec, size_t len, const struct sk_sink_meta *m)
{
    struct net *n = state;
    return sk_sinkq_push(n->q, rec, len, m) < 0 ? SK_E_IO : 0;
}

static void net_flush(void *state, uint64_t wait_us)
{
    struct net *n = state;
    if (!wait_us)
        return; /* the sender sends all the time */
    /* the exit's drain: flush-timeout counts from the first wait, for this and the close */
    uint64_t w = wait_us < n->flush_timeout_us ? wait_us : n->flush_timeout_us;
    uint_fast64_t none = 0;
    atomic_compare_exchange_strong(&n->drain_deadline_us, &none, sk_sink_now_us() + w);
    sk_sinkq_wait_empty(n->q, atomic_load(&n->drain_deadline_us));
}

static void net_reopen(void *state)
{
    struct net *n = state;
    atomic_store(&n->reopen, true);
}

static void net_counters(void *state, sk_counter_fn fn, void *ctx)
{
    struct net *n = state;
    struct sk_sinkq_stats st;
    sk_sinkq_stats(n->q, &st);
    uint64_t inflight = n->tops->inflight ? n->tops->inflight(n->t) : 0;
    fn(ctx, n->counter_names[C_WRITTEN], st.written);
    fn(ctx, n->counter_names[C_QUEUED], st.queued + inflight);
    fn(ctx, n->counter_names[C_DROPPED], st.dropped);
    fn(ctx, n->counter_names[C_RECONNECTS], atomic_load(&n->reconnects));
}

static void net_close(void *state, sk_counter_fn fn, void *ctx)
{
    struct net *n = state;
    if (!n)
        return;
    uint64_t deadline = atomic_load(&n->drain_deadline_us);
    if (!deadline)
        deadline = sk_sink_now_us() + n->flush_timeout_us;
    atomic_store(&n->deadline_us, deadline);
    atomic_store(&n->stop, true);
    sk_sinkq_close(n->q);
    if (n->thread_started)
        pthread_join(n->thread, NULL);
    if (n->tops->drain)
        n->tops->drain(n->t, deadline);
    size_t left = sk_sinkq_drop_all(n->q);
    struct sk_sinkq_stats st;
    sk_sinkq_stats(n->q, &st);
    if (left || st.dropped)
        sk_warn("output %s (%s): %" PRIu64 " records written, %" PRIu64
                " dropped (%zu left at the flush deadline)",
                n->name, n->filetype, st.written, st.dropped, left);
    else
        sk_info("output %s (%s): %" PRIu64 " records written, 0 dropped", n->name, n->filetype,
                st.written);
    if (n->connected)
        n->tops->disconnect(n->t);
    if (n->tops->linger)
        n->tops->linger(n->t);
    if (fn)
        net_counters(n, fn, ctx);
    net_free(n);
}

const struct sk_sink_ops sk_sink_net = {
    .filetype = "network",
    .open = net_open,
    .write = net_write,
    .flush = net_flush,
    .reopen = net_reopen,
    .close = net_close,
    .counters = net_counters,
};

/* SPDX-License-Identifier: GPL-2.0-only */
/* The bounded record queue between the workers and a network sink's sender thread
 * (sink.h). A ring of owned copies; the sender peeks at the oldest records and pops them
 * once the far end has them, so records in flight still count in the bound. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/error.h"
#include "engine/output/sink.h"

struct sk_sinkq {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full, empty;
    struct sk_sinkq_rec *ring; /* cap slots; head is the oldest */
    size_t cap, head, n;
    size_t max_bytes, bytes;
    unsigned wait_ms;
    bool closed;
    bool overflow; /* a wait timed out: drop at once until the queue is 3/4 empty */
    /* peek hands out a contiguous copy of the ring's front */
    struct sk_sinkq_rec *view;
    size_t view_cap;
    uint64_t accepted, written, dropped;
};

uint64_t sk_sink_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void deadline_ts(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a) != 0)
        return -1;
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

int sk_sinkq_new(struct sk_sinkq **out, size_t max_records, size_t max_bytes, unsigned wait_ms)
{
    struct sk_sinkq *q = calloc(1, sizeof(*q));
    if (!q)
        return SK_E_NOMEM;
    q->cap = max_records ? max_records : 1;
    q->max_bytes = max_bytes ? max_bytes : 1;
    q->wait_ms = wait_ms;
    q->ring = calloc(q->cap, sizeof(*q->ring));
    if (!q->ring || pthread_mutex_init(&q->mu, NULL) != 0) {
        free(q->ring);
        free(q);
        return SK_E_NOMEM;
    }
    cond_init_mono(&q->not_empty);
    cond_init_mono(&q->not_full);
    cond_init_mono(&q->empty);
    *out = q;
    return 0;
}

void sk_sinkq_free(struct sk_sinkq *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n; i++)
        free(q->ring[(q->head + i) % q->cap].buf);
    free(q->ring);
    free(q->view);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->empty);
    free(q);
}

static bool fits(const struct sk_sinkq *q, size_t len)
{
    return q->n < q->cap && q->bytes + len <= q->max_bytes;
}

int sk_sinkq_push(struct sk_sinkq *q, const char *rec, size_t len, const struct sk_sink_meta *m)
{
    char *copy = malloc(len ? len : 1);
    pthread_mutex_lock(&q->mu);
    if (!copy || len > q->max_bytes || q->closed)
        goto drop;
    if (!fits(q, len)) {
        if (q->overflow)
            goto drop;
        struct timespec ts;
        deadline_ts(&ts, q->wait_ms);
        while (!fits(q, len) && !q->closed)
            if (pthread_cond_timedwait(&q->not_full, &q->mu, &ts) == ETIMEDOUT)
                break;
        if (!fits(q, len) || q->closed) {
            q->overflow = true;
            goto drop;
        }
    }
    memcpy(copy, rec, len);
    struct sk_sinkq_rec *r = &q->ring[(q->head + q->n) % q->cap];
    r->buf = copy;
    r->len = len;
    r->flow_id = m ? m->flow_id : 0;
    r->event_type[0] = '\0';
    if (m && m->event_type) {
        size_t el = strlen(m->event_type);
        if (el >= sizeof(r->event_type))
            el = sizeof(r->event_type) - 1;
        memcpy(r->event_type, m->event_type, el);
        r->event_type[el] = '\0';
    }
    q->n++;
    q->bytes += len;
    q->accepted++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return 0;
drop:
    q->dropped++;
    pthread_mutex_unlock(&q->mu);
    free(copy);
    return SK_E_LIMIT;
}

size_t sk_sinkq_peek(struct sk_sinkq *q, const struct sk_sinkq_rec **recs, size_t max,
                     unsigned wait_ms)
{
    pthread_mutex_lock(&q->mu);
    if (q->n == 0 && !q->closed && wait_ms) {
        struct timespec ts;
        deadline_ts(&ts, wait_ms);
        while (q->n == 0 && !q->closed)
            if (pthread_cond_timedwait(&q->not_empty, &q->mu, &ts) == ETIMEDOUT)
                break;
    }
    size_t n = q->n < max ? q->n : max;
    if (n > q->view_cap) {
        struct sk_sinkq_rec *v = realloc(q->view, n * sizeof(*v));
        if (!v)
            n = q->view_cap;
        else {
            q->view = v;
            q->view_cap = n;
        }
    }
    /* the records' buffers do not move: only the producer appends, behind them */
    for (size_t i = 0; i < n; i++)
        q->view[i] = q->ring[(q->head + i) % q->cap];
    *recs = q->view;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void sk_sinkq_pop(struct sk_sinkq *q, size_t n, size_t written, size_t dropped)
{
    pthread_mutex_lock(&q->mu);
    if (n > q->n)
        n = q->n;
    for (size_t i = 0; i < n; i++) {
        struct sk_sinkq_rec *r = &q->ring[q->head];
        q->bytes -= r->len;
        free(r->buf);
        r->buf = NULL;
        q->head = (q->head + 1) % q->cap;
    }
    q->n -= n;
    q->written += written;
    q->dropped += dropped;
    if (q->overflow && q->n <= q->cap / 4 && q->bytes <= q->max_bytes / 4)
        q->overflow = false;
    pthread_cond_broadcast(&q->not_full);
    if (q->n == 0)
        pthread_cond_broadcast(&q->empty);
    pthread_mutex_unlock(&q->mu);
}

void sk_sinkq_count(struct sk_sinkq *q, uint64_t written, uint64_t dropped)
{
    pthread_mutex_lock(&q->mu);
    q->written += written;
    q->dropped += dropped;
    pthread_mutex_unlock(&q->mu);
}

void sk_sinkq_close(struct sk_sinkq *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

bool sk_sinkq_wait_empty(struct sk_sinkq *q, uint64_t deadline_us)
{
    pthread_mutex_lock(&q->mu);
    while (q->n) {
        uint64_t now = sk_sink_now_us();
        if (now >= deadline_us)
            break;
        uint64_t left_ms = (deadline_us - now + 999) / 1000;
        struct timespec ts;
        deadline_ts(&ts, left_ms > 60000 ? 60000 : (unsigned)left_ms);
        pthread_cond_timedwait(&q->empty, &q->mu, &ts);
    }
    bool empty = q->n == 0;
    pthread_mutex_unlock(&q->mu);
    return empty;
}

size_t sk_sinkq_drop_all(struct sk_sinkq *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->n;
    pthread_mutex_unlock(&q->mu);
    sk_sinkq_pop(q, n, 0, n);
    return n;
}

void sk_sinkq_stats(struct sk_sinkq *q, struct sk_sinkq_stats *st)
{
    pthread_mutex_lock(&q->mu);
    st->accepted = q->accepted;
    st->written = q->written;
    st->dropped = q->dropped;
    st->queued = q->n;
    st->queued_bytes = q->bytes;
    pthread_mutex_unlock(&q->mu);
}

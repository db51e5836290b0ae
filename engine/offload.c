/* SPDX-License-Identifier: GPL-2.0-only */
/* The offload thread (offload.h). The ring holds records back to back, each a struct rec
 * and its bytes, rounded up to REC_ALIGN; a record never wraps: where one would not fit
 * before the end, a record without a function marks the rest of the ring as skipped. head
 * and tail count bytes from the start and only grow. A side about to sleep says so
 * (consumer_asleep, producer_wants) before it looks at the other side's counter one last
 * time, under the mutex, and a side that moves its counter looks at the other's flag after:
 * one of the two always sees the other, so no wake-up is lost (all of it sequentially
 * consistent). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/offload.h"

#define REC_ALIGN      32
#define MIN_RING       (64 * 1024)
/* The producer shows its records to the consumer this many bytes at a time: small, so the
 * consumer starts on a short message before it ends, and large enough that each digest
 * call gets a useful piece. */
#define BATCH          4096
/* Looks at the other side's counter before sleeping: the producer (a sync often waits
 * long), the consumer (~0.1 ms: the next batch is usually that close, and a sleep costs
 * both threads a system call). */
#define PRODUCER_SPINS 4096
#define CONSUMER_SPINS 65536

struct rec {
    sk_offload_fn fn; /* NULL: skip to the ring's start */
    void *arg;
    size_t n;
};

struct sk_offload {
    uint8_t *ring;
    size_t cap;   /* a power of two */
    size_t piece; /* the most bytes one record carries */
    size_t mine;  /* the producer's head, ahead of head by what it has not shown yet */
    _Atomic size_t head, tail;
    _Atomic bool consumer_asleep;
    _Atomic size_t producer_wants; /* 0, or the tail the producer sleeps until */
    _Atomic bool stop;
    pthread_mutex_t mu;
    pthread_cond_t wake_consumer, wake_producer;
    pthread_t thread;
    uint64_t waits_full, waits_sync; /* the producer's own */
};

static size_t rec_size(size_t n)
{
    return (sizeof(struct rec) + n + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1);
}

/* Makes the record at position at (or skips the ring's end); returns the next position. */
static size_t make_one(struct sk_offload *o, size_t at)
{
    size_t off = at & (o->cap - 1);
    const struct rec *r = (const struct rec *)(o->ring + off);
    if (r->fn == NULL)
        return at + (o->cap - off);
    r->fn(r->arg, (const uint8_t *)(r + 1), r->n);
    return at + rec_size(r->n);
}

static void *consumer_main(void *arg)
{
    struct sk_offload *o = arg;
    size_t t = atomic_load(&o->tail);
    for (;;) {
        size_t h = atomic_load(&o->head);
        if (t == h) {
            if (atomic_load(&o->stop))
                break;
            for (int spin = 0; spin < CONSUMER_SPINS && atomic_load(&o->head) == t; spin++)
                ;
            if (atomic_load(&o->head) != t)
                continue;
            pthread_mutex_lock(&o->mu);
            atomic_store(&o->consumer_asleep, true);
            while (atomic_load(&o->head) == t && !atomic_load(&o->stop))
                pthread_cond_wait(&o->wake_consumer, &o->mu);
            atomic_store(&o->consumer_asleep, false);
            pthread_mutex_unlock(&o->mu);
            continue;
        }
        while (t != h) {
            t = make_one(o, t);
            atomic_store(&o->tail, t);
            size_t wants = atomic_load(&o->producer_wants);
            if (wants != 0 && t >= wants) {
                pthread_mutex_lock(&o->mu);
                pthread_cond_signal(&o->wake_producer);
                pthread_mutex_unlock(&o->mu);
            }
        }
    }
    return NULL;
}

/* Waits until the consumer's tail has reached at least want (a position of the head). */
static void wait_tail(struct sk_offload *o, size_t want)
{
    for (int spin = 0; spin < PRODUCER_SPINS; spin++)
        if (atomic_load(&o->tail) >= want)
            return;
    pthread_mutex_lock(&o->mu);
    atomic_store(&o->producer_wants, want);
    while (atomic_load(&o->tail) < want)
        pthread_cond_wait(&o->wake_producer, &o->mu);
    atomic_store(&o->producer_wants, 0);
    pthread_mutex_unlock(&o->mu);
}

/* Shows the consumer every record written so far. */
static void publish(struct sk_offload *o)
{
    atomic_store(&o->head, o->mine);
    if (atomic_load(&o->consumer_asleep)) {
        pthread_mutex_lock(&o->mu);
        pthread_cond_signal(&o->wake_consumer);
        pthread_mutex_unlock(&o->mu);
    }
}

static void run_piece(struct sk_offload *o, sk_offload_fn fn, void *arg, const uint8_t *p, size_t n)
{
    size_t h = o->mine;
    size_t need = rec_size(n);
    size_t off = h & (o->cap - 1);
    size_t skip = off + need > o->cap ? o->cap - off : 0;
    /* room for the skip and the record: the consumer must have passed h + skip + need - cap */
    if (atomic_load(&o->tail) + o->cap < h + skip + need) {
        o->waits_full++;
        publish(o); /* what it waits for must be in the consumer's sight */
        wait_tail(o, h + skip + need - o->cap);
    }
    if (skip > 0) {
        struct rec *mark = (struct rec *)(o->ring + off);
        mark->fn = NULL;
        h += skip;
        off = 0;
    }
    struct rec *r = (struct rec *)(o->ring + off);
    r->fn = fn;
    r->arg = arg;
    r->n = n;
    if (n > 0)
        memcpy(r + 1, p, n);
    o->mine = h + need;
    if (o->mine - atomic_load_explicit(&o->head, memory_order_relaxed) >= BATCH)
        publish(o);
}

void sk_offload_run(struct sk_offload *o, sk_offload_fn fn, void *arg, const void *p, size_t n)
{
    const uint8_t *b = p;
    /* A call with no bytes (p may be NULL: a reset) is one record of none. */
    if (n == 0) {
        run_piece(o, fn, arg, b, 0);
        return;
    }
    do {
        size_t k = n < o->piece ? n : o->piece;
        run_piece(o, fn, arg, b, k);
        b += k;
        n -= k;
    } while (n > 0);
}

/* Makes the records of [from, to) in this thread, in order. */
static void run_here(struct sk_offload *o, size_t from, size_t to)
{
    while (from != to)
        from = make_one(o, from);
}

void sk_offload_sync(struct sk_offload *o)
{
    size_t h = atomic_load_explicit(&o->head, memory_order_relaxed); /* ours alone */
    if (atomic_load(&o->tail) == h) {
        /* The thread has made every call it was shown: those not shown yet (a short message's
         * whole work, or the last batch of a long one) cost less made here than a hand-over
         * and a wake-up; their room is reused. */
        run_here(o, h, o->mine);
        o->mine = h;
        return;
    }
    o->waits_sync++;
    publish(o);
    wait_tail(o, o->mine);
}

size_t sk_offload_memuse(const struct sk_offload *o)
{
    return o->cap + sizeof(*o);
}

void sk_offload_waits(const struct sk_offload *o, uint64_t *full, uint64_t *sync)
{
    *full = o->waits_full;
    *sync = o->waits_sync;
}

int sk_offload_new(struct sk_offload **out, size_t ring_bytes)
{
    struct sk_offload *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return SK_E_NOMEM;
    o->cap = MIN_RING;
    while (o->cap < ring_bytes && o->cap < ((size_t)1 << 30))
        o->cap <<= 1;
    o->piece = o->cap / 4;
    o->ring = aligned_alloc(REC_ALIGN, o->cap);
    if (o->ring == NULL) {
        free(o);
        return SK_E_NOMEM;
    }
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->wake_consumer, NULL);
    pthread_cond_init(&o->wake_producer, NULL);
    /* signals stay with the threads that handle them */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&o->thread, NULL, consumer_main, o);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&o->wake_producer);
        pthread_cond_destroy(&o->wake_consumer);
        pthread_mutex_destroy(&o->mu);
        free(o->ring);
        free(o);
        return SK_E_IO;
    }
    *out = o;
    return 0;
}

void sk_offload_free(struct sk_offload *o)
{
    if (o == NULL)
        return;
    sk_offload_sync(o);
    pthread_mutex_lock(&o->mu);
    atomic_store(&o->stop, true);
    pthread_cond_signal(&o->wake_consumer);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->thread, NULL);
    pthread_cond_destroy(&o->wake_producer);
    pthread_cond_destroy(&o->wake_consumer);
    pthread_mutex_destroy(&o->mu);
    free(o->ring);
    free(o);
}

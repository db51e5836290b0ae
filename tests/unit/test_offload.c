/* SPDX-License-Identifier: GPL-2.0-only */
/* The offload thread (engine/offload.c): calls made in the order queued with their own
 * bytes, across the ring's wrap and in pieces when larger than it; sync shows every effect;
 * a slow consumer fills the ring and the producer waits; free makes what is still queued. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "engine/offload.h"

/* What the consumer saw: every byte in order, and the tag of each call. */
struct log {
    uint8_t *bytes;
    size_t len, cap;
    uint32_t *tags;
    size_t ntags, tcap;
    int slow_ns;
};

struct call {
    struct log *log;
    uint32_t tag;
};

static void record(void *arg, const uint8_t *p, size_t n)
{
    struct call *c = arg;
    struct log *l = c->log;
    assert_true(l->len + n <= l->cap);
    memcpy(l->bytes + l->len, p, n);
    l->len += n;
    assert_true(l->ntags < l->tcap);
    l->tags[l->ntags++] = c->tag;
    if (l->slow_ns > 0) {
        struct timespec ts = {0, l->slow_ns};
        nanosleep(&ts, NULL);
    }
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void log_init(struct log *l, size_t cap, size_t tcap)
{
    memset(l, 0, sizeof(*l));
    l->bytes = malloc(cap);
    l->cap = cap;
    l->tags = malloc(tcap * sizeof(*l->tags));
    l->tcap = tcap;
    assert_non_null(l->bytes);
    assert_non_null(l->tags);
}

static void log_release(struct log *l)
{
    free(l->bytes);
    free(l->tags);
}

/* 20,000 calls of 0 to 3,000 bytes through a 64 KiB ring (many wraps), a sync now and then:
 * after each sync the consumer has seen exactly what was queued, in order. */
static void test_offload_order_and_sync(void **state)
{
    (void)state;
    enum { CALLS = 20000, MAXN = 3000 };
    struct sk_offload *o = NULL;
    assert_int_equal(sk_offload_new(&o, 1000), 0); /* rounded up to 64 KiB */
    assert_true(sk_offload_memuse(o) >= 64 * 1024);
    struct log l;
    log_init(&l, (size_t)CALLS * MAXN, CALLS);
    uint8_t *want = malloc((size_t)CALLS * MAXN), buf[MAXN];
    struct call *calls = malloc(CALLS * sizeof(*calls));
    assert_non_null(want);
    assert_non_null(calls);
    size_t wlen = 0;
    uint32_t s = 12345;
    for (uint32_t i = 0; i < CALLS; i++) {
        size_t n = rnd(&s) % (i % 7 == 0 ? MAXN : 64);
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)rnd(&s);
        memcpy(want + wlen, buf, n);
        wlen += n;
        calls[i] = (struct call){&l, i};
        sk_offload_run(o, record, &calls[i], buf, n);
        memset(buf, 0xee, n); /* the queued call has its own copy */
        if (rnd(&s) % 500 == 0 || i == CALLS - 1) {
            sk_offload_sync(o);
            assert_int_equal(l.ntags, i + 1);
            assert_int_equal(l.len, wlen);
        }
    }
    assert_memory_equal(l.bytes, want, wlen);
    for (uint32_t i = 0; i < CALLS; i++)
        assert_int_equal(l.tags[i], i);
    sk_offload_free(o);
    free(want);
    free(calls);
    log_release(&l);
}

/* A call larger than the ring is made piece by piece, in order, each piece at most a
 * quarter of the ring. */
static void test_offload_pieces(void **state)
{
    (void)state;
    enum { N = 1000 * 1000 };
    struct sk_offload *o = NULL;
    assert_int_equal(sk_offload_new(&o, 64 * 1024), 0);
    struct log l;
    log_init(&l, N, N);
    uint8_t *big = malloc(N);
    assert_non_null(big);
    for (size_t i = 0; i < N; i++)
        big[i] = (uint8_t)(i * 31 + (i >> 9));
    struct call c = {&l, 7};
    sk_offload_run(o, record, &c, big, N);
    sk_offload_sync(o);
    assert_int_equal(l.len, N);
    assert_memory_equal(l.bytes, big, N);
    assert_true(l.ntags >= N / (16 * 1024));
    sk_offload_free(o);
    free(big);
    log_release(&l);
}

/* A consumer slower than the producer: the ring fills, the producer waits for room, and
 * nothing is lost; free makes the calls still queued before it returns. */
static void test_offload_full_ring_and_free(void **state)
{
    (void)state;
    enum { CALLS = 400, N = 1000 };
    struct sk_offload *o = NULL;
    assert_int_equal(sk_offload_new(&o, 64 * 1024), 0);
    struct log l;
    log_init(&l, (size_t)CALLS * N, CALLS);
    l.slow_ns = 100 * 1000;
    uint8_t buf[N];
    struct call c = {&l, 1};
    for (int i = 0; i < CALLS; i++) {
        memset(buf, i, N);
        sk_offload_run(o, record, &c, buf, N);
    }
    uint64_t full = 0, sync = 0;
    sk_offload_waits(o, &full, &sync);
    assert_true(full > 0);
    sk_offload_free(o);
    assert_int_equal(l.ntags, CALLS);
    for (int i = 0; i < CALLS; i++)
        assert_int_equal(l.bytes[(size_t)i * N + N - 1], (uint8_t)i);
    log_release(&l);
}

static void note_thread(void *arg, const uint8_t *p, size_t n)
{
    *(pthread_t *)arg = pthread_self();
}

/* A short call the thread was never shown (less than a batch) is made by sync in the
 * caller's thread when the offload thread is idle: no hand-over for a short message; a long
 * run goes to the offload thread. */
static void test_offload_short_work_made_by_sync(void **state)
{
    (void)state;
    struct sk_offload *o = NULL;
    assert_int_equal(sk_offload_new(&o, 64 * 1024), 0);
    pthread_t who, me = pthread_self();
    uint8_t small[100] = {0};
    for (int i = 0; i < 50; i++) {
        sk_offload_run(o, note_thread, &who, small, sizeof(small));
        sk_offload_sync(o);
        assert_true(pthread_equal(who, me));
    }
    /* 1 MB in 8 KB calls: most are shown to the offload thread and made there */
    static uint8_t big[8192];
    pthread_t whos[128];
    for (int i = 0; i < 128; i++)
        sk_offload_run(o, note_thread, &whos[i], big, sizeof(big));
    sk_offload_sync(o);
    int there = 0;
    for (int i = 0; i < 128; i++)
        there += !pthread_equal(whos[i], me);
    assert_true(there > 64);
    uint64_t full = 0, sync = 0;
    sk_offload_waits(o, &full, &sync);
    assert_true(sync <= 1); /* the 50 short syncs did not wait */
    sk_offload_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offload_order_and_sync),
        cmocka_unit_test(test_offload_pieces),
        cmocka_unit_test(test_offload_full_ring_and_free),
        cmocka_unit_test(test_offload_short_work_made_by_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

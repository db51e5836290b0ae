/* SPDX-License-Identifier: GPL-2.0-only */
/* The network sinks' bounded queue (engine/output/sink.h): the record and byte bounds, the
 * drop counter, the wait of a producer on a full queue and the drop-at-once after it, the
 * flush deadline; and one sink end to end through the seam: a unix_dgram sink whose reader
 * (a socket of this test) appears late, so records wait in the queue and arrive in order;
 * reopen through the pool, which makes a unix_stream sink connect again. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/output/outfile.h"
#include "engine/output/sink.h"
#include "engine/output/stage.h"

static const struct sk_sink_meta meta = {"alert", 7};

static void test_queue_bounds_and_drops(void **state)
{
    (void)state;
    struct sk_sinkq *q;
    struct sk_sinkq_stats st;
    assert_int_equal(sk_sinkq_new(&q, 3, 1000, 0), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sk_sinkq_push(q, "abc\n", 4, &meta), 0);
    /* a fourth record finds three queued: dropped, counted */
    assert_int_equal(sk_sinkq_push(q, "abc\n", 4, &meta), SK_E_LIMIT);
    sk_sinkq_stats(q, &st);
    assert_int_equal(st.queued, 3);
    assert_int_equal(st.accepted, 3);
    assert_int_equal(st.dropped, 1);
    const struct sk_sinkq_rec *r;
    size_t n = sk_sinkq_peek(q, &r, 2, 0);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].flow_id, 7);
    assert_string_equal(r[0].event_type, "alert");
    assert_memory_equal(r[1].buf, "abc\n", 4);
    /* peeked records still count in the bound until popped */
    assert_int_equal(sk_sinkq_push(q, "x\n", 2, NULL), SK_E_LIMIT);
    sk_sinkq_pop(q, 2, 1, 1);
    sk_sinkq_stats(q, &st);
    assert_int_equal(st.written, 1);
    assert_int_equal(st.dropped, 3);
    assert_int_equal(st.queued, 1);
    assert_int_equal(sk_sinkq_drop_all(q), 1);
    sk_sinkq_stats(q, &st);
    assert_int_equal(st.dropped, 4);
    assert_int_equal(st.accepted + 2, st.written + st.dropped); /* made = written + dropped */
    sk_sinkq_free(q);
}

static void test_queue_byte_bound(void **state)
{
    (void)state;
    struct sk_sinkq *q;
    char big[600];
    memset(big, 'a', sizeof(big));
    assert_int_equal(sk_sinkq_new(&q, 100, 1000, 0), 0);
    assert_int_equal(sk_sinkq_push(q, big, 600, NULL), 0);
    assert_int_equal(sk_sinkq_push(q, big, 600, NULL), SK_E_LIMIT); /* 1200 > 1000 bytes */
    assert_int_equal(sk_sinkq_push(q, big, 400, NULL), 0);
    struct sk_sinkq_stats st;
    sk_sinkq_stats(q, &st);
    assert_int_equal(st.queued_bytes, 1000);
    sk_sinkq_free(q);
    /* a record larger than the whole bound never waits */
    assert_int_equal(sk_sinkq_new(&q, 100, 10, 1000), 0);
    assert_int_equal(sk_sinkq_push(q, big, 11, NULL), SK_E_LIMIT);
    sk_sinkq_free(q);
}

static uint64_t ms_since(uint64_t t0)
{
    return (sk_sink_now_us() - t0) / 1000;
}

static void test_queue_wait_then_drop_at_once(void **state)
{
    (void)state;
    struct sk_sinkq *q;
    assert_int_equal(sk_sinkq_new(&q, 1, 100, 1000), 0);
    assert_int_equal(sk_sinkq_push(q, "a\n", 2, NULL), 0);
    uint64_t t0 = sk_sink_now_us();
    /* full: the producer waits 1 s for room, then drops (a timed wait never ends early) */
    assert_int_equal(sk_sinkq_push(q, "b\n", 2, NULL), SK_E_LIMIT);
    assert_true(ms_since(t0) >= 990);
    /* after a wait timed out, the next drops without waiting (a wait would take 1 s: the
     * bound leaves a loaded machine room) */
    t0 = sk_sink_now_us();
    assert_int_equal(sk_sinkq_push(q, "c\n", 2, NULL), SK_E_LIMIT);
    assert_true(ms_since(t0) < 900);
    /* room again: records are taken again */
    sk_sinkq_pop(q, 1, 1, 0);
    assert_int_equal(sk_sinkq_push(q, "d\n", 2, NULL), 0);
    sk_sinkq_free(q);
}

struct consumer {
    struct sk_sinkq *q;
    unsigned delay_ms;
};

static void *consume(void *arg)
{
    struct consumer *c = arg;
    struct timespec ts = {0, (long)c->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    const struct sk_sinkq_rec *r;
    size_t n;
    while ((n = sk_sinkq_peek(c->q, &r, 10, 50)) > 0)
        sk_sinkq_pop(c->q, n, n, 0);
    return NULL;
}

static void test_queue_flush_deadline(void **state)
{
    (void)state;
    struct sk_sinkq *q;
    assert_int_equal(sk_sinkq_new(&q, 100, 10000, 0), 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(sk_sinkq_push(q, "r\n", 2, NULL), 0);
    /* nobody drains: the wait ends at the deadline, not empty */
    uint64_t t0 = sk_sink_now_us();
    assert_false(sk_sinkq_wait_empty(q, t0 + 150000));
    assert_true(ms_since(t0) >= 140);
    /* a sender that drains within the deadline: empty, early */
    struct consumer c = {q, 50};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, consume, &c), 0);
    t0 = sk_sink_now_us();
    assert_true(sk_sinkq_wait_empty(q, t0 + 5000000));
    assert_true(ms_since(t0) < 4000);
    pthread_join(th, NULL);
    struct sk_sinkq_stats st;
    sk_sinkq_stats(q, &st);
    assert_int_equal(st.written, 20);
    /* closed: pushes are dropped and counted */
    sk_sinkq_close(q);
    assert_int_equal(sk_sinkq_push(q, "late\n", 5, NULL), SK_E_LIMIT);
    sk_sinkq_stats(q, &st);
    assert_int_equal(st.dropped, 1);
    sk_sinkq_free(q);
}

struct counts {
    uint64_t written, dropped;
};

static void grab(void *ctx, const char *name, uint64_t value)
{
    struct counts *c = ctx;
    if (strcmp(name, "output.u.written") == 0)
        c->written = value;
    if (strcmp(name, "output.u.dropped") == 0)
        c->dropped = value;
}

/* The seam end to end: a unix_dgram sink opened before its reader exists. */
static void test_sink_unix_dgram_late_reader(void **state)
{
    (void)state;
    char dir[] = "/tmp/shrike-test-sink-XXXXXX", path[128], set[200];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/s", dir);
    struct sk_config *cfg;
    assert_int_equal(sk_config_new(&cfg), 0);
    assert_int_equal(sk_config_set(cfg, "outputs.eve.sinks.u.filetype=unix_dgram"), 0);
    snprintf(set, sizeof(set), "outputs.eve.sinks.u.filename=%s", path);
    assert_int_equal(sk_config_set(cfg, set), 0);
    char err[256];
    assert_int_equal(sk_config_check(cfg, err, sizeof(err)), 0);
    struct sk_outfile_pool *pool;
    assert_int_equal(sk_outfile_pool_new(&pool), 0);
    struct sk_sink_params p = {"u", "outputs.eve.sinks.u", cfg, dir, pool};
    struct sk_sink *s, *s2;
    assert_int_equal(sk_sink_open(&s, &p), 0);
    assert_int_equal(sk_sink_open(&s2, &p), 0); /* a second worker shares it */
    assert_ptr_equal(s, s2);
    char rec[32];
    for (int i = 0; i < 5; i++) {
        int n = snprintf(rec, sizeof(rec), "{\"n\":%d}\n", i);
        assert_int_equal(sk_sink_write(i % 2 ? s : s2, rec, (size_t)n, &meta), 0);
    }
    /* the reader comes now: the sender's next connect finds it */
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    for (int i = 0; i < 5; i++) {
        char buf[64], want[32];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        int wn = snprintf(want, sizeof(want), "{\"n\":%d}\n", i);
        assert_int_equal(n, wn);
        assert_memory_equal(buf, want, (size_t)wn);
    }
    sk_sink_close(s2, pool);
    sk_sink_close(s, pool);
    struct counts c = {0, 99};
    sk_outfile_pool_foreach(pool, grab, &c); /* the closed sink's final counters */
    assert_int_equal(c.written, 5);
    assert_int_equal(c.dropped, 0);
    assert_int_equal(sk_outfile_pool_lost(pool), 0);
    sk_outfile_pool_free(pool);
    sk_config_free(cfg);
    close(fd);
    unlink(path);
    rmdir(dir);
}

static int accept_within(int srv, int seconds)
{
    struct pollfd pfd = {srv, POLLIN, 0};
    if (poll(&pfd, 1, seconds * 1000) != 1)
        return -1;
    return accept(srv, NULL, NULL);
}

static void read_exactly(int fd, const char *want)
{
    char buf[64];
    size_t n = strlen(want), got = 0;
    while (got < n) {
        ssize_t r = recv(fd, buf + got, n - got, 0);
        assert_true(r > 0);
        got += (size_t)r;
    }
    assert_memory_equal(buf, want, n);
}

/* Reopen (SIGHUP) through the pool: a unix_stream sink drops its connection and makes a
 * new one; the record written after it comes on the new connection, the old one ends. */
static void test_sink_reopen_reconnects(void **state)
{
    (void)state;
    char dir[] = "/tmp/shrike-test-sink-XXXXXX", path[128], set[200];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/s", dir);
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(srv, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(srv, 4), 0);
    struct sk_config *cfg;
    assert_int_equal(sk_config_new(&cfg), 0);
    assert_int_equal(sk_config_set(cfg, "outputs.eve.filetype=unix_stream"), 0);
    snprintf(set, sizeof(set), "outputs.eve.filename=%s", path);
    assert_int_equal(sk_config_set(cfg, set), 0);
    struct sk_outfile_pool *pool;
    assert_int_equal(sk_outfile_pool_new(&pool), 0);
    struct sk_sink_params p = {"eve", "outputs.eve", cfg, dir, pool};
    struct sk_sink *s;
    assert_int_equal(sk_sink_open(&s, &p), 0);
    assert_int_equal(sk_sink_write(s, "{\"a\":1}\n", 8, &meta), 0);
    int c1 = accept_within(srv, 5);
    assert_true(c1 >= 0);
    read_exactly(c1, "{\"a\":1}\n");
    assert_int_equal(sk_outfile_pool_reopen(pool), 0);
    assert_int_equal(sk_sink_write(s, "{\"a\":2}\n", 8, &meta), 0);
    int c2 = accept_within(srv, 5);
    assert_true(c2 >= 0);
    read_exactly(c2, "{\"a\":2}\n");
    char b;
    assert_int_equal(recv(c1, &b, 1, 0), 0); /* the old connection was closed */
    sk_sink_close(s, pool);
    sk_outfile_pool_free(pool);
    sk_config_free(cfg);
    close(c1);
    close(c2);
    close(srv);
    unlink(path);
    rmdir(dir);
}

/* A bad filetype is refused at open, naming the key. */
static void test_sink_bad_filetype(void **state)
{
    (void)state;
    struct sk_config *cfg;
    assert_int_equal(sk_config_new(&cfg), 0);
    assert_int_equal(sk_config_set(cfg, "outputs.eve.filetype=carrier-pigeon"), 0);
    struct sk_sink_params p = {"eve", "outputs.eve", cfg, "/tmp", NULL};
    struct sk_sink *s;
    assert_int_equal(sk_sink_open(&s, &p), SK_E_INVAL);
    sk_config_free(cfg);
}

static char *slurp(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

struct replay_arg {
    struct sk_stage *st;
};

static void *replay_thread(void *arg)
{
    struct sk_stage *st = ((struct replay_arg *)arg)->st;
    sk_stage_replay(st, sk_stage_len(st));
    return NULL;
}

/* A stage keeps a thread's file and sink calls, writes and flushes, and another thread
 * makes them later in the same order; calls made meanwhile without a stage go out at once. */
static void test_stage_keeps_calls_for_later_in_order(void **state)
{
    (void)state;
    char dir[] = "/tmp/shrike-test-stage-XXXXXX", path[128], set[200];
    assert_non_null(mkdtemp(dir));
    struct sk_config *cfg;
    assert_int_equal(sk_config_new(&cfg), 0);
    assert_int_equal(sk_config_set(cfg, "outputs.eve.sinks.r.filetype=regular"), 0);
    assert_int_equal(sk_config_set(cfg, "outputs.eve.sinks.r.filename=r.json"), 0);
    struct sk_outfile_pool *pool;
    assert_int_equal(sk_outfile_pool_new(&pool), 0);
    struct sk_sink_params p = {"r", "outputs.eve.sinks.r", cfg, dir, pool};
    struct sk_sink *s;
    assert_int_equal(sk_sink_open(&s, &p), 0);
    struct sk_outfile *f;
    assert_int_equal(sk_outfile_open(&f, pool, dir, "a.log", NULL), 0);
    struct sk_stage *st;
    assert_int_equal(sk_stage_new(&st), 0);

    sk_stage_set(st);
    assert_int_equal(sk_outfile_write(f, "1\n", 2), 0);
    assert_int_equal(sk_sink_write(s, "{\"n\":1}\n", 8, &meta), 0);
    assert_int_equal(sk_outfile_write(f, "2\n", 2), 0);
    assert_int_equal(sk_outfile_flush(f), 0);
    sk_sink_flush(s);
    sk_stage_set(NULL);
    assert_true(sk_stage_len(st) > 12);
    assert_int_equal(sk_outfile_write(f, "0\n", 2), 0);
    assert_int_equal(sk_outfile_flush(f), 0);
    sk_sink_flush(s);
    snprintf(path, sizeof(path), "%s/a.log", dir);
    assert_string_equal(slurp(path), "0\n"); /* the kept calls are not made, flushes neither */
    snprintf(set, sizeof(set), "%s/r.json", dir);
    assert_string_equal(slurp(set), "");

    struct replay_arg ra = {st};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, replay_thread, &ra), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(sk_stage_len(st), 0);
    /* the kept flushes were made too: the bytes are in the files without another flush */
    assert_string_equal(slurp(path), "0\n1\n2\n");
    assert_string_equal(slurp(set), "{\"n\":1}\n");

    sk_stage_free(st);
    sk_outfile_close(f, pool);
    sk_sink_close(s, pool);
    assert_int_equal(sk_outfile_pool_lost(pool), 0);
    sk_outfile_pool_free(pool);
    sk_config_free(cfg);
    unlink(path);
    unlink(set);
    rmdir(dir);
}

struct batch_arg {
    struct sk_outfile *f;
    char tag;
    int n;
};

/* Writes n records "<tag><i>" with a batch of its own set, then drains it. */
static void *batch_writer(void *arg)
{
    struct batch_arg *a = arg;
    struct sk_outfile_batch *b;
    if (sk_outfile_batch_new(&b) < 0)
        return NULL;
    sk_outfile_batch_set(b);
    char rec[32];
    for (int i = 0; i < a->n; i++) {
        int len = snprintf(rec, sizeof(rec), "%c%d\n", a->tag, i);
        sk_outfile_write(a->f, rec, (size_t)len);
    }
    sk_outfile_batch_set(NULL);
    sk_outfile_batch_free(b);
    return a;
}

/* A thread's batch keeps its records back until it is full, the thread flushes the file, or
 * it is drained; two threads with batches and one without write the same file at once: every
 * record is there once and whole, and each thread's records are in its order. */
static void test_outfile_batch_keeps_records_whole_and_in_order(void **state)
{
    (void)state;
    char dir[] = "/tmp/shrike-test-batch-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    struct sk_outfile_pool *pool;
    assert_int_equal(sk_outfile_pool_new(&pool), 0);
    struct sk_outfile *f;
    assert_int_equal(sk_outfile_open(&f, pool, dir, "b.log", NULL), 0);
    snprintf(path, sizeof(path), "%s/b.log", dir);

    /* kept back: another thread's flush (here, none set on this one) does not reach them */
    struct sk_outfile_batch *b;
    assert_int_equal(sk_outfile_batch_new(&b), 0);
    sk_outfile_batch_set(b);
    assert_int_equal(sk_outfile_write(f, "k1\n", 3), 0);
    assert_int_equal(sk_outfile_write(f, "k2\n", 3), 0);
    sk_outfile_batch_set(NULL);
    assert_int_equal(sk_outfile_flush(f), 0);
    assert_string_equal(slurp(path), "");
    /* the thread's own flush of the file takes its batch along */
    sk_outfile_batch_set(b);
    assert_int_equal(sk_outfile_flush(f), 0);
    assert_string_equal(slurp(path), "k1\nk2\n");
    assert_int_equal(sk_outfile_write(f, "k3\n", 3), 0);
    sk_outfile_batch_set(NULL);
    sk_outfile_batch_drain(b);
    assert_int_equal(sk_outfile_flush(f), 0);
    assert_string_equal(slurp(path), "k1\nk2\nk3\n");
    sk_outfile_batch_free(b);

    /* 2 x 30,000 records with batches (several times 64 KiB each), 3,000 without */
    struct batch_arg args[2] = {{f, 'a', 30000}, {f, 'b', 30000}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, batch_writer, &args[i]), 0);
    char rec[32];
    for (int i = 0; i < 3000; i++) {
        int len = snprintf(rec, sizeof(rec), "m%d\n", i);
        assert_int_equal(sk_outfile_write(f, rec, (size_t)len), 0);
    }
    for (int i = 0; i < 2; i++) {
        void *r;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_ptr_equal(r, &args[i]);
    }
    sk_outfile_close(f, pool);
    assert_int_equal(sk_outfile_pool_lost(pool), 0);
    sk_outfile_pool_free(pool);

    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char line[64];
    int next[3] = {0, 0, 0}, k = 0; /* a, b, m */
    while (fgets(line, sizeof(line), in)) {
        size_t len = strlen(line);
        assert_true(len >= 3 && line[len - 1] == '\n');
        if (k++ < 3)
            continue; /* k1..k3 */
        int w = line[0] == 'a' ? 0 : line[0] == 'b' ? 1 : 2;
        assert_true(line[0] == "abm"[w]);
        assert_int_equal(atoi(line + 1), next[w]);
        next[w]++;
    }
    fclose(in);
    assert_int_equal(next[0], 30000);
    assert_int_equal(next[1], 30000);
    assert_int_equal(next[2], 3000);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_bounds_and_drops),
        cmocka_unit_test(test_queue_byte_bound),
        cmocka_unit_test(test_queue_wait_then_drop_at_once),
        cmocka_unit_test(test_queue_flush_deadline),
        cmocka_unit_test(test_sink_unix_dgram_late_reader),
        cmocka_unit_test(test_sink_reopen_reconnects),
        cmocka_unit_test(test_sink_bad_filetype),
        cmocka_unit_test(test_stage_keeps_calls_for_later_in_order),
        cmocka_unit_test(test_outfile_batch_keeps_records_whole_and_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

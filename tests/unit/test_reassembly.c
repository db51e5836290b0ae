/* SPDX-License-Identifier: GPL-2.0-only */
/* TCP reassembly through the flow table with a recording consumer: every arrival order
 * of a small stream, retransmissions, overlaps (first seen wins), lost segments as gaps,
 * mid-stream pickup, sequence wraparound, stream depth and the out-of-order hold limit.
 * Packets are built directly; no decoder is involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "engine/error.h"
#include "engine/flow/flow.h"
#include "engine/flow/reassembly.h"

/* What the consumer saw: each direction's bytes with '?' for every gap byte, and the
 * sequence of calls as text ("O d0:5 g1:3 C0"). */
struct rec {
    char data[2][4096];
    size_t len[2];
    char log[8192];
    size_t loglen;
    int opens, closes;
    enum sk_flow_end why;
    bool midstream;
    struct sk_addr orig_h;
    uint16_t orig_p, resp_p;
};

static void logf_(struct rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->log + r->loglen, sizeof(r->log) - r->loglen, fmt, ap);
    va_end(ap);
    if (n > 0 && r->loglen + (size_t)n < sizeof(r->log))
        r->loglen += (size_t)n;
}

static void rec_open(void *ctx, struct sk_flow *f, uint64_t ts)
{
    struct rec *r = ctx;
    r->opens++;
    logf_(r, r->loglen ? " O" : "O");
    (void)ts;
}

static void rec_data(void *ctx, struct sk_flow *f, bool is_orig, const uint8_t *buf, size_t len,
                     uint64_t ts)
{
    struct rec *r = ctx;
    int d = is_orig ? 0 : 1;
    assert_true(r->len[d] + len < sizeof(r->data[d]));
    memcpy(r->data[d] + r->len[d], buf, len);
    r->len[d] += len;
    r->data[d][r->len[d]] = '\0';
    logf_(r, " d%d:%zu", d, len);
    if (memmem(buf, len, "STOP", 4))
        f->no_reassembly = true;
    (void)f;
    (void)ts;
}

static void rec_gap(void *ctx, struct sk_flow *f, bool is_orig, uint64_t len, uint64_t ts)
{
    struct rec *r = ctx;
    int d = is_orig ? 0 : 1;
    assert_true(r->len[d] + len < sizeof(r->data[d]));
    memset(r->data[d] + r->len[d], '?', (size_t)len);
    r->len[d] += (size_t)len;
    r->data[d][r->len[d]] = '\0';
    logf_(r, " g%d:%llu", d, (unsigned long long)len);
    (void)f;
    (void)ts;
}

static void rec_close(void *ctx, struct sk_flow *f, enum sk_flow_end why, uint64_t ts)
{
    struct rec *r = ctx;
    r->closes++;
    r->why = why;
    r->midstream = f->midstream;
    r->orig_h = f->orig_h;
    r->orig_p = f->orig_p;
    r->resp_p = f->resp_p;
    logf_(r, " C%d", (int)why);
    (void)ts;
}

struct fixture {
    struct rec rec;
    struct sk_flow_table *t;
    uint64_t ts;
};

static void fx_init(struct fixture *fx, const struct sk_flow_config *cfg)
{
    memset(fx, 0, sizeof(*fx));
    struct sk_stream_consumer c = {
        .ctx = &fx->rec,
        .open = rec_open,
        .data = rec_data,
        .gap = rec_gap,
        .close = rec_close,
    };
    struct sk_flow_config def;
    if (!cfg) {
        sk_flow_config_defaults(&def);
        def.hash_seed = 42;
        cfg = &def;
    }
    assert_int_equal(sk_flow_table_new(&fx->t, cfg, &c), 0);
    fx->ts = 1000000000ULL;
}

static const struct sk_flow_stats *fx_stats(struct fixture *fx)
{
    return sk_flow_table_stats(fx->t);
}

/* Client 192.0.2.1:40000 talks to server 192.0.2.2:25. */
static void send_pkt(struct fixture *fx, bool c2s, uint32_t seq, uint8_t flags, const char *p,
                     size_t len)
{
    struct sk_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    fx->ts += 1000;
    pkt.ts_us = fx->ts;
    pkt.ip_proto = 6;
    struct sk_addr c = {.family = 4, .bytes = {192, 0, 2, 1}};
    struct sk_addr s = {.family = 4, .bytes = {192, 0, 2, 2}};
    pkt.src = c2s ? c : s;
    pkt.dst = c2s ? s : c;
    pkt.sport = c2s ? 40000 : 25;
    pkt.dport = c2s ? 25 : 40000;
    pkt.seq = seq;
    pkt.tcp_flags = flags;
    pkt.payload = (const uint8_t *)p;
    pkt.payload_len = len;
    pkt.wirelen = (uint32_t)(54 + len);
    assert_int_equal(sk_flow_table_packet(fx->t, &pkt), 0);
}

#define ACK  SK_TCP_ACK
#define CISN 1000u
#define SISN 5000u

static void handshake(struct fixture *fx, uint32_t cisn, uint32_t sisn)
{
    send_pkt(fx, true, cisn, SK_TCP_SYN, NULL, 0);
    send_pkt(fx, false, sisn, SK_TCP_SYN | ACK, NULL, 0);
    send_pkt(fx, true, cisn + 1, ACK, NULL, 0);
}

static void fx_done(struct fixture *fx)
{
    sk_flow_table_free(fx->t);
    fx->t = NULL;
}

static void test_reassembly_interleaved_in_arrival_order(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    send_pkt(&fx, false, SISN + 1, ACK, "220 hi\r\n", 8);
    send_pkt(&fx, true, CISN + 1, ACK, "EHLO x\r\n", 8);
    send_pkt(&fx, false, SISN + 9, ACK, "250 ok\r\n", 8);
    /* Delivered at once, before any ACK covers the bytes. */
    assert_string_equal(fx.rec.log, "O d1:8 d0:8 d1:8");
    send_pkt(&fx, true, CISN + 9, SK_TCP_FIN | ACK, NULL, 0);
    send_pkt(&fx, false, SISN + 17, SK_TCP_FIN | ACK, NULL, 0);
    fx_done(&fx);
    assert_string_equal(fx.rec.data[0], "EHLO x\r\n");
    assert_string_equal(fx.rec.data[1], "220 hi\r\n250 ok\r\n");
    assert_int_equal(fx.rec.closes, 1);
    assert_false(fx.rec.midstream);
    assert_int_equal(fx.rec.orig_p, 40000);
}

/* Heap's algorithm over the 5 segment indices. */
static void permute(int *a, int k, void (*fn)(const int *, void *), void *arg)
{
    if (k == 1) {
        fn(a, arg);
        return;
    }
    for (int i = 0; i < k; i++) {
        permute(a, k - 1, fn, arg);
        int j = (k % 2 == 0) ? i : 0;
        int tmp = a[j];
        a[j] = a[k - 1];
        a[k - 1] = tmp;
    }
}

static const char perm_stream[] = "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n";
static const size_t perm_cuts[6] = {0, 7, 19, 28, 40, sizeof(perm_stream) - 1};

static void run_permutation(const int *order, void *arg)
{
    int *count = arg;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    size_t contiguous = 0;
    bool have[5] = {false};
    for (int i = 0; i < 5; i++) {
        int s = order[i];
        send_pkt(&fx, true, CISN + 1 + (uint32_t)perm_cuts[s], ACK, perm_stream + perm_cuts[s],
                 perm_cuts[s + 1] - perm_cuts[s]);
        have[s] = true;
        while (contiguous < 5 && have[contiguous])
            contiguous++;
        /* Bytes are delivered on the packet that makes them contiguous. */
        assert_int_equal(fx.rec.len[0], perm_cuts[contiguous]);
    }
    assert_int_equal(fx.rec.len[0], sizeof(perm_stream) - 1);
    assert_memory_equal(fx.rec.data[0], perm_stream, sizeof(perm_stream) - 1);
    fx_done(&fx);
    assert_int_equal(fx.rec.len[0], sizeof(perm_stream) - 1);
    (*count)++;
}

static void test_reassembly_every_permutation(void **state)
{
    (void)state;
    int order[5] = {0, 1, 2, 3, 4};
    int count = 0;
    permute(order, 5, run_permutation, &count);
    assert_int_equal(count, 120);
}

static void test_reassembly_retransmission_dropped(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    send_pkt(&fx, true, CISN + 1, ACK, "HELO a\r\n", 8);
    send_pkt(&fx, true, CISN + 1, ACK, "HELO a\r\n", 8);
    send_pkt(&fx, true, CISN + 9, ACK, "QUIT\r\n", 6);
    send_pkt(&fx, true, CISN + 9, ACK, "QUIT\r\n", 6);
    send_pkt(&fx, true, CISN + 14, ACK, "\n", 1); /* keep-alive style, one old byte */
    assert_string_equal(fx.rec.data[0], "HELO a\r\nQUIT\r\n");
    assert_int_equal(fx_stats(&fx)->retransmissions, 3);
    assert_int_equal(fx_stats(&fx)->overlaps, 0);
    fx_done(&fx);
}

static void test_reassembly_overlap_first_seen_wins(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    /* Held bytes 5..9 win over a later segment covering 0..9 with other bytes there. */
    send_pkt(&fx, true, CISN + 1 + 5, ACK, "56789", 5);
    send_pkt(&fx, true, CISN + 1, ACK, "01234ABCDE", 10);
    assert_string_equal(fx.rec.data[0], "0123456789");
    assert_int_equal(fx_stats(&fx)->overlaps, 1);
    assert_int_equal(fx_stats(&fx)->overlaps_diff, 1);
    /* A held segment overlapped in the middle, same bytes: an overlap, no difference. */
    send_pkt(&fx, true, CISN + 1 + 14, ACK, "EF", 2);
    send_pkt(&fx, true, CISN + 1 + 12, ACK, "cdEFgh", 6);
    send_pkt(&fx, true, CISN + 1 + 10, ACK, "ab", 2);
    assert_string_equal(fx.rec.data[0], "0123456789abcdEFgh");
    assert_int_equal(fx_stats(&fx)->overlaps, 2);
    assert_int_equal(fx_stats(&fx)->overlaps_diff, 1);
    /* Overlapping already delivered bytes: the new part is delivered, the old part kept. */
    send_pkt(&fx, true, CISN + 1 + 16, ACK, "XYij", 4);
    assert_string_equal(fx.rec.data[0], "0123456789abcdEFghij");
    assert_int_equal(fx_stats(&fx)->overlaps, 3);
    fx_done(&fx);
    assert_int_equal(fx.rec.len[0], 20);
}

static void test_reassembly_lost_segment_is_a_gap(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    send_pkt(&fx, true, CISN + 1, ACK, "aaaa", 4);
    /* "bbbbbb" (6 bytes) is lost. */
    send_pkt(&fx, true, CISN + 11, ACK, "cccc", 4);
    send_pkt(&fx, true, CISN + 15, SK_TCP_FIN | ACK, "dd", 2);
    assert_string_equal(fx.rec.data[0], "aaaa");
    fx_done(&fx);
    assert_string_equal(fx.rec.data[0], "aaaa??????ccccdd");
    assert_string_equal(fx.rec.log, "O d0:4 g0:6 d0:4 d0:2 C4");
}

static void test_reassembly_lost_tail_before_fin_is_a_gap(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    send_pkt(&fx, true, CISN + 1, ACK, "aaaa", 4);
    /* 5 bytes lost, then the FIN (which sits after them). */
    send_pkt(&fx, true, CISN + 10, SK_TCP_FIN | ACK, NULL, 0);
    send_pkt(&fx, false, SISN + 1, SK_TCP_FIN | ACK, NULL, 0);
    const struct sk_flow_stats *st = fx_stats(&fx);
    sk_flow_table_flush(fx.t);
    assert_string_equal(fx.rec.data[0], "aaaa?????");
    assert_int_equal(st->reassembly_gaps, 1);
    assert_int_equal(st->reassembly_gap_bytes, 5);
    fx_done(&fx);
}

static void test_reassembly_midstream_pickup(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    /* The server speaks first; port 25 still makes the client the originator. */
    send_pkt(&fx, false, 777777, ACK, "250 ok\r\n", 8);
    send_pkt(&fx, true, 123456, ACK, "DATA\r\n", 6);
    send_pkt(&fx, false, 777785, ACK, "354 go\r\n", 8);
    assert_string_equal(fx.rec.data[0], "DATA\r\n");
    assert_string_equal(fx.rec.data[1], "250 ok\r\n354 go\r\n");
    assert_int_equal(fx_stats(&fx)->midstream_pickups, 1);
    fx_done(&fx);
    assert_true(fx.rec.midstream);
    assert_int_equal(fx.rec.orig_p, 40000);
    assert_int_equal(fx.rec.resp_p, 25);
}

static void test_reassembly_seq_wraparound(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    uint32_t isn = 0xfffffff0u;
    handshake(&fx, isn, 0xfffffffeu); /* the server's SYN sits on 2^32 - 2 */
    const char *msg = "0123456789abcdefghijklmnopqrstuv";
    /* Out of order across the wrap: the last part first. */
    send_pkt(&fx, true, isn + 1 + 20, ACK, msg + 20, 12);
    send_pkt(&fx, true, isn + 1 + 10, ACK, msg + 10, 10);
    send_pkt(&fx, true, isn + 1, ACK, msg, 10);
    assert_string_equal(fx.rec.data[0], msg);
    send_pkt(&fx, false, 0xffffffffu, ACK, "220 x\r\n", 7);
    send_pkt(&fx, false, 0xffffffffu + 7u, ACK, "250 y\r\n", 7);
    assert_string_equal(fx.rec.data[1], "220 x\r\n250 y\r\n");
    send_pkt(&fx, true, isn + 1, ACK, msg, 10); /* an old segment after the wrap */
    assert_int_equal(fx_stats(&fx)->retransmissions, 1);
    assert_int_equal(fx_stats(&fx)->reassembly_gaps, 0);
    fx_done(&fx);
    assert_string_equal(fx.rec.data[0], msg);
}

static void test_reassembly_stream_depth(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 7;
    cfg.stream_depth = 10;
    struct fixture fx;
    fx_init(&fx, &cfg);
    handshake(&fx, CISN, SISN);
    send_pkt(&fx, true, CISN + 1, ACK, "aaaaaa", 6);
    send_pkt(&fx, true, CISN + 7, ACK, "bbbbbb", 6);
    send_pkt(&fx, true, CISN + 13, ACK, "cccccc", 6);
    send_pkt(&fx, true, CISN + 25, ACK, "eeeeee", 6); /* beyond the depth, out of order */
    assert_int_equal(fx_stats(&fx)->out_of_order, 0);
    send_pkt(&fx, false, SISN + 1, ACK, "0123456789", 10);
    assert_string_equal(fx.rec.data[0], "aaaaaabbbb");
    assert_string_equal(fx.rec.data[1], "0123456789");
    /* Exactly the depth is not over it; the next byte is. */
    assert_int_equal(fx_stats(&fx)->depth_reached, 1);
    send_pkt(&fx, false, SISN + 11, ACK, "x", 1);
    send_pkt(&fx, false, SISN + 12, ACK, "y", 1);
    assert_string_equal(fx.rec.data[1], "0123456789");
    assert_int_equal(fx_stats(&fx)->depth_reached, 2);
    fx_done(&fx);
    assert_string_equal(fx.rec.data[0], "aaaaaabbbb");
}

static void test_reassembly_injected_rst_does_not_stop_inspection(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    send_pkt(&fx, true, CISN + 1, ACK, "MAIL FROM:<a@b>\r\n", 17);
    send_pkt(&fx, false, SISN + 5000000, SK_TCP_RST, NULL, 0);
    send_pkt(&fx, true, CISN + 18, ACK, "RCPT TO:<c@d>\r\n", 15);
    assert_string_equal(fx.rec.data[0], "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
    fx_done(&fx);
}

static void test_reassembly_rst_after_depth_is_still_in_window(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 7;
    cfg.stream_depth = 4;
    struct fixture fx;
    fx_init(&fx, &cfg);
    handshake(&fx, CISN, SISN);
    uint32_t seq = CISN + 1;
    for (int i = 0; i < 100; i++, seq += 1000) {
        static const char kb[1000] = {'k'};
        send_pkt(&fx, true, seq, ACK, kb, sizeof(kb));
    }
    send_pkt(&fx, true, seq, SK_TCP_RST, NULL, 0);
    assert_int_equal(fx_stats(&fx)->rst_invalid, 0);
    assert_int_equal(fx.rec.len[0], 4);
    fx_done(&fx);
}

static void test_reassembly_hold_limit_gives_up_the_hole(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 7;
    cfg.max_queued_per_stream = 10;
    struct fixture fx;
    fx_init(&fx, &cfg);
    handshake(&fx, CISN, SISN);
    uint64_t base = fx_stats(&fx)->memuse;
    /* Segment 0..4 is lost; 5..9 and 10..14 fit under the limit, 15..19 does not. */
    send_pkt(&fx, true, CISN + 6, ACK, "BBBBB", 5);
    send_pkt(&fx, true, CISN + 11, ACK, "CCCCC", 5);
    assert_int_equal(fx.rec.len[0], 0);
    assert_int_equal(fx_stats(&fx)->out_of_order, 2);
    send_pkt(&fx, true, CISN + 16, ACK, "DDDDD", 5);
    assert_string_equal(fx.rec.data[0], "?????BBBBBCCCCCDDDDD");
    assert_string_equal(fx.rec.log, "O g0:5 d0:5 d0:5 d0:5");
    /* The late original is now a retransmission. */
    send_pkt(&fx, true, CISN + 1, ACK, "AAAAA", 5);
    assert_int_equal(fx_stats(&fx)->retransmissions, 1);
    send_pkt(&fx, true, CISN + 21, ACK, "E", 1);
    assert_string_equal(fx.rec.data[0], "?????BBBBBCCCCCDDDDDE");
    assert_int_equal(fx_stats(&fx)->memuse, base); /* no held bytes left */
    fx_done(&fx);
}

static void test_reassembly_memuse_returns_to_zero(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    uint64_t base = fx_stats(&fx)->memuse;
    assert_true(base > 0);
    send_pkt(&fx, true, CISN + 11, ACK, "later", 5);
    assert_int_equal(fx_stats(&fx)->memuse, base + 5 + 32);
    sk_flow_table_flush(fx.t);
    assert_int_equal(fx_stats(&fx)->memuse, 0);
    assert_true(fx_stats(&fx)->memuse_peak >= base + 5);
    assert_string_equal(fx.rec.data[0], "??????????later");
    fx_done(&fx);
}

static void test_reassembly_memcap_gives_up_the_hole(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    uint64_t one_flow = fx_stats(&fx)->memuse;
    fx_done(&fx);

    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 7;
    cfg.memcap = one_flow + 40; /* room for one held byte of 8 */
    fx_init(&fx, &cfg);
    handshake(&fx, CISN, SISN);
    send_pkt(&fx, true, CISN + 5, ACK, "x", 1);
    assert_int_equal(fx.rec.len[0], 0);
    send_pkt(&fx, true, CISN + 9, ACK, "yyyyyyyy", 8);
    assert_true(fx_stats(&fx)->memcap_hits >= 1);
    /* The hole was given up; the y segment was refused and is lost. */
    assert_string_equal(fx.rec.data[0], "????x");
    /* Later bytes after the lost ones are held and the loss becomes a gap at the end. */
    send_pkt(&fx, true, CISN + 17, ACK, "z", 1);
    fx_done(&fx);
    assert_string_equal(fx.rec.data[0], "????x???????????z");
}

static void test_reassembly_port_reuse_delivers_the_new_stream(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    send_pkt(&fx, true, CISN + 1, ACK, "QUIT\r\n", 6);
    /* The close was not captured; the client port is reused with a new ISN. */
    handshake(&fx, 3000000000u, 77);
    send_pkt(&fx, true, 3000000001u, ACK, "EHLO again\r\n", 12);
    assert_string_equal(fx.rec.data[0], "QUIT\r\nEHLO again\r\n");
    assert_string_equal(fx.rec.log, "O d0:6 C2 O d0:12");
    fx_done(&fx);
}

static void test_reassembly_consumer_stops_the_flow(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    uint64_t base = fx_stats(&fx)->memuse;
    send_pkt(&fx, true, CISN + 11, ACK, "held", 4);
    send_pkt(&fx, false, SISN + 21, ACK, "held", 4);
    send_pkt(&fx, false, SISN + 1, ACK, "x", 1);
    /* Makes the held client bytes contiguous, but the consumer stops on the first part. */
    send_pkt(&fx, true, CISN + 1, ACK, "012345STOP", 10);
    assert_string_equal(fx.rec.log, "O d1:1 d0:10");
    assert_int_equal(fx_stats(&fx)->memuse, base + 4 + SK_REASM_SEG_OVERHEAD);
    /* The next packet frees what the other side held; nothing more is delivered. */
    send_pkt(&fx, false, SISN + 2, ACK, "more", 4);
    assert_int_equal(fx_stats(&fx)->memuse, base);
    for (uint32_t i = 0; i < 2000; i++)
        send_pkt(&fx, true, CISN + 15 + 50 * i, ACK, perm_stream, 50);
    /* The flow is still tracked: an RST in the window still closes it. */
    send_pkt(&fx, true, CISN + 15 + 50 * 2000, SK_TCP_RST, NULL, 0);
    assert_int_equal(fx_stats(&fx)->rst_invalid, 0);
    fx_done(&fx);
    assert_string_equal(fx.rec.log, "O d1:1 d0:10 C4");
}

/* xorshift32: a fixed sequence, so a failure replays. */
static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void test_reassembly_random_overlapping_segments(void **state)
{
    (void)state;
    char msg[600];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (char)('a' + rnd(&x) % 26);
    for (int round = 0; round < 200; round++) {
        struct fixture fx;
        fx_init(&fx, NULL);
        uint32_t isn = rnd(&x);
        handshake(&fx, isn, SISN);
        /* Random slices (overlapping, duplicated, any order), then every byte once more
         * in order so nothing is missing. */
        for (int k = 0; k < 40; k++) {
            size_t off = rnd(&x) % sizeof(msg);
            size_t len = 1 + rnd(&x) % 80;
            if (off + len > sizeof(msg))
                len = sizeof(msg) - off;
            send_pkt(&fx, true, isn + 1 + (uint32_t)off, ACK, msg + off, len);
        }
        for (size_t off = 0; off < sizeof(msg); off += 100)
            send_pkt(&fx, true, isn + 1 + (uint32_t)off, ACK, msg + off, 100);
        assert_int_equal(fx.rec.len[0], sizeof(msg));
        assert_memory_equal(fx.rec.data[0], msg, sizeof(msg));
        assert_int_equal(fx_stats(&fx)->overlaps_diff, 0);
        fx_done(&fx);
        assert_int_equal(fx.rec.len[0], sizeof(msg));
    }
}

static void test_reassembly_segment_count_bound(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    handshake(&fx, CISN, SISN);
    /* One-byte segments every other byte: each is held, until there are too many. */
    static char want[2 * 1100 + 1];
    for (int i = 0; i < 1100; i++)
        send_pkt(&fx, true, CISN + 2 + 2 * (uint32_t)i, ACK, "x", 1);
    size_t n = fx.rec.len[0];
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++)
        want[i] = (i % 2) ? 'x' : '?';
    want[n] = '\0';
    assert_string_equal(fx.rec.data[0], want);
    /* Each segment over the bound gives up the oldest hole only. */
    assert_int_equal(fx.rec.len[0], 2 * (1100 - SK_REASM_MAX_SEGS));
    fx_done(&fx);
    assert_int_equal(fx.rec.len[0], 2 * 1100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reassembly_interleaved_in_arrival_order),
        cmocka_unit_test(test_reassembly_every_permutation),
        cmocka_unit_test(test_reassembly_retransmission_dropped),
        cmocka_unit_test(test_reassembly_overlap_first_seen_wins),
        cmocka_unit_test(test_reassembly_lost_segment_is_a_gap),
        cmocka_unit_test(test_reassembly_lost_tail_before_fin_is_a_gap),
        cmocka_unit_test(test_reassembly_midstream_pickup),
        cmocka_unit_test(test_reassembly_seq_wraparound),
        cmocka_unit_test(test_reassembly_stream_depth),
        cmocka_unit_test(test_reassembly_injected_rst_does_not_stop_inspection),
        cmocka_unit_test(test_reassembly_rst_after_depth_is_still_in_window),
        cmocka_unit_test(test_reassembly_hold_limit_gives_up_the_hole),
        cmocka_unit_test(test_reassembly_memuse_returns_to_zero),
        cmocka_unit_test(test_reassembly_memcap_gives_up_the_hole),
        cmocka_unit_test(test_reassembly_port_reuse_delivers_the_new_stream),
        cmocka_unit_test(test_reassembly_consumer_stops_the_flow),
        cmocka_unit_test(test_reassembly_random_overlapping_segments),
        cmocka_unit_test(test_reassembly_segment_count_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

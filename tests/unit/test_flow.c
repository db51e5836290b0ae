/* SPDX-License-Identifier: GPL-2.0-only */
/* The flow table: the symmetric seeded hash (IPv4 and IPv6), flow ids and uids that do
 * not depend on the seed, the TCP state machine, originator rules for mid-stream pickups,
 * idle timeouts driven by packet time, eviction under max_flows and the memory cap, and
 * a new SYN on a closed tuple. Packets are built directly; no decoder is involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/error.h"
#include "engine/flow/flow.h"

#define MAX_SEEN 64
#define SEC      1000000ULL

/* A flow as the consumer saw it, copied at open and completed at close. */
struct seen {
    uint64_t flow_id;
    char uid[24];
    uint16_t orig_p, resp_p;
    struct sk_addr orig_h;
    bool midstream;
    bool closed;
    enum sk_flow_end why;
    enum sk_tcp_state state_at_close;
    uint64_t close_ts;
    struct sk_flow *live; /* valid until closed */
};

struct rec {
    struct seen s[MAX_SEEN];
    int n;
    int closes;
};

static struct seen *find_live(struct rec *r, struct sk_flow *f)
{
    for (int i = 0; i < r->n; i++)
        if (r->s[i].live == f && !r->s[i].closed)
            return &r->s[i];
    fail_msg("flow not open");
    return NULL;
}

static void rec_open(void *ctx, struct sk_flow *f, uint64_t ts)
{
    struct rec *r = ctx;
    assert_true(r->n < MAX_SEEN);
    struct seen *s = &r->s[r->n++];
    memset(s, 0, sizeof(*s));
    s->flow_id = f->flow_id;
    memcpy(s->uid, f->uid, sizeof(s->uid));
    s->orig_p = f->orig_p;
    s->resp_p = f->resp_p;
    s->orig_h = f->orig_h;
    s->midstream = f->midstream;
    s->live = f;
    (void)ts;
}

static void rec_close(void *ctx, struct sk_flow *f, enum sk_flow_end why, uint64_t ts)
{
    struct rec *r = ctx;
    struct seen *s = find_live(r, f);
    s->closed = true;
    s->why = why;
    s->state_at_close = f->state;
    s->close_ts = ts;
    s->live = NULL;
    r->closes++;
}

struct fixture {
    struct rec rec;
    struct sk_flow_table *t;
};

static void fx_init(struct fixture *fx, struct sk_flow_config *cfg)
{
    memset(fx, 0, sizeof(*fx));
    struct sk_stream_consumer c = {.ctx = &fx->rec, .open = rec_open, .close = rec_close};
    assert_int_equal(sk_flow_table_new(&fx->t, cfg, &c), 0);
}

static struct sk_packet mk(int family, int client, bool c2s, uint8_t flags, uint32_t seq,
                           uint64_t ts)
{
    struct sk_packet p;
    memset(&p, 0, sizeof(p));
    struct sk_addr c = {.family = (uint8_t)family}, s = {.family = (uint8_t)family};
    if (family == 4) {
        uint8_t cb[4] = {10, 1, (uint8_t)(client >> 8), (uint8_t)client};
        uint8_t sb[4] = {10, 9, 9, 9};
        memcpy(c.bytes, cb, 4);
        memcpy(s.bytes, sb, 4);
    } else {
        uint8_t cb[16] = {
            0x20, 0x01, 0x0d, 0xb8, [14] = (uint8_t)(client >> 8), [15] = (uint8_t)client};
        uint8_t sb[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 1};
        memcpy(c.bytes, cb, 16);
        memcpy(s.bytes, sb, 16);
    }
    uint16_t cport = (uint16_t)(30000 + client), sport = 25;
    p.ts_us = ts;
    p.ip_proto = 6;
    p.src = c2s ? c : s;
    p.dst = c2s ? s : c;
    p.sport = c2s ? cport : sport;
    p.dport = c2s ? sport : cport;
    p.tcp_flags = flags;
    p.seq = seq;
    p.wirelen = 60;
    return p;
}

static void feed(struct fixture *fx, struct sk_packet p)
{
    assert_int_equal(sk_flow_table_packet(fx->t, &p), 0);
}

/* A full handshake of client number `client` at time ts. */
static void open_flow(struct fixture *fx, int family, int client, uint64_t ts)
{
    feed(fx, mk(family, client, true, SK_TCP_SYN, 100, ts));
    feed(fx, mk(family, client, false, SK_TCP_SYN | SK_TCP_ACK, 900, ts + 1));
    feed(fx, mk(family, client, true, SK_TCP_ACK, 101, ts + 2));
}

static void test_flow_hash_is_symmetric(void **state)
{
    (void)state;
    for (int fam = 4; fam <= 6; fam += 2) {
        for (int c = 0; c < 50; c++) {
            struct sk_packet a = mk(fam, c, true, SK_TCP_ACK, 1, 1);
            struct sk_packet b = mk(fam, c, false, SK_TCP_ACK, 1, 1);
            assert_int_equal(sk_flow_hash(&a, 1234), sk_flow_hash(&b, 1234));
            assert_int_equal(sk_flow_hash(&a, 99), sk_flow_hash(&b, 99));
            assert_int_not_equal(sk_flow_hash(&a, 1234), sk_flow_hash(&a, 99));
        }
        /* Same addresses, swapped ports only: a different flow. */
        struct sk_packet a = mk(fam, 1, true, SK_TCP_ACK, 1, 1);
        struct sk_packet b = a;
        b.sport = a.dport;
        b.dport = a.sport;
        assert_int_not_equal(sk_flow_hash(&a, 5), sk_flow_hash(&b, 5));
        /* VLAN is part of the key. */
        b = a;
        b.vlan[0] = 10;
        assert_int_not_equal(sk_flow_hash(&a, 5), sk_flow_hash(&b, 5));
    }
}

/* The flow hash is SipHash-1-3 keyed by splitmix64 of the seed, over family, protocol, the
 * VLAN ids and the lower endpoint first: a known answer (from a SipHash-1-3 whose outputs
 * agree with CPython's hash() of bytes), the same from either side. */
static void test_flow_hash_known_answer(void **state)
{
    (void)state;
    struct sk_packet a;
    memset(&a, 0, sizeof(a));
    a.src.family = a.dst.family = 4;
    memcpy(a.src.bytes, (const uint8_t[]){192, 168, 0, 2}, 4);
    memcpy(a.dst.bytes, (const uint8_t[]){10, 0, 0, 1}, 4);
    a.sport = 25;
    a.dport = 1025;
    a.ip_proto = 6;
    assert_true(sk_flow_hash(&a, 1234) == 0x83ca0398c2cef85bULL);
    struct sk_packet b = a;
    b.src = a.dst;
    b.dst = a.src;
    b.sport = a.dport;
    b.dport = a.sport;
    assert_true(sk_flow_hash(&b, 1234) == 0x83ca0398c2cef85bULL);
}

static void test_flow_seed_changes_buckets(void **state)
{
    (void)state;
    int same = 0;
    for (int c = 0; c < 256; c++) {
        struct sk_packet a = mk(4, c, true, SK_TCP_ACK, 1, 1);
        if ((sk_flow_hash(&a, 1) & 1023) == (sk_flow_hash(&a, 2) & 1023))
            same++;
    }
    assert_true(same < 8); /* about 256/1024 expected by chance */
}

/* The process's anonymous resident memory in KiB (/proc/self/status), -1 when unknown. */
static long rss_anon_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* The buckets' pages are written when the table is made: a page first read as the kernel's
 * zero page and written later costs a copy-on-write fault and, with workers on several
 * CPUs, a TLB flush on each. A memset() after malloc() that the compiler turned into a
 * calloc() of fresh pages left all 8 MiB of these unwritten (not resident). */
static void test_flow_buckets_written_when_made(void **state)
{
    (void)state;
    long before = rss_anon_kib();
    if (before < 0)
        skip();
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.max_flows = (size_t)1 << 20; /* 2^20 buckets of 8 bytes */
    struct sk_flow_table *t = NULL;
    assert_int_equal(sk_flow_table_new(&t, &cfg, NULL), 0);
    long after = rss_anon_kib();
    sk_flow_table_free(t);
    assert_true(after - before >= 7 * 1024);
}

static void collect_ids(uint64_t seed, int family, struct rec *out)
{
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = seed;
    struct fixture fx;
    fx_init(&fx, &cfg);
    for (int c = 0; c < 20; c++)
        open_flow(&fx, family, c, 1700000000ULL * SEC + (uint64_t)c * 1000);
    /* A mid-stream flow, first seen from the server. */
    feed(&fx, mk(family, 40, false, SK_TCP_ACK, 5, 1700000001ULL * SEC));
    sk_flow_table_free(fx.t);
    *out = fx.rec;
}

static void test_flow_ids_do_not_depend_on_the_seed(void **state)
{
    (void)state;
    static struct rec a, b, c;
    for (int fam = 4; fam <= 6; fam += 2) {
        collect_ids(1, fam, &a);
        collect_ids(0xdeadbeefcafeULL, fam, &b);
        collect_ids(0, fam, &c); /* a random seed */
        assert_int_equal(a.n, 21);
        assert_int_equal(b.n, 21);
        assert_int_equal(c.n, 21);
        for (int i = 0; i < a.n; i++) {
            assert_int_equal(a.s[i].flow_id, b.s[i].flow_id);
            assert_int_equal(a.s[i].flow_id, c.s[i].flow_id);
            assert_string_equal(a.s[i].uid, b.s[i].uid);
            assert_string_equal(a.s[i].uid, c.s[i].uid);
            assert_true(a.s[i].flow_id > 0);
            assert_true(a.s[i].flow_id < (1ULL << 53));
            assert_int_equal(strlen(a.s[i].uid), 18);
            assert_int_equal(a.s[i].uid[0], 'C');
            for (int k = 1; k < 18; k++) {
                char ch = a.s[i].uid[k];
                assert_true((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
                            (ch >= 'a' && ch <= 'z'));
            }
            for (int j = 0; j < i; j++) {
                assert_int_not_equal(a.s[i].flow_id, a.s[j].flow_id);
                assert_string_not_equal(a.s[i].uid, a.s[j].uid);
            }
        }
    }
}

static void test_flow_state_machine_fin(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 3;
    struct fixture fx;
    fx_init(&fx, &cfg);
    uint64_t t0 = 100 * SEC;
    feed(&fx, mk(4, 1, true, SK_TCP_SYN, 100, t0));
    struct sk_flow *f = fx.rec.s[0].live;
    assert_int_equal(f->state, SK_TCP_SYN_SENT);
    assert_false(f->midstream);
    assert_int_equal(f->orig_p, 30001);
    feed(&fx, mk(4, 1, false, SK_TCP_SYN | SK_TCP_ACK, 900, t0 + 1));
    assert_int_equal(f->state, SK_TCP_SYN_RECV);
    feed(&fx, mk(4, 1, true, SK_TCP_ACK, 101, t0 + 2));
    assert_int_equal(f->state, SK_TCP_ESTABLISHED);
    feed(&fx, mk(4, 1, true, SK_TCP_FIN | SK_TCP_ACK, 101, t0 + 3));
    assert_int_equal(f->state, SK_TCP_CLOSING);
    feed(&fx, mk(4, 1, false, SK_TCP_FIN | SK_TCP_ACK, 901, t0 + 4));
    assert_int_equal(f->state, SK_TCP_CLOSED);
    feed(&fx, mk(4, 1, true, SK_TCP_ACK, 102, t0 + 5));
    assert_int_equal(f->pkts_toserver, 4);
    assert_int_equal(f->pkts_toclient, 2);
    assert_int_equal(f->bytes_toserver, 240);
    /* Closed flows stay until timeout_closed (10 s) of idleness. */
    sk_flow_table_expire(fx.t, t0 + 5 + 10 * SEC - 1);
    assert_int_equal(fx.rec.closes, 0);
    sk_flow_table_expire(fx.t, t0 + 5 + 10 * SEC);
    assert_int_equal(fx.rec.closes, 1);
    assert_int_equal(fx.rec.s[0].why, SK_FLOW_END_FIN);
    assert_int_equal(sk_flow_table_stats(fx.t)->flows_timed_out, 0);
    assert_int_equal(sk_flow_table_stats(fx.t)->flows_active, 0);
    sk_flow_table_free(fx.t);
}

static void test_flow_state_machine_rst(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 3;
    struct fixture fx;
    fx_init(&fx, &cfg);
    open_flow(&fx, 6, 1, SEC);
    struct sk_flow *f = fx.rec.s[0].live;
    feed(&fx, mk(6, 1, false, SK_TCP_RST, 901, SEC + 10));
    assert_int_equal(f->state, SK_TCP_CLOSED);
    sk_flow_table_flush(fx.t);
    assert_int_equal(fx.rec.closes, 1);
    assert_int_equal(fx.rec.s[0].why, SK_FLOW_END_SHUTDOWN);
    assert_int_equal(fx.rec.s[0].state_at_close, SK_TCP_CLOSED);
    sk_flow_table_free(fx.t);

    fx_init(&fx, &cfg);
    open_flow(&fx, 6, 1, SEC);
    feed(&fx, mk(6, 1, true, SK_TCP_RST | SK_TCP_ACK, 101, SEC + 10));
    sk_flow_table_expire(fx.t, SEC + 10 + 10 * SEC);
    assert_int_equal(fx.rec.s[0].why, SK_FLOW_END_RST);
    sk_flow_table_free(fx.t);
}

static void test_flow_rst_outside_window_is_ignored(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 3;
    struct fixture fx;
    fx_init(&fx, &cfg);
    open_flow(&fx, 4, 1, SEC); /* client ISN 100, server ISN 900, no window scaling */
    struct sk_flow *f = fx.rec.s[0].live;
    /* Blind injections: far ahead, behind, and just past a 65535 window. */
    feed(&fx, mk(4, 1, false, SK_TCP_RST, 901 + 1000000, SEC + 10));
    feed(&fx, mk(4, 1, false, SK_TCP_RST, 901 - 5, SEC + 11));
    feed(&fx, mk(4, 1, true, SK_TCP_RST | SK_TCP_ACK, 101 + 65535, SEC + 12));
    assert_int_equal(f->state, SK_TCP_ESTABLISHED);
    assert_int_equal(sk_flow_table_stats(fx.t)->rst_invalid, 3);
    /* In the window (a hole of lost bytes before it is fine). */
    feed(&fx, mk(4, 1, true, SK_TCP_RST | SK_TCP_ACK, 101 + 3000, SEC + 13));
    assert_int_equal(f->state, SK_TCP_CLOSED);
    sk_flow_table_free(fx.t);
    assert_int_equal(fx.rec.s[0].state_at_close, SK_TCP_CLOSED);

    /* With window scaling on both SYNs, the receiver's scaled window counts. */
    fx_init(&fx, &cfg);
    struct sk_packet syn = mk(4, 1, true, SK_TCP_SYN, 100, SEC);
    syn.wscale = 7;
    feed(&fx, syn);
    struct sk_packet synack = mk(4, 1, false, SK_TCP_SYN | SK_TCP_ACK, 900, SEC + 1);
    synack.wscale = 7;
    synack.tcp_win = 1000; /* 128000 bytes */
    feed(&fx, synack);
    feed(&fx, mk(4, 1, true, SK_TCP_RST, 101 + 130000, SEC + 2));
    assert_int_equal(fx.rec.s[0].live->state, SK_TCP_SYN_RECV);
    feed(&fx, mk(4, 1, true, SK_TCP_RST, 101 + 120000, SEC + 3));
    assert_int_equal(fx.rec.s[0].live->state, SK_TCP_CLOSED);
    sk_flow_table_free(fx.t);

    /* The answer to a SYN is always taken. */
    fx_init(&fx, &cfg);
    feed(&fx, mk(4, 1, true, SK_TCP_SYN, 100, SEC));
    feed(&fx, mk(4, 1, false, SK_TCP_RST | SK_TCP_ACK, 0, SEC + 1));
    assert_int_equal(fx.rec.s[0].live->state, SK_TCP_CLOSED);
    sk_flow_table_free(fx.t);
}

static void test_flow_midstream_originator(void **state)
{
    (void)state;
    struct {
        uint16_t sport, dport; /* of the first packet seen */
        bool sender_is_orig;
    } cases[] = {
        {25, 40000, false},  {40000, 25, true},  {587, 1500, false},  {2525, 50000, false},
        {50000, 2525, true}, {465, 25, true},    {80, 40000, false},  {40000, 443, true},
        {5000, 6000, true},  {6000, 5000, true}, {2525, 1000, false}, {1000, 2525, true},
        {110, 143, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sk_flow_config cfg;
        sk_flow_config_defaults(&cfg);
        cfg.hash_seed = 11;
        struct fixture fx;
        fx_init(&fx, &cfg);
        struct sk_packet p = mk(4, 1, true, SK_TCP_ACK | SK_TCP_PSH, 5, SEC);
        p.sport = cases[i].sport;
        p.dport = cases[i].dport;
        feed(&fx, p);
        assert_true(fx.rec.s[0].midstream);
        uint16_t want = cases[i].sender_is_orig ? cases[i].sport : cases[i].dport;
        if (fx.rec.s[0].orig_p != want)
            fail_msg("case %zu: %u -> %u: orig_p %u", i, cases[i].sport, cases[i].dport,
                     fx.rec.s[0].orig_p);
        assert_int_equal(fx.rec.s[0].live->state, SK_TCP_ESTABLISHED);
        assert_int_equal(sk_flow_table_stats(fx.t)->midstream_pickups, 1);
        sk_flow_table_free(fx.t);
    }
    /* A SYN-ACK first: its receiver is the originator. */
    struct fixture fx;
    fx_init(&fx, NULL);
    feed(&fx, mk(4, 1, false, SK_TCP_SYN | SK_TCP_ACK, 900, SEC));
    assert_int_equal(fx.rec.s[0].orig_p, 30001);
    assert_true(fx.rec.s[0].midstream);
    assert_int_equal(fx.rec.s[0].live->state, SK_TCP_SYN_RECV);
    sk_flow_table_free(fx.t);
}

static void test_flow_idle_timeouts_by_state(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 5;
    cfg.timeout_new_us = 30 * SEC;
    cfg.timeout_est_us = 600 * SEC;
    struct fixture fx;
    fx_init(&fx, &cfg);
    uint64_t t0 = 1000 * SEC;
    feed(&fx, mk(4, 1, true, SK_TCP_SYN, 100, t0)); /* never answered */
    open_flow(&fx, 4, 2, t0);                       /* established */
    /* A packet of another flow 31 s later drives the clock: the new flow expires. */
    open_flow(&fx, 4, 3, t0 + 31 * SEC);
    assert_int_equal(fx.rec.closes, 1);
    assert_true(fx.rec.s[0].closed);
    assert_int_equal(fx.rec.s[0].why, SK_FLOW_END_TIMEOUT);
    /* It ends when its timeout ran out, not at the packet that showed it: the same time
     * however the flows are spread over workers. */
    assert_int_equal(fx.rec.s[0].close_ts, t0 + 30 * SEC);
    assert_false(fx.rec.s[1].closed);
    /* Established flows last 600 s of idleness. */
    sk_flow_table_expire(fx.t, t0 + 2 + 600 * SEC - 1);
    assert_int_equal(fx.rec.closes, 1);
    sk_flow_table_expire(fx.t, t0 + 2 + 600 * SEC);
    assert_int_equal(fx.rec.closes, 2);
    assert_true(fx.rec.s[1].closed);
    assert_false(fx.rec.s[2].closed);
    /* A clock going backwards changes nothing. */
    sk_flow_table_expire(fx.t, t0);
    assert_int_equal(fx.rec.closes, 2);
    const struct sk_flow_stats *st = sk_flow_table_stats(fx.t);
    assert_int_equal(st->flows_timed_out, 2);
    assert_int_equal(st->flows_active, 1);
    assert_int_equal(st->flows_tcp, 3);
    sk_flow_table_free(fx.t);
    assert_int_equal(fx.rec.s[2].why, SK_FLOW_END_SHUTDOWN);
}

static void test_flow_packet_after_idle_timeout_starts_midstream(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 5;
    struct fixture fx;
    fx_init(&fx, &cfg);
    open_flow(&fx, 4, 1, SEC);
    feed(&fx, mk(4, 1, true, SK_TCP_ACK, 101, SEC + 601 * SEC));
    assert_int_equal(fx.rec.n, 2);
    assert_int_equal(fx.rec.s[0].why, SK_FLOW_END_TIMEOUT);
    assert_true(fx.rec.s[1].midstream);
    assert_string_not_equal(fx.rec.s[0].uid, fx.rec.s[1].uid);
    sk_flow_table_free(fx.t);
}

static void test_flow_evicts_lru_at_max_flows(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 9;
    cfg.max_flows = 3;
    struct fixture fx;
    fx_init(&fx, &cfg);
    open_flow(&fx, 4, 1, 1 * SEC);
    open_flow(&fx, 4, 2, 2 * SEC);
    open_flow(&fx, 4, 3, 3 * SEC);
    feed(&fx, mk(4, 1, true, SK_TCP_ACK, 101, 4 * SEC)); /* flow 1 is recent again */
    open_flow(&fx, 4, 4, 5 * SEC);
    assert_int_equal(fx.rec.closes, 1);
    assert_true(fx.rec.s[1].closed); /* flow 2 was the least recently used */
    assert_int_equal(fx.rec.s[1].why, SK_FLOW_END_EVICTED);
    const struct sk_flow_stats *st = sk_flow_table_stats(fx.t);
    assert_int_equal(st->flows_evicted, 1);
    assert_int_equal(st->memcap_hits, 1);
    assert_int_equal(st->flows_active, 3);
    open_flow(&fx, 4, 5, 6 * SEC);
    assert_true(fx.rec.s[2].closed); /* then flow 3 */
    assert_false(fx.rec.s[0].closed);
    sk_flow_table_free(fx.t);
}

static void test_flow_evicts_lru_at_memcap(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 9;
    struct fixture fx;
    fx_init(&fx, &cfg);
    open_flow(&fx, 4, 1, SEC);
    uint64_t per_flow = sk_flow_table_stats(fx.t)->memuse;
    sk_flow_table_free(fx.t);
    assert_true(per_flow > 0);

    cfg.memcap = 2 * per_flow + per_flow / 2;
    fx_init(&fx, &cfg);
    open_flow(&fx, 6, 1, 1 * SEC);
    open_flow(&fx, 6, 2, 2 * SEC);
    assert_int_equal(fx.rec.closes, 0);
    open_flow(&fx, 6, 3, 3 * SEC);
    assert_int_equal(fx.rec.closes, 1);
    assert_int_equal(fx.rec.s[0].why, SK_FLOW_END_EVICTED);
    const struct sk_flow_stats *st = sk_flow_table_stats(fx.t);
    assert_int_equal(st->memcap_hits, 1);
    assert_true(st->memuse <= cfg.memcap);
    assert_int_equal(st->memuse_peak, 2 * per_flow);
    sk_flow_table_free(fx.t);
}

static void test_flow_budget_charges_and_refuses(void **state)
{
    (void)state;
    struct sk_mem_budget b = {.cap = 100};
    assert_true(sk_mem_charge(&b, 60));
    assert_false(sk_mem_charge(&b, 50)); /* 110 > 100: refused, nothing charged */
    assert_int_equal(b.used, 60);
    assert_int_equal(b.refused, 1);
    assert_true(sk_mem_charge(&b, 40));
    assert_int_equal(b.used, 100);
    assert_int_equal(b.peak, 100);
    assert_false(sk_mem_charge(&b, 1));
    assert_false(sk_mem_charge(&b, SIZE_MAX)); /* no wrap-around */
    sk_mem_uncharge(&b, 70);
    assert_int_equal(b.used, 30);
    sk_mem_uncharge(&b, 1000); /* never below zero */
    assert_int_equal(b.used, 0);
    assert_int_equal(b.refused, 3);
    assert_true(sk_mem_charge(NULL, SIZE_MAX)); /* no budget: unlimited */
}

/* A consumer that charges app state to the table's budget at open, as the worker does. */
struct charging {
    struct sk_mem_budget *budget;
    size_t per_flow;
    int opened, refused, evicted;
};

static void charging_open(void *ctx, struct sk_flow *f, uint64_t ts)
{
    struct charging *c = ctx;
    (void)ts;
    if (!sk_mem_charge(c->budget, c->per_flow)) {
        c->refused++;
        return;
    }
    f->app = c;
    c->opened++;
}

static void charging_close(void *ctx, struct sk_flow *f, enum sk_flow_end why, uint64_t ts)
{
    struct charging *c = ctx;
    (void)ts;
    if (why == SK_FLOW_END_EVICTED)
        c->evicted++;
    if (f->app)
        sk_mem_uncharge(c->budget, c->per_flow);
    f->app = NULL;
}

/* App state charged by the consumer counts in flow.memuse; the table evicts least recently
 * used flows before a packet to keep room, and what still does not fit is refused. */
static void test_flow_app_memory_evicts_then_refuses(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 5;
    cfg.memcap = 1 << 20; /* headroom: 128 KiB */
    struct charging c = {.per_flow = 100 << 10};
    struct sk_stream_consumer cons = {.ctx = &c, .open = charging_open, .close = charging_close};
    struct sk_flow_table *t;
    assert_int_equal(sk_flow_table_new(&t, &cfg, &cons), 0);
    c.budget = sk_flow_table_budget(t);
    assert_int_equal(c.budget->cap, cfg.memcap);

    struct sk_packet p = mk(4, 1, true, SK_TCP_SYN, 100, SEC);
    assert_int_equal(sk_flow_table_packet(t, &p), 0);
    const struct sk_flow_stats *st = sk_flow_table_stats(t);
    assert_true(st->memuse > c.per_flow); /* the node and the app state */
    for (int i = 2; i <= 30; i++) {
        p = mk(4, i, true, SK_TCP_SYN, 100, (uint64_t)i * SEC);
        assert_int_equal(sk_flow_table_packet(t, &p), 0);
        assert_true(st->memuse <= cfg.memcap);
    }
    assert_int_equal(c.opened, 30);
    assert_int_equal(c.refused, 0);
    assert_true(c.evicted >= 20); /* about 8 flows fit under 1 MiB less the headroom */
    assert_int_equal(st->flows_evicted, (uint64_t)c.evicted);
    assert_true(st->memcap_hits >= (uint64_t)c.evicted);
    assert_true(st->memuse_peak <= cfg.memcap);
    /* The oldest went first: the flow of client 30 is still there, its packet finds it. */
    p = mk(4, 30, false, SK_TCP_SYN | SK_TCP_ACK, 900, 31 * SEC);
    assert_int_equal(sk_flow_table_packet(t, &p), 0);
    assert_int_equal(c.opened, 30);

    /* App state larger than the cap: evicting cannot help, so it is refused. */
    c.per_flow = 2 << 20;
    uint64_t active = st->flows_active;
    p = mk(4, 40, true, SK_TCP_SYN, 100, 40 * SEC);
    assert_int_equal(sk_flow_table_packet(t, &p), 0);
    assert_int_equal(c.refused, 1);
    assert_int_equal(st->memcap_refused, 1);
    assert_int_equal(st->flows_active, active + 1); /* tracked still, without app state */
    c.per_flow = 100 << 10;
    sk_flow_table_flush(t);
    assert_int_equal(st->memuse, 0);
    sk_flow_table_free(t);
}

static void test_flow_new_syn_after_close_is_a_new_flow(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 21;
    struct fixture fx;
    fx_init(&fx, &cfg);
    open_flow(&fx, 4, 1, SEC);
    feed(&fx, mk(4, 1, true, SK_TCP_FIN | SK_TCP_ACK, 101, SEC + 10));
    feed(&fx, mk(4, 1, false, SK_TCP_FIN | SK_TCP_ACK, 901, SEC + 11));
    /* A SYN retransmitted or data on the closing flow does not start a new one... */
    feed(&fx, mk(4, 1, true, SK_TCP_ACK, 102, SEC + 12));
    assert_int_equal(fx.rec.n, 1);
    /* ...a new SYN on the closed tuple does, even within timeout_closed. */
    feed(&fx, mk(4, 1, true, SK_TCP_SYN, 7000, SEC + 20));
    assert_int_equal(fx.rec.n, 2);
    assert_int_equal(fx.rec.s[0].why, SK_FLOW_END_FIN);
    assert_false(fx.rec.s[1].midstream);
    assert_int_not_equal(fx.rec.s[0].flow_id, fx.rec.s[1].flow_id);
    assert_string_not_equal(fx.rec.s[0].uid, fx.rec.s[1].uid);
    assert_int_equal(fx.rec.s[1].live->state, SK_TCP_SYN_SENT);
    assert_int_equal(sk_flow_table_stats(fx.t)->flows_tcp, 2);
    sk_flow_table_free(fx.t);
}

static void test_flow_port_reuse_without_close_is_a_new_flow(void **state)
{
    (void)state;
    struct sk_flow_config cfg;
    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 21;
    struct fixture fx;
    fx_init(&fx, &cfg);
    /* A retransmitted SYN (same ISN) is the same flow. */
    feed(&fx, mk(4, 1, true, SK_TCP_SYN, 100, SEC));
    feed(&fx, mk(4, 1, true, SK_TCP_SYN, 100, 2 * SEC));
    assert_int_equal(fx.rec.n, 1);
    feed(&fx, mk(4, 1, false, SK_TCP_SYN | SK_TCP_ACK, 900, 2 * SEC + 1));
    feed(&fx, mk(4, 1, true, SK_TCP_ACK, 101, 2 * SEC + 2));
    assert_int_equal(fx.rec.s[0].live->state, SK_TCP_ESTABLISHED);
    /* No FIN or RST was seen; a SYN with another ISN is a new connection. */
    feed(&fx, mk(4, 1, true, SK_TCP_SYN, 555555, 3 * SEC));
    assert_int_equal(fx.rec.n, 2);
    assert_true(fx.rec.s[0].closed);
    assert_int_equal(fx.rec.s[0].why, SK_FLOW_END_TIMEOUT);
    assert_false(fx.rec.s[1].midstream);
    assert_string_not_equal(fx.rec.s[0].uid, fx.rec.s[1].uid);
    /* A SYN on a mid-stream flow (no ISN known) is a new connection too. */
    feed(&fx, mk(4, 2, true, SK_TCP_ACK, 5, 4 * SEC));
    feed(&fx, mk(4, 2, true, SK_TCP_SYN, 7, 5 * SEC));
    assert_int_equal(fx.rec.n, 4);
    assert_true(fx.rec.s[2].midstream);
    assert_false(fx.rec.s[3].midstream);
    sk_flow_table_free(fx.t);
}

/* Checks the consumer contract on arbitrary traffic: data and gaps only between open and
 * close, and every open flow closed once. */
struct stress {
    int opens, closes, open_now;
    uint64_t bytes, gap_bytes;
};

static char stress_marker;

static void stress_open(void *ctx, struct sk_flow *f, uint64_t ts)
{
    struct stress *st = ctx;
    assert_null(f->app);
    f->app = &stress_marker;
    st->opens++;
    st->open_now++;
    (void)ts;
}

static void stress_data(void *ctx, struct sk_flow *f, bool is_orig, const uint8_t *buf, size_t len,
                        uint64_t ts)
{
    struct stress *st = ctx;
    assert_ptr_equal(f->app, &stress_marker);
    assert_true(len > 0);
    /* Servers (port 25) send 'r', clients 'o', whichever side is the originator. */
    uint16_t sender_port = is_orig ? f->orig_p : f->resp_p;
    for (size_t i = 0; i < len; i++)
        assert_int_equal(buf[i], sender_port == 25 ? 'r' : 'o');
    st->bytes += len;
    (void)ts;
}

static void stress_gap(void *ctx, struct sk_flow *f, bool is_orig, uint64_t len, uint64_t ts)
{
    struct stress *st = ctx;
    assert_ptr_equal(f->app, &stress_marker);
    assert_true(len > 0);
    st->gap_bytes += len;
    (void)is_orig;
    (void)ts;
}

static void stress_close(void *ctx, struct sk_flow *f, enum sk_flow_end why, uint64_t ts)
{
    struct stress *st = ctx;
    assert_ptr_equal(f->app, &stress_marker);
    f->app = NULL;
    st->closes++;
    st->open_now--;
    (void)why;
    (void)ts;
}

static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void test_flow_random_traffic_keeps_the_contract(void **state)
{
    (void)state;
    static const uint8_t flag_sets[] = {
        SK_TCP_SYN,
        SK_TCP_SYN | SK_TCP_ACK,
        SK_TCP_ACK,
        SK_TCP_ACK | SK_TCP_PSH,
        SK_TCP_ACK,
        SK_TCP_ACK | SK_TCP_PSH,
        SK_TCP_FIN | SK_TCP_ACK,
        SK_TCP_RST,
    };
    static uint8_t orig_bytes[1500], resp_bytes[1500];
    memset(orig_bytes, 'o', sizeof(orig_bytes));
    memset(resp_bytes, 'r', sizeof(resp_bytes));
    for (int round = 0; round < 4; round++) {
        struct sk_flow_config cfg;
        sk_flow_config_defaults(&cfg);
        cfg.hash_seed = (uint64_t)round + 1;
        cfg.max_flows = 16;
        cfg.memcap = 8192; /* small enough that held segments are refused too */
        cfg.max_queued_per_stream = (size_t)round * 700;
        cfg.stream_depth = round == 2 ? 3000 : 0;
        cfg.timeout_new_us = 2 * SEC;
        cfg.timeout_est_us = 5 * SEC;
        cfg.timeout_closed_us = 1 * SEC;
        struct stress st = {0};
        struct sk_stream_consumer c = {.ctx = &st,
                                       .open = stress_open,
                                       .data = stress_data,
                                       .gap = stress_gap,
                                       .close = stress_close};
        struct sk_flow_table *t;
        assert_int_equal(sk_flow_table_new(&t, &cfg, &c), 0);
        uint32_t x = 0x9e3779b9u + (uint32_t)round;
        uint64_t ts = SEC;
        uint32_t base[24][2];
        for (int i = 0; i < 24; i++) {
            base[i][0] = rnd(&x);
            base[i][1] = rnd(&x);
        }
        for (int i = 0; i < 20000; i++) {
            int client = (int)(rnd(&x) % 24);
            bool c2s = rnd(&x) & 1;
            uint8_t flags = flag_sets[rnd(&x) % sizeof(flag_sets)];
            ts += rnd(&x) % (SEC / 4);
            uint32_t seq = base[client][c2s ? 0 : 1] + rnd(&x) % 6000 - 1000;
            struct sk_packet p = mk(client % 2 ? 4 : 6, client, c2s, flags, seq, ts);
            size_t len = (flags & SK_TCP_RST) ? 0 : rnd(&x) % 1400;
            p.payload = c2s ? orig_bytes : resp_bytes;
            p.payload_len = len;
            assert_int_equal(sk_flow_table_packet(t, &p), 0);
            assert_true(sk_flow_table_stats(t)->memuse <= cfg.memcap);
            assert_true(sk_flow_table_stats(t)->flows_active <= cfg.max_flows);
        }
        sk_flow_table_flush(t);
        const struct sk_flow_stats *fs = sk_flow_table_stats(t);
        assert_int_equal(fs->memuse, 0);
        assert_int_equal(fs->flows_active, 0);
        assert_int_equal(st.opens, st.closes);
        assert_int_equal(st.open_now, 0);
        assert_int_equal((uint64_t)st.opens, fs->flows_tcp);
        assert_int_equal(st.gap_bytes, fs->reassembly_gap_bytes);
        assert_true(st.bytes > 0);
        assert_true(fs->flows_evicted > 0 && fs->flows_timed_out > 0);
        assert_true(fs->reassembly_gaps > 0 && fs->overlaps > 0 && fs->retransmissions > 0);
        sk_flow_table_free(t);
    }
}

static void test_flow_ignores_non_tcp(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, NULL);
    struct sk_packet p = mk(4, 1, true, 0, 0, SEC);
    p.ip_proto = 17;
    feed(&fx, p);
    assert_int_equal(fx.rec.n, 0);
    assert_int_equal(sk_flow_table_stats(fx.t)->flows_tcp, 0);
    sk_flow_table_free(fx.t);
    sk_flow_table_free(NULL);
}

/* Every printed counter name is unique and has an entry in docs/reassembly.md. */
static void test_flow_counters_are_documented(void **state)
{
    (void)state;
    static const char *const names[] = {
#define NAME(n, field) n,
        SK_FLOW_COUNTERS(NAME)
#undef NAME
    };
    const char *srcdir = getenv("srcdir");
    char path[1024];
    snprintf(path, sizeof(path), "%s/docs/reassembly.md", srcdir ? srcdir : "..");
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char doc[65536];
    size_t n = fread(doc, 1, sizeof(doc) - 1, fp);
    doc[n] = '\0';
    fclose(fp);
    size_t count = sizeof(names) / sizeof(names[0]);
    assert_int_equal(count, 17);
    for (size_t i = 0; i < count; i++) {
        char cell[128];
        snprintf(cell, sizeof(cell), "| `%s` |", names[i]);
        if (!strstr(doc, cell))
            fail_msg("counter '%s' is not in docs/reassembly.md", names[i]);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(names[i], names[j]);
    }
    /* The X-macro reaches every field it names. */
    struct sk_flow_stats st;
    memset(&st, 0, sizeof(st));
    uint64_t sum = 0;
#define ADD(n, field) sum += ++st.field;
    SK_FLOW_COUNTERS(ADD)
#undef ADD
    assert_int_equal(sum, count);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_hash_is_symmetric),
        cmocka_unit_test(test_flow_hash_known_answer),
        cmocka_unit_test(test_flow_seed_changes_buckets),
        cmocka_unit_test(test_flow_buckets_written_when_made),
        cmocka_unit_test(test_flow_ids_do_not_depend_on_the_seed),
        cmocka_unit_test(test_flow_state_machine_fin),
        cmocka_unit_test(test_flow_state_machine_rst),
        cmocka_unit_test(test_flow_rst_outside_window_is_ignored),
        cmocka_unit_test(test_flow_midstream_originator),
        cmocka_unit_test(test_flow_idle_timeouts_by_state),
        cmocka_unit_test(test_flow_packet_after_idle_timeout_starts_midstream),
        cmocka_unit_test(test_flow_evicts_lru_at_max_flows),
        cmocka_unit_test(test_flow_evicts_lru_at_memcap),
        cmocka_unit_test(test_flow_budget_charges_and_refuses),
        cmocka_unit_test(test_flow_app_memory_evicts_then_refuses),
        cmocka_unit_test(test_flow_new_syn_after_close_is_a_new_flow),
        cmocka_unit_test(test_flow_port_reuse_without_close_is_a_new_flow),
        cmocka_unit_test(test_flow_random_traffic_keeps_the_contract),
        cmocka_unit_test(test_flow_ignores_non_tcp),
        cmocka_unit_test(test_flow_counters_are_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

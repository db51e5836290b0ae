/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target for the flow table and TCP reassembly: the input is a sequence of TCP
 * segments between one server and up to four client ports. Its first byte picks the limits
 * (a small memory cap, a small out-of-order budget, a stream depth); then each segment is
 * a record: which flow and direction, the TCP flags, a time step, sequence and
 * acknowledgement numbers, the window, the payload length and the payload. Gaps, overlaps,
 * retransmissions, resets and timeouts all come from the input. The consumer checks the
 * stream seam's promises: data and gaps only between open and close, each flow closed
 * once, and every flow closed when the table is freed. Seeds are the captures' TCP
 * segments, written in this form by fuzz_seeds. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "engine/flow/flow.h"
#include "tests/fuzz/fuzz_common.h"

#define FLOWS 4

struct check {
    size_t open, closed;
    uint64_t delivered[2];
    uint64_t sum;
    bool stop_on_tls; /* act like the SMTP consumer after STARTTLS */
    size_t depth;     /* the stream depth set, 0 for none */
};

/* What the consumer keeps per flow (f->app). */
struct app {
    bool closed;
    uint64_t bytes[2];
};

static void on_open(void *ctx, struct sk_flow *f, uint64_t ts_us)
{
    struct check *c = ctx;
    if (f->app)
        abort();
    if (!(f->app = calloc(1, sizeof(struct app))))
        abort();
    c->open++;
}

static void on_data(void *ctx, struct sk_flow *f, bool is_orig, const uint8_t *buf, size_t len,
                    uint64_t ts_us)
{
    struct check *c = ctx;
    struct app *a = f->app;
    if (!a || a->closed || len == 0 || f->no_reassembly)
        abort();
    for (size_t i = 0; i < len; i++)
        c->sum += buf[i];
    a->bytes[is_orig ? 0 : 1] += len;
    if (c->depth && a->bytes[is_orig ? 0 : 1] > c->depth)
        abort(); /* delivered past the stream depth */
    if (c->stop_on_tls && buf[0] == 0x16)
        f->no_reassembly = true;
}

static void on_gap(void *ctx, struct sk_flow *f, bool is_orig, uint64_t len, uint64_t ts_us)
{
    struct app *a = f->app;
    if (!a || a->closed || len == 0 || f->no_reassembly)
        abort();
}

static void on_close(void *ctx, struct sk_flow *f, enum sk_flow_end why, uint64_t ts_us)
{
    struct check *c = ctx;
    struct app *a = f->app;
    if (!a || a->closed)
        abort();
    c->delivered[0] += a->bytes[0];
    c->delivered[1] += a->bytes[1];
    c->closed++;
    free(a);
    f->app = NULL;
}

static void fill_addr(struct sk_addr *a, uint8_t last)
{
    memset(a, 0, sizeof(*a));
    a->family = 4;
    a->bytes[0] = 10;
    a->bytes[3] = last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_in in = {data, size};
    struct check c = {0};
    struct sk_stream_consumer cons = {
        .ctx = &c, .open = on_open, .data = on_data, .gap = on_gap, .close = on_close};
    struct sk_flow_config cfg;
    struct sk_flow_table *t = NULL;
    uint8_t limits = sk_fuzz_u8(&in);

    sk_flow_config_defaults(&cfg);
    cfg.hash_seed = 1;
    cfg.max_flows = limits & 0x01 ? 2 : 16;
    cfg.memcap = limits & 0x02 ? 4096 : 1u << 20;
    cfg.max_queued_per_stream = limits & 0x04 ? 1500 : 64 * 1024;
    cfg.stream_depth = limits & 0x08 ? 2000 : 0;
    c.stop_on_tls = (limits & 0x10) != 0;
    c.depth = cfg.stream_depth;
    if (sk_flow_table_new(&t, &cfg, &cons) < 0)
        abort();
    uint64_t ts = 1000000000ull * 1000000ull;
    while (in.n > 0) {
        uint8_t ctl = sk_fuzz_u8(&in);
        uint8_t flags = sk_fuzz_u8(&in);
        uint8_t step = sk_fuzz_u8(&in);
        struct sk_packet p = {0};
        bool to_server = (ctl & 1) == 0;
        uint16_t client_port = (uint16_t)(40000 + ((ctl >> 1) & (FLOWS - 1)));
        ts += step & 0x80 ? (uint64_t)(step & 0x7f) * 60000000ull : (uint64_t)step * 10000ull;
        p.ts_us = ts;
        p.ip_proto = IPPROTO_TCP;
        fill_addr(to_server ? &p.src : &p.dst, 1);
        fill_addr(to_server ? &p.dst : &p.src, 2);
        p.sport = to_server ? client_port : 25;
        p.dport = to_server ? 25 : client_port;
        p.tcp_flags = flags & 0x3f;
        p.seq = sk_fuzz_u32(&in);
        p.ack = sk_fuzz_u32(&in);
        p.tcp_win = sk_fuzz_u16(&in);
        p.wscale = ctl & 0x08 ? (uint8_t)(ctl >> 4) : 0xff;
        p.has_sack_perm = (flags & 0x40) != 0;
        p.payload_len = sk_fuzz_take(&in, sk_fuzz_u16(&in), &p.payload);
        p.wirelen = (uint32_t)(p.payload_len + 54);
        if (sk_flow_table_packet(t, &p) < 0)
            abort();
        const struct sk_flow_stats *st = sk_flow_table_stats(t);
        if (st->memuse > st->memuse_peak || st->flows_active > cfg.max_flows)
            abort();
    }
    sk_flow_table_free(t);
    if (c.open != c.closed)
        abort();                    /* a flow was never closed */
    volatile uint64_t keep = c.sum; /* the reads of delivered bytes are not optimised away */
    (void)keep;
    return 0;
}

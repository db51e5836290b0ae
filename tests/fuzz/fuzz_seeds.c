/* SPDX-License-Identifier: GPL-2.0-only */
/* Writes seed corpora for the script-driven fuzz targets from captures, using the engine's
 * own reader, decoder and reassembly: each TCP session becomes a script for fuzz_smtp
 * (client and server bytes as reassembled, gaps, the end), and each capture's first flows
 * become a segment list for fuzz_tcp. Run at build time by `make fuzz-seeds`:
 *   fuzz_seeds SMTP_DIR TCP_DIR CAPTURE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/flow/flow.h"
#include "engine/capture/source.h"

#define SEED_MAX  (64 * 1024) /* libFuzzer's -max_len for these targets */
#define TCP_FLOWS 4

struct buf {
    uint8_t *p;
    size_t len, cap;
    size_t mark; /* length at the last whole record */
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            perror("fuzz_seeds");
            exit(1);
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void put16(struct buf *b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v);
}

static void put32(struct buf *b, uint32_t v)
{
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}

/* Ends a record: the seed keeps whole records only, up to SEED_MAX bytes. */
static void record_end(struct buf *b)
{
    if (b->len <= SEED_MAX)
        b->mark = b->len;
}

static void write_seed(const struct buf *b, const char *dir, const char *base, uint64_t n,
                       const char *ext)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s-%llu.%s", dir, base, (unsigned long long)n, ext);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->mark, f) != b->mark || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* ---- fuzz_smtp scripts, one per session ---- */

struct sessions {
    const char *dir, *base;
    uint64_t n;
};

static void s_open(void *ctx, struct sk_flow *f, uint64_t ts_us)
{
    struct buf *b = calloc(1, sizeof(*b));
    if (!b)
        exit(1);
    put8(b, (f->midstream ? 0 : 0x01) | 0x08); /* the handshake seen; MIME on */
    record_end(b);
    f->app = b;
}

static void s_data(void *ctx, struct sk_flow *f, bool is_orig, const uint8_t *p, size_t len,
                   uint64_t ts_us)
{
    struct buf *b = f->app;
    while (len > 0) {
        size_t n = len > 0xffff ? 0xffff : len;
        put8(b, is_orig ? 0 : 1);
        put16(b, (unsigned)n);
        put(b, p, n);
        record_end(b);
        p += n;
        len -= n;
    }
}

static void s_gap(void *ctx, struct sk_flow *f, bool is_orig, uint64_t len, uint64_t ts_us)
{
    struct buf *b = f->app;
    put8(b, is_orig ? 2 : 6);
    put16(b, len > 0x10000 ? 0xffff : (unsigned)(len - 1));
    record_end(b);
}

static void s_close(void *ctx, struct sk_flow *f, enum sk_flow_end why, uint64_t ts_us)
{
    struct sessions *s = ctx;
    struct buf *b = f->app;
    put8(b, 3);
    record_end(b);
    if (b->mark > 1)
        write_seed(b, s->dir, s->base, ++s->n, "smtp");
    free(b->p);
    free(b);
    f->app = NULL;
}

/* ---- fuzz_tcp segment lists, one per capture ---- */

struct segments {
    struct buf b;
    uint16_t client_port[TCP_FLOWS];
    size_t n_flows;
    uint64_t last_us;
};

static void add_segment(struct segments *s, const struct sk_packet *p)
{
    bool to_server = p->sport > p->dport; /* clients use the higher, ephemeral port */
    uint16_t client = to_server ? p->sport : p->dport;
    size_t i = 0;
    while (i < s->n_flows && s->client_port[i] != client)
        i++;
    if (i == s->n_flows) {
        if (s->n_flows == TCP_FLOWS)
            return;
        s->client_port[s->n_flows++] = client;
    }
    uint64_t dt = s->last_us && p->ts_us > s->last_us ? p->ts_us - s->last_us : 0;
    unsigned step = dt < 1280000 ? (unsigned)(dt / 10000)
                                 : 0x80 | (dt / 60000000 > 127 ? 127 : (unsigned)(dt / 60000000));
    s->last_us = p->ts_us;
    unsigned ctl = (to_server ? 0 : 1) | (unsigned)i << 1;
    if (p->wscale != 0xff)
        ctl |= 0x08 | (p->wscale & 0x0f) << 4;
    size_t len = p->payload_len > 0xffff ? 0xffff : p->payload_len;
    put8(&s->b, ctl);
    put8(&s->b, p->tcp_flags | (p->has_sack_perm ? 0x40 : 0));
    put8(&s->b, step);
    put32(&s->b, p->seq);
    put32(&s->b, p->ack);
    put16(&s->b, p->tcp_win);
    put16(&s->b, (unsigned)len);
    put(&s->b, p->payload, len);
    record_end(&s->b);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: fuzz_seeds SMTP_DIR TCP_DIR CAPTURE...\n");
        return 2;
    }
    for (int a = 3; a < argc; a++) {
        const char *base = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        struct sessions ss = {argv[1], base, 0};
        struct sk_stream_consumer cons = {
            .ctx = &ss, .open = s_open, .data = s_data, .gap = s_gap, .close = s_close};
        struct segments segs = {0};
        struct sk_source *src = NULL;
        struct sk_decoder *dec = NULL;
        struct sk_flow_table *t = NULL;
        struct sk_raw_packet raw;
        struct sk_packet pkt;
        char err[512];
        int r;
        put8(&segs.b, 0);
        record_end(&segs.b);
        if (sk_source_open_offline(&src, argv[a], NULL, err, sizeof(err)) < 0 ||
            sk_decoder_new(&dec, NULL) < 0 || sk_flow_table_new(&t, NULL, &cons) < 0) {
            fprintf(stderr, "fuzz_seeds: %s: %s\n", argv[a], err);
            return 1;
        }
        while ((r = sk_source_next(src, &raw)) != 0) {
            if (r < 0 || sk_decoder_decode(dec, &raw, &pkt) != 1 || pkt.ip_proto != 6)
                continue;
            add_segment(&segs, &pkt);
            sk_flow_table_packet(t, &pkt);
        }
        sk_flow_table_free(t);
        write_seed(&segs.b, argv[2], base, 0, "tcp");
        free(segs.b.p);
        sk_decoder_free(dec);
        sk_source_free(src);
    }
    return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* TCP reassembly of one direction: serial-number arithmetic on sequence numbers, a sorted
 * list of held out-of-order segments that never overlap each other, first-seen-wins on
 * overlaps, and gap notices when a hole is given up (hold limit, memory cap, end of flow).
 * Bytes are handed over on the packet that makes them contiguous, never waiting for ACKs. */
#include "engine/flow/reassembly.h"

#include <stdlib.h>
#include <string.h>

struct sk_reasm_seg {
    struct sk_reasm_seg *prev, *next;
    uint32_t seq;
    uint32_t len;
    uint8_t data[];
};

/* RFC 1982 serial-number comparison: correct across the 2^32 wrap for windows < 2^31. */
static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static bool seq_leq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}

static void seg_unlink(struct sk_reasm *r, struct sk_reasm_seg *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        r->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        r->tail = s->prev;
    r->queued -= s->len;
    r->nsegs--;
}

static void seg_free(struct sk_reasm_seg *s, struct sk_mem_budget *b)
{
    sk_mem_uncharge(b, s->len + SK_REASM_SEG_OVERHEAD);
    free(s);
}

void sk_reasm_init(struct sk_reasm *r)
{
    memset(r, 0, sizeof(*r));
}

void sk_reasm_release(struct sk_reasm *r, struct sk_mem_budget *b)
{
    struct sk_reasm_seg *s = r->head;
    while (s) {
        struct sk_reasm_seg *next = s->next;
        seg_free(s, b);
        s = next;
    }
    r->head = r->tail = NULL;
    r->queued = 0;
    r->nsegs = 0;
}

void sk_reasm_syn(struct sk_reasm *r, uint32_t seq)
{
    if (r->started)
        return;
    r->started = true;
    r->next_seq = seq + 1;
}

void sk_reasm_stop(struct sk_reasm *r, struct sk_mem_budget *b)
{
    r->depth_reached = true;
    sk_reasm_release(r, b);
}

static void depth_hit(struct sk_reasm *r, const struct sk_reasm_ctx *ctx)
{
    r->depth_reached = true;
    ctx->stats->depth_reached++;
    sk_reasm_release(r, ctx->budget);
}

/* Hands len bytes at next_seq to the consumer, clipped at stream_depth; the depth counts
 * as reached when a byte beyond it comes. The caller advances next_seq; the stream
 * offset counts every byte, delivered or lost. */
static void deliver(struct sk_reasm *r, const struct sk_reasm_ctx *ctx, struct sk_flow *f,
                    bool is_orig, const uint8_t *buf, size_t len, uint64_t ts_us)
{
    if (f->no_reassembly && !r->depth_reached)
        sk_reasm_stop(r, ctx->budget);
    if (r->depth_reached || len == 0)
        return;
    size_t n = len;
    bool hit = false;
    if (ctx->stream_depth && r->offset + len > ctx->stream_depth) {
        n = (size_t)(ctx->stream_depth - r->offset);
        hit = true;
    }
    if (n && ctx->consumer->data)
        ctx->consumer->data(ctx->consumer->ctx, f, is_orig, buf, n, ts_us);
    r->offset += len;
    if (hit)
        depth_hit(r, ctx);
}

static void report_gap(struct sk_reasm *r, const struct sk_reasm_ctx *ctx, struct sk_flow *f,
                       bool is_orig, uint64_t len, uint64_t ts_us)
{
    if (f->no_reassembly && !r->depth_reached)
        sk_reasm_stop(r, ctx->budget);
    if (r->depth_reached || len == 0)
        return;
    uint64_t n = len;
    bool hit = false;
    if (ctx->stream_depth && r->offset + len > ctx->stream_depth) {
        n = ctx->stream_depth - r->offset;
        hit = true;
    }
    if (n) {
        ctx->stats->reassembly_gaps++;
        ctx->stats->reassembly_gap_bytes += n;
        f->gaps++;
        if (ctx->consumer->gap)
            ctx->consumer->gap(ctx->consumer->ctx, f, is_orig, n, ts_us);
    }
    r->offset += len;
    if (hit)
        depth_hit(r, ctx);
}

/* Delivers held segments while the first one starts at next_seq. */
static void deliver_held(struct sk_reasm *r, const struct sk_reasm_ctx *ctx, struct sk_flow *f,
                         bool is_orig, uint64_t ts_us)
{
    while (r->head && !r->depth_reached && r->head->seq == r->next_seq) {
        struct sk_reasm_seg *s = r->head;
        seg_unlink(r, s);
        deliver(r, ctx, f, is_orig, s->data, s->len, ts_us);
        r->next_seq += s->len;
        seg_free(s, ctx->budget);
    }
}

/* Gives up the hole before the first held segment: a gap, then what follows it. */
static void skip_hole(struct sk_reasm *r, const struct sk_reasm_ctx *ctx, struct sk_flow *f,
                      bool is_orig, uint64_t ts_us)
{
    if (!r->head)
        return;
    uint32_t hole = r->head->seq - r->next_seq;
    report_gap(r, ctx, f, is_orig, hole, ts_us);
    r->next_seq = r->head ? r->head->seq : r->next_seq + hole;
    deliver_held(r, ctx, f, is_orig, ts_us);
}

/* Inserts [seq, seq + len) before `before` (NULL = at the tail). False when memory is
 * refused; the bytes are then lost and later reported as a gap. */
static bool seg_insert(struct sk_reasm *r, const struct sk_reasm_ctx *ctx,
                       struct sk_reasm_seg *before, uint32_t seq, const uint8_t *buf, size_t len)
{
    if (!sk_mem_charge(ctx->budget, len + SK_REASM_SEG_OVERHEAD)) {
        ctx->stats->memcap_hits++;
        return false;
    }
    struct sk_reasm_seg *s = malloc(sizeof(*s) + len);
    if (!s) {
        sk_mem_uncharge(ctx->budget, len + SK_REASM_SEG_OVERHEAD);
        ctx->stats->memcap_hits++;
        return false;
    }
    s->seq = seq;
    s->len = (uint32_t)len;
    memcpy(s->data, buf, len);
    s->next = before;
    s->prev = before ? before->prev : r->tail;
    if (s->prev)
        s->prev->next = s;
    else
        r->head = s;
    if (before)
        before->prev = s;
    else
        r->tail = s;
    r->queued += len;
    r->nsegs++;
    return true;
}

/* Holds the bytes of [seq, seq + len) that no held segment covers yet; bytes already
 * held win (first seen). Reports whether the segment overlapped held bytes and whether
 * the overlapping bytes differed. seq is at or after next_seq. */
static void hold(struct sk_reasm *r, const struct sk_reasm_ctx *ctx, uint32_t seq,
                 const uint8_t *buf, size_t len, bool *overlap, bool *differ, bool *refused)
{
    uint32_t end = seq + (uint32_t)len;
    uint32_t cur = seq;
    struct sk_reasm_seg *h;

    /* Segments mostly arrive in increasing order: try the tail first. */
    if (!r->tail || seq_leq(r->tail->seq + r->tail->len, seq)) {
        h = NULL;
    } else {
        h = r->head;
        while (h && seq_leq(h->seq + h->len, cur))
            h = h->next;
    }
    while (seq_lt(cur, end)) {
        if (!h || seq_lt(cur, h->seq)) {
            uint32_t piece_end = (!h || seq_lt(end, h->seq)) ? end : h->seq;
            if (!seg_insert(r, ctx, h, cur, buf + (cur - seq), piece_end - cur))
                *refused = true;
            cur = piece_end;
            continue;
        }
        uint32_t h_end = h->seq + h->len;
        uint32_t ov_end = seq_lt(end, h_end) ? end : h_end;
        *overlap = true;
        if (memcmp(buf + (cur - seq), h->data + (cur - h->seq), ov_end - cur) != 0)
            *differ = true;
        cur = ov_end;
        h = h->next;
    }
}

static bool over_limits(const struct sk_reasm *r, const struct sk_reasm_ctx *ctx)
{
    return r->queued > ctx->max_queued || r->nsegs > SK_REASM_MAX_SEGS;
}

void sk_reasm_segment(struct sk_reasm *r, const struct sk_reasm_ctx *ctx, struct sk_flow *f,
                      bool is_orig, uint32_t seq, bool syn, bool fin, const uint8_t *payload,
                      size_t len, uint64_t ts_us)
{
    if (syn) {
        sk_reasm_syn(r, seq);
        seq += 1;
    }
    if (!r->started) {
        r->started = true;
        r->next_seq = seq;
    }
    if (fin && !r->fin_seen) {
        r->fin_seen = true;
        r->fin_seq = seq + (uint32_t)len;
    }
    if (r->depth_reached && len > 0 && seq_leq(seq, r->next_seq) &&
        seq_lt(r->next_seq, seq + (uint32_t)len))
        r->next_seq = seq + (uint32_t)len; /* keep following the sender for RST checks */
    if (r->done || r->depth_reached || len == 0)
        goto check_fin;
    if (len > UINT32_MAX / 2)
        goto check_fin; /* no real segment is this long; keeps the arithmetic in range */

    /* Bytes at or after a seen FIN are not part of the stream. */
    if (r->fin_seen && seq_lt(r->fin_seq, seq + (uint32_t)len)) {
        if (!seq_lt(seq, r->fin_seq))
            goto check_fin;
        len = r->fin_seq - seq;
    }
    uint32_t end = seq + (uint32_t)len;
    if (seq_leq(end, r->next_seq)) {
        ctx->stats->retransmissions++;
        goto check_fin;
    }
    bool overlap = false, differ = false;
    if (seq_lt(seq, r->next_seq)) {
        /* Already delivered bytes win; they are not kept, so they cannot be compared. */
        uint32_t skip = r->next_seq - seq;
        payload += skip;
        len -= skip;
        seq = r->next_seq;
        overlap = true;
    }
    if (seq == r->next_seq && (!r->head || seq_leq(end, r->head->seq))) {
        deliver(r, ctx, f, is_orig, payload, len, ts_us);
        r->next_seq = end;
        deliver_held(r, ctx, f, is_orig, ts_us);
    } else {
        if (seq != r->next_seq)
            ctx->stats->out_of_order++;
        bool refused = false;
        hold(r, ctx, seq, payload, len, &overlap, &differ, &refused);
        deliver_held(r, ctx, f, is_orig, ts_us);
        /* Over the memory cap, waiting is pointless: give up every hole of this side. */
        while (r->head && !r->depth_reached && (refused || over_limits(r, ctx)))
            skip_hole(r, ctx, f, is_orig, ts_us);
    }
    if (overlap)
        ctx->stats->overlaps++;
    if (differ)
        ctx->stats->overlaps_diff++;

check_fin:
    if (r->fin_seen && !r->head && r->next_seq == r->fin_seq)
        r->done = true;
}

void sk_reasm_flush(struct sk_reasm *r, const struct sk_reasm_ctx *ctx, struct sk_flow *f,
                    bool is_orig, uint64_t ts_us)
{
    if (r->started && !r->done) {
        while (r->head && !r->depth_reached)
            skip_hole(r, ctx, f, is_orig, ts_us);
        if (r->fin_seen && seq_lt(r->next_seq, r->fin_seq)) {
            report_gap(r, ctx, f, is_orig, r->fin_seq - r->next_seq, ts_us);
            r->next_seq = r->fin_seq;
        }
    }
    r->done = true;
    sk_reasm_release(r, ctx->budget);
}

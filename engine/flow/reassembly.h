/* SPDX-License-Identifier: GPL-2.0-only */
/* TCP reassembly of one direction of one flow: in-order bytes go to the stream consumer
 * as soon as they are contiguous, out-of-order segments are held (bounded), overlaps are
 * resolved first-seen-wins, holes that cannot be filled become gap notices. Used by the
 * flow table (flow.c); see docs/reassembly.md for the policy. Not thread safe. */
#ifndef SK_REASSEMBLY_H
#define SK_REASSEMBLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/flow/flow.h"
#include "engine/flow/stream.h"
#include "parsers/parser.h"

/* Held out-of-order segments per direction, whatever their bytes: bounds the cost of
 * inserting into the sorted hold list against floods of tiny segments. */
#define SK_REASM_MAX_SEGS 1024

/* Bytes counted against the memory cap for each held segment besides its payload. */
#define SK_REASM_SEG_OVERHEAD 32

struct sk_reasm_seg;

/* One direction's reassembly state. Zero it with sk_reasm_init(); it owns the held
 * segments, which sk_reasm_release() frees. */
struct sk_reasm {
    bool started;       /* next_seq is known (SYN seen or first segment picked up) */
    bool fin_seen;      /* fin_seq is known */
    bool depth_reached; /* stream_depth hit: nothing more is delivered */
    bool done;          /* delivered up to the FIN, or flushed */
    uint32_t next_seq;  /* next byte to deliver (past the depth: next in-order byte) */
    uint32_t fin_seq;   /* sequence number the FIN occupies */
    uint64_t offset;    /* stream offset of next_seq: bytes delivered plus gap bytes */
    size_t queued;      /* payload bytes held */
    size_t nsegs;       /* segments held */
    struct sk_reasm_seg *head, *tail; /* held, sorted by seq, never overlapping */
};

/* What the reassembly of a direction reports to and is bounded by; owned by the caller. */
struct sk_reasm_ctx {
    const struct sk_stream_consumer *consumer;
    struct sk_flow_stats *stats;  /* counters updated */
    struct sk_mem_budget *budget; /* the flow table's: held segments are charged to it */
    size_t stream_depth;          /* 0 = unlimited */
    size_t max_queued;            /* payload bytes held per direction */
};

void sk_reasm_init(struct sk_reasm *r);

/* A SYN with sequence number seq was sent in this direction: the stream starts at seq + 1.
 * Ignored once the stream has started. */
void sk_reasm_syn(struct sk_reasm *r, uint32_t seq);

/* One segment of this direction: seq is the segment's sequence number, syn and fin its
 * flags (a SYN consumes the first sequence number, a FIN the one after the payload).
 * Delivers every byte that became contiguous through ctx->consumer, ts_us as the time.
 * A stream that has not started starts at the segment (mid-stream pickup). Memory
 * pressure is never an error: a hole that cannot be waited for becomes a gap notice. */
void sk_reasm_segment(struct sk_reasm *r, const struct sk_reasm_ctx *ctx, struct sk_flow *f,
                      bool is_orig, uint32_t seq, bool syn, bool fin, const uint8_t *payload,
                      size_t len, uint64_t ts_us);

/* The flow ends: delivers everything held, reporting each hole (and the bytes missing
 * before a seen FIN) as a gap, then frees the held segments. */
void sk_reasm_flush(struct sk_reasm *r, const struct sk_reasm_ctx *ctx, struct sk_flow *f,
                    bool is_orig, uint64_t ts_us);

/* Stops delivery for good (the consumer asked for no more bytes): frees the held
 * segments; next_seq keeps following the sender as after stream_depth. */
void sk_reasm_stop(struct sk_reasm *r, struct sk_mem_budget *b);

/* Frees the held segments without delivering them, returning their charge to b. */
void sk_reasm_release(struct sk_reasm *r, struct sk_mem_budget *b);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* The flow table: TCP flows keyed by a symmetric, seeded hash of the 5-tuple, their TCP
 * state, idle timeouts, a memory cap with eviction of the least recently used flow, and
 * per-direction reassembly (reassembly.h) feeding one stream consumer (stream.h). One
 * table per worker; not thread safe. */
#ifndef SK_FLOW_H
#define SK_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/capture/decode.h"
#include "engine/flow/stream.h"
#include "parsers/parser.h"

struct sk_flow_config {
    size_t max_flows;    /* flows held at once (default 65536) */
    size_t memcap;       /* bytes for flows, their reassembly and app state (default 512 MiB) */
    size_t stream_depth; /* bytes delivered per direction, 0 = unlimited (default 0) */
    size_t max_queued_per_stream; /* out-of-order bytes held per direction (default 1 MiB) */
    uint64_t timeout_new_us;      /* idle timeout before established (default 30 s) */
    uint64_t timeout_est_us;      /* idle timeout once established (default 600 s) */
    uint64_t timeout_closed_us;   /* after FIN/RST (default 10 s) */
    uint64_t hash_seed;           /* 0 = pick a random seed */
};

struct sk_flow_stats {
    uint64_t flows_tcp;    /* TCP flows created */
    uint64_t flows_active; /* flows held now */
    uint64_t flows_timed_out, flows_evicted;
    uint64_t midstream_pickups;
    uint64_t reassembly_gaps; /* gap notices */
    uint64_t reassembly_gap_bytes;
    uint64_t retransmissions;     /* segments whose bytes were all delivered already */
    uint64_t overlaps;            /* segments overlapping held or delivered bytes */
    uint64_t overlaps_diff;       /* overlaps whose bytes differed from the kept ones */
    uint64_t out_of_order;        /* segments held for later */
    uint64_t depth_reached;       /* directions that hit stream_depth */
    uint64_t memcap_hits;         /* times the memory cap refused or evicted */
    uint64_t memcap_refused;      /* charges the budget refused (segments, app state) */
    uint64_t rst_invalid;         /* RSTs ignored: sequence number outside the window */
    uint64_t memuse, memuse_peak; /* bytes */
};

/* The counters as printed (stats output, docs/reassembly.md), each with its field of
 * struct sk_flow_stats: X(name, field). */
#define SK_FLOW_COUNTERS(X)                                                                        \
    X("flows", flows_tcp)                                                                          \
    X("flows.active", flows_active)                                                                \
    X("flows.timed_out", flows_timed_out)                                                          \
    X("flows.evicted", flows_evicted)                                                              \
    X("tcp.midstream", midstream_pickups)                                                          \
    X("tcp.reassembly_gaps", reassembly_gaps)                                                      \
    X("tcp.reassembly_gap_bytes", reassembly_gap_bytes)                                            \
    X("tcp.retransmissions", retransmissions)                                                      \
    X("tcp.overlaps", overlaps)                                                                    \
    X("tcp.overlaps_diff", overlaps_diff)                                                          \
    X("tcp.out_of_order", out_of_order)                                                            \
    X("tcp.depth_reached", depth_reached)                                                          \
    X("tcp.rst_invalid", rst_invalid)                                                              \
    X("memcap_hits", memcap_hits)                                                                  \
    X("flow.memcap_refused", memcap_refused)                                                       \
    X("flow.memuse", memuse)                                                                       \
    X("flow.memuse_peak", memuse_peak)

struct sk_flow_table;

/* Fills cfg with the defaults above, for a caller that overrides a few of them. */
void sk_flow_config_defaults(struct sk_flow_config *cfg);

/* The symmetric, seeded hash of pkt's flow key (addresses, ports, protocol, VLAN ids):
 * the same for both directions. SipHash-2-4 keyed from seed, so traffic cannot aim at a
 * bucket without knowing the seed. Usable to assign flows to workers. Thread safe. */
uint64_t sk_flow_hash(const struct sk_packet *pkt, uint64_t seed);

/* cfg may be NULL for the defaults; in a given cfg, a zero max_flows, memcap or timeout
 * means its default, a zero hash_seed a random seed (getrandom()), a zero
 * max_queued_per_stream holds nothing out of order. consumer is copied. Caller frees with
 * sk_flow_table_free(), which closes every flow (SK_FLOW_END_SHUTDOWN) first. Returns 0,
 * SK_E_NOMEM, or SK_E_IO when no random seed can be had. */
int sk_flow_table_new(struct sk_flow_table **out, const struct sk_flow_config *cfg,
                      const struct sk_stream_consumer *consumer);

/* Takes one decoded packet (non-TCP packets are ignored and return 0). Expires idle
 * flows first, using the packet's time as the clock. Returns 0, or SK_E_NOMEM. */
int sk_flow_table_packet(struct sk_flow_table *t, const struct sk_packet *pkt);

/* Expires flows idle at now_us (for live capture when no packet comes). */
void sk_flow_table_expire(struct sk_flow_table *t, uint64_t now_us);

/* Delivers everything held and closes every flow with SK_FLOW_END_SHUTDOWN, in the order of
 * their last packets (the table's clock when each was seen), each at its last packet's time. */
void sk_flow_table_flush(struct sk_flow_table *t);

/* The flush one flow at a time, for workers that interleave their flushes (pipeline.c): the
 * last packet time of the flow the flush ends next (UINT64_MAX: none left), and ending it
 * (false when none was left). */
uint64_t sk_flow_table_next_end(const struct sk_flow_table *t);
bool sk_flow_table_end_next(struct sk_flow_table *t);

/* Calls fn once for every open flow (its app state may be changed, the flow not ended): a
 * rule reload moves each flow's detection state to the new rule set. */
void sk_flow_table_foreach(struct sk_flow_table *t, void (*fn)(void *ctx, struct sk_flow *f),
                           void *ctx);

const struct sk_flow_stats *sk_flow_table_stats(const struct sk_flow_table *t);

/* The table's memory budget (parser.h), capped at cfg->memcap: the flow nodes and held
 * segments are charged to it, and the consumer charges each flow's app state to it (parser
 * state and buffers, detection, MIME). Between packets the table ends least recently used
 * flows to keep min(memcap / 8, 1 MiB) of it free; a charge past the cap is refused. The
 * stats' memuse, memuse_peak and memcap_refused follow it after each packet. Borrowed:
 * valid until sk_flow_table_free(). */
struct sk_mem_budget *sk_flow_table_budget(struct sk_flow_table *t);

void sk_flow_table_free(struct sk_flow_table *t);

#endif

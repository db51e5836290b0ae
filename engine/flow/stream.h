/* SPDX-License-Identifier: GPL-2.0-only */
/* Seam 2 of DESIGN.md: what a flow's consumer receives. TCP reassembly hands each
 * direction's bytes over in order, once each, with notices for gaps (bytes lost) and
 * for the end of the flow. The consumer never sees packets. */
#ifndef SK_STREAM_H
#define SK_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/capture/decode.h"

enum sk_flow_end {
    SK_FLOW_END_FIN = 0,  /* both sides closed */
    SK_FLOW_END_RST,      /* reset */
    SK_FLOW_END_TIMEOUT,  /* idle timeout */
    SK_FLOW_END_EVICTED,  /* pushed out by the flow memory cap */
    SK_FLOW_END_SHUTDOWN, /* end of capture or engine stop */
};

enum sk_tcp_state {
    SK_TCP_NONE = 0,
    SK_TCP_SYN_SENT,
    SK_TCP_SYN_RECV,
    SK_TCP_ESTABLISHED,
    SK_TCP_CLOSING, /* a FIN seen */
    SK_TCP_CLOSED,  /* both FINs, or RST */
};

/* What consumers and outputs may read of a flow. Owned by the flow table: valid from
 * open until close returns. orig is the side that sent the SYN, or, for a flow picked
 * up mid-stream, the side guessed to be the client (see docs/reassembly.md). */
struct sk_flow {
    uint64_t flow_id; /* Suricata-style id: positive, < 2^53, stable for a given capture */
    char uid[24];     /* Zeek-style uid, "C" + base62, stable for a given capture */
    struct sk_addr orig_h, resp_h;
    uint16_t orig_p, resp_p;
    uint8_t ip_proto;
    uint16_t vlan[2];
    uint64_t ts_first_us, ts_last_us;
    uint64_t pcap_cnt; /* pcap_cnt of the packet being processed (the last seen) */
    uint64_t pkts_toserver, pkts_toclient;
    uint64_t bytes_toserver, bytes_toclient;
    enum sk_tcp_state state;
    bool midstream; /* no handshake seen */
    uint64_t gaps;  /* gap notices delivered, both directions */
    void *app;      /* the consumer's per-flow state; the consumer owns it */
    /* Set by the consumer (in any callback) when it wants no more bytes of this flow, e.g.
     * after STARTTLS: held segments are freed, no further data or gap calls come, the flow
     * is still tracked and close still comes. */
    bool no_reassembly;
};

/* The consumer of reassembled streams. Every callback is optional. Bytes are borrowed
 * for the duration of the call. is_orig is true for bytes sent by the flow's originator.
 * ts_us is the time of the packet that released the bytes. */
struct sk_stream_consumer {
    void *ctx;
    /* A new TCP flow; the consumer may set f->app. */
    void (*open)(void *ctx, struct sk_flow *f, uint64_t ts_us);
    void (*data)(void *ctx, struct sk_flow *f, bool is_orig, const uint8_t *buf, size_t len,
                 uint64_t ts_us);
    /* len bytes of this direction were lost (never seen) before the next data. */
    void (*gap)(void *ctx, struct sk_flow *f, bool is_orig, uint64_t len, uint64_t ts_us);
    /* The flow ends: all data held was delivered before this call. The consumer frees
     * f->app here. */
    void (*close)(void *ctx, struct sk_flow *f, enum sk_flow_end why, uint64_t ts_us);
};

#endif

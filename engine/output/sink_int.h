/* SPDX-License-Identifier: GPL-2.0-only */
/* Inside the sinks (sink.h): the sink types, the configuration getters they share, and the
 * transport seam of the network sinks. A transport connects, sends a batch of queued
 * records and disconnects; the sender thread around it (sink.c) owns the queue, the
 * reconnect backoff and the drain at exit, so each transport is only its protocol. */
#ifndef SK_SINK_INT_H
#define SK_SINK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/output/sink.h"

/* The value of prefix.key (or its default), borrowed. */
const char *sk_sink_str(const struct sk_sink_params *p, const char *key);
/* Typed: 0, or SK_E_INVAL (reported, naming the key). */
int sk_sink_u64(const struct sk_sink_params *p, const char *key, uint64_t *out);
int sk_sink_size(const struct sk_sink_params *p, const char *key, uint64_t *out);
int sk_sink_bool(const struct sk_sink_params *p, const char *key, bool *out);

struct sk_transport_ops {
    const char *filetype;
    /* Reads the configuration; no connection yet. err gets the reason of SK_E_INVAL. */
    int (*init)(void **t, const struct sk_sink_params *p, struct sk_sinkq *q, char *err,
                size_t errlen);
    /* 0 or a negative code with the reason in err. */
    int (*connect)(void *t, char *err, size_t errlen);
    void (*disconnect)(void *t);
    /* Sends r[0..n). *consumed (<= n, in order) leave the queue: *written of them reached
     * the far end, *dropped were refused by it, and the rest were handed on to be counted
     * later (Kafka's delivery reports, with sk_sinkq_count()). Returns 0, or a negative code
     * with the reason in err when the connection broke (what was not consumed is sent
     * again on the next connection). */
    int (*send)(void *t, const struct sk_sinkq_rec *r, size_t n, size_t *consumed, size_t *written,
                size_t *dropped, char *err, size_t errlen);
    /* Optional: called between batches (Kafka serves its delivery reports). */
    void (*idle)(void *t);
    /* Optional: records handed on but not yet confirmed (Kafka's own queue). */
    uint64_t (*inflight)(void *t);
    /* Optional, at close: waits for in-flight records until deadline_us, then counts what
     * is left as dropped (sk_sinkq_count). */
    void (*drain)(void *t, uint64_t deadline_us);
    /* Optional: after the close's summary, before free (Kafka's mock-linger). */
    void (*linger)(void *t);
    void (*free)(void *t);
};

extern const struct sk_transport_ops sk_transport_unix_dgram;
extern const struct sk_transport_ops sk_transport_unix_stream;
extern const struct sk_transport_ops sk_transport_syslog;
extern const struct sk_transport_ops sk_transport_redis;
extern const struct sk_transport_ops sk_transport_kafka;

#endif

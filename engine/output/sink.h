/* SPDX-License-Identifier: GPL-2.0-only */
/* The writer seam: where a finished EVE record goes. Every sink (a regular file, syslog, a
 * Unix socket, Redis, Kafka) implements struct sk_sink_ops; the EVE output formats a record
 * once and hands it to each of its sinks. A sink is shared by every worker's output set
 * through the log file pool (outfile.h), so one sink has one connection and one counter set.
 *
 * Network sinks put records in a bounded in-memory queue (records and bytes) drained by one
 * sender thread per sink, so a slow or absent far end never blocks packet processing for
 * longer than queue-wait-ms: past that the record is dropped and counted. The sender
 * reconnects with a doubling backoff; closing drains the queue until flush-timeout.
 * docs/outputs.md describes each sink, docs/configuration.md its keys. */
#ifndef SK_SINK_H
#define SK_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sk_config;
struct sk_outfile_pool;

/* What a sink may want to know about a record without parsing it. */
struct sk_sink_meta {
    const char *event_type; /* "alert", "smtp", ... (never NULL) */
    uint64_t flow_id;       /* 0: not a flow's record (stats) */
};

/* Where a sink is configured: the keys below prefix ("outputs.eve" or
 * "outputs.eve.sinks.NAME") of cfg; name ("eve" or NAME) names its counters
 * (output.NAME.dropped, ...). */
struct sk_sink_params {
    const char *name;
    const char *prefix;
    const struct sk_config *cfg;
    const char *log_dir;
    struct sk_outfile_pool *files; /* NULL: a private file */
};

typedef void (*sk_counter_fn)(void *ctx, const char *name, uint64_t value);

struct sk_sink_ops {
    const char *filetype; /* the value of the filetype key */
    /* Returns 0, SK_E_INVAL (a bad key; reported with sk_error) or SK_E_IO (reported). A
     * network sink that cannot connect yet still opens: it connects in the background. */
    int (*open)(void **state, const struct sk_sink_params *p);
    /* One finished record, len bytes ending in '\n'. Returns 0, or SK_E_IO when the record
     * was dropped (counted). Thread safe. */
    int (*write)(void *state, const char *rec, size_t len, const struct sk_sink_meta *m);
    /* Pushes out what is buffered. wait_us 0: at once (a network sink's sender is nudged);
     * else a network sink waits for its queue to empty, at most wait_us and flush-timeout. */
    void (*flush)(void *state, uint64_t wait_us);
    /* Files are closed and opened again (after a rotation); sockets and connections are
     * dropped and made again. Records already accepted are kept. */
    void (*reopen)(void *state);
    /* Drains (at most flush-timeout), stops, passes its final counters to fn (may be NULL)
     * and frees. */
    void (*close)(void *state, sk_counter_fn fn, void *ctx);
    /* The sink's counters, names valid while it is open. A counter named
     * "output.NAME.dropped" counts records lost: the exit status says so (3). */
    void (*counters)(void *state, sk_counter_fn fn, void *ctx);
};

/* An open sink, shared through a pool. */
struct sk_sink;

/* Opens the sink configured at p (the pool's sink of the same name when p->files holds one,
 * else a new one). Returns 0 or a negative SK_E_* code (reported). */
int sk_sink_open(struct sk_sink **out, const struct sk_sink_params *p);
/* Gives up one user; the last one closes the sink (the pool keeps its final counters). */
void sk_sink_close(struct sk_sink *s, struct sk_outfile_pool *files);
int sk_sink_write(struct sk_sink *s, const char *rec, size_t len, const struct sk_sink_meta *m);
void sk_sink_flush(struct sk_sink *s);
void sk_sink_counters(struct sk_sink *s, sk_counter_fn fn, void *ctx);
const char *sk_sink_name(const struct sk_sink *s);

/* The sinks a pool holds (used by outfile.c, which forwards its pool operations). */
struct sk_sink_pool;
int sk_sink_pool_new(struct sk_sink_pool **out);
void sk_sink_pool_flush(struct sk_sink_pool *p);
void sk_sink_pool_reopen(struct sk_sink_pool *p);
void sk_sink_pool_counters(struct sk_sink_pool *p, sk_counter_fn fn, void *ctx);
uint64_t sk_sink_pool_lost(struct sk_sink_pool *p);
void sk_sink_pool_free(struct sk_sink_pool *p);

/* ---- the bounded queue of the network sinks (sink_queue.c) ---- */

struct sk_sinkq;

/* One queued record: len bytes and its metadata (event_type copied into the record). */
struct sk_sinkq_rec {
    char *buf;
    size_t len;
    uint64_t flow_id;
    char event_type[24];
};

/* At most max_records records and max_bytes bytes queued; a producer finding the queue full
 * waits up to wait_ms for room, then drops the record. Returns 0 or SK_E_NOMEM. */
int sk_sinkq_new(struct sk_sinkq **out, size_t max_records, size_t max_bytes, unsigned wait_ms);
void sk_sinkq_free(struct sk_sinkq *q);

/* Copies the record in. Returns 0, or SK_E_LIMIT when it was dropped (counted). After one
 * wait timed out the queue drops without waiting until it is three quarters empty again, so
 * a far end that is down costs packet processing one wait, not one per record. */
int sk_sinkq_push(struct sk_sinkq *q, const char *rec, size_t len, const struct sk_sink_meta *m);

/* The sender: waits up to wait_ms for records, then points *recs at up to max of the oldest
 * (they stay queued, and count in the bound, until sk_sinkq_pop()). Returns their number; 0
 * on timeout or when the queue is closed and empty. */
size_t sk_sinkq_peek(struct sk_sinkq *q, const struct sk_sinkq_rec **recs, size_t max,
                     unsigned wait_ms);
/* Removes the n oldest records: written of them reached the far end, dropped were lost,
 * the rest are counted later with sk_sinkq_count(). */
void sk_sinkq_pop(struct sk_sinkq *q, size_t n, size_t written, size_t dropped);

/* Adds to the written and dropped counters (Kafka counts on delivery reports). */
void sk_sinkq_count(struct sk_sinkq *q, uint64_t written, uint64_t dropped);

/* Closing: producers' pushes are dropped from now on (counted); sk_sinkq_peek() returns at
 * once. */
void sk_sinkq_close(struct sk_sinkq *q);
/* Waits until the queue is empty or deadline_us (CLOCK_MONOTONIC) passed; true if empty. */
bool sk_sinkq_wait_empty(struct sk_sinkq *q, uint64_t deadline_us);
/* Drops everything still queued (counted); returns how many. */
size_t sk_sinkq_drop_all(struct sk_sinkq *q);

struct sk_sinkq_stats {
    uint64_t accepted; /* records pushed and kept */
    uint64_t written;  /* records the far end took */
    uint64_t dropped;  /* records lost: queue full, closing, rejected, left at the deadline */
    uint64_t queued;   /* records in the queue now */
    uint64_t queued_bytes;
};
void sk_sinkq_stats(struct sk_sinkq *q, struct sk_sinkq_stats *st);

uint64_t sk_sink_now_us(void); /* CLOCK_MONOTONIC */

#endif

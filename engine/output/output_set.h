/* SPDX-License-Identifier: GPL-2.0-only */
/* The set of open outputs of one worker and the routing of what the engine sees to them:
 * raw SMTP events to event(), every event through the flow's transaction builder
 * (txrec.h) so that finished transactions reach tx_close() and anomalies, files and
 * alerts are logged with their transaction's record. One set per worker; not thread
 * safe. */
#ifndef SK_OUTPUT_SET_H
#define SK_OUTPUT_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/output/output.h"
#include "engine/output/txrec.h"

struct sk_output_set;

/* Returns the output named name ("eve", "events", "fast", "smtplog"), or NULL. */
const struct sk_output_ops *sk_output_lookup(const char *name);

/* Opens each of ops[0..n) with cfg (borrowed for the call). On failure closes those opened
 * and returns their error (SK_E_IO, SK_E_NOMEM, ...); else 0. Caller frees with
 * sk_output_set_close(). */
int sk_output_set_open(struct sk_output_set **out, const struct sk_output_ops *const *ops, size_t n,
                       const struct sk_output_config *cfg);

/* One parser event of flow f at ts_us, in the parser's order. r is the flow's transaction
 * builder (NULL: no transaction records, so no tx_close() and no tx for anomalies and
 * files). The event goes through r first, so an anomaly or file is logged with its
 * transaction's record including itself. */
void sk_output_set_event(struct sk_output_set *s, struct sk_txrec *r, const struct sk_flow *f,
                         uint64_t ts_us, const struct sk_event *ev);

/* True when some output of s logs raw events of this type through its event op (s may be
 * NULL: none does). A parser need not build the rest for the outputs. */
bool sk_output_set_logs(const struct sk_output_set *s, enum sk_event_type type);

/* Calls fn with each output's own counters (a static name and a value; see docs/cli.md).
 * s may be NULL. */
void sk_output_set_counters(const struct sk_output_set *s,
                            void (*fn)(void *ctx, const char *name, uint64_t value), void *ctx);

/* An alert; tx is its transaction's record (sk_txrec_get(r, a->tx_id)) or NULL. */
void sk_output_set_alert(struct sk_output_set *s, const struct sk_alert *a,
                         const struct sk_tx_record *tx);

/* A batch: between begin and end, alerts and files are held (copied) and written at
 * sk_output_set_batch_end() with the then-current record of their transaction from r (may
 * be NULL), alerts and files in the order they came. The worker opens a batch around the
 * bytes of one packet, so these records show the transaction as it stands once the whole
 * packet has been parsed (Suricata logs per packet the same way): a fileinfo record carries
 * email.status PARSE_DONE when the message ended in the same packet, and an alert on a
 * file's data lists that file, closed, in its `files` array. Past 4096 held records, or out
 * of memory, records are written at once. Outside a batch everything is written at once. */
void sk_output_set_batch_begin(struct sk_output_set *s);
void sk_output_set_batch_end(struct sk_output_set *s, const struct sk_txrec *r);

/* The flow ends: r's still-open transactions go to tx_close() (ended by the session),
 * then flow_end(). r may be NULL; the caller still frees it. */
void sk_output_set_flow_end(struct sk_output_set *s, struct sk_txrec *r, const struct sk_flow *f,
                            enum sk_flow_end why, const char *app_proto, const char *app_proto_tc);

void sk_output_set_stats(struct sk_output_set *s, uint64_t ts_us, const struct sk_counter *c,
                         size_t n);
void sk_output_set_flush(struct sk_output_set *s);
/* Flushes, closes every output and frees the set; NULL is a no-op. */
void sk_output_set_close(struct sk_output_set *s);

#endif

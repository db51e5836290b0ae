/* SPDX-License-Identifier: GPL-2.0-only */
/* The detection engine: a rule set compiled into one Hyperscan database per buffer (the
 * prefilter, from each rule's fast pattern) plus everything needed to confirm candidates
 * (contents with modifiers, PCRE2 JIT, transforms, flow, flowbits, thresholds). The
 * compiled struct sk_detect is immutable and shared by workers; each worker has a
 * struct sk_detect_thread (scratch, threshold state) and each flow a struct
 * sk_detect_flow (flowbits, stream states, which rules alerted in which transaction). */
#ifndef SK_DETECT_H
#define SK_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/flow/stream.h"
#include "parsers/parser.h"
#include "rules/ruleset.h"

/* An alert. Borrowed for the duration of the callback. */
/* The frame an alert of a frame:smtp.* rule matched in (EVE's alert frame object), copied so
 * that the alert may be held: frame.bytes points nowhere, the first of its bytes are head[0..n)
 * with n = min(frame.bytes.len, SK_FRAME_HEAD). */
struct sk_alert_frame {
    struct sk_frame frame;
    uint64_t tx_id; /* SK_TX_NONE when the frame is in no transaction */
    uint8_t head[SK_FRAME_HEAD];
};

struct sk_alert {
    const struct sk_rule *rule;
    const struct sk_flow *flow;
    uint64_t ts_us;
    uint64_t tx_id; /* SK_TX_NONE for stream (tcp) rules */
    bool to_server; /* direction of the data that completed the match */
    bool has_frame; /* frame is set */
    struct sk_alert_frame frame;
};

struct sk_detect_config {
    size_t stream_window; /* bytes of a stream buffer kept for positional/relative checks
                           * and pcre (default 64 KiB) */
    uint32_t pcre_match_limit;
    const char *cache_dir; /* NULL: no Hyperscan database cache */
    bool reference;        /* no prefilter: every rule is a candidate on every inspection of
                            * its buffers and is confirmed by the reference matcher
                            * (rules/reference.h); for differential tests, slow */
};

struct sk_detect_stats {
    uint64_t inspections, candidates, alerts, suppressed; /* suppressed by thresholds */
    uint64_t bytes_scanned;             /* bytes fed to prefilter databases, all buffers */
    uint64_t buf_scanned[SK_BUF_COUNT]; /* the same per buffer (enum sk_rule_buffer) */
    uint64_t pcre_limit_hits;           /* pcre searches cut off by detect.pcre-match-limit */
    double build_seconds;
    bool from_cache;
};

struct sk_detect;
struct sk_detect_thread;
struct sk_detect_flow;

/* Compiles rs (which must outlive the result). Returns 0 or a negative SK_E_* code with a
 * message in errbuf. */
int sk_detect_build(struct sk_detect **out, const struct sk_ruleset *rs,
                    const struct sk_detect_config *cfg, char *errbuf, size_t errlen);
void sk_detect_free(struct sk_detect *d);

/* True when a rule of d inspects buffer (an enum sk_field_id or enum sk_rule_buffer): lets
 * the engine skip work nobody matches on (mime.body-md5: auto). d may be NULL (false). */
bool sk_detect_uses_buffer(const struct sk_detect *d, int buffer);

/* The file digests (SK_FILE_MD5 | SK_FILE_SHA1 | SK_FILE_SHA256) that d's filemd5 /
 * filesha1 / filesha256 rules need: the engine computes them for every file even when
 * mime.hash-files is off (Suricata's force-hash). d may be NULL (0). */
unsigned sk_detect_file_hashes(const struct sk_detect *d);

typedef void (*sk_alert_fn)(void *ctx, const struct sk_alert *a);

struct sk_thresh_table; /* rules/threshold.h */

int sk_detect_thread_new(struct sk_detect_thread **out, const struct sk_detect *d,
                         sk_alert_fn on_alert, void *ctx);
/* t counts threshold and detection_filter matches in shared (a reference is taken) instead of
 * a table of its own: the threads of several workers share one, as one thread's would count. */
void sk_detect_thread_share_thresh(struct sk_detect_thread *t, struct sk_thresh_table *shared);
void sk_detect_thread_free(struct sk_detect_thread *t);

int sk_detect_flow_new(struct sk_detect_flow **out, struct sk_detect_thread *t,
                       const struct sk_flow *f);
/* An application-layer event of the flow (parser.h), in the order the parser raised it. */
void sk_detect_event(struct sk_detect_thread *t, struct sk_detect_flow *df, const struct sk_flow *f,
                     const struct sk_event *ev, uint64_t ts_us);
/* Reassembled bytes of the flow (for tcp rules and legacy rules on the stream). */
void sk_detect_stream(struct sk_detect_thread *t, struct sk_detect_flow *df,
                      const struct sk_flow *f, bool is_orig, const uint8_t *buf, size_t len,
                      uint64_t ts_us);
/* The packet the worker is processing, for dsize and flags (valid false: none, e.g. data
 * flushed at a timeout, where rules with dsize or flags do not match). */
void sk_detect_thread_packet(struct sk_detect_thread *t, bool valid, uint8_t tcp_flags,
                             size_t payload_len);
/* The flow ends: finish open stream matches. */
void sk_detect_flow_end(struct sk_detect_thread *t, struct sk_detect_flow *df,
                        const struct sk_flow *f, uint64_t ts_us);
void sk_detect_flow_free(struct sk_detect_flow *df);

/* Bytes held for the flow by detection: its state, Hyperscan stream states, stream
 * inspection windows and the open transaction's buffer instances. */
size_t sk_detect_flow_memuse(const struct sk_detect_flow *df);

void sk_detect_thread_stats(const struct sk_detect_thread *t, struct sk_detect_stats *out);

/* --rule-profile: what one thread spent on one rule. A check is one full evaluation of the
 * rule (a prefilter candidate, or a rule without fast pattern on new data of its buffers). */
struct sk_rule_prof {
    uint64_t checks, matches;
    uint64_t ns_total, ns_max, ns_match; /* CLOCK_MONOTONIC nanoseconds; ns_match: of checks
                                          * that matched */
};

/* Starts profiling every rule check of t (a clock read before and after each). Returns 0 or
 * SK_E_NOMEM. */
int sk_detect_thread_profile(struct sk_detect_thread *t);

/* t's profile, one entry per rule in rule-set order (*n), or NULL when not profiling. */
const struct sk_rule_prof *sk_detect_thread_profile_get(const struct sk_detect_thread *t,
                                                        size_t *n);

/* Rule i of the compiled set (rule-set order), and whether it has a fast pattern (every
 * check of it was then a prefilter candidate). */
const struct sk_rule *sk_detect_rule(const struct sk_detect *d, size_t i);
bool sk_detect_rule_has_fp(const struct sk_detect *d, size_t i);

/* shrike explain: one inspection of a buffer the explained rule uses. */
struct sk_explain_report {
    const struct sk_flow *flow;
    uint64_t tx_id; /* SK_TX_NONE for a stream rule */
    bool to_server; /* the direction of the data inspected */
    int buffer;     /* the buffer that got data */
    uint64_t ts_us;
    bool candidate;   /* a prefilter candidate (or a rule without fast pattern) */
    bool holds;       /* every condition held */
    const char *text; /* each condition in order, one per line (rules/explain.h); borrowed */
};
typedef void (*sk_explain_fn)(void *ctx, const struct sk_explain_report *rep);

/* From now on every inspection of a buffer that rule gid 1 sid uses calls fn with the
 * rule's conditions judged on what the inspection sees. Slow: for one rule, on a test
 * capture. Returns 0 or SK_E_INVAL (no such rule). */
int sk_detect_thread_explain(struct sk_detect_thread *t, uint32_t sid, sk_explain_fn fn, void *ctx);

/* ---- moving to a new rule set (a reload) ----
 * A worker moves between two packets: sk_detect_thread_move() makes its thread for the new
 * set, sk_detect_flow_move() moves each open flow's state to it, then the old thread is
 * freed; the old set is freed once every worker has moved. */
struct sk_detect_remap;

/* What carries over from one compiled set to the next: rules by gid:sid, flowbits by name.
 * Both sets must outlive the result. Read-only once made: shared by the workers. Returns 0
 * or SK_E_NOMEM. Caller frees with sk_detect_remap_free(). */
int sk_detect_remap_new(struct sk_detect_remap **out, const struct sk_detect *from,
                        const struct sk_detect *to);
void sk_detect_remap_free(struct sk_detect_remap *m);
/* Rules of the old set that the new one has too (same gid:sid). */
size_t sk_detect_remap_kept(const struct sk_detect_remap *m);

/* A thread for m's new set that takes over old's threshold state, counters, match context,
 * window pool, rule profile (by gid:sid) and explained rule (by sid; when the new set lacks
 * it, explain stops). old stays valid, for its flows to move, and is freed by the caller
 * after them. Returns 0 or SK_E_NOMEM (old is then unchanged). */
int sk_detect_thread_move(struct sk_detect_thread **out, struct sk_detect_thread *old,
                          const struct sk_detect_remap *m);

/* Moves df to t (made by sk_detect_thread_move() with m): flowbits by name, the rules
 * pending or done in the open transaction and stream by gid:sid (a rule that alerted does not
 * alert again), the transaction's values and stream windows kept; a stream slot the new set
 * does not use is dropped, and Hyperscan stream states (of the old databases) are closed, so
 * a fast pattern split across the move is not a candidate until the window confirms it.
 * Returns 0 or SK_E_NOMEM: df is then unchanged, still on the old set: free it. */
int sk_detect_flow_move(struct sk_detect_flow *df, struct sk_detect_thread *t,
                        const struct sk_detect_remap *m);

typedef void (*sk_detect_counter_fn)(void *ctx, const char *name, uint64_t value);
/* Reports t's counters to fn, names static: detect.inspections, detect.candidates,
 * detect.suppressed, detect.bytes_scanned (bytes fed to Hyperscan databases, once per
 * database) and detect.bytes_scanned.<buffer> for each buffer that has a database. */
void sk_detect_thread_counters(const struct sk_detect_thread *t, sk_detect_counter_fn fn,
                               void *ctx);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* A worker runs the whole chain for the flows it owns: decode, flow table and TCP
 * reassembly, protocol detection, the SMTP parser (and through it the MIME decoder),
 * transaction records, detection, and the outputs. It shares only immutable data (the
 * compiled rule set, configuration) and the log files (outfile.h), which several workers'
 * output sets append whole records to. */
#ifndef SK_WORKER_H
#define SK_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"
#include "engine/capture/decode.h"
#include "engine/output/outfile.h"
#include "engine/output/output.h"
#include "engine/output/output_set.h"
#include "engine/capture/source.h"
#include "rules/detect.h"

/* The outputs of one worker (output_set.h): opens every output enabled in cfg into log_dir.
 * files (may be NULL) shares the log files with the other workers' sets opened on it.
 * Returns 0 or a negative SK_E_* code with a message in errbuf. Caller frees with
 * sk_output_set_close(), which flushes and closes. */
int sk_outputs_open(struct sk_output_set **out, const struct sk_config *cfg, const char *log_dir,
                    struct sk_outfile_pool *files, char *errbuf, size_t errlen);

/* One generation of the rule set (reload.h): the list only grows at its newest end, and a
 * worker moves along it between two packets. */
struct sk_rules_gen {
    const struct sk_detect *detect;      /* NULL: no rules */
    const struct sk_detect_remap *remap; /* from the previous generation's set, or NULL */
    unsigned long id;                    /* 0 for the first, then one more each */
    _Atomic(struct sk_rules_gen *) next; /* set once, when a newer one is ready */
};

struct sk_worker_config {
    const struct sk_config *cfg;
    const struct sk_detect *detect; /* NULL: no rules */
    struct sk_rules_gen *gen;       /* detect's generation, to follow reloads; NULL: none */
    struct sk_output_set *outputs;  /* NULL: no outputs */
    const char *dump_dir;           /* --dump-streams, or NULL */
    /* Another worker counts the same packets: "packets", "bytes" and the decoder's counters
     * are left out of sk_worker_counters(). */
    bool skip_input_counters;
    bool rule_profile; /* --rule-profile: time every rule check (rules/detect.h) */
    /* shrike explain: the rule (gid 1) explained to explain_fn at every inspection */
    uint32_t explain_sid;
    sk_explain_fn explain_fn;
    void *explain_ctx;
    /* threshold and detection_filter state shared with the other workers (borrowed; the
     * worker's detection threads take references), or NULL: the worker's own */
    struct sk_thresh_table *thresh;
};

struct sk_worker;

/* Reads every setting it needs from wc->cfg; a bad value is reported in errbuf with the key
 * and the place it was set. Caller frees with sk_worker_free(). */
int sk_worker_new(struct sk_worker **out, const struct sk_worker_config *wc, char *errbuf,
                  size_t errlen);

/* Runs one captured packet through the chain: sk_worker_decode(), then
 * sk_worker_decoded(). Returns 0 or SK_E_NOMEM. */
int sk_worker_packet(struct sk_worker *w, const struct sk_raw_packet *raw);

/* The first half: counts the packet and decodes it with w's decoder (IP fragments are
 * reassembled there). Returns 1 with *pkt filled (payload borrowed until the next call), 0
 * when there is nothing to pass on, or SK_E_NOMEM. Called by one thread at a time per
 * worker: reading files, the first worker's thread on its own packets and those it cannot
 * place from their headers, each other worker's on the records handed to it; live, the reader
 * thread on the first worker only. The worker then takes its flows' packets with
 * sk_worker_decoded(). */
int sk_worker_decode(struct sk_worker *w, const struct sk_raw_packet *raw, struct sk_packet *pkt);

/* Instead of sk_worker_decode() for a packet sk_decoder_peek() placed in another worker's
 * flow: counts it, in w and in its decoder, as decoding it would have. */
void sk_worker_count_peeked(struct sk_worker *w, const struct sk_raw_packet *raw,
                            const struct sk_packet *peeked);

/* The second half: the flow table, reassembly, parsers, detection and outputs for one decoded
 * packet (pkt is borrowed for the call). Returns 0 or SK_E_NOMEM. */
int sk_worker_decoded(struct sk_worker *w, const struct sk_packet *pkt);

/* Expires idle flows at now_us (live capture without traffic). */
void sk_worker_tick(struct sk_worker *w, uint64_t now_us);

/* Ends every flow (delivering what is held) so all transactions and files are logged. */
void sk_worker_finish(struct sk_worker *w);

/* The end of a capture one flow at a time (pipeline.c merges several workers' flushes in time
 * order): the last packet time of the flow sk_worker_finish() would end next (UINT64_MAX:
 * none), and ending that flow. sk_worker_finish() still ends what is left. */
uint64_t sk_worker_next_end(const struct sk_worker *w);
void sk_worker_end_next(struct sk_worker *w);

/* Appends this worker's counters to *c (grown with realloc; names are static or owned by
 * the worker). Returns 0 or SK_E_NOMEM. */
int sk_worker_counters(const struct sk_worker *w, struct sk_counter **c, size_t *n);

/* The time of the last packet seen, microseconds. */
uint64_t sk_worker_last_ts(const struct sk_worker *w);

void sk_worker_free(struct sk_worker *w);

struct sk_stats_board;

/* From now on w publishes copies of its counters on board as worker slot (stats.h), about
 * once a second, from the threads that run it. Call before the run starts. */
void sk_worker_set_board(struct sk_worker *w, struct sk_stats_board *board, size_t slot);

/* w's per-rule profile (--rule-profile), one entry per rule (*n), or NULL. */
const struct sk_rule_prof *sk_worker_rule_profile(const struct sk_worker *w, size_t *n);

/* The id of the rule generation w runs (any thread). */
unsigned long sk_worker_rules_gen(const struct sk_worker *w);

/* Moves w to the newest rule generation now (it does so by itself between packets; this is
 * for after the run, when no thread runs w). */
void sk_worker_rules_catch_up(struct sk_worker *w);

/* Publishes w's counters now (after the run, when no thread runs w any more). */
void sk_worker_publish(struct sk_worker *w);

#endif

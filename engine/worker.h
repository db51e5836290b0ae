/* SPDX-License-Identifier: GPL-2.0-only */
/* A worker runs the whole chain for the flows it owns: decode, flow table and TCP
 * reassembly, protocol detection, the SMTP parser (and through it the MIME decoder),
 * transaction records, detection, and the outputs. It shares only immutable data (the
 * compiled rule set, configuration) and the output set, which serialises writes. */
#ifndef SK_WORKER_H
#define SK_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"
#include "engine/output.h"
#include "engine/output_set.h"
#include "engine/source.h"
#include "rules/detect.h"

/* The outputs of a run (output_set.h): opens every output enabled in cfg into log_dir.
 * Returns 0 or a negative SK_E_* code with a message in errbuf. Caller frees with
 * sk_output_set_close(), which flushes and closes. */
int sk_outputs_open(struct sk_output_set **out, const struct sk_config *cfg, const char *log_dir,
                    char *errbuf, size_t errlen);

struct sk_worker_config {
    const struct sk_config *cfg;
    const struct sk_detect *detect; /* NULL: no rules */
    struct sk_output_set *outputs;  /* NULL: no outputs */
    const char *dump_dir;           /* --dump-streams, or NULL */
};

struct sk_worker;

/* Reads every setting it needs from wc->cfg; a bad value is reported in errbuf with the key
 * and the place it was set. Caller frees with sk_worker_free(). */
int sk_worker_new(struct sk_worker **out, const struct sk_worker_config *wc, char *errbuf,
                  size_t errlen);

/* Runs one captured packet through the chain. Returns 0 or SK_E_NOMEM. */
int sk_worker_packet(struct sk_worker *w, const struct sk_raw_packet *raw);

/* Expires idle flows at now_us (live capture without traffic). */
void sk_worker_tick(struct sk_worker *w, uint64_t now_us);

/* Ends every flow (delivering what is held) so all transactions and files are logged. */
void sk_worker_finish(struct sk_worker *w);

/* Appends this worker's counters to *c (grown with realloc; names are static or owned by
 * the worker). Returns 0 or SK_E_NOMEM. */
int sk_worker_counters(const struct sk_worker *w, struct sk_counter **c, size_t *n);

/* The time of the last packet seen, microseconds. */
uint64_t sk_worker_last_ts(const struct sk_worker *w);

void sk_worker_free(struct sk_worker *w);

#endif

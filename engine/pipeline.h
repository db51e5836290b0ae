/* SPDX-License-Identifier: GPL-2.0-only */
/* Several workers: the calling thread reads the source and decodes every packet (so IP
 * fragment reassembly sees all fragments), picks a worker by the symmetric flow hash
 * (sk_flow_hash), and copies the decoded packet into that worker's current batch; full
 * batches go through a bounded queue to the worker's thread. Batches are recycled, so the
 * steady state allocates nothing. A full queue blocks the reader when reading files and drops
 * the batch (counted) on a live interface. */
#ifndef SK_PIPELINE_H
#define SK_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/source.h"
#include "engine/worker.h"

struct sk_pipeline_config {
    struct sk_worker **workers; /* borrowed; workers[0] also decodes, in the reader thread */
    size_t n_workers;           /* at least 1 */
    bool live;                  /* drop instead of blocking; workers expire idle flows */
    size_t queue_batches;       /* batches queued per worker before backpressure (0: 8) */
    size_t batch_bytes;         /* bytes per batch (0: 256 KiB; at least 128 KiB) */
    uint64_t hash_seed;         /* seed of the worker-choosing hash */
};

struct sk_pipeline_stats {
    uint64_t batches;         /* batches handed to workers */
    uint64_t dropped_packets; /* live: packets in batches dropped at a full queue */
    uint64_t reader_waits;    /* offline: times the reader waited for a worker */
};

/* Reads src to its end or until *stop is set, running every packet through the workers, then
 * lets each worker finish (sk_worker_finish(): every flow ends and is logged) and joins the
 * threads. Returns the number of source errors reported (damaged files), or a negative SK_E_*
 * code on an error that ended the run (after the workers were joined). *st gets the
 * pipeline's counters. */
int sk_pipeline_run(const struct sk_pipeline_config *cfg, struct sk_source *src,
                    volatile sig_atomic_t *stop, struct sk_pipeline_stats *st);

#endif

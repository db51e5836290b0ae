/* SPDX-License-Identifier: GPL-2.0-only */
/* Several workers, each owning whole flows. Reading capture files (sk_pipeline_run_files), the
 * first worker's thread (the lead) reads the capture, places each packet by its headers
 * (sk_decoder_peek), decoding those they cannot place (fragments among them, so IP fragment
 * reassembly sees every fragment, as one worker's would), and hands each other worker (a
 * follower) its packets through a ring of its own: records read from the file's mapping as
 * pointers into it, others as copies. No follower reads another worker's packets. A source
 * that can be read only once, a live interface or a pipe (sk_pipeline_run), has one reader:
 * the calling thread reads and decodes, and copies each packet into its worker's current
 * batch; full batches go through a bounded queue to the worker's thread. Batches are recycled,
 * so the steady state allocates nothing. A full queue blocks the reader on a pipe and drops
 * the batch (counted) on a live interface. */
#ifndef SK_PIPELINE_H
#define SK_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/capture/source.h"
#include "engine/worker.h"

struct sk_pipeline_config {
    struct sk_worker **workers; /* borrowed; one reader: workers[0] also decodes, in it */
    size_t n_workers;           /* at least 1 */
    bool live;                  /* one reader: drop instead of blocking; expire idle flows */
    size_t queue_batches;       /* one reader: batches queued per worker (0: 8) */
    size_t batch_bytes;         /* one reader: bytes per batch (0: 256 KiB; at least 128 KiB) */
    uint64_t hash_seed;         /* seed of the worker-choosing hash */
    /* Files: a flow belongs to the worker with the fewest packets waiting when its first packet
     * is read (true, the workers-balance key's "claim") instead of the hash's choice ("hash"). */
    bool claim;
    /* Files: the capture's size in bytes, which sizes the table of claims (0: unknown) */
    uint64_t capture_bytes;
};

struct sk_pipeline_stats {
    uint64_t batches;         /* batches handed to workers */
    uint64_t dropped_packets; /* live: packets in batches dropped at a full queue */
    uint64_t reader_waits;    /* pipe: times the reader waited for a worker */
    uint64_t claims_full;     /* files: look-ups of a new flow's owner that found the table of
                               * claims full and took the hash's choice */
};

/* One reader: reads src to its end or until *stop is set, running every packet through the
 * workers, then lets each worker finish (sk_worker_finish(): every flow ends and is logged)
 * and joins the threads. Returns the number of source errors
 * reported (damaged files), or a negative SK_E_* code on an error that ended the run (after
 * the workers were joined). *st gets the pipeline's counters. */
int sk_pipeline_run(const struct sk_pipeline_config *cfg, struct sk_source *src, _Atomic int *stop,
                    struct sk_pipeline_stats *st);

/* Files: src (borrowed, an offline source: a file or folder) is read by workers[0] in its own
 * thread until its end or until *stop is set, and every other worker runs the packets of its
 * flows in a thread of its own; then each worker finishes its flows. cfg->n_workers is at
 * least 2. A flow goes to the worker with the fewest packets waiting when its first packet is
 * read (cfg->claim, kept in a table sized to cfg->capture_bytes; when the table is full, the
 * hash decides, counted in st->claims_full), else by the hash. Only the first worker counts
 * the packets read (the others have sk_worker_config.skip_input_counters). Returns the number
 * of damaged files, or a negative SK_E_* code on an error that ended the run (the other
 * workers stop early, and all are joined). */
int sk_pipeline_run_files(const struct sk_pipeline_config *cfg, struct sk_source *src,
                          _Atomic int *stop, struct sk_pipeline_stats *st);

/* Live fan-out (AF_PACKET): workers[i] reads queue i of src (sk_source_queues(src) must be
 * cfg->n_workers) in its own thread, with no reader thread between: the kernel already gave
 * each queue whole flows, so every packet a worker reads is its own. Its flow clock is wall
 * time, ticked once a second and whenever its queue is idle, so flows expire on a silent link.
 * When *stop is set or a queue fails, each worker finishes its flows. Returns 0, or a negative
 * SK_E_* code on an error that ended the run (the other workers stop too, all are joined). */
int sk_pipeline_run_queues(const struct sk_pipeline_config *cfg, struct sk_source *src,
                           _Atomic int *stop);

#endif

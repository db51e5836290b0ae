/* SPDX-License-Identifier: GPL-2.0-only */
/* Several workers, each owning the flows the symmetric flow hash (sk_flow_hash) gives it.
 * Reading capture files (sk_pipeline_run_files), every worker thread reads the capture
 * through its own handle and keeps the packets of its own flows: no thread copies packets.
 * A worker reads the flow of most packets from their headers (sk_decoder_peek) and decodes
 * its own packets and every packet the headers alone cannot place, fragments among them (so
 * each IP fragment reassembly sees all fragments, as one worker's would); the first worker
 * also counts the others' packets as decoding would (sk_worker_count_peeked). A source that can be
 * read only once, a live interface or a pipe (sk_pipeline_run), has one reader: the calling thread
 * reads and decodes, and copies each packet into its worker's current batch; full batches go
 * through a bounded queue to the worker's thread. Batches are recycled, so the steady state
 * allocates nothing. A full queue blocks the reader on a pipe and drops the batch (counted) on a
 * live interface. */
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
    /* Files: a flow belongs to the first worker that reads its first packet (true, the
     * workers-balance key's "claim") instead of the hash's choice ("hash"). */
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

/* Files: srcs[i] (borrowed; cfg->n_workers offline sources opened on the same path and
 * filter, a file or folder that can be read more than once) is read whole by workers[i] in its own
 * thread until its end or until *stop is set; then each worker finishes its flows. Damage to a
 * capture is logged by the first source only (the others are made quiet, sk_source_set_quiet()),
 * and every worker goes on past it as one worker would. With cfg->claim, each flow is
 * taken by the worker that reaches its first packet first: the one ahead in the capture, which
 * has less work, so the work evens out; every worker agrees through one shared table of
 * claims, which is never emptied (sized to cfg->capture_bytes; when it is full, the hash decides,
 * counted in st->claims_full).
 * The workers' packet, byte and decoder counters count every packet of the capture: sum them from
 * one worker only (sk_worker_config.skip_input_counters). Returns the number of damaged files, or a
 * negative SK_E_* code on an error that ended the run (the other workers stop early, and all are
 * joined). */
int sk_pipeline_run_files(const struct sk_pipeline_config *cfg, struct sk_source **srcs,
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

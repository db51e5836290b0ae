/* SPDX-License-Identifier: GPL-2.0-only */
/* The run's statistics while it runs: each worker publishes a copy of its counters on a board
 * about once a second, from its own thread; a stats thread sums the latest copies, writes an
 * EVE stats record every stats.interval seconds and, when stderr is a terminal, redraws one
 * progress line. Counters are plain per-worker numbers that only their worker writes, so
 * nothing else reads them: the board's copies are what other threads see. */
#ifndef SK_STATS_H
#define SK_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/capture/source.h"
#include "engine/output/output.h"
#include "engine/output/output_set.h"

/* Adds c[0..n) to *sum by name: the first list gives the order, a name only a later list has
 * is appended. Names are borrowed (static strings). Returns 0 or SK_E_NOMEM (*sum is then
 * unchanged but may have grown). */
int sk_counters_add(struct sk_counter **sum, size_t *n_sum, const struct sk_counter *c, size_t n);

/* The value of the counter named name in c[0..n), 0 when absent. */
uint64_t sk_counters_get(const struct sk_counter *c, size_t n, const char *name);

struct sk_stats_board;

/* A board for n_slots workers. Each worker has two slots: what its decode path counts
 * (packets, bytes, the decoder's counters), published by the thread that decodes for it, and
 * the rest, published by the worker's own thread; live with a reader thread those are two
 * threads. Caller frees with sk_stats_board_free(). Returns 0 or
 * SK_E_NOMEM. */
int sk_stats_board_new(struct sk_stats_board **out, size_t n_slots);
void sk_stats_board_free(struct sk_stats_board *b);

/* A counter the stats thread raises about once a second when it wants fresh copies: a worker
 * compares it (a relaxed atomic load, cheap enough for every packet) with the value it last
 * published at. */
const _Atomic unsigned *sk_stats_board_generation(const struct sk_stats_board *b);

/* Replaces the copy in worker's input (or other) slot with c[0..n) (names borrowed: static
 * strings) and the latest packet time. Thread safe. Returns 0, SK_E_INVAL (no such worker)
 * or SK_E_NOMEM (the old copy stays). */
int sk_stats_board_publish(struct sk_stats_board *b, size_t worker, bool input,
                           const struct sk_counter *c, size_t n, uint64_t last_ts_us);

/* The sum of every slot's latest copy appended to *c (names borrowed: static strings), and
 * the latest packet time of all. Thread safe. Returns 0 or SK_E_NOMEM. */
int sk_stats_board_total(struct sk_stats_board *b, struct sk_counter **c, size_t *n,
                         uint64_t *last_ts);

struct sk_stats_thread_config {
    struct sk_stats_board *board;
    struct sk_output_set *outputs; /* EVE stats records go here (the thread's own set), or NULL */
    unsigned interval_s;           /* between two stats records; 0: none while running */
    bool threads;                  /* per-worker counters in each record (stats.threads) */
    bool live;                     /* record times: wall clock (live) or the latest packet's */
    bool progress;                 /* redraw the progress line on stderr once a second */
    uint64_t input_bytes;          /* size of the capture files, for the progress line */
    const uint64_t *file_sizes;    /* each capture file's size, in reading order (borrowed) */
    size_t n_files;
    /* live: the capture's kernel counters (capture.kernel_packets, _drops, _ifdrops,
     * _freezes) go into each record, read with the thread-safe sk_source_get_stats(); or NULL */
    const struct sk_source *source;
};

struct sk_stats_thread;

/* Starts the stats thread (cfg and what it points to must outlive it). Returns 0, SK_E_NOMEM
 * or SK_E_IO (no thread). */
int sk_stats_thread_start(struct sk_stats_thread **out, const struct sk_stats_thread_config *cfg);

/* Stops and joins the thread and clears the progress line; NULL is a no-op. */
void sk_stats_thread_stop(struct sk_stats_thread *t);

/* Appends the per-worker copies of the board, each counter renamed "threads.W#NN.<name>",
 * to *c (names then owned by *names, freed with sk_stats_names_free()). Returns 0 or
 * SK_E_NOMEM. */
struct sk_stats_names;
int sk_stats_board_threads(struct sk_stats_board *b, struct sk_counter **c, size_t *n,
                           struct sk_stats_names **names);
void sk_stats_names_free(struct sk_stats_names *names);

/* The size of each capture file the source will read from path (a file, or a folder's
 * regular files in name order) into *sizes (caller frees), and their sum. A path that cannot
 * be read gives none. Returns 0 or SK_E_NOMEM. */
int sk_stats_input_sizes(const char *path, uint64_t **sizes, size_t *n, uint64_t *total);

#endif

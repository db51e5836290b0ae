/* SPDX-License-Identifier: GPL-2.0-only */
/* The commands of a running sensor (control.h's ops): what reload-rules, reopen-logs,
 * dump-counters, iface-stat and shutdown do, on the parts of the run they touch. */
#ifndef SK_COMMANDS_H
#define SK_COMMANDS_H

#include <stdatomic.h>
#include <stdint.h>

#include "engine/capture/source.h"
#include "engine/control.h"
#include "engine/output/outfile.h"
#include "engine/reload.h"
#include "engine/stats.h"

/* The parts of a run the commands act on; all borrowed, every pointer but reloader may be
 * NULL. */
struct sk_run_ctl {
    struct sk_reloader *reloader;
    struct sk_outfile_pool *files;
    struct sk_stats_board *board;
    struct sk_source *src;           /* the capture, for iface-stat */
    const char *iface;               /* its name (-i), or NULL when reading files */
    _Atomic int *stop;               /* set by shutdown */
    void (*stop_fn)(void *stop_ctx); /* then called, to cut a blocking read short */
    void *stop_ctx;
    double t_start; /* CLOCK_MONOTONIC seconds at the start of the run */
};

/* The ops, with a struct sk_run_ctl as their ctx. */
extern const struct sk_control_ops sk_run_ctl_ops;

#endif

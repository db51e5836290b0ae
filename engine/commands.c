/* SPDX-License-Identifier: GPL-2.0-only */
/* The commands of a running sensor (commands.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/commands.h"
#include "engine/error.h"
#include "engine/log.h"

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int reload_rules(void *ctx, struct sk_json *j)
{
    struct sk_run_ctl *rc = ctx;
    char msg[1024];
    int r = sk_reloader_reload(rc->reloader, msg, sizeof(msg));
    if (r < 0)
        sk_error("rule reload failed, the rules in use stay: %s", msg);
    else
        sk_warn("rules reloaded: %s", msg);
    sk_json_str(j, "message", msg);
    return r;
}

static int reopen_logs(void *ctx, struct sk_json *j)
{
    struct sk_run_ctl *rc = ctx;
    size_t failed = sk_outfile_pool_reopen(rc->files);
    if (failed)
        sk_error("%zu log files could not be reopened (they are written where they were)", failed);
    else
        sk_info("log files reopened");
    sk_json_str(j, "message", failed ? "some log files could not be reopened" : "done");
    return failed ? SK_E_IO : 0;
}

static int dump_counters(void *ctx, struct sk_json *j)
{
    struct sk_run_ctl *rc = ctx;
    struct sk_counter *c = NULL;
    size_t n = 0;
    uint64_t last_ts = 0;
    unsigned long done, failed;
    if (rc->board && sk_stats_board_total(rc->board, &c, &n, &last_ts) < 0) {
        free(c);
        sk_json_str(j, "message", "out of memory");
        return SK_E_NOMEM;
    }
    sk_reloader_counts(rc->reloader, &done, &failed);
    sk_json_object_open(j, "message");
    sk_json_u64(j, "uptime", (uint64_t)(mono_now() - rc->t_start));
    sk_json_u64(j, "rules.reloads", done);
    sk_json_u64(j, "rules.reloads_failed", failed);
    for (size_t i = 0; i < n; i++)
        sk_json_u64(j, c[i].name, c[i].value);
    sk_json_object_close(j);
    free(c);
    return 0;
}

static int iface_stat(void *ctx, struct sk_json *j)
{
    struct sk_run_ctl *rc = ctx;
    struct sk_source_stats st;
    if (!rc->src || !rc->iface) {
        sk_json_str(j, "message", "not capturing from an interface");
        return SK_E_INVAL;
    }
    /* thread safe: the readers publish copies about once a second (source.h) */
    sk_source_get_stats(rc->src, &st);
    sk_json_object_open(j, "message");
    sk_json_str(j, "iface", rc->iface);
    sk_json_u64(j, "pkts", st.packets);
    sk_json_u64(j, "bytes", st.bytes);
    sk_json_u64(j, "drop", st.kernel_drops);
    sk_json_u64(j, "packets_cut", st.packets_cut);
    sk_json_u64(j, "kernel_packets", st.kernel_packets);
    sk_json_u64(j, "ifdrop", st.kernel_ifdrops);
    sk_json_u64(j, "freeze", st.kernel_freezes);
    /* several -i: each interface on its own (source.h: thread safe, about a second old) */
    sk_json_array_open(j, "interfaces");
    for (size_t i = 0; i < sk_source_iface_count(rc->src); i++) {
        struct sk_iface_stats is;
        if (sk_source_iface_stats(rc->src, i, &is) < 0)
            continue;
        sk_json_object_open(j, NULL);
        sk_json_str(j, "iface", is.name);
        sk_json_u64(j, "pkts", is.packets);
        sk_json_u64(j, "bytes", is.bytes);
        sk_json_u64(j, "kernel_packets", is.kernel_packets);
        sk_json_u64(j, "drop", is.kernel_drops);
        sk_json_u64(j, "ifdrop", is.kernel_ifdrops);
        sk_json_u64(j, "freeze", is.kernel_freezes);
        sk_json_object_close(j);
    }
    sk_json_array_close(j);
    sk_json_object_close(j);
    return 0;
}

static int shutdown_run(void *ctx, struct sk_json *j)
{
    struct sk_run_ctl *rc = ctx;
    sk_warn("shutdown asked on the control socket");
    if (rc->stop)
        atomic_store(rc->stop, 1);
    if (rc->stop_fn)
        rc->stop_fn(rc->stop_ctx);
    sk_json_str(j, "message", "Closing Shrike");
    return 0;
}

static void idle(void *ctx)
{
    struct sk_run_ctl *rc = ctx;
    (void)sk_reloader_collect(rc->reloader);
}

const struct sk_control_ops sk_run_ctl_ops = {
    .reload_rules = reload_rules,
    .reopen_logs = reopen_logs,
    .dump_counters = dump_counters,
    .iface_stat = iface_stat,
    .shutdown = shutdown_run,
    .idle = idle,
};

/* SPDX-License-Identifier: GPL-2.0-only */
/* The control thread of a run: it carries out what signals ask (SIGHUP: reopen the logs,
 * SIGUSR2: reload the rules) outside the signal handlers, and serves the unix-command socket
 * in the manner of Suricata's (suricatasc): a client sends a JSON object with "command" (and
 * optionally first {"version": ...}), one at a time on one connection, and gets one JSON
 * object a line back, {"return": "OK" or "NOK", "message": ...}. */
#ifndef SK_CONTROL_H
#define SK_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/output/json.h"

/* Requests raised by signals: bits of the word the handlers set (sk_control_config). */
enum { SK_CONTROL_REOPEN = 1u, SK_CONTROL_RELOAD = 2u };

/* What the commands do, run on the control thread. Each writes the reply's "message" value
 * with j (a string or an object) and returns 0 (OK) or a negative SK_E_* code (NOK). */
struct sk_control_ops {
    int (*reload_rules)(void *ctx, struct sk_json *j);
    int (*reopen_logs)(void *ctx, struct sk_json *j);
    int (*dump_counters)(void *ctx, struct sk_json *j);
    int (*iface_stat)(void *ctx, struct sk_json *j);
    int (*shutdown)(void *ctx, struct sk_json *j);
    void (*idle)(void *ctx); /* about five times a second, and after each command */
};

struct sk_control_config {
    const char *socket_path; /* NULL: no socket, signals only */
    const struct sk_control_ops *ops;
    void *ctx;
    _Atomic unsigned *requests; /* SK_CONTROL_* bits set by signal handlers; taken here */
};

struct sk_control;

/* Creates the socket (its folder too; a stale socket file is replaced, one another process
 * answers on is refused) and starts the thread. Returns 0, SK_E_NOMEM, or SK_E_IO /
 * SK_E_EXISTS with a message in errbuf. Caller stops it with sk_control_stop(). */
int sk_control_start(struct sk_control **out, const struct sk_control_config *cfg, char *errbuf,
                     size_t errlen);

/* The descriptor a signal handler writes one byte to, after setting its request bit, to wake
 * the thread (write() is async-signal-safe). */
int sk_control_wake_fd(const struct sk_control *c);

/* Stops and joins the thread, removes the socket file; NULL is a no-op. */
void sk_control_stop(struct sk_control *c);

#endif

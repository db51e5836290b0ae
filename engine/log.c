/* SPDX-License-Identifier: GPL-2.0-only */
/* Level-filtered diagnostics to stderr. The level is the one piece of process-wide
 * state: it is set once by main before any worker starts. */
#include <stdarg.h>
#include <stdio.h>

#include "engine/log.h"

static enum sk_log_level log_level = SK_LOG_INFO;

void sk_log_set_level(enum sk_log_level level)
{
    log_level = level;
}

enum sk_log_level sk_log_get_level(void)
{
    return log_level;
}

void sk_log(enum sk_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    va_list ap;

    if (level > log_level)
        return;
    /* One fprintf per line keeps lines from different threads whole. */
    char buf[2048];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "shrike: %s: %s\n", names[level], buf);
}

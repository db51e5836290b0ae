/* SPDX-License-Identifier: GPL-2.0-only */
/* The project's logger: every diagnostic for people goes through here, to stderr,
 * with a level. Debug lines appear only when the level allows them; there is no
 * compile-time switch. */
#ifndef SK_LOG_H
#define SK_LOG_H

enum sk_log_level { SK_LOG_ERROR = 0, SK_LOG_WARN, SK_LOG_INFO, SK_LOG_DEBUG };

/* Sets the most verbose level printed (default SK_LOG_INFO). Call before starting
 * workers; reads afterwards are thread safe. */
void sk_log_set_level(enum sk_log_level level);
enum sk_log_level sk_log_get_level(void);

/* Prints "shrike: <level>: <message>\n" to stderr when level is enabled. */
void sk_log(enum sk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sk_error(...) sk_log(SK_LOG_ERROR, __VA_ARGS__)
#define sk_warn(...)  sk_log(SK_LOG_WARN, __VA_ARGS__)
#define sk_info(...)  sk_log(SK_LOG_INFO, __VA_ARGS__)
#define sk_debug(...) sk_log(SK_LOG_DEBUG, __VA_ARGS__)

#endif

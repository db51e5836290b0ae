/* SPDX-License-Identifier: GPL-2.0-only */
/* What the log writers (output_*.c) share: opening a buffered log file in the log folder
 * and printing addresses the way Suricata (expanded IPv6) or Zeek (inet_ntop) does. */
#ifndef SK_OUTFILE_H
#define SK_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/decode.h"

/* The log files shared by the output sets of several workers: each file is opened once,
 * counted, and closed by its last user. Writers share the FILE; a record written with one
 * sk_outfile_write() call never interleaves with another writer's (stdio locks the FILE for
 * the call, as POSIX requires), so every output writes each record in one call. Thread safe. */
struct sk_outfile_pool;

/* Caller frees with sk_outfile_pool_free() after every file taken from it is closed. Returns
 * 0 or SK_E_NOMEM. */
int sk_outfile_pool_new(struct sk_outfile_pool **out);
void sk_outfile_pool_free(struct sk_outfile_pool *pool);

/* Opens (truncates) dir/name for writing with a 64 KiB stdio buffer. With a pool (may be
 * NULL: a private file), a file the pool already holds is shared instead and *first (may be
 * NULL) is false, so a header is written once. Returns 0 or SK_E_IO (SK_E_INVAL for a NULL
 * dir or name, SK_E_NOMEM); the error is logged with the path. The caller closes *out with
 * sk_outfile_close() and the same pool. */
int sk_outfile_open(FILE **out, struct sk_outfile_pool *pool, const char *dir, const char *name,
                    bool *first);

/* Gives up one user of fp; the last one closes it. A trailer is written once by the caller
 * that sk_outfile_is_last() names just before. */
void sk_outfile_close(FILE *fp, struct sk_outfile_pool *pool);

/* True when the caller is the only user of fp left (always for a private file). */
bool sk_outfile_is_last(FILE *fp, struct sk_outfile_pool *pool);

/* Writes len bytes (one whole record) in one call; returns 0 or SK_E_IO (logged once per
 * call). */
int sk_outfile_write(FILE *fp, const char *buf, size_t len);

#define SK_ADDR_STRLEN 48

/* Formats a: IPv4 dotted; IPv6 either as inet_ntop does (expanded false: Zeek) or as eight
 * four-digit groups (expanded true: Suricata's EVE and fast.log). */
void sk_addr_format(const struct sk_addr *a, bool expanded, char *out, size_t n);

/* "TCP", "UDP", "ICMP", ... or the decimal number, into buf (at least 8 bytes). */
const char *sk_ip_proto_name(uint8_t proto, char *buf, size_t n);

#endif

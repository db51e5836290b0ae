/* SPDX-License-Identifier: GPL-2.0-only */
/* What the log writers (output_*.c) share: opening a buffered log file in the log folder
 * and printing addresses the way Suricata (expanded IPv6) or Zeek (inet_ntop) does. */
#ifndef SK_OUTFILE_H
#define SK_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/capture/decode.h"

/* A log file, written in whole records (lines). Records are buffered (64 KiB) and written
 * with write(2); every write is checked. When the file cannot take them (a full disk, a
 * closed pipe, an I/O error) the error is reported once with the path and the system's
 * reason, the bytes already written stay whole records (a regular file is truncated back to
 * the last whole line; for a pipe the rest of a record stays buffered and is retried), the
 * records that do not fit in the buffer are dropped and counted, and the next write tries
 * again: writing resumes when space returns. Thread safe: a record written with one
 * sk_outfile_write() call never interleaves with another writer's. */
struct sk_outfile;

/* The log files shared by the output sets of several workers: each file is opened once,
 * counted, and closed by its last user; the pool also sums what each file lost. Thread
 * safe. */
struct sk_outfile_pool;

/* Caller frees with sk_outfile_pool_free() after every file taken from it is closed. Returns
 * 0 or SK_E_NOMEM. */
int sk_outfile_pool_new(struct sk_outfile_pool **out);
void sk_outfile_pool_free(struct sk_outfile_pool *pool);

/* Flushes every open file of the pool (errors are reported and counted as for a write). */
void sk_outfile_pool_flush(struct sk_outfile_pool *pool);

/* Calls fn once per file the pool opened (open or closed) with its counter's name
 * ("output.eve.errors", "output.fast.errors", "output.events.errors",
 * "output.smtplog.errors"; a static string) and the number of records that could not be
 * written; then with every counter of the pool's EVE sinks (sink.h). */
void sk_outfile_pool_foreach(const struct sk_outfile_pool *pool,
                             void (*fn)(void *ctx, const char *counter, uint64_t errors),
                             void *ctx);

/* Reopens every open file of the pool at its path (SIGHUP, reopen-logs: logrotate moved
 * them away): what is buffered goes to the old file, the new one is created (or appended to
 * when it exists). A file that cannot be reopened keeps writing to the old one, and the
 * error is logged. Thread safe: writers wait for their file's turn. Returns the number of
 * files that could not be reopened. Every EVE sink of the pool reopens too (sink.h: a
 * network sink makes its connection again, keeping what is queued). */
size_t sk_outfile_pool_reopen(struct sk_outfile_pool *pool);

/* The EVE sinks shared through the pool (sink.h); NULL for a NULL pool. */
struct sk_sink_pool *sk_outfile_pool_sinks(struct sk_outfile_pool *pool);

/* Total records lost by the pool's files and dropped by its EVE sinks so far (including at
 * close). */
uint64_t sk_outfile_pool_lost(const struct sk_outfile_pool *pool);

/* Opens (truncates) dir/name for writing. With a pool (may be NULL: a private file), a file
 * the pool already holds is shared instead and *first (may be NULL) is false, so a header is
 * written once. Returns 0 or SK_E_IO (SK_E_INVAL for a NULL dir or name, SK_E_NOMEM); an
 * error is logged once with the path and strerror. The caller closes *out with
 * sk_outfile_close() and the same pool. */
int sk_outfile_open(struct sk_outfile **out, struct sk_outfile_pool *pool, const char *dir,
                    const char *name, bool *first);

/* Gives up one user of f; the last one flushes and closes it. A trailer is written once by
 * the caller that sk_outfile_is_last() names just before. */
void sk_outfile_close(struct sk_outfile *f, struct sk_outfile_pool *pool);

/* True when the caller is the only user of f left (always for a private file). */
bool sk_outfile_is_last(struct sk_outfile *f, struct sk_outfile_pool *pool);

/* A thread's records kept back: while a thread has a batch set, the records it writes to each
 * file (up to 8 files) gather in 64 KiB of its own and go to the file, under the file's lock,
 * when that is full, when the thread flushes the file, and at sk_outfile_batch_drain(): one
 * lock and one copy for many records instead of one per record. A file's records from one
 * thread keep their order; another thread's come between them a batch at a time. For
 * workers reading capture files, whose records have no reader waiting (pipeline.c). */
struct sk_outfile_batch;
/* Returns 0 or SK_E_NOMEM. */
int sk_outfile_batch_new(struct sk_outfile_batch **out);
/* Sets the calling thread's batch; NULL: its records go to the files at once again. */
void sk_outfile_batch_set(struct sk_outfile_batch *b);
/* Writes what b keeps to the files (errors: as for sk_outfile_write, per record). */
void sk_outfile_batch_drain(struct sk_outfile_batch *b);
/* Drains b and frees it; NULL is a no-op. */
void sk_outfile_batch_free(struct sk_outfile_batch *b);

/* Appends len bytes (one or more whole records, each ending in '\n'). Returns 0, or SK_E_IO
 * when the record was dropped because the file cannot take it (reported once per failure,
 * counted). */
int sk_outfile_write(struct sk_outfile *f, const char *buf, size_t len);

/* Flushes f, then closes it and opens its path again for appending (see
 * sk_outfile_pool_reopen). A failure is reported and f keeps its old descriptor. */
void sk_outfile_reopen(struct sk_outfile *f);

/* Writes what is buffered; returns 0 or SK_E_IO (what could not be written stays buffered). */
int sk_outfile_flush(struct sk_outfile *f);

#define SK_ADDR_STRLEN 48

/* Formats a: IPv4 dotted; IPv6 either as inet_ntop does (expanded false: Zeek) or as eight
 * four-digit groups (expanded true: Suricata's EVE and fast.log). */
void sk_addr_format(const struct sk_addr *a, bool expanded, char *out, size_t n);

/* "TCP", "UDP", "ICMP", ... or the decimal number, into buf (at least 8 bytes). */
const char *sk_ip_proto_name(uint8_t proto, char *buf, size_t n);

#endif

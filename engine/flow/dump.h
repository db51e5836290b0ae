/* SPDX-License-Identifier: GPL-2.0-only */
/* `--dump-streams DIR`: writes each direction of each flow's reassembled bytes to its own
 * file, for debugging a parser or a rule against exactly what the engine saw. Files are
 * named <uid>-<orig_h>.<orig_p>-<resp_h>.<resp_p>-<orig|resp>.bin (IPv6 ':' written
 * as '_'), opened on the first byte and closed when the flow closes, with a bounded
 * number open at once. One dumper per worker; not thread safe. */
#ifndef SK_DUMP_H
#define SK_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/flow/stream.h"

/* Files held open at once; the least recently written one is closed beyond this and
 * reopened for appending when more data comes. */
#define SK_DUMP_MAX_OPEN 64

struct sk_dump_stats {
    uint64_t files;     /* files created */
    uint64_t bytes;     /* bytes written */
    uint64_t gaps;      /* gap notices seen (nothing is written for a gap) */
    uint64_t gap_bytes; /* bytes those gaps stood for */
    uint64_t reopens;   /* files reopened after being closed for the open-file bound */
};

struct sk_dump;

/* dir is copied and must exist. Caller frees with sk_dump_free(). Returns 0,
 * SK_E_NOMEM, or SK_E_INVAL when dir is NULL or empty. */
int sk_dump_new(struct sk_dump **out, const char *dir);

/* Appends len bytes of one direction of f (is_orig: sent by the originator) to its file,
 * creating (truncating) the file on the flow's first bytes in that direction. buf is
 * borrowed. Returns 0, SK_E_NOMEM, or SK_E_IO when the file cannot be opened or
 * written. */
int sk_dump_data(struct sk_dump *d, const struct sk_flow *f, bool is_orig, const uint8_t *buf,
                 size_t len);

/* Counts a gap of len bytes; writes nothing. */
void sk_dump_gap(struct sk_dump *d, const struct sk_flow *f, bool is_orig, uint64_t len);

/* The flow ends: closes its files and forgets it. */
void sk_dump_close(struct sk_dump *d, const struct sk_flow *f);

/* Writes the file name of one direction of f (no directory) to buf; returns its length,
 * or the length needed when it does not fit (as snprintf). */
int sk_dump_name(const struct sk_flow *f, bool is_orig, char *buf, size_t size);

const struct sk_dump_stats *sk_dump_stats(const struct sk_dump *d);

/* Closes every open file. sk_dump_free(NULL) is a no-op. */
void sk_dump_free(struct sk_dump *d);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* Line framing for one direction of an SMTP session: cuts ordered bytes into pieces that
 * end at LF or at a byte limit, whichever comes first, carrying a partial piece across
 * feeds in a buffer allocated only when a piece spans feeds, grown on demand (from
 * SK_SMTP_LINE_MIN bytes, doubling), never past the limit, and charged to the flow's
 * memory budget. Piece boundaries depend only on the bytes and the limits, never on how
 * the bytes were split into feeds. */
#ifndef SK_SMTP_LINE_H
#define SK_SMTP_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/parser.h"

/* First size of a carry buffer. */
#define SK_SMTP_LINE_MIN 256

/* One piece of a line. ptr/len hold the raw bytes, line end included when ends_line;
 * borrowed until the next call on the reader or on its input. */
struct sk_smtp_piece {
    const uint8_t *ptr;
    size_t len;
    bool starts_line; /* the first piece of a line */
    bool ends_line;   /* the piece ends with LF */
};

struct sk_smtp_line_reader {
    uint8_t *buf; /* partial piece, allocated bytes alloc (0 until a piece spans feeds) */
    size_t len;
    size_t alloc;
    size_t cap;                   /* longest piece */
    struct sk_mem_budget *budget; /* charged for alloc; NULL: unlimited */
    bool mid_line;                /* the next piece continues a line cut at the limit */
    bool refused;                 /* the budget refused a growth: the reader takes no more */
};

/* Sets up a reader for pieces up to cap bytes charging budget (borrowed, may be NULL);
 * allocates nothing. */
void sk_smtp_line_init(struct sk_smtp_line_reader *r, size_t cap, struct sk_mem_budget *budget);

/* Frees the buffer and returns its charge; the reader may be initialised again. */
void sk_smtp_line_release(struct sk_smtp_line_reader *r);

/* Grows *p (holding *size bytes, charged to b as sk_mem_alloc_cost(*size)) to at least need bytes:
 * doubling from SK_SMTP_LINE_MIN, at most max (need <= max). Returns 0, SK_E_LIMIT when b refused
 * the growth, or SK_E_NOMEM; *p and *size are unchanged on failure. */
int sk_smtp_buf_grow(struct sk_mem_budget *b, uint8_t **p, size_t *size, size_t need, size_t max);

/* Takes bytes from *in (advancing *in and *inlen past what it used) until a piece of at most
 * limit bytes (limit <= cap) is complete. Returns true with the piece in *out, or false when
 * the input ran out first (the partial piece is kept for the next call). When the carry
 * buffer cannot grow (memory budget), sets r->refused, drops the input and returns false;
 * a refused reader returns false for all input. */
bool sk_smtp_line_next(struct sk_smtp_line_reader *r, size_t limit, const uint8_t **in,
                       size_t *inlen, struct sk_smtp_piece *out);

/* Bytes held for an unfinished piece (0 at a piece boundary). */
size_t sk_smtp_line_pending(const struct sk_smtp_line_reader *r);

/* Drops a partial piece and forgets line position (after a gap: the next byte starts a
 * line). Returns the number of bytes dropped. */
size_t sk_smtp_line_reset(struct sk_smtp_line_reader *r);

#endif

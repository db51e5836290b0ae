/* SPDX-License-Identifier: GPL-2.0-only */
/* URL extraction from the decoded text of text/plain and text/html parts that are not
 * attachments. The text is searched in place in one pass, as it streams; only a scheme
 * prefix or a URL cut by the end of a piece is carried, in a bounded buffer. Each URL is
 * reported once per message up to a limit. Internal to parsers/mime/ (hence the sk_mime__
 * prefix). */
#ifndef SK_MIME_URL_H
#define SK_MIME_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/mime/mime.h"

/* Called with each new URL (borrowed bytes), or once with url == NULL when the limit of
 * distinct URLs is reached. */
typedef void (*sk_mime__url_fn)(void *ctx, const uint8_t *url, size_t len);

struct sk_mime__url_pat;

struct sk_mime__url {
    struct sk_mime__url_pat *pats;
    size_t npats;
    bool trigger[256];       /* first bytes of the patterns, both cases */
    uint8_t pair[8192];      /* bit (c0 | c1 << 8): a pattern starts with c0 c1, either case */
    uint8_t pre[8][3];       /* distinct first three bytes of the patterns, OR 0x20 */
    uint8_t pre16[8][3][16]; /* each of those bytes 16 times, for the vector filter */
    size_t npre;             /* 0: too many for the 16-byte filter, bytes are tested one by one */
    uint8_t *carry;          /* an undecided prefix or URL cut by the end of a piece */
    size_t len, cap;         /* cap: max_line, the longest line searched as one */
    size_t pos;              /* bytes of the current line seen so far */
    uint8_t prev;            /* the byte before the next one of the line, 0 at its start */
    uint64_t *seen;          /* hashes of the URLs reported */
    uint32_t nseen, max;
    bool full, keep_scheme;
    sk_mime__url_fn fn;
    void *ctx;
};

/* Returns 0 or SK_E_NOMEM. Allocates the carry, the seen table and the patterns. */
int sk_mime__url_init(struct sk_mime__url *u, const struct sk_mime_config *cfg, sk_mime__url_fn fn,
                      void *ctx);
void sk_mime__url_release(struct sk_mime__url *u);
/* Forgets the URLs seen and any carried bytes, for the next message. */
void sk_mime__url_reset(struct sk_mime__url *u);
/* Decoded text of a part, in pieces of any size: the same URLs whatever the cuts. A line
 * longer than max_line is searched as pieces of max_line bytes, as before. */
void sk_mime__url_feed(struct sk_mime__url *u, const uint8_t *p, size_t n);
/* The part ended: decides what was carried (the last, unterminated line). */
void sk_mime__url_flush(struct sk_mime__url *u);

/* The wide filter (mime_url_x86.c, AVX-512BW or AVX2 at run time; mime_url_portable.c
 * elsewhere): the first offset from i on, in steps of 64 or 32, where one of the npre three-byte
 * prefixes pre (lower case; the text is ORed with 0x20 before it is compared) may start, or where
 * fewer than a step and 2 bytes are left; i itself when there is no wide filter. Never past a place
 * the 16-byte filter would stop at. */
size_t sk_mime__url_skip_wide(const uint8_t (*pre)[3], size_t npre, const uint8_t *p, size_t i,
                              size_t n);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* URL extraction from the decoded text of text/plain and text/html parts: the decoded
 * bytes are cut into lines in a bounded buffer, each line is searched for the configured
 * schemes, and each URL is reported once per message up to a limit. Internal to parsers/mime/
 * (hence the sk_mime__ prefix). */
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
    uint8_t *line;
    size_t len, cap;
    uint64_t *seen; /* hashes of the URLs reported */
    uint32_t nseen, max;
    bool full, keep_scheme;
    sk_mime__url_fn fn;
    void *ctx;
};

/* Returns 0 or SK_E_NOMEM. */
int sk_mime__url_init(struct sk_mime__url *u, const struct sk_mime_config *cfg, sk_mime__url_fn fn,
                      void *ctx);
void sk_mime__url_release(struct sk_mime__url *u);
/* Decoded text of a part; URLs are found line by line. */
void sk_mime__url_feed(struct sk_mime__url *u, const uint8_t *p, size_t n);
/* The part ended: searches the last, unterminated line. */
void sk_mime__url_flush(struct sk_mime__url *u);

#endif

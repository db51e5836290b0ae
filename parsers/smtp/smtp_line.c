/* SPDX-License-Identifier: GPL-2.0-only */
/* Line framing: memchr for LF within the limit, zero-copy when a piece lies whole in one
 * feed, a bounded carry buffer otherwise. See smtp_line.h. */
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "parsers/smtp/smtp_line.h"

int sk_smtp_line_init(struct sk_smtp_line_reader *r, size_t cap)
{
    memset(r, 0, sizeof(*r));
    r->buf = malloc(cap);
    if (!r->buf)
        return SK_E_NOMEM;
    r->cap = cap;
    return 0;
}

void sk_smtp_line_release(struct sk_smtp_line_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof(*r));
}

bool sk_smtp_line_next(struct sk_smtp_line_reader *r, size_t limit, const uint8_t **in,
                       size_t *inlen, struct sk_smtp_piece *out)
{
    if (limit > r->cap)
        limit = r->cap;
    if (r->len >= limit) {
        /* The limit shrank below what is held (a mode change): hand out what we have. */
        out->ptr = r->buf;
        out->len = r->len;
        out->starts_line = !r->mid_line;
        out->ends_line = false;
        r->mid_line = true;
        r->len = 0;
        return true;
    }
    size_t room = limit - r->len;
    size_t scan = *inlen < room ? *inlen : room;
    const uint8_t *lf = memchr(*in, '\n', scan);
    size_t take = lf ? (size_t)(lf - *in) + 1 : scan;
    bool complete = lf != NULL || take == room;

    if (!complete) {
        memcpy(r->buf + r->len, *in, take);
        r->len += take;
        *in += take;
        *inlen -= take;
        return false;
    }
    if (r->len == 0) {
        out->ptr = *in;
        out->len = take;
    } else {
        memcpy(r->buf + r->len, *in, take);
        out->ptr = r->buf;
        out->len = r->len + take;
        r->len = 0;
    }
    *in += take;
    *inlen -= take;
    out->starts_line = !r->mid_line;
    out->ends_line = lf != NULL;
    r->mid_line = !out->ends_line;
    return true;
}

size_t sk_smtp_line_pending(const struct sk_smtp_line_reader *r)
{
    return r->len;
}

size_t sk_smtp_line_reset(struct sk_smtp_line_reader *r)
{
    size_t dropped = r->len;
    r->len = 0;
    r->mid_line = false;
    return dropped;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Line framing: memchr for LF within the limit, zero-copy when a piece lies whole in one
 * feed, a bounded carry buffer otherwise. See smtp_line.h. */
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "parsers/smtp/smtp_line.h"

void sk_smtp_line_init(struct sk_smtp_line_reader *r, size_t cap, struct sk_mem_budget *budget)
{
    memset(r, 0, sizeof(*r));
    r->cap = cap;
    r->budget = budget;
}

void sk_smtp_line_release(struct sk_smtp_line_reader *r)
{
    free(r->buf);
    sk_mem_uncharge(r->budget, sk_mem_alloc_cost(r->alloc));
    memset(r, 0, sizeof(*r));
}

int sk_smtp_buf_grow(struct sk_mem_budget *b, uint8_t **p, size_t *size, size_t need, size_t max)
{
    if (need <= *size)
        return 0;
    size_t n = *size ? *size : SK_SMTP_LINE_MIN;
    while (n < need)
        n *= 2;
    if (n > max)
        n = max > need ? max : need;
    size_t more = sk_mem_alloc_cost(n) - sk_mem_alloc_cost(*size);
    if (!sk_mem_charge(b, more))
        return SK_E_LIMIT;
    uint8_t *np = realloc(*p, n);
    if (!np) {
        sk_mem_uncharge(b, more);
        return SK_E_NOMEM;
    }
    *p = np;
    *size = n;
    return 0;
}

/* Keeps take more bytes of a partial piece. False when the buffer may not grow. */
static bool carry(struct sk_smtp_line_reader *r, const uint8_t *in, size_t take)
{
    if (sk_smtp_buf_grow(r->budget, &r->buf, &r->alloc, r->len + take, r->cap) < 0) {
        r->refused = true;
        r->len = 0;
        return false;
    }
    memcpy(r->buf + r->len, in, take);
    r->len += take;
    return true;
}

bool sk_smtp_line_next(struct sk_smtp_line_reader *r, size_t limit, const uint8_t **in,
                       size_t *inlen, struct sk_smtp_piece *out)
{
    if (r->refused) {
        *in += *inlen;
        *inlen = 0;
        return false;
    }
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

    if (!complete || r->len > 0) {
        if (!carry(r, *in, take)) {
            *in += *inlen;
            *inlen = 0;
            return false;
        }
        *in += take;
        *inlen -= take;
        if (!complete)
            return false;
        out->ptr = r->buf;
        out->len = r->len;
        r->len = 0;
    } else {
        out->ptr = *in;
        out->len = take;
        *in += take;
        *inlen -= take;
    }
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

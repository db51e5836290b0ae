/* SPDX-License-Identifier: GPL-2.0-only */
/* The transforms of Suricata's rule language, each a pure function from one byte string
 * to another, chained through the two buffers of a struct sk_xform. */
#include "rules/transform.h"

#include <stdlib.h>
#include <string.h>

#include "engine/error.h"

void sk_xform_init(struct sk_xform *x)
{
    memset(x, 0, sizeof(*x));
}

void sk_xform_release(struct sk_xform *x)
{
    free(x->buf[0]);
    free(x->buf[1]);
    memset(x, 0, sizeof(*x));
}

static int reserve(struct sk_xform *x, int i, size_t need)
{
    if (need <= x->cap[i])
        return 0;
    size_t cap = x->cap[i] ? x->cap[i] : 256;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(x->buf[i], cap);
    if (p == NULL)
        return SK_E_NOMEM;
    x->buf[i] = p;
    x->cap[i] = cap;
    return 0;
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int sk_xform_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int b64val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* RFC 4648 decoding that stops at the first byte outside the alphabet (padding ends the
 * data), like Suricata's default from_base64 mode; a trailing partial quantum yields the
 * whole bytes it holds. */
static size_t from_base64(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(in[i]);
        if (v < 0)
            break;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return o;
}

static size_t apply_one(enum sk_transform t, const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0;
    switch (t) {
    case SK_XFORM_TO_LOWERCASE:
        for (size_t i = 0; i < len; i++)
            out[o++] = (in[i] >= 'A' && in[i] <= 'Z') ? (uint8_t)(in[i] + 32) : in[i];
        break;
    case SK_XFORM_TO_UPPERCASE:
        for (size_t i = 0; i < len; i++)
            out[o++] = (in[i] >= 'a' && in[i] <= 'z') ? (uint8_t)(in[i] - 32) : in[i];
        break;
    case SK_XFORM_STRIP_WHITESPACE:
        for (size_t i = 0; i < len; i++)
            if (!is_ws(in[i]))
                out[o++] = in[i];
        break;
    case SK_XFORM_COMPRESS_WHITESPACE:
        /* keeps the first byte of each whitespace run, as Suricata does */
        for (size_t i = 0; i < len;) {
            out[o++] = in[i++];
            if (is_ws(in[i - 1]))
                while (i < len && is_ws(in[i]))
                    i++;
        }
        break;
    case SK_XFORM_URL_DECODE:
        for (size_t i = 0; i < len; i++) {
            if (in[i] == '%' && i + 2 < len && sk_xform_hexval(in[i + 1]) >= 0 &&
                sk_xform_hexval(in[i + 2]) >= 0) {
                out[o++] = (uint8_t)(sk_xform_hexval(in[i + 1]) << 4 | sk_xform_hexval(in[i + 2]));
                i += 2;
            } else if (in[i] == '+') {
                out[o++] = ' ';
            } else {
                out[o++] = in[i];
            }
        }
        break;
    case SK_XFORM_FROM_BASE64:
        o = from_base64(in, len, out);
        break;
    case SK_XFORM_DOTPREFIX:
        out[o++] = '.';
        memcpy(out + o, in, len);
        o += len;
        break;
    }
    return o;
}

int sk_xform_apply(struct sk_xform *x, const enum sk_transform *xf, size_t n, const uint8_t *in,
                   size_t len, const uint8_t **out, size_t *outlen)
{
    const uint8_t *cur = in;
    size_t cur_len = len;
    for (size_t k = 0; k < n; k++) {
        int i = (int)(k & 1);
        /* no transform grows its input by more than one byte */
        if (reserve(x, i, cur_len + 1) != 0)
            return SK_E_NOMEM;
        cur_len = apply_one(xf[k], cur, cur_len, x->buf[i]);
        cur = x->buf[i];
    }
    *out = cur;
    *outlen = cur_len;
    return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Base64, quoted-printable and uuencode line decoders. They never fail: what does not
 * decode is skipped (base64) or kept as it is (quoted-printable) and reported through an
 * invalid flag, which the caller turns into an anomaly. */
#include "parsers/mime/mime_decode.h"

/* 0..63 for the alphabet, 64 for '=', 65 for whitespace, 66 for anything else. */
#define B64_PAD   64
#define B64_SPACE 65
#define B64_BAD   66

static const uint8_t b64_table[256] = {
    66, 66, 66, 66, 66, 66, 66, 66, 66, 65, 65, 66, 66, 65, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
    66, 66, 66, 66, 66, 66, 66, 66, 65, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 62, 66, 66, 66, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 66, 66, 66, 64, 66, 66, 66, 0,  1,  2,  3,  4,  5,  6,
    7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 66, 66, 66, 66, 66,
    66, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48,
    49, 50, 51, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
    66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
    66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
    66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
    66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
    66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
};

static size_t flush_quantum(struct sk_mime__b64 *st, uint8_t *out)
{
    size_t n = 0;
    if (st->n >= 2)
        out[n++] = (uint8_t)(st->q[0] << 2 | st->q[1] >> 4);
    if (st->n >= 3)
        out[n++] = (uint8_t)(st->q[1] << 4 | st->q[2] >> 2);
    if (st->n >= 4)
        out[n++] = (uint8_t)(st->q[2] << 6 | st->q[3]);
    st->n = 0;
    return n;
}

/* in and out never overlap, so the loop keeps its state in registers. */
static size_t b64_quanta(const uint8_t *restrict in, size_t len, uint8_t *restrict out)
{
    size_t i = 0;
    for (; i + 4 <= len; i += 4, out += 3) {
        uint32_t a = b64_table[in[i]], b = b64_table[in[i + 1]], c = b64_table[in[i + 2]],
                 d = b64_table[in[i + 3]];
        if ((a | b | c | d) >= 64)
            break;
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        out[0] = (uint8_t)(v >> 16);
        out[1] = (uint8_t)(v >> 8);
        out[2] = (uint8_t)v;
    }
    return i;
}

size_t sk_mime__b64_quanta(const uint8_t *in, size_t len, uint8_t *out)
{
    return b64_quanta(in, len, out);
}

size_t sk_mime__b64_vec_none(const uint8_t *in, size_t len, uint8_t *out)
{
    return 0;
}

size_t sk_mime__b64_decode(struct sk_mime__b64 *st, const uint8_t *in, size_t len, uint8_t *out,
                           bool *invalid)
{
    sk_mime__b64_vec_fn vec = st->vec != NULL ? st->vec : sk_mime__b64_vec_best;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        /* Fast path: alphabet characters at a quantum boundary, in blocks of 16 or 32 with
         * the vector code, then in quanta of 4 up to the first other byte. */
        if (st->n == 0) {
            size_t used = vec(in + i, len - i, out + o);
            i += used;
            o += used / 4 * 3;
            used = b64_quanta(in + i, len - i, out + o);
            i += used;
            o += used / 4 * 3;
            if (i >= len)
                break;
        }
        int v = b64_table[in[i]];
        if (v == B64_SPACE)
            continue;
        if (v == B64_BAD) {
            *invalid = true;
            continue;
        }
        if (v == B64_PAD) {
            /* '=' closes a quantum of 2 or 3 characters; elsewhere it is misplaced. */
            if (st->n == 2 || st->n == 3)
                o += flush_quantum(st, out + o);
            else if (st->n != 0 || (i > 0 && in[i - 1] != '='))
                *invalid = true;
            st->n = 0;
            continue;
        }
        st->q[st->n++] = (uint8_t)v;
        if (st->n == 4)
            o += flush_quantum(st, out + o);
    }
    return o;
}

size_t sk_mime__b64_finish(struct sk_mime__b64 *st, uint8_t *out, bool *invalid)
{
    /* Missing padding is common and harmless; a lone sixth of a byte is not. */
    if (st->n == 1)
        *invalid = true;
    return flush_quantum(st, out);
}

size_t sk_mime__b64_decode_all(const uint8_t *in, size_t len, uint8_t *out, bool *invalid)
{
    struct sk_mime__b64 st = {{0}, 0, NULL};
    size_t n = sk_mime__b64_decode(&st, in, len, out, invalid);
    return n + sk_mime__b64_finish(&st, out + n, invalid);
}

int sk_mime__hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

size_t sk_mime__qp_decode(struct sk_mime__qp *st, const uint8_t *in, size_t len, bool line_end,
                          uint8_t *out, bool *soft_break, bool *invalid)
{
    size_t o = 0;
    *soft_break = false;
    if (line_end) {
        /* Trailing blanks were added in transport (RFC 2045 6.7 rule 3). */
        while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t'))
            len--;
    }
    /* Join the escape cut at the end of the previous piece with this one. */
    uint8_t tmp[3];
    size_t tn = 0;
    while (st->n > 0 && tn < st->n) {
        tmp[tn] = st->carry[tn];
        tn++;
    }
    st->n = 0;
    size_t i = 0;
    while (tn > 0 && tn < 3 && i < len)
        tmp[tn++] = in[i++];
    if (tn > 0) {
        if (tn == 3) {
            int h = sk_mime__hexval(tmp[1]), l = sk_mime__hexval(tmp[2]);
            if (h >= 0 && l >= 0) {
                out[o++] = (uint8_t)(h << 4 | l);
            } else {
                *invalid = true;
                for (size_t k = 0; k < 3; k++)
                    out[o++] = tmp[k];
            }
        } else if (line_end && tn == 1) {
            *soft_break = true;
        } else if (line_end) {
            *invalid = true;
            for (size_t k = 0; k < tn; k++)
                out[o++] = tmp[k];
        } else {
            for (size_t k = 0; k < tn; k++)
                st->carry[k] = tmp[k];
            st->n = (unsigned)tn;
        }
    }
    for (; i < len; i++) {
        if (in[i] != '=') {
            out[o++] = in[i];
            continue;
        }
        size_t left = len - i - 1;
        if (left == 0) {
            if (line_end) {
                *soft_break = true;
            } else {
                st->carry[0] = '=';
                st->n = 1;
            }
            break;
        }
        if (left == 1 && !line_end) {
            st->carry[0] = '=';
            st->carry[1] = in[i + 1];
            st->n = 2;
            break;
        }
        int h = left >= 2 ? sk_mime__hexval(in[i + 1]) : -1;
        int l = left >= 2 ? sk_mime__hexval(in[i + 2]) : -1;
        if (h >= 0 && l >= 0) {
            out[o++] = (uint8_t)(h << 4 | l);
            i += 2;
        } else {
            *invalid = true;
            out[o++] = '=';
        }
    }
    return o;
}

size_t sk_mime__uu_decode(const uint8_t *in, size_t len, uint8_t *out)
{
    if (len == 0)
        return 0;
    size_t want = (size_t)((in[0] - 0x20) & 0x3f);
    size_t o = 0;
    for (size_t i = 1; i < len && o < want; i += 4) {
        uint8_t c[4];
        for (size_t k = 0; k < 4; k++)
            c[k] = i + k < len ? (uint8_t)((in[i + k] - 0x20) & 0x3f) : 0;
        uint8_t b[3] = {(uint8_t)(c[0] << 2 | c[1] >> 4), (uint8_t)(c[1] << 4 | c[2] >> 2),
                        (uint8_t)(c[2] << 6 | c[3])};
        for (size_t k = 0; k < 3 && o < want; k++)
            out[o++] = b[k];
    }
    return o;
}

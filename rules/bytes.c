/* SPDX-License-Identifier: GPL-2.0-only */
/* Evaluation of byte_test, byte_jump, byte_extract and byte_math with Suricata's
 * semantics (the keywords are parsed in bytes_kw.c). */
#include "rules/bytes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/error.h"

/* ---- evaluation ---- */

static int64_t value_of(const struct sk_byte_value *v, const uint64_t *vars)
{
    return v->var ? (int64_t)vars[v->var - 1] : v->n;
}

/* Reads b's number at p (avail bytes there). Returns the bytes consumed, 0 on failure. */
static size_t extract(const struct sk_bytes *b, const uint8_t *p, size_t avail, uint64_t *out)
{
    if (b->nbytes > avail)
        return 0;
    if (b->base == 0) {
        uint64_t v = 0;
        for (size_t i = 0; i < b->nbytes; i++) {
            size_t k = b->little ? b->nbytes - 1 - i : i;
            v = v << 8 | p[k];
        }
        *out = v;
        return b->nbytes;
    }
    /* as Suricata's ByteExtractString: strtoull on the nbytes, leading digits suffice */
    char s[32];
    memcpy(s, p, b->nbytes);
    s[b->nbytes] = '\0';
    char *end;
    *out = strtoull(s, &end, b->base);
    return end == s ? 0 : (size_t)(end - s);
}

static uint64_t apply_mask(uint64_t v, uint64_t mask)
{
    if (mask == 0)
        return v;
    v &= mask;
    while (v && (mask & 1u) == 0) {
        mask >>= 1;
        v >>= 1;
    }
    return v;
}

bool sk_bytes_eval(const struct sk_match *m, const uint8_t *buf, size_t len, size_t prev,
                   uint64_t *vars, size_t *pos)
{
    const struct sk_bytes *b = &m->u.bytes;
    int64_t at = (b->relative ? (int64_t)prev : 0) + value_of(&b->offset, vars);
    if (at < 0 || at > (int64_t)len || (b->relative && at >= (int64_t)len))
        return false;
    uint64_t v;
    size_t used = extract(b, buf + at, len - (size_t)at, &v);
    if (used == 0)
        return false;
    int64_t end = at + (int64_t)used;
    switch (m->kind) {
    case SK_MATCH_BYTE_TEST: {
        v = apply_mask(v, b->bitmask);
        uint64_t t = (uint64_t)value_of(&b->value, vars);
        bool ok;
        switch (b->op) {
        case SK_BYTEOP_LT:
            ok = v < t;
            break;
        case SK_BYTEOP_GT:
            ok = v > t;
            break;
        case SK_BYTEOP_LE:
            ok = v <= t;
            break;
        case SK_BYTEOP_GE:
            ok = v >= t;
            break;
        case SK_BYTEOP_AND:
            ok = (v & t) != 0;
            break;
        case SK_BYTEOP_XOR:
            ok = (v ^ t) != 0;
            break;
        default:
            ok = v == t;
            break;
        }
        if (ok == b->negated)
            return false;
        *pos = prev;
        return true;
    }
    case SK_MATCH_BYTE_JUMP: {
        v = apply_mask(v, b->bitmask);
        int64_t j = (int64_t)v * (b->multiplier ? b->multiplier : 1);
        if (b->align && j % 4)
            j += 4 - j % 4;
        j += b->post_offset;
        int64_t to = b->from_beginning ? j : b->from_end ? (int64_t)len + j : end + j;
        if (to < 0)
            to = 0; /* Suricata: a jump before the start lands on the start */
        if (to > (int64_t)len)
            return false;
        *pos = (size_t)to;
        return true;
    }
    case SK_MATCH_BYTE_EXTRACT:
        v *= b->multiplier ? b->multiplier : 1;
        if (b->align_to && v % b->align_to)
            v += b->align_to - v % b->align_to;
        vars[b->result] = v;
        *pos = (size_t)end;
        return true;
    case SK_MATCH_BYTE_MATH: {
        uint64_t r = (uint64_t)value_of(&b->value, vars);
        switch (b->op) {
        case SK_BYTEOP_ADD:
            v += r;
            break;
        case SK_BYTEOP_SUB:
            v -= r;
            break;
        case SK_BYTEOP_MUL:
            v *= r;
            break;
        case SK_BYTEOP_DIV:
            if (r == 0)
                return false;
            v /= r;
            break;
        case SK_BYTEOP_SHL:
            v = r < 64 ? v << r : 0;
            break;
        default:
            v = r < 64 ? v >> r : 0;
            break;
        }
        vars[b->result] = apply_mask(v, b->bitmask);
        *pos = (size_t)end;
        return true;
    }
    default:
        return false;
    }
}

static int32_t clamp32(uint64_t v)
{
    return v > 65535u * 16u ? 65535 * 16 : (int32_t)v;
}

void sk_bytes_resolve_content(const struct sk_content *c, const uint64_t *vars,
                              struct sk_content *out)
{
    *out = *c;
    if (c->var_offset)
        out->offset = clamp32(vars[c->var_offset - 1]);
    if (c->var_depth)
        out->depth = clamp32(vars[c->var_depth - 1]);
    if (c->var_distance)
        out->distance = (int32_t)(int64_t)vars[c->var_distance - 1];
    if (c->var_within)
        out->within = clamp32(vars[c->var_within - 1]);
}

bool sk_bytes_group_uses(const struct sk_buffer_group *g)
{
    for (size_t i = 0; i < g->n_matches; i++) {
        const struct sk_match *m = &g->matches[i];
        if (m->kind >= SK_MATCH_BYTE_TEST)
            return true;
        if (m->kind == SK_MATCH_CONTENT && (m->u.content.var_offset || m->u.content.var_depth ||
                                            m->u.content.var_distance || m->u.content.var_within))
            return true;
    }
    return false;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* MD5 as RFC 1321 states it, its 64 steps (mime_md5_steps.h) expanded for one stream or for
 * two streams interleaved step by step, where the vector loops of mime_md5_x86.c do not run;
 * the group of contexts that pair with each other is a list, least recently drained
 * first. */
#include <string.h>

#include "parsers/mime/mime_md5.h"
#include "parsers/mime/mime_md5_steps.h"

/* One step for one stream (registers a0..d0, words x0) or for two (and a1..d1, x1). */
#define ONE(f, a, b, c, d, i, k, s) STEP_##f(a##0, b##0, c##0, d##0, le32(p0 + 4 * (i)), k##u, s)
#define TWO(f, a, b, c, d, i, k, s)                                                                \
    STEP_##f(a##0, b##0, c##0, d##0, le32(p0 + 4 * (i)), k##u, s);                                 \
    STEP_##f(a##1, b##1, c##1, d##1, le32(p1 + 4 * (i)), k##u, s)

static void blocks1(uint32_t h[4], const uint8_t *p0, size_t n)
{
    for (; n > 0; n--, p0 += 64) {
        uint32_t a0 = h[0], b0 = h[1], c0 = h[2], d0 = h[3];
        MD5_STEPS(ONE);
        h[0] += a0;
        h[1] += b0;
        h[2] += c0;
        h[3] += d0;
    }
}

static void blocks2(uint32_t h0[4], const uint8_t *p0, uint32_t h1[4], const uint8_t *p1, size_t n)
{
    for (; n > 0; n--, p0 += 64, p1 += 64) {
        uint32_t a0 = h0[0], b0 = h0[1], c0 = h0[2], d0 = h0[3];
        uint32_t a1 = h1[0], b1 = h1[1], c1 = h1[2], d1 = h1[3];
        MD5_STEPS(TWO);
        h0[0] += a0;
        h0[1] += b0;
        h0[2] += c0;
        h0[3] += d0;
        h1[0] += a1;
        h1[1] += b1;
        h1[2] += c1;
        h1[3] += d1;
    }
}

/* n blocks of c, or of c and m side by side, on the vector loops where they run. */
static void hash1(struct sk_mime__md5 *c, const uint8_t *p, size_t n)
{
    if (n > 0 && (c->group->scalar || !sk_mime__md5_wide1(c->h, p, n)))
        blocks1(c->h, p, n);
}

static void hash2(struct sk_mime__md5 *c, struct sk_mime__md5 *m, size_t n)
{
    if (n > 0 && (c->group->scalar || !sk_mime__md5_wide2(c->h, c->buf, m->h, m->buf, n)))
        blocks2(c->h, c->buf, m->h, m->buf, n);
}

static void consume(struct sk_mime__md5 *c, size_t n)
{
    c->held -= n;
    memmove(c->buf, c->buf + n, c->held);
}

static void unlink_member(struct sk_mime__md5 *c)
{
    struct sk_mime__md5_group *g = c->group;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        g->tail = c->prev;
    c->prev = c->next = NULL;
}

static void append_member(struct sk_mime__md5 *c)
{
    struct sk_mime__md5_group *g = c->group;
    c->next = NULL;
    c->prev = g->tail;
    if (g->tail != NULL)
        g->tail->next = c;
    else
        g->head = c;
    g->tail = c;
}

/* Members looked at for a partner, from the least recently drained (which have had the
 * longest to fill their buffers): a bound, so a worker with thousands of messages under way
 * pays the same per drain. */
#define PARTNER_LOOK 8

/* The member (not c) holding the most whole blocks, up to nc; NULL when none holds one. */
static struct sk_mime__md5 *partner(struct sk_mime__md5 *c, size_t nc)
{
    struct sk_mime__md5 *best = NULL;
    size_t most = 0;
    int looked = 0;
    for (struct sk_mime__md5 *m = c->group->head; m != NULL && looked < PARTNER_LOOK; m = m->next) {
        if (m == c)
            continue;
        looked++;
        if (m->held / 64 > most) {
            most = m->held / 64;
            best = m;
            if (most >= nc)
                break;
        }
    }
    return best;
}

/* Hashes the whole blocks c holds, as many as a partner holds side by side with the
 * partner's. While c stays on, the rest is hashed alone only down to keep bytes, oldest
 * first, so the next bytes of the others find some to pair with. c then goes to the end
 * of its group. */
static void drain(struct sk_mime__md5 *c, size_t keep)
{
    size_t nc = c->held / 64, both = 0;
    struct sk_mime__md5 *m = partner(c, nc);
    if (m != NULL) {
        size_t nm = m->held / 64;
        both = nc < nm ? nc : nm;
        hash2(c, m, both);
        consume(m, both * 64);
    }
    size_t alone = c->held - both * 64 > keep ? (c->held - both * 64 - keep) / 64 : 0;
    hash1(c, c->buf + both * 64, alone);
    consume(c, (both + alone) * 64);
    unlink_member(c);
    append_member(c);
}

void sk_mime__md5_init(struct sk_mime__md5 *c, struct sk_mime__md5_group *g)
{
    if (c->on)
        unlink_member(c);
    c->h[0] = 0x67452301;
    c->h[1] = 0xefcdab89;
    c->h[2] = 0x98badcfe;
    c->h[3] = 0x10325476;
    c->len = 0;
    c->held = 0;
    c->on = true;
    c->group = g;
    append_member(c);
}

void sk_mime__md5_stop(struct sk_mime__md5 *c)
{
    if (c->on)
        unlink_member(c);
    c->on = false;
    c->held = 0;
}

void sk_mime__md5_update(struct sk_mime__md5 *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    c->len += n;
    while (n > 0) {
        size_t take = sizeof(c->buf) - c->held;
        if (take > n)
            take = n;
        memcpy(c->buf + c->held, b, take);
        c->held += take;
        b += take;
        n -= take;
        if (c->held == sizeof(c->buf))
            drain(c, sizeof(c->buf) / 2);
    }
}

void sk_mime__md5_final(struct sk_mime__md5 *c, uint8_t out[16])
{
    if (c->held >= 64)
        drain(c, 0);
    /* The padding: 0x80, zeros up to 56 mod 64, the length in bits (little-endian). */
    uint8_t *t = c->buf + c->held;
    size_t pad = (c->held < 56 ? 56 : 120) - c->held;
    uint64_t bits = c->len * 8;
    t[0] = 0x80;
    memset(t + 1, 0, pad - 1);
    for (int i = 0; i < 8; i++)
        t[pad + (size_t)i] = (uint8_t)(bits >> (8 * i));
    hash1(c, c->buf, (c->held + pad + 8) / 64);
    for (int i = 0; i < 4; i++) {
        out[4 * i] = (uint8_t)c->h[i];
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 3] = (uint8_t)(c->h[i] >> 24);
    }
    sk_mime__md5_stop(c);
}

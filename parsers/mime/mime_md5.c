/* SPDX-License-Identifier: GPL-2.0-only */
/* MD5 as RFC 1321 states it, its 64 steps written out once (MD5_STEPS) and expanded for
 * one stream or for two streams interleaved step by step; the group of contexts that pair
 * with each other is a list, least recently drained first. */
#include <string.h>

#include "parsers/mime/mime_md5.h"

#define ROTL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))

/* Each step adds the word and the constant first, off the chain through b; G is split in
 * two disjoint halves so the half without b is ready early (as OpenSSL's assembly does), and
 * H takes c ^ d, ready early, before b: one operation after b instead of two (3% faster on
 * one stream here). */
#define STEP_F(a, b, c, d, x, k, s)                                                                \
    do {                                                                                           \
        a += (x) + (k);                                                                            \
        a += (d) ^ ((b) & ((c) ^ (d)));                                                            \
        a = ROTL(a, s) + (b);                                                                      \
    } while (0)
#define STEP_G(a, b, c, d, x, k, s)                                                                \
    do {                                                                                           \
        a += (x) + (k) + (~(d) & (c));                                                             \
        a += (d) & (b);                                                                            \
        a = ROTL(a, s) + (b);                                                                      \
    } while (0)
#define STEP_H(a, b, c, d, x, k, s)                                                                \
    do {                                                                                           \
        a += (x) + (k);                                                                            \
        a += (b) ^ ((c) ^ (d));                                                                    \
        a = ROTL(a, s) + (b);                                                                      \
    } while (0)
#define STEP_I(a, b, c, d, x, k, s)                                                                \
    do {                                                                                           \
        a += (x) + (k);                                                                            \
        a += (c) ^ ((b) | ~(d));                                                                   \
        a = ROTL(a, s) + (b);                                                                      \
    } while (0)

/* Four steps of one round: the registers turn (a b c d), (d a b c), (c d a b), (b c d a). */
#define QUAD(S, f, i0, k0, s0, i1, k1, s1, i2, k2, s2, i3, k3, s3)                                 \
    S(f, a, b, c, d, i0, k0, s0);                                                                  \
    S(f, d, a, b, c, i1, k1, s1);                                                                  \
    S(f, c, d, a, b, i2, k2, s2);                                                                  \
    S(f, b, c, d, a, i3, k3, s3)

#define MD5_STEPS(S)                                                                               \
    QUAD(S, F, 0, 0xd76aa478, 7, 1, 0xe8c7b756, 12, 2, 0x242070db, 17, 3, 0xc1bdceee, 22);         \
    QUAD(S, F, 4, 0xf57c0faf, 7, 5, 0x4787c62a, 12, 6, 0xa8304613, 17, 7, 0xfd469501, 22);         \
    QUAD(S, F, 8, 0x698098d8, 7, 9, 0x8b44f7af, 12, 10, 0xffff5bb1, 17, 11, 0x895cd7be, 22);       \
    QUAD(S, F, 12, 0x6b901122, 7, 13, 0xfd987193, 12, 14, 0xa679438e, 17, 15, 0x49b40821, 22);     \
    QUAD(S, G, 1, 0xf61e2562, 5, 6, 0xc040b340, 9, 11, 0x265e5a51, 14, 0, 0xe9b6c7aa, 20);         \
    QUAD(S, G, 5, 0xd62f105d, 5, 10, 0x02441453, 9, 15, 0xd8a1e681, 14, 4, 0xe7d3fbc8, 20);        \
    QUAD(S, G, 9, 0x21e1cde6, 5, 14, 0xc33707d6, 9, 3, 0xf4d50d87, 14, 8, 0x455a14ed, 20);         \
    QUAD(S, G, 13, 0xa9e3e905, 5, 2, 0xfcefa3f8, 9, 7, 0x676f02d9, 14, 12, 0x8d2a4c8a, 20);        \
    QUAD(S, H, 5, 0xfffa3942, 4, 8, 0x8771f681, 11, 11, 0x6d9d6122, 16, 14, 0xfde5380c, 23);       \
    QUAD(S, H, 1, 0xa4beea44, 4, 4, 0x4bdecfa9, 11, 7, 0xf6bb4b60, 16, 10, 0xbebfbc70, 23);        \
    QUAD(S, H, 13, 0x289b7ec6, 4, 0, 0xeaa127fa, 11, 3, 0xd4ef3085, 16, 6, 0x04881d05, 23);        \
    QUAD(S, H, 9, 0xd9d4d039, 4, 12, 0xe6db99e5, 11, 15, 0x1fa27cf8, 16, 2, 0xc4ac5665, 23);       \
    QUAD(S, I, 0, 0xf4292244, 6, 7, 0x432aff97, 10, 14, 0xab9423a7, 15, 5, 0xfc93a039, 21);        \
    QUAD(S, I, 12, 0x655b59c3, 6, 3, 0x8f0ccc92, 10, 10, 0xffeff47d, 15, 1, 0x85845dd1, 21);       \
    QUAD(S, I, 8, 0x6fa87e4f, 6, 15, 0xfe2ce6e0, 10, 6, 0xa3014314, 15, 13, 0x4e0811a1, 21);       \
    QUAD(S, I, 4, 0xf7537e82, 6, 11, 0xbd3af235, 10, 2, 0x2ad7d2bb, 15, 9, 0xeb86d391, 21)

/* One step for one stream (registers a0..d0, words x0) or for two (and a1..d1, x1). */
#define ONE(f, a, b, c, d, i, k, s) STEP_##f(a##0, b##0, c##0, d##0, le32(p0 + 4 * (i)), k##u, s)
#define TWO(f, a, b, c, d, i, k, s)                                                                \
    STEP_##f(a##0, b##0, c##0, d##0, le32(p0 + 4 * (i)), k##u, s);                                 \
    STEP_##f(a##1, b##1, c##1, d##1, le32(p1 + 4 * (i)), k##u, s)

/* A message word: little-endian, read in place (one load on a little-endian CPU). */
static inline uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    if (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
        v = __builtin_bswap32(v);
    return v;
}

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
        blocks2(c->h, c->buf, m->h, m->buf, both);
        consume(m, both * 64);
    }
    size_t alone = c->held - both * 64 > keep ? (c->held - both * 64 - keep) / 64 : 0;
    blocks1(c->h, c->buf + both * 64, alone);
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
    blocks1(c->h, c->buf, (c->held + pad + 8) / 64);
    for (int i = 0; i < 4; i++) {
        out[4 * i] = (uint8_t)c->h[i];
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 3] = (uint8_t)(c->h[i] >> 24);
    }
    sk_mime__md5_stop(c);
}

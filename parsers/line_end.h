/* SPDX-License-Identifier: GPL-2.0-only */
/* Line ends found 64 bytes a step, from a bit mask of the LFs of each 64 bytes taken bit by
 * bit, so a line costs a few instructions and no libc call (a memchr per 76-byte line is
 * mostly call and setup). sk_line_end_run() finds a run of whole lines for the SMTP DATA
 * framing in one pass (AVX-512BW or AVX2 picked at run time on x86: line_end_x86.c; SSE2 or a
 * word at a time otherwise: line_end.c, line_end_portable.c); struct sk_line_ends hands out
 * the LFs of a buffer one by one, inline, for the MIME line splitter. */
#ifndef SK_PARSERS_LINE_END_H
#define SK_PARSERS_LINE_END_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Bit i set when p[i] is an LF, for the 64 bytes at p: the word-at-a-time version, exact per
 * byte (no borrow crosses bytes). */
static inline uint64_t sk_line_end_mask64_portable(const uint8_t *p)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
    uint64_t mask = 0;
    for (unsigned w = 0; w < 8; w++) {
        uint64_t v;
        memcpy(&v, p + 8 * w, 8);
        if (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
            v = __builtin_bswap64(v);
        v ^= 0x0a0a0a0a0a0a0a0aULL;
        /* 0x80 in each byte that is zero, 0 elsewhere */
        uint64_t zero = ~(((v & low7) + low7) | v | low7);
        /* byte k's bit to bit 56 + k: the products land on distinct bits, without carries */
        uint64_t bits = ((zero >> 7) * 0x0102040810204080ULL) >> 56;
        mask |= bits << (8 * w);
    }
    return mask;
}

/* Bit i set when p[i] is an LF, for the 64 bytes at p: SSE2 where the compiler targets it. */
static inline uint64_t sk_line_end_mask64(const uint8_t *p)
{
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i *v = (const __m128i *)(const void *)p;
    uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(v), lf));
    uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(v + 1), lf));
    uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(v + 2), lf));
    uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(v + 3), lf));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
#else
    return sk_line_end_mask64_portable(p);
#endif
}

/* The body of a run function (see sk_line_end_run()) over a 64-byte mask function: the last,
 * short block is copied into a zeroed one. From a block on that starts limit bytes or more
 * after the run, no line can join it: the scan stops there, as a memchr bounded by the limit
 * would. */
#define SK_LINE_END_RUN(MASK64)                                                                    \
    size_t used = 0;                                                                               \
    uint64_t count = 0;                                                                            \
    for (size_t from = 0; from < n && from - used < limit; from += 64) {                           \
        uint64_t m;                                                                                \
        if (n - from >= 64) {                                                                      \
            m = MASK64(p + from);                                                                  \
        } else {                                                                                   \
            uint8_t tail[64] = {0};                                                                \
            memcpy(tail, p + from, n - from);                                                      \
            m = MASK64(tail);                                                                      \
        }                                                                                          \
        for (; m != 0; m &= m - 1) {                                                               \
            size_t lf = from + (size_t)__builtin_ctzll(m);                                         \
            if (lf - used >= limit)                                                                \
                break;                                                                             \
            used = lf + 1;                                                                         \
            count++;                                                                               \
            if (used < n && p[used] == '.') {                                                      \
                *lines = count;                                                                    \
                return used;                                                                       \
            }                                                                                      \
        }                                                                                          \
        if (m != 0)                                                                                \
            break;                                                                                 \
    }                                                                                              \
    *lines = count;                                                                                \
    return used

/* The run of whole lines at the start of p[0..n) that none starts with a dot after the first:
 * the offset just after the last LF before the first LF followed by a '.' (or the last LF),
 * taking no line longer than limit bytes (its LF included), the first too long one ending
 * the run. *lines is the number of lines (LFs) in it. One pass, 64 bytes a step; borrowed p;
 * thread-safe. */
size_t sk_line_end_run(const uint8_t *p, size_t n, size_t limit, uint64_t *lines);

/* The same with sk_line_end_mask64() (the fallback of the x86 version; for tests). */
size_t sk_line_end__run_base(const uint8_t *p, size_t n, size_t limit, uint64_t *lines);

/* The LFs of p[0..n) found 64 bytes a step, handed out in order: inline, so a line that ends
 * in the current block costs a shift, a test and a ctz. Borrowed p, valid while it is used. */
struct sk_line_ends {
    const uint8_t *p;
    size_t n;
    size_t base;   /* the block the mask covers: p[base..base + 64) */
    uint64_t mask; /* its LFs (none at n and after) */
};

static inline uint64_t sk_line_ends__block(const struct sk_line_ends *s, size_t base)
{
    if (s->n - base >= 64)
        return sk_line_end_mask64(s->p + base);
    uint8_t tail[64] = {0};
    memcpy(tail, s->p + base, s->n - base);
    return sk_line_end_mask64(tail);
}

static inline void sk_line_ends_init(struct sk_line_ends *s, const uint8_t *p, size_t n)
{
    s->p = p;
    s->n = n;
    s->base = 0;
    s->mask = n > 0 ? sk_line_ends__block(s, 0) : 0;
}

/* sk_line_ends_next() from outside the current block: from the block holding from. */
static inline size_t sk_line_ends__seek(struct sk_line_ends *s, size_t from)
{
    if (from >= s->n)
        return s->n;
    s->base = from & ~(size_t)63;
    s->mask = sk_line_ends__block(s, s->base);
    uint64_t m = s->mask & (~0ULL << (from - s->base));
    while (m == 0) {
        if (s->base + 64 >= s->n)
            return s->n; /* the block stays the last one: asked again, the answer is quick */
        s->base += 64;
        m = s->mask = sk_line_ends__block(s, s->base);
    }
    return s->base + (size_t)__builtin_ctzll(m);
}

/* sk_line_ends_next() into the last block, which is short (copied), or past the end. */
static inline size_t sk_line_ends__last(struct sk_line_ends *s)
{
    if (s->base + 64 >= s->n)
        return s->n; /* as above */
    s->base += 64;
    s->mask = sk_line_ends__block(s, s->base);
    return s->mask != 0 ? s->base + (size_t)__builtin_ctzll(s->mask) : s->n;
}

/* The offset of the first LF at or after from, or n when there is none. from never goes back
 * (it is no less than the from of the call before). */
__attribute__((always_inline)) static inline size_t sk_line_ends_next(struct sk_line_ends *s,
                                                                      size_t from)
{
    size_t d = from - s->base;
    if (d >= 64) {
        /* Before the block (the difference wraps): the reader went past from's block only
         * when no LF lay there at or after the from before, and from never goes back, so
         * none lies between from and the block: it is not scanned again (a long line that
         * the MIME splitter takes in pieces is scanned once). */
        if (from < s->base)
            d = 0;
        else
            return sk_line_ends__seek(s, from);
    }
    uint64_t m = s->mask & (~0ULL << d);
    while (m == 0) {
        if (s->base + 128 > s->n)
            return sk_line_ends__last(s);
        s->base += 64;
        m = s->mask = sk_line_end_mask64(s->p + s->base);
    }
    return s->base + (size_t)__builtin_ctzll(m);
}

#endif

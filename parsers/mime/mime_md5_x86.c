/* SPDX-License-Identifier: GPL-2.0-only */
/* MD5's block loops with AVX-512VL, picked at run time (mime_md5.h): the registers of one
 * stream live in lane 0 of four vector registers, of two streams in lanes 0 and 1. MD5 is a
 * chain of dependent steps; in the scalar loop F and I take two operations after b and a
 * step five cycles, while vpternlogd computes any of the four functions in one and vprold
 * rotates in one: four cycles a step, for one stream or two at once. */
#include <immintrin.h>
#include <stdbool.h>

#include "parsers/mime/mime_md5.h"
#include "parsers/mime/mime_md5_steps.h"

/* vpternlogd's truth tables of b, c, d (0xf0, 0xcc, 0xaa) for F, G, H and I */
#define TT_F 0xca /* (b & c) | (~b & d) */
#define TT_G 0xe4 /* (b & d) | (c & ~d) */
#define TT_H 0x96 /* b ^ c ^ d */
#define TT_I 0x39 /* c ^ (b | ~d) */

/* One step on vector registers, w the lanes' message words plus the constant. a + w comes
 * first, off the chain through b: the empty asm keeps the compiler from reassociating the
 * two additions, which would put both after the function, a cycle more a step. */
#define VSTEP(f, a, b, c, d, w, s)                                                                 \
    do {                                                                                           \
        a = _mm_add_epi32(a, (w));                                                                 \
        __asm__("" : "+v"(a));                                                                     \
        a = _mm_add_epi32(a, _mm_ternarylogic_epi32(b, c, d, TT_##f));                             \
        a = _mm_rol_epi32(a, s);                                                                   \
        a = _mm_add_epi32(a, b);                                                                   \
    } while (0)
/* The lanes' message words of step i plus the constant: lane 1's only for two streams. */
#define VWORD(i, k)                                                                                \
    (two ? _mm_set_epi32(0, 0, (int)(le32(p1 + 4 * (i)) + k##u), (int)(le32(p0 + 4 * (i)) + k##u)) \
         : _mm_cvtsi32_si128((int)(le32(p0 + 4 * (i)) + k##u)))
#define VLANES(f, a, b, c, d, i, k, s) VSTEP(f, a##0, b##0, c##0, d##0, VWORD(i, k), s)

/* n blocks of one stream (two false: h1 and p1 are not used) or of two side by side. Inlined
 * into blocks1() and blocks2() with two a constant, so each has its own loop. */
__attribute__((target("avx512f,avx512vl"), always_inline)) static inline void
blocks(uint32_t h0[4], const uint8_t *p0, uint32_t h1[4], const uint8_t *p1, size_t n, bool two)
{
    __m128i a0 = _mm_set_epi32(0, 0, two ? (int)h1[0] : 0, (int)h0[0]);
    __m128i b0 = _mm_set_epi32(0, 0, two ? (int)h1[1] : 0, (int)h0[1]);
    __m128i c0 = _mm_set_epi32(0, 0, two ? (int)h1[2] : 0, (int)h0[2]);
    __m128i d0 = _mm_set_epi32(0, 0, two ? (int)h1[3] : 0, (int)h0[3]);
    for (; n > 0; n--, p0 += 64, p1 += 64) {
        __m128i sa = a0, sb = b0, sc = c0, sd = d0;
        MD5_STEPS(VLANES);
        a0 = _mm_add_epi32(a0, sa);
        b0 = _mm_add_epi32(b0, sb);
        c0 = _mm_add_epi32(c0, sc);
        d0 = _mm_add_epi32(d0, sd);
    }
    uint32_t v[4][4];
    _mm_storeu_si128((__m128i *)v[0], a0);
    _mm_storeu_si128((__m128i *)v[1], b0);
    _mm_storeu_si128((__m128i *)v[2], c0);
    _mm_storeu_si128((__m128i *)v[3], d0);
    for (int r = 0; r < 4; r++) {
        h0[r] = v[r][0];
        if (two)
            h1[r] = v[r][1];
    }
}

__attribute__((target("avx512f,avx512vl"))) static void blocks1(uint32_t h[4], const uint8_t *p,
                                                                size_t n)
{
    blocks(h, p, NULL, p, n, false);
}

__attribute__((target("avx512f,avx512vl"))) static void
blocks2(uint32_t h0[4], const uint8_t *p0, uint32_t h1[4], const uint8_t *p1, size_t n)
{
    blocks(h0, p0, h1, p1, n, true);
}

bool sk_mime__md5_wide1(uint32_t h[4], const uint8_t *p, size_t n)
{
    if (!__builtin_cpu_supports("avx512vl"))
        return false;
    blocks1(h, p, n);
    return true;
}

bool sk_mime__md5_wide2(uint32_t h0[4], const uint8_t *p0, uint32_t h1[4], const uint8_t *p1,
                        size_t n)
{
    if (!__builtin_cpu_supports("avx512vl"))
        return false;
    blocks2(h0, p0, h1, p1, n);
    return true;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* The URL search's wide filter on x86: 64 bytes a step with AVX-512BW, 32 with AVX2, picked at
 * run time (the x86-64 baseline is SSE2, which the 16-byte filter of mime_url.c uses). Both
 * are the same generic-vector code at two widths. */
#include <string.h>

#include "parsers/mime/mime_url.h"

typedef uint8_t v32 __attribute__((vector_size(32)));
typedef uint8_t v64 __attribute__((vector_size(64)));

/* W bytes a step: stops at the first step where some prefix's three bytes may start. */
#define SKIP(V, W)                                                                                 \
    V x[8][3];                                                                                     \
    for (size_t k = 0; k < npre; k++)                                                              \
        for (size_t j = 0; j < 3; j++)                                                             \
            memset(&x[k][j], pre[k][j], sizeof(V));                                                \
    for (; i + (W) + 2 <= n; i += (W)) {                                                           \
        V a, b, c, hit = {0};                                                                      \
        memcpy(&a, p + i, (W));                                                                    \
        memcpy(&b, p + i + 1, (W));                                                                \
        memcpy(&c, p + i + 2, (W));                                                                \
        a |= 0x20;                                                                                 \
        b |= 0x20;                                                                                 \
        c |= 0x20;                                                                                 \
        for (size_t k = 0; k < npre; k++)                                                          \
            hit |= (V)((a == x[k][0]) & (b == x[k][1]) & (c == x[k][2]));                          \
        uint64_t w[(W) / 8], any = 0;                                                              \
        memcpy(w, &hit, sizeof(w));                                                                \
        for (size_t k = 0; k < (W) / 8; k++)                                                       \
            any |= w[k];                                                                           \
        if (any != 0)                                                                              \
            return i;                                                                              \
    }                                                                                              \
    return i

__attribute__((target("avx2"))) static size_t skip_avx2(const uint8_t (*pre)[3], size_t npre,
                                                        const uint8_t *p, size_t i, size_t n)
{
    SKIP(v32, 32);
}

__attribute__((target("avx512bw"))) static size_t skip_avx512(const uint8_t (*pre)[3], size_t npre,
                                                              const uint8_t *p, size_t i, size_t n)
{
    SKIP(v64, 64);
}

size_t sk_mime__url_skip_wide(const uint8_t (*pre)[3], size_t npre, const uint8_t *p, size_t i,
                              size_t n)
{
    if (npre == 0 || npre > 8)
        return i;
    if (__builtin_cpu_supports("avx512bw"))
        return skip_avx512(pre, npre, p, i, n);
    if (__builtin_cpu_supports("avx2"))
        return skip_avx2(pre, npre, p, i, n);
    return i;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* The run of whole lines on x86: a 64-byte LF mask in one compare with AVX-512BW, two with
 * AVX2, picked at run time; SSE2 (the x86-64 baseline, line_end.c) otherwise. */
#include <immintrin.h>

#include "parsers/line_end.h"

__attribute__((target("avx2"))) static inline uint64_t mask64_avx2(const uint8_t *p)
{
    const __m256i lf = _mm256_set1_epi8('\n');
    const __m256i *v = (const __m256i *)(const void *)p;
    uint64_t lo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(v), lf));
    uint64_t hi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(v + 1), lf));
    return lo | hi << 32;
}

__attribute__((target("avx2"))) static size_t run_avx2(const uint8_t *p, size_t n, size_t limit,
                                                       uint64_t *lines)
{
    SK_LINE_END_RUN(mask64_avx2);
}

__attribute__((target("avx512bw"))) static inline uint64_t mask64_avx512(const uint8_t *p)
{
    return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)p), _mm512_set1_epi8('\n'));
}

__attribute__((target("avx512bw"))) static size_t run_avx512(const uint8_t *p, size_t n,
                                                             size_t limit, uint64_t *lines)
{
    SK_LINE_END_RUN(mask64_avx512);
}

size_t sk_line_end_run(const uint8_t *p, size_t n, size_t limit, uint64_t *lines)
{
    if (__builtin_cpu_supports("avx512bw"))
        return run_avx512(p, n, limit, lines);
    if (__builtin_cpu_supports("avx2"))
        return run_avx2(p, n, limit, lines);
    return sk_line_end__run_base(p, n, limit, lines);
}

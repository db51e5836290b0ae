/* SPDX-License-Identifier: GPL-2.0-only */
/* The vector fast path of the base64 decoder on x86: 32 characters a step with AVX2, 16 with
 * SSSE3, chosen at run time since the x86-64 baseline is SSE2. Each step checks and
 * translates its characters with nibble-indexed byte shuffles and packs 4x6 bits into 3 bytes
 * with two multiply-adds (W. Muła and D. Lemire, "Faster Base64 Encoding and Decoding Using
 * AVX2 Instructions", 2018); the scalar code in mime_decode.c does everything else. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "parsers/mime/mime_decode.h"

/* The tables are 16 bytes, indexed by a nibble, written twice for the two AVX2 lanes.
 *
 * A byte c is in the alphabet when BAD_LO[c & 15] & BAD_HI[c >> 4] is 0. Each bit names the
 * low nibbles that are bad for a group of high nibbles: 0x01 all of them (high 0, 1, 8-15),
 * 0x02 all but B and F (high 2: '+', '/'), 0x04 A-F (high 3: digits), 0x08 0 (high 4 and 6:
 * letters from 'A' and 'a'), 0x10 B-F (high 5 and 7: letters to 'Z' and 'z'). */
#define BAD_LO                                                                                     \
    0x0b, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x07, 0x15, 0x17, 0x17, 0x17, 0x15
#define BAD_HI                                                                                     \
    0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x10, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01
/* What to add to a valid character to get its value, by high nibble; '/' (high 2) is moved
 * to slot 1 so that it and '+' get their own. */
#define ADD   0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0
/* Takes the three value bytes of each 32-bit word (a<<18 | b<<12 | c<<6 | d) high first. */
#define ORDER 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1

/* Decodes 16 characters into 12 bytes, or returns false (and writes nothing) when one of them
 * is not in the alphabet. */
__attribute__((target("ssse3"))) static inline bool block16(const uint8_t *in, uint8_t *out)
{
    const __m128i nibble = _mm_set1_epi8(0x0f);
    __m128i v = _mm_loadu_si128((const __m128i *)in);
    __m128i hi = _mm_and_si128(_mm_srli_epi32(v, 4), nibble);
    __m128i bad = _mm_and_si128(_mm_shuffle_epi8(_mm_setr_epi8(BAD_LO), _mm_and_si128(v, nibble)),
                                _mm_shuffle_epi8(_mm_setr_epi8(BAD_HI), hi));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, _mm_setzero_si128())) != 0xffff)
        return false;
    __m128i slash = _mm_cmpeq_epi8(v, _mm_set1_epi8('/'));
    v = _mm_add_epi8(v, _mm_shuffle_epi8(_mm_setr_epi8(ADD), _mm_add_epi8(hi, slash)));
    v = _mm_maddubs_epi16(v, _mm_set1_epi32(0x01400140));
    v = _mm_madd_epi16(v, _mm_set1_epi32(0x00011000));
    v = _mm_shuffle_epi8(v, _mm_setr_epi8(ORDER));
    _mm_storel_epi64((__m128i *)out, v);
    uint32_t tail = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(v, 8));
    memcpy(out + 8, &tail, 4);
    return true;
}

/* The same for 32 characters into 24 bytes. */
__attribute__((target("avx2"))) static inline bool block32(const uint8_t *in, uint8_t *out)
{
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    __m256i v = _mm256_loadu_si256((const __m256i *)in);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), nibble);
    __m256i bad = _mm256_and_si256(
        _mm256_shuffle_epi8(_mm256_setr_epi8(BAD_LO, BAD_LO), _mm256_and_si256(v, nibble)),
        _mm256_shuffle_epi8(_mm256_setr_epi8(BAD_HI, BAD_HI), hi));
    if (!_mm256_testz_si256(bad, bad))
        return false;
    __m256i slash = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('/'));
    v = _mm256_add_epi8(
        v, _mm256_shuffle_epi8(_mm256_setr_epi8(ADD, ADD), _mm256_add_epi8(hi, slash)));
    v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
    v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
    v = _mm256_shuffle_epi8(v, _mm256_setr_epi8(ORDER, ORDER));
    /* 12 bytes in each 128-bit lane; join them into the low 24. */
    v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
    _mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(v));
    _mm_storel_epi64((__m128i *)(out + 16), _mm256_extracti128_si256(v, 1));
    return true;
}

/* After the whole blocks, the whole quanta left (fewer than a block) are decoded with one
 * more block that ends with them and so overlaps the one before: it decodes the same
 * characters into the same bytes again. A 76-character line takes three AVX2 blocks. */
__attribute__((target("ssse3"))) static size_t decode_ssse3(const uint8_t *in, size_t len,
                                                            uint8_t *out)
{
    size_t i = 0;
    for (; i + 16 <= len; i += 16)
        if (!block16(in + i, out + i / 4 * 3))
            return i;
    size_t left = (len - i) & ~(size_t)3;
    if (i > 0 && left > 0 && block16(in + i + left - 16, out + (i + left - 16) / 4 * 3))
        i += left;
    return i;
}

__attribute__((target("avx2"))) static size_t decode_avx2(const uint8_t *in, size_t len,
                                                          uint8_t *out)
{
    size_t i = 0;
    for (; i + 32 <= len; i += 32)
        if (!block32(in + i, out + i / 4 * 3))
            return i + decode_ssse3(in + i, len - i, out + i / 4 * 3);
    size_t left = (len - i) & ~(size_t)3;
    if (i > 0 && left > 0 && block32(in + i + left - 32, out + (i + left - 32) / 4 * 3))
        return i + left;
    return i + decode_ssse3(in + i, len - i, out + i / 4 * 3);
}

size_t sk_mime__b64_vec_list(struct sk_mime__b64_vec *v, size_t n)
{
    size_t k = 0;
    if (k < n && __builtin_cpu_supports("avx2"))
        v[k++] = (struct sk_mime__b64_vec){"avx2", decode_avx2};
    if (k < n && __builtin_cpu_supports("ssse3"))
        v[k++] = (struct sk_mime__b64_vec){"ssse3", decode_ssse3};
    return k;
}

size_t sk_mime__b64_vec_best(const uint8_t *in, size_t len, uint8_t *out)
{
    if (len < 16)
        return 0;
    if (__builtin_cpu_supports("avx2"))
        return decode_avx2(in, len, out);
    if (__builtin_cpu_supports("ssse3"))
        return decode_ssse3(in, len, out);
    return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* MD5's 64 steps (RFC 1321) written out once, for the scalar loops of mime_md5.c and the
 * vector ones of mime_md5_x86.c: MD5_STEPS(S) expands S(f, a, b, c, d, i, k, s) per step, f
 * the round's function (F G H I), a..d the registers in the step's order, i the message
 * word, k the constant (hex digits without the u), s the rotation. Internal to
 * parsers/mime/. */
#ifndef SK_MIME_MD5_STEPS_H
#define SK_MIME_MD5_STEPS_H

#include <stdint.h>
#include <string.h>

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

/* A message word: little-endian, read in place (one load on a little-endian CPU). */
static inline uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    if (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
        v = __builtin_bswap32(v);
    return v;
}

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* Line decoders of the MIME decoder: base64, quoted-printable and uuencode, each fed one
 * line (or one piece of an over-long line) at a time with a small state carried between
 * calls, so a part is decoded in a bounded buffer whatever its size. Internal to parsers/mime/
 * (hence the sk_mime__ prefix). */
#ifndef SK_MIME_DECODE_H
#define SK_MIME_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A vector base64 decoder: decodes blocks of 16 or 32 alphabet characters from the start of
 * in and stops before the first block that holds any other byte or would pass len (the
 * whole quanta after the last whole block may be decoded too). Returns the characters used
 * (a multiple of 4) and writes exactly 3/4 of them to out. */
typedef size_t (*sk_mime__b64_vec_fn)(const uint8_t *in, size_t len, uint8_t *out);

struct sk_mime__b64 {
    uint8_t q[4];
    unsigned n;
    /* The vector decoder of the fast path; NULL (a zeroed state) picks the widest this CPU
     * runs at each call. Tests set it to compare one variant, or sk_mime__b64_vec_none. */
    sk_mime__b64_vec_fn vec;
};

struct sk_mime__b64_vec {
    const char *name; /* "avx2", "ssse3" */
    sk_mime__b64_vec_fn decode;
};

/* The vector decoders of this build that this CPU runs, widest first: writes up to n to v and
 * returns how many it wrote. x86 builds have AVX2 and SSSE3 ones (mime_b64_x86.c), others
 * none (mime_b64_portable.c). Thread-safe. */
size_t sk_mime__b64_vec_list(struct sk_mime__b64_vec *v, size_t n);
/* The widest vector decoder this CPU runs; uses nothing (returns 0) where there is none. */
size_t sk_mime__b64_vec_best(const uint8_t *in, size_t len, uint8_t *out);
/* Uses nothing: the scalar code alone. */
size_t sk_mime__b64_vec_none(const uint8_t *in, size_t len, uint8_t *out);
/* The scalar fast path: decodes whole quanta of four alphabet characters from the start of
 * in and stops at the first that holds another byte; returns the characters used. */
size_t sk_mime__b64_quanta(const uint8_t *in, size_t len, uint8_t *out);

/* Decodes in (any whitespace, line breaks or junk allowed) into out, which has room for
 * len * 3 / 4 + 3 bytes; returns the bytes written. Sets *invalid on a byte outside the
 * alphabet or a misplaced '='. */
size_t sk_mime__b64_decode(struct sk_mime__b64 *st, const uint8_t *in, size_t len, uint8_t *out,
                           bool *invalid);
/* Ends the input: writes the bytes of an unpadded final quantum (room for 3); sets
 * *invalid when a single character was left, which cannot encode a byte. */
size_t sk_mime__b64_finish(struct sk_mime__b64 *st, uint8_t *out, bool *invalid);

struct sk_mime__qp {
    uint8_t carry[2]; /* "=" or "=X" cut at the end of a piece */
    unsigned n;
};

/* Decodes one quoted-printable line piece into out (room for len + 2). line_end says
 * whether in ends the line: then trailing blanks are dropped and *soft_break tells whether
 * the line ended with '=' (no line break in the output). Invalid escapes are kept as they
 * are and set *invalid. */
size_t sk_mime__qp_decode(struct sk_mime__qp *st, const uint8_t *in, size_t len, bool line_end,
                          uint8_t *out, bool *soft_break, bool *invalid);

/* Decodes one uuencoded line (no "begin"/"end") into out (room for len). */
size_t sk_mime__uu_decode(const uint8_t *in, size_t len, uint8_t *out);

/* Decodes RFC 2047 "B" text: like sk_mime__b64_decode on one whole string. */
size_t sk_mime__b64_decode_all(const uint8_t *in, size_t len, uint8_t *out, bool *invalid);

/* Value of a hex digit (either case), or -1. */
int sk_mime__hexval(uint8_t c);

#endif

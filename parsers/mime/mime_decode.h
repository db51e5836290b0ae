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

struct sk_mime__b64 {
    uint8_t q[4];
    unsigned n;
};

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

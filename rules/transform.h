/* SPDX-License-Identifier: GPL-2.0-only */
/* Buffer transforms (to_lowercase, to_uppercase, strip_whitespace, compress_whitespace,
 * url_decode, from_base64, dotprefix), applied in rule order before a group's matches.
 * Output goes into buffers owned by a per-thread struct sk_xform, reused across calls. */
#ifndef SK_TRANSFORM_H
#define SK_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"

/* Two growable buffers used in turn by a chain of transforms. One per thread. */
struct sk_xform {
    uint8_t *buf[2];
    size_t cap[2];
};

void sk_xform_init(struct sk_xform *x);
void sk_xform_release(struct sk_xform *x);

/* Applies the n transforms of xf to in[0..len). On success *out and *outlen describe the
 * result: in itself when n is 0, else bytes owned by x, valid until the next call on x.
 * Returns 0 or SK_E_NOMEM. Not thread safe (one x per thread). */
int sk_xform_apply(struct sk_xform *x, const enum sk_transform *xf, size_t n, const uint8_t *in,
                   size_t len, const uint8_t **out, size_t *outlen);

/* The value of one hexadecimal digit, or -1 (shared with the content parser's |41 42|). */
int sk_xform_hexval(int c);

#endif

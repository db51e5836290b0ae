/* SPDX-License-Identifier: GPL-2.0-only */
/* The vector fast path of the base64 decoder where there is none (CPUs other than x86; see
 * mime_b64_x86.c): the scalar code in mime_decode.c does all the work. */
#include "parsers/mime/mime_decode.h"

size_t sk_mime__b64_vec_list(struct sk_mime__b64_vec *v, size_t n)
{
    return 0;
}

size_t sk_mime__b64_vec_best(const uint8_t *in, size_t len, uint8_t *out)
{
    return 0;
}
